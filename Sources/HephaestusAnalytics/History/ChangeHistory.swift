/// What a repository's history says about each file, accumulated from commits given newest first (the order of
/// `git log`), with renames followed: the history of a file's earlier names counts for its latest name.
///
/// Revisions, churn and coupling are counted as code-maat counts them (a revision is a commit that touches the file;
/// churn the added and deleted lines of `--numstat`, `-` for binary files as 0; coupling over commits of at most
/// ``maxChangesetSize`` entries), except that code-maat takes a rename line's `{old => new}` text as an entity of its
/// own where this follows the file.
public struct ChangeHistory: Sendable {
    /// One file's figures.
    public struct FileStats: Codable, Sendable, Equatable {
        /// Commits that touched the file.
        public var revisions = 0
        /// Commits of at most `maxChangesetSize` entries that touched the file (code-maat's coupling revisions; the
        /// revisions hotspots count).
        public var boundedRevisions = 0
        public var added = 0
        public var deleted = 0
        /// Distinct author names.
        public var authors = 0
        /// The dates (YYYY-MM-DD) of the latest and earliest commit that touched the file.
        public var lastChange = ""
        public var firstChange = ""
    }

    /// Two files changed together, with code-maat's degree.
    public struct Coupling: Codable, Sendable, Equatable {
        public let entity: String
        public let coupled: String
        /// Commits (of at most `maxChangesetSize` entries) that touched both.
        public let sharedRevisions: Int
        /// The mean of the two files' bounded revisions, truncated (code-maat's `average-revs`).
        public let averageRevisions: Int
        /// shared / mean × 100, truncated (code-maat's `degree`).
        public let degree: Int

        public init(entity: String, coupled: String, sharedRevisions: Int, averageRevisions: Int, degree: Int) {
            self.entity = entity
            self.coupled = coupled
            self.sharedRevisions = sharedRevisions
            self.averageRevisions = averageRevisions
            self.degree = degree
        }
    }

    /// Code-maat's default thresholds.
    public struct CouplingThresholds: Sendable, Equatable {
        public var minRevisions = 5
        public var minSharedRevisions = 5
        public var minCoupling = 30
        public var maxCoupling = 100

        public init(minRevisions: Int = 5, minSharedRevisions: Int = 5, minCoupling: Int = 30, maxCoupling: Int = 100) {
            self.minRevisions = minRevisions
            self.minSharedRevisions = minSharedRevisions
            self.minCoupling = minCoupling
            self.maxCoupling = maxCoupling
        }
    }

    /// Code-maat's default maximum change-set size (entries of one commit) for coupling.
    public static let defaultMaxChangesetSize = 30

    public let maxChangesetSize: Int
    /// Commits read (merges without changes included).
    public private(set) var commits = 0

    private var names: [String] = []
    private var ids: [String: Int32] = [:]
    /// Earlier name → the id of the latest name, learnt from renames in newer commits.
    private var renamedTo: [String: Int32] = [:]
    private var stats: [FileStats] = []
    private var authorsOf: [Set<Int32>] = []
    private var authorIDs: [String: Int32] = [:]
    private var pairs: [UInt64: Int32] = [:]

    public init(maxChangesetSize: Int = ChangeHistory.defaultMaxChangesetSize) {
        self.maxChangesetSize = maxChangesetSize
    }

    /// One commit's changes, newer commits first.
    public mutating func add(date: String, author: String, changes: [(path: NumstatPath, added: Int, deleted: Int)]) {
        commits += 1
        let authorID =
            authorIDs[author]
            ?? {
                let id = Int32(authorIDs.count)
                authorIDs[author] = id
                return id
            }()
        var touched: [Int32] = []
        touched.reserveCapacity(changes.count)
        for change in changes {
            let id = renamedTo[change.path.path] ?? identifier(change.path.path)
            if change.path.isRename { renamedTo[change.path.previous] = id }
            stats[Int(id)].added += change.added
            stats[Int(id)].deleted += change.deleted
            touched.append(id)
        }
        let files = Array(Set(touched)).sorted { names[Int($0)] < names[Int($1)] }
        let bounded = changes.count <= maxChangesetSize
        for id in files {
            let index = Int(id)
            stats[index].revisions += 1
            if bounded { stats[index].boundedRevisions += 1 }
            if stats[index].lastChange.isEmpty { stats[index].lastChange = date }
            stats[index].firstChange = date
            authorsOf[index].insert(authorID)
        }
        guard bounded, files.count >= 2 else { return }
        for first in 0..<(files.count - 1) {
            for second in (first + 1)..<files.count {
                pairs[UInt64(UInt32(files[first])) << 32 | UInt64(UInt32(files[second])), default: 0] += 1
            }
        }
    }

    private mutating func identifier(_ path: String) -> Int32 {
        if let id = ids[path] { return id }
        let id = Int32(names.count)
        ids[path] = id
        names.append(path)
        stats.append(FileStats())
        authorsOf.append([])
        return id
    }

    /// Every file's figures, by its latest name.
    public var files: [String: FileStats] {
        var result: [String: FileStats] = [:]
        result.reserveCapacity(names.count)
        for (index, name) in names.enumerated() {
            var figures = stats[index]
            figures.authors = authorsOf[index].count
            result[name] = figures
        }
        return result
    }

    /// The coupled pairs that pass `thresholds`, strongest first (then by names), as code-maat's `coupling` lists them.
    public func couplings(_ thresholds: CouplingThresholds = CouplingThresholds()) -> [Coupling] {
        var result: [Coupling] = []
        for (key, shared) in pairs {
            let first = Int(key >> 32)
            let second = Int(key & 0xFFFF_FFFF)
            let average = Double(stats[first].boundedRevisions + stats[second].boundedRevisions) / 2
            let degree = Double(shared) / average * 100
            guard average >= Double(thresholds.minRevisions), Int(shared) >= thresholds.minSharedRevisions,
                degree >= Double(thresholds.minCoupling), degree <= Double(thresholds.maxCoupling)
            else { continue }
            result.append(
                Coupling(
                    entity: names[first], coupled: names[second], sharedRevisions: Int(shared), averageRevisions: Int(average),
                    degree: Int(degree)))
        }
        return result.sorted {
            ($0.degree, $1.entity, $1.coupled) > ($1.degree, $0.entity, $0.coupled)
        }
    }
}
