import HephaestusAnalytics
import HephaestusCore
import HephaestusInventory
import HephaestusLocalSigstore
import HephaestusPlatform
import HephaestusService
import HephaestusSigstore
import HephaestusTUF
import HephaestusToolkit

/// Every error type of every module, hence every error code: what the exit-code table and the service documentation
/// are derived from.
///
/// A test scans `Sources/` for types conforming to ``CodedError`` and fails when one is missing here.
public enum ErrorCatalogue {
    /// One error code, as declared next to it in its area.
    public struct Entry: Sendable, Equatable {
        /// The stable code, e.g. `file.not-found`.
        public let code: String
        public let category: ErrorCategory
        /// When it happens, in one line.
        public let summary: String
        /// The error type that declares it, e.g. `FileError`.
        public let errorType: String
    }

    /// Every error type, in the order of the generated documentation (the two general codes first).
    public static let errorTypes: [any CodedError.Type] = [
        GeneralError.self,
        FileError.self,
        OutputStreamError.self,
        LibraryError.self,
        CryptoError.self,
        DigestCheckError.self,
        VerificationError.self,
        PolicyError.self,
        BatchVerificationFailure.self,
        VerifyFilesFailure.self,
        BatchListError.self,
        AttestationError.self,
        SigningError.self,
        LocalInstanceError.self,
        TransportError.self,
        ServerError.self,
        TUFError.self,
        TrustSourceError.self,
        GitHubError.self,
        ArchiveError.self,
        WheelError.self,
        InventoryError.self,
        PublishError.self,
        ReleaseCheckError.self,
        ServiceStoreError.self,
        AccessError.self,
        AuditError.self,
        AgentError.self,
        TaskError.self,
        ServiceLimitError.self,
        AnalyticsError.self,
        ProjectConfigurationError.self,
        CleanupError.self,
        GuardRailsError.self,
    ]

    /// The names of ``errorTypes`` (`String(describing:)`, e.g. `FileError`).
    public static var errorTypeNames: [String] { errorTypes.map { String(describing: $0) } }

    /// Every code of every error type, in ``errorTypes`` order and each type's declaration order.
    public static let entries: [Entry] = errorTypes.flatMap { type in
        entries(of: type.codeType, errorType: String(describing: type))
    }

    private static func entries<Code: ErrorCode>(of _: Code.Type, errorType: String) -> [Entry] {
        Code.allCases.map { Entry(code: $0.rawValue, category: $0.category, summary: $0.summary, errorType: errorType) }
    }
}
