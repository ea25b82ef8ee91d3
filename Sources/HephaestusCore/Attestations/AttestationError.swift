import HephaestusPlatform
import HephaestusSigstore

/// Why a PEP 740 attestation, a PyPI provenance object or a GitHub artifact attestation was not accepted (beyond the
/// Sigstore verification itself, whose failures are ``VerificationError``s).
public typealias AttestationError = CodedFailure<AttestationErrorCode>

/// The codes of ``AttestationError``.
public enum AttestationErrorCode: String, ErrorCode {
    case malformed = "attestation.malformed"
    case notADistribution = "attestation.not-a-distribution"
    case subjectCount = "attestation.subject-count"
    case subjectName = "attestation.subject-name"
    case subjectDigest = "attestation.subject-digest"
    case predicateType = "attestation.predicate-type"
    case publisherMismatch = "attestation.publisher-mismatch"
    case empty = "attestation.empty"
    case unsupportedBundle = "attestation.unsupported-bundle"
    case noTrustedRoot = "attestation.no-trusted-root"
    case missingProvenance = "attestation.missing-provenance"

    public var definition: (category: ErrorCategory, summary: String) {
        switch self {
        case .malformed:
            (.checkFailed, "an attestation, provenance object or attestation bundle file is not in its format (as a malformed bundle)")
        case .notADistribution: (.usage, "the distribution's file name is not a wheel or sdist name")
        case .subjectCount: (.checkFailed, "a PEP 740 statement does not have exactly one subject")
        case .subjectName: (.checkFailed, "the statement's subject names another distribution")
        case .subjectDigest: (.checkFailed, "the statement's subject has another sha256 than the distribution")
        case .predicateType: (.checkFailed, "the predicate type is not one the policy accepts (PyPI's, or --predicate-type)")
        case .publisherMismatch: (.checkFailed, "the provenance's Trusted Publisher is not the expected one")
        case .empty: (.checkFailed, "the provenance or bundle file holds no attestation")
        case .unsupportedBundle: (.checkFailed, "a GitHub attestation bundle's version is older than 0.2 (gh refuses it)")
        case .noTrustedRoot: (.checkFailed, "no trusted root for the Sigstore instance that issued the signing certificate")
        case .missingProvenance: (.checkFailed, "a wheel has no PEP 740 provenance and the policy requires one")
        }
    }
}

/// A negative verdict on an attestation, as reports carry it (a code and a reason), turned back into the typed error
/// the front ends map to an exit status.
enum AttestationVerdict {
    static func failure(code: String?, reason: String?) -> any CodedError {
        let reason = reason ?? "attestation verification failed"
        if let code = code.flatMap(AttestationError.Code.init(rawValue:)) { return AttestationError(code, reason) }
        if let code = code.flatMap(VerificationError.Code.init(rawValue:)) {
            return VerificationFailure(step: nil, errorCode: code, reason: reason)
        }
        return GeneralError.unexpected(reason)
    }

    /// The code of an error that ends a verification with a verdict (nil for errors that are not verdicts).
    static func verdictCode(of error: any Error) -> String? {
        switch error {
        case let error as AttestationError where error.category != .usage: error.code
        case let error as VerificationError: error.code
        default: nil
        }
    }
}
