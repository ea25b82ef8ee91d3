import HephaestusPlatform
import HephaestusSigstore

/// Which trusted root to verify against: the embedded public-good production or staging root, or a file.
public enum TrustSelection: Sendable, Equatable {
    case production
    case staging
    case file(path: String)

    /// Loads the root. A missing file is a file error; a malformed one a verification (data) error.
    public func load() throws -> TrustedRoot {
        switch self {
        case .production: return try TrustedRoot.production()
        case .staging: return try TrustedRoot.staging()
        case .file(let path): return try TrustedRoot(json: FileReader.contents(of: path, limit: 16 << 20))
        }
    }

    public var description: String {
        switch self {
        case .production: "embedded Sigstore public-good (production)"
        case .staging: "embedded Sigstore public-good (staging)"
        case .file(let path): path
        }
    }
}

/// Facts about the embedded trust material, for reports.
public enum HephaestusTrust {
    public static var origin: String { TrustedRoot.embeddedOrigin }
    public static var retrievedAt: String { TrustedRoot.embeddedRetrievedAt }
}
