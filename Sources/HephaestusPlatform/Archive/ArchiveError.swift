/// Why an archive was refused: each case names the entry and the rule it broke.
public enum ArchiveError: CodedError, Equatable {
    case unreadable(path: String, reason: String)
    case unsupportedFormat(path: String, format: String)
    case corrupt(path: String, reason: String)
    case unsafeEntry(entry: String, rule: String)
    case limitExceeded(entry: String, limit: String)
    case destinationExists(path: String)
    /// The destination exists and is not a directory (`kind`: "a symbolic link", "a regular file", …).
    case destinationNotDirectory(path: String, kind: String)
    case writeFailed(path: String, reason: String)

    public enum Code: String, ErrorCode {
        case unreadable = "archive.unreadable"
        case unsupportedFormat = "archive.unsupported-format"
        case corrupt = "archive.corrupt"
        case unsafeEntry = "archive.unsafe-entry"
        case limitExceeded = "archive.limit-exceeded"
        case destinationExists = "archive.destination-exists"
        case writeFailed = "archive.write-failed"

        public var definition: (category: ErrorCategory, summary: String) {
            switch self {
            case .unreadable: (.notFound, "an archive cannot be opened")
            case .unsupportedFormat: (.checkFailed, "an archive is neither tar, tar.gz nor zip")
            case .corrupt: (.checkFailed, "an archive is corrupt, truncated or concatenated")
            case .unsafeEntry: (.checkFailed, "an entry breaks an extraction rule (traversal, link escape, special file, …)")
            case .limitExceeded: (.checkFailed, "an archive exceeds an extraction limit (a bomb?)")
            case .destinationExists: (.outputExists, "the extraction destination is a file, a symbolic link or a non-empty directory")
            case .writeFailed: (.outputFailed, "an extracted file could not be written")
            }
        }
    }

    public var errorCode: Code {
        switch self {
        case .unreadable: .unreadable
        case .unsupportedFormat: .unsupportedFormat
        case .corrupt: .corrupt
        case .unsafeEntry: .unsafeEntry
        case .limitExceeded: .limitExceeded
        case .destinationExists, .destinationNotDirectory: .destinationExists
        case .writeFailed: .writeFailed
        }
    }

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): "\(path): cannot read archive: \(reason)"
        case .unsupportedFormat(let path, let format): "\(path): unsupported archive format \(format) (tar, tar.gz and zip are accepted)"
        case .corrupt(let path, let reason): "\(path): corrupt or truncated archive: \(reason)"
        case .unsafeEntry(let entry, let rule): "refusing entry \(Self.shown(entry)): \(rule)"
        case .limitExceeded(let entry, let limit): "refusing entry \(Self.shown(entry)): \(limit)"
        case .destinationExists(let path): "\(path) already exists and is not an empty directory"
        case .destinationNotDirectory(let path, let kind):
            "\(path) is \(kind), not a directory: extract into a new or empty directory (links are not followed)"
        case .writeFailed(let path, let reason): "\(path): \(reason)"
        }
    }

    /// An entry name as messages show it: quoted and escaped, and shortened when very long (a name of PATH_MAX bytes
    /// would make a refusal unreadable).
    static func shown(_ entry: String) -> String {
        guard entry.count > 160 else { return entry.debugDescription }
        return (String(entry.prefix(60)) + "…" + String(entry.suffix(60))).debugDescription + " (\(entry.utf8.count) bytes)"
    }
}

extension ArchiveError {
    /// The safety rule a refused archive broke, as a short stable name (a metric label: the rule's text carries
    /// names and sizes); nil when the archive was not refused for a rule (unreadable, corrupt, a write failure).
    public var refusalRule: String? {
        switch self {
        case .unsafeEntry(_, let rule): Self.ruleNames.first { rule.contains($0.marker) }?.name ?? "other"
        case .limitExceeded(_, let limit):
            limit.hasSuffix("entries") ? "entry-count" : limit.hasSuffix("in one entry") ? "entry-size" : "total-size"
        default: nil
        }
    }

    /// Markers of the rule texts, most specific first.
    private static let ruleNames: [(marker: String, name: String)] = [
        ("'..'", "parent-component"), ("absolute", "absolute-path"), ("passes through", "path-through-link"),
        ("hard link", "hard-link-target"), ("symbolic link", "symlink-target"), ("special file", "special-file"),
        ("duplicate", "duplicate-entry"), ("collides", "name-collision"), ("NFKC", "unicode-compatibility"),
        ("backslash", "backslash"), ("empty", "empty-component"), ("NAME_MAX", "name-too-long"), ("sparse", "sparse-file"),
        ("pax", "pax-record"), ("encrypted", "encrypted-entry"), ("NUL", "nul-in-name"), ("carries", "data-in-non-file"),
        ("holds data", "data-in-non-file"),
    ]
}
