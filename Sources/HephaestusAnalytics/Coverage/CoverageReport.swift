import Foundation
import Glibc
import HephaestusPlatform

/// Line coverage per file, read from a coverage.py JSON report, a Cobertura XML report or an lcov tracefile (the
/// format is recognised from the first byte that is not white space: `{` JSON, `<` XML, otherwise lcov).
///
/// The numbers are the report's own: coverage.py's `num_statements` and `covered_lines`; Cobertura's `<line>`
/// elements and those with `hits` above 0; lcov's `DA:` records and those with a count above 0 (`LF:`/`LH:` when a
/// record has no `DA:`). Cobertura and lcov are streamed line by line; coverage.py's JSON is decoded whole (up to
/// 512 MiB).
public struct CoverageReport: Sendable, Equatable {
    public enum Format: String, Codable, Sendable, CaseIterable {
        case coveragePy = "coverage.py-json"
        case cobertura
        case lcov
    }

    /// One file's line coverage.
    public struct FileCoverage: Codable, Sendable, Equatable {
        /// Executable lines (statements).
        public var statements: Int
        /// Those executed at least once.
        public var covered: Int

        public init(statements: Int, covered: Int) {
            self.statements = statements
            self.covered = covered
        }

        /// covered / statements; 1 for a file without statements.
        public var rate: Double { statements == 0 ? 1 : Double(covered) / Double(statements) }
    }

    public let format: Format
    /// By path as the report names it, made relative to the repository when it lies inside it.
    public let files: [String: FileCoverage]

    public init(format: Format, files: [String: FileCoverage]) {
        self.format = format
        self.files = files
    }

    /// Reads the report at `path`, naming files relative to `repository` (an absolute path) where they lie inside it.
    public static func read(path: String, repository: String) throws -> CoverageReport {
        let reader = try FileReader(path: path)
        guard let head = try reader.readChunk(size: 4096), let first = head.first(where: { !isSpace($0) }) else {
            throw AnalyticsError.coverageUnreadable(path: path, reason: "the file is empty")
        }
        let descriptor = open(NativePath.cString(path), O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileError.fromErrno(errno, path: path) }
        defer { close(descriptor) }
        let paths = PathMapper(repository: repository)
        switch first {
        case UInt8(ascii: "{"):
            return try CoveragePyJSON.read(path: path, paths: paths)
        case UInt8(ascii: "<"):
            return try Cobertura.read(descriptor: descriptor, path: path, paths: paths)
        default:
            return try Lcov.read(descriptor: descriptor, path: path, paths: paths)
        }
    }

    static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }
}

/// Report paths as repository-relative paths.
struct PathMapper {
    let repository: String

    init(repository: String) {
        self.repository = repository.hasSuffix("/") ? String(repository.dropLast()) : repository
    }

    /// `name` relative to the repository: an absolute path inside it loses the repository prefix; `./` prefixes go.
    func relative(_ name: String) -> String {
        var name = name
        if name.hasPrefix(repository + "/") { name = String(name.dropFirst(repository.count + 1)) }
        while name.hasPrefix("./") { name = String(name.dropFirst(2)) }
        return name
    }

    /// `name` resolved against a Cobertura `<source>` directory, then made relative.
    func relative(_ name: String, source: String?) -> String {
        guard let source, !source.isEmpty, !name.hasPrefix("/") else { return relative(name) }
        let joined = source.hasSuffix("/") ? source + name : source + "/" + name
        return relative(joined)
    }
}

/// coverage.py's `coverage json` report: `files.PATH.summary.{num_statements, covered_lines}`.
enum CoveragePyJSON {
    private struct Document: Decodable {
        struct File: Decodable {
            struct Summary: Decodable {
                let statements: Int
                let covered: Int

                private enum CodingKeys: String, CodingKey {
                    case statements = "num_statements"
                    case covered = "covered_lines"
                }
            }
            let summary: Summary
        }
        let files: [String: File]
    }

    static func read(path: String, paths: PathMapper) throws -> CoverageReport {
        let bytes = try FileReader.contents(of: path, limit: 512 << 20)
        let document: Document
        do {
            document = try JSONDecoder().decode(Document.self, from: Data(bytes))
        } catch {
            throw AnalyticsError.coverageUnreadable(path: path, reason: "not a coverage.py JSON report (files.*.summary): \(error)")
        }
        var files: [String: CoverageReport.FileCoverage] = [:]
        for (name, file) in document.files {
            files[paths.relative(name)] = CoverageReport.FileCoverage(statements: file.summary.statements, covered: file.summary.covered)
        }
        return CoverageReport(format: .coveragePy, files: files)
    }
}

/// An lcov tracefile: `SF:` opens a file's record, `DA:LINE,COUNT` one line, `end_of_record` closes it.
enum Lcov {
    static func read(descriptor: Int32, path: String, paths: PathMapper) throws -> CoverageReport {
        var files: [String: CoverageReport.FileCoverage] = [:]
        var current: String?
        var lines: [Int: Bool] = [:]
        var summary: (found: Int?, hit: Int?) = (nil, nil)
        var sawRecord = false
        var lineNumber = 0
        func close() {
            guard let name = current else { return }
            var coverage = files[name] ?? CoverageReport.FileCoverage(statements: 0, covered: 0)
            if lines.isEmpty, let found = summary.found {
                coverage.statements += found
                coverage.covered += summary.hit ?? 0
            } else {
                coverage.statements += lines.count
                coverage.covered += lines.values.filter { $0 }.count
            }
            files[name] = coverage
            current = nil
            lines.removeAll(keepingCapacity: true)
            summary = (nil, nil)
        }
        try LineReader(descriptor: descriptor, name: path, maxLineLength: 1 << 20).forEachLine { item in
            lineNumber += 1
            guard case .complete(let bytes) = item else {
                throw AnalyticsError.coverageUnreadable(path: path, reason: "line \(lineNumber) is longer than 1 MiB")
            }
            let line = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("SF:") {
                close()
                current = paths.relative(String(line.dropFirst(3)))
                sawRecord = true
            } else if line.hasPrefix("DA:"), current != nil {
                let fields = line.dropFirst(3).split(separator: ",")
                guard fields.count >= 2, let number = Int(fields[0]), let count = Int(fields[1]) else {
                    throw AnalyticsError.coverageUnreadable(path: path, reason: "line \(lineNumber): malformed DA record")
                }
                lines[number] = (lines[number] ?? false) || count > 0
            } else if line.hasPrefix("LF:") {
                summary.found = Int(line.dropFirst(3))
            } else if line.hasPrefix("LH:") {
                summary.hit = Int(line.dropFirst(3))
            } else if line == "end_of_record" {
                close()
            }
        }
        close()
        guard sawRecord else { throw AnalyticsError.coverageUnreadable(path: path, reason: "no SF: record (not an lcov tracefile)") }
        return CoverageReport(format: .lcov, files: files)
    }
}
