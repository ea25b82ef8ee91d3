import HephaestusPlatform

/// Why a TUF update or download was refused (TUF specification 1.0, §5 "Detailed client workflow").
public typealias TUFError = CodedFailure<TUFErrorCode>

/// The codes of ``TUFError``.
public enum TUFErrorCode: String, ErrorCode {
    case metadataInvalid = "tuf.metadata-invalid"
    case thresholdNotMet = "tuf.threshold-not-met"
    case expired = "tuf.expired"
    case rollback = "tuf.rollback"
    case versionMismatch = "tuf.version-mismatch"
    case lengthMismatch = "tuf.length-mismatch"
    case hashMismatch = "tuf.hash-mismatch"
    case targetNotFound = "tuf.target-not-found"
    case fetchFailed = "tuf.fetch-failed"
    case noTrustedRoot = "tuf.no-trusted-root"

    public var definition: (category: ErrorCategory, summary: String) {
        switch self {
        case .metadataInvalid: (.invalidInput, "TUF metadata is malformed, of the wrong type or uses an unsupported key")
        case .thresholdNotMet: (.checkFailed, "TUF metadata is not signed by a threshold of its role's keys")
        case .expired: (.checkFailed, "TUF metadata has expired (freeze attack)")
        case .rollback: (.checkFailed, "TUF metadata is older than the trusted copy (rollback attack)")
        case .versionMismatch: (.checkFailed, "TUF metadata's version is not the one its referrer names (mix-and-match)")
        case .lengthMismatch: (.checkFailed, "TUF metadata or a target file is longer or shorter than listed")
        case .hashMismatch: (.checkFailed, "TUF metadata or a target file does not match its listed hashes")
        case .targetNotFound: (.notFound, "no trusted targets metadata lists the requested target")
        case .fetchFailed: (.unavailable, "TUF metadata or a target could not be fetched from the repository")
        case .noTrustedRoot: (.configuration, "the TUF metadata directory holds no usable trusted root.json")
        }
    }
}
