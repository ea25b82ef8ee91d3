import Foundation
import Glibc
import HephaestusPlatform

/// The files a ranking or hotspot analysis looks at, with every input number per file.
public struct FileInputs: Codable, Sendable, Equatable {
    public var path: String
    /// From `git log -M --numstat` (renames followed).
    public var revisions: Int
    /// Revisions in commits of at most the maximum change-set size (what hotspots count).
    public var boundedRevisions: Int
    public var added: Int
    public var deleted: Int
    /// added + deleted.
    public var churn: Int
    public var authors: Int
    /// The date of the latest commit that touched the file (nil: none in the window).
    public var lastChange: String?
    public var complexity: SourceComplexity
    /// From the coverage report (nil: no report, or the file is not in it).
    public var coverage: CoverageReport.FileCoverage?
    /// The summed weights of defect events (kinds `defect`, `incident`, `vulnerability`) from the event store.
    public var defects: Double

    public init(
        path: String, revisions: Int, boundedRevisions: Int, added: Int, deleted: Int, churn: Int, authors: Int, lastChange: String?,
        complexity: SourceComplexity, coverage: CoverageReport.FileCoverage?, defects: Double
    ) {
        self.path = path
        self.revisions = revisions
        self.boundedRevisions = boundedRevisions
        self.added = added
        self.deleted = deleted
        self.churn = churn
        self.authors = authors
        self.lastChange = lastChange
        self.complexity = complexity
        self.coverage = coverage
        self.defects = defects
    }
}

/// Gathers ``FileInputs`` for the files of a repository.
public struct RepositoryFiles: Sendable {
    /// The repository's top-level directory (absolute).
    public let root: String
    public let history: ChangeHistory
    public let inputs: [FileInputs]

    /// Reads the history, the files of `HEAD`'s index (`git ls-files`) that `filter` keeps (and are readable, not
    /// binary), their complexity, their coverage and their defects.
    public init(
        repository: String, since: String?, maxChangesetSize: Int, filter: PathFilter, coverage: CoverageReport?, defects: [String: Double],
        logFile: String? = nil
    ) throws {
        root = try Self.topLevel(repository)
        history =
            try logFile.map { try GitLog.read(logFile: $0, since: since, maxChangesetSize: maxChangesetSize) }
            ?? GitLog.read(repository: root, since: since, maxChangesetSize: maxChangesetSize)
        let stats = history.files
        var inputs: [FileInputs] = []
        for path in try Self.trackedFiles(root) where filter.keeps(path) {
            guard let source = Self.text(at: root + "/" + path) else { continue }
            let figures = stats[path] ?? ChangeHistory.FileStats()
            inputs.append(
                FileInputs(
                    path: path, revisions: figures.revisions, boundedRevisions: figures.boundedRevisions, added: figures.added,
                    deleted: figures.deleted, churn: figures.added + figures.deleted, authors: figures.authors,
                    lastChange: figures.lastChange.isEmpty ? nil : figures.lastChange, complexity: SourceComplexity(source: source, path: path),
                    coverage: coverage?.files[path], defects: defects[path] ?? 0))
        }
        self.inputs = inputs
    }

    /// `git rev-parse --show-toplevel`.
    public static func topLevel(_ repository: String) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: repository, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw AnalyticsError.notARepository(path: repository)
        }
        var top: String?
        do {
            try Git.run(["-C", repository, "rev-parse", "--show-toplevel"]) { line in top = String(line) }
        } catch AnalyticsError.gitFailed(let message) where message.contains("not a git repository") {
            throw AnalyticsError.notARepository(path: repository)
        }
        guard let top, !top.isEmpty else { throw AnalyticsError.notARepository(path: repository) }
        return top
    }

    static func trackedFiles(_ root: String) throws -> [String] {
        var files: [String] = []
        try Git.run(["-C", root, "-c", "core.quotepath=false", "ls-files"]) { line in files.append(NumstatPath.unquoted(line)) }
        return files
    }

    /// The file's bytes, nil when it cannot be read, is over 16 MiB, or is binary (a NUL byte in its first 8000).
    static func text(at path: String) -> [UInt8]? {
        guard let bytes = try? FileReader.contents(of: path, limit: 16 << 20) else { return nil }
        if bytes.prefix(8000).contains(0) { return nil }
        return bytes
    }
}

/// Which paths an analysis keeps: fnmatch(3) patterns matched against the repository-relative path, `*` matching
/// `/` too (no `FNM_PATHNAME`). With include patterns, a path must match one; it must match no exclude pattern.
public struct PathFilter: Codable, Sendable, Equatable {
    public var include: [String]
    public var exclude: [String]

    public init(include: [String] = [], exclude: [String] = []) {
        self.include = include
        self.exclude = exclude
    }

    public func keeps(_ path: String) -> Bool {
        (include.isEmpty || include.contains { Self.matches($0, path) }) && !exclude.contains { Self.matches($0, path) }
    }

    static func matches(_ pattern: String, _ path: String, caseInsensitive: Bool = false) -> Bool {
        // 1 << 4 is FNM_CASEFOLD, a GNU extension the Glibc module does not export.
        fnmatch(pattern, path, caseInsensitive ? 1 << 4 : 0) == 0
    }
}
