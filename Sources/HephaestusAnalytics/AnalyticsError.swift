import HephaestusPlatform

/// Failures of the analytics operations (`analytics rankings`, `analytics hotspots`, `analytics ingest`).
public enum AnalyticsError: CodedError, Equatable {
    /// `git log` (or `git ls-files`) could not be run or failed: not a repository, git missing.
    case gitFailed(String)
    /// `--repo` is not inside a git work tree.
    case notARepository(path: String)
    /// A coverage report is in none of the known formats, or is malformed.
    case coverageUnreadable(path: String, reason: String)
    /// With `--strict`, the event stream held malformed lines (nothing was stored).
    case malformedEvents(count: Int, firstLines: [Int])
    /// The event store could not be opened, read or written.
    case storeFailed(path: String, reason: String)

    public enum Code: String, ErrorCode {
        case gitFailed = "analytics.git-failed"
        case notARepository = "analytics.not-a-repository"
        case coverageUnreadable = "analytics.coverage-unreadable"
        case malformedEvents = "analytics.malformed-events"
        case storeFailed = "analytics.store-failed"

        public var definition: (category: ErrorCategory, summary: String) {
            switch self {
            case .gitFailed: (.toolFailed, "git could not read the repository's history")
            case .notARepository: (.notFound, "the directory is not in a git work tree")
            case .coverageUnreadable: (.invalidInput, "a coverage report is malformed or in no known format")
            case .malformedEvents: (.invalidInput, "with --strict, an analytics event line was malformed")
            case .storeFailed: (.ioFailed, "the analytics event store could not be read or written")
            }
        }
    }

    public var errorCode: Code {
        switch self {
        case .gitFailed: .gitFailed
        case .notARepository: .notARepository
        case .coverageUnreadable: .coverageUnreadable
        case .malformedEvents: .malformedEvents
        case .storeFailed: .storeFailed
        }
    }

    public var description: String {
        switch self {
        case .gitFailed(let reason): return "git: \(reason)"
        case .notARepository(let path): return "\(path) is not in a git work tree"
        case .coverageUnreadable(let path, let reason): return "\(path): not a usable coverage report: \(reason)"
        case .malformedEvents(let count, let lines):
            let list = lines.map(String.init).joined(separator: ", ")
            return "\(count) malformed event line\(count == 1 ? "" : "s") (first at line\(lines.count == 1 ? "" : "s") \(list)); nothing was stored"
        case .storeFailed(let path, let reason): return "\(path): event store: \(reason)"
        }
    }
}
