import HephaestusPlatform

/// Why a bundle did not verify: one case per step of the Sigstore client specification, each with a stable code.
public enum VerificationError: CodedError, Equatable {
    case malformedBundle(String)
    case unsupportedMediaType(String)
    case malformedTrustedRoot(String)
    case invalidPolicy(String)
    case artifactMismatch(expected: String, actual: String)
    case signatureInvalid(String)
    case certificateChainInvalid(String)
    case certificateProfileInvalid(String)
    case signedCertificateTimestampInvalid(String)
    case identityMismatch(expected: String, actual: String)
    case issuerMismatch(expected: String, actual: String)
    case claimMismatch(claim: String, expected: String, actual: String)
    case transparencyLogEntryInvalid(String)
    case transparencyLogEntryInconsistent(String)
    case inclusionPromiseInvalid(String)
    case inclusionProofInvalid(String)
    case checkpointInvalid(String)
    case timestampInvalid(String)
    case noVerifiedTime(String)
    case statementMismatch(String)
    case keyMismatch(String)
    case policyViolation(rule: String, reason: String)

    public enum Code: String, ErrorCode {
        case malformedBundle = "verify.malformed-bundle"
        case unsupportedMediaType = "verify.unsupported-media-type"
        case malformedTrustedRoot = "verify.malformed-trusted-root"
        case invalidPolicy = "verify.invalid-policy"
        case artifactMismatch = "verify.artifact-mismatch"
        case signatureInvalid = "verify.signature-invalid"
        case certificateChainInvalid = "verify.certificate-chain"
        case certificateProfileInvalid = "verify.certificate-profile"
        case signedCertificateTimestampInvalid = "verify.sct"
        case identityMismatch = "verify.identity-mismatch"
        case issuerMismatch = "verify.issuer-mismatch"
        case claimMismatch = "verify.claim-mismatch"
        case transparencyLogEntryInvalid = "verify.tlog-entry"
        case transparencyLogEntryInconsistent = "verify.tlog-inconsistent"
        case inclusionPromiseInvalid = "verify.inclusion-promise"
        case inclusionProofInvalid = "verify.inclusion-proof"
        case checkpointInvalid = "verify.checkpoint"
        case timestampInvalid = "verify.timestamp"
        case noVerifiedTime = "verify.no-verified-time"
        case statementMismatch = "verify.statement-mismatch"
        case keyMismatch = "verify.key-mismatch"
        case policyViolation = "verify.policy-violation"

        public var definition: (category: ErrorCategory, summary: String) {
            switch self {
            case .malformedBundle: (.checkFailed, "a bundle is not valid JSON or breaks its version's structural rules")
            case .unsupportedMediaType: (.checkFailed, "a bundle's media type is unknown")
            case .malformedTrustedRoot: (.invalidInput, "a trusted root cannot be parsed")
            case .invalidPolicy: (.usage, "the verification policy does not fit the bundle (e.g. --key for a certificate bundle)")
            case .artifactMismatch: (.checkFailed, "the bundle signs another artifact")
            case .signatureInvalid: (.checkFailed, "the signature over the artifact does not verify")
            case .certificateChainInvalid: (.checkFailed, "the signing certificate does not chain to a trusted CA at a verified time")
            case .certificateProfileInvalid: (.checkFailed, "the signing certificate lacks Fulcio's profile (usage, SAN, issuer)")
            case .signedCertificateTimestampInvalid: (.checkFailed, "no embedded SCT from a trusted CT log verifies")
            case .identityMismatch: (.checkFailed, "the certificate SAN is not the expected identity")
            case .issuerMismatch: (.checkFailed, "the OIDC issuer is not the expected one")
            case .claimMismatch: (.checkFailed, "a GitHub workflow claim is not the expected value")
            case .transparencyLogEntryInvalid: (.checkFailed, "a log entry is from an untrusted log or unsupported")
            case .transparencyLogEntryInconsistent: (.checkFailed, "a log entry does not repeat the bundle's signature, key or digest")
            case .inclusionPromiseInvalid: (.checkFailed, "a signed entry timestamp (SET) does not verify")
            case .inclusionProofInvalid: (.checkFailed, "an inclusion proof does not lead to its root hash")
            case .checkpointInvalid: (.checkFailed, "a checkpoint is malformed, unsigned by the log, or disagrees with the proof")
            case .timestampInvalid: (.checkFailed, "an RFC 3161 timestamp cannot be checked against the trusted root")
            case .noVerifiedTime: (.checkFailed, "no signed time (SET or RFC 3161) verifies")
            case .statementMismatch: (.checkFailed, "a DSSE in-toto statement does not name the artifact")
            case .keyMismatch: (.checkFailed, "the managed key does not match")
            case .policyViolation:
                (.checkFailed, "the bundle verifies but breaks a rule of the verification policy (a threshold, kind, version or age)")
            }
        }
    }

    public var errorCode: Code {
        switch self {
        case .malformedBundle: .malformedBundle
        case .unsupportedMediaType: .unsupportedMediaType
        case .malformedTrustedRoot: .malformedTrustedRoot
        case .invalidPolicy: .invalidPolicy
        case .artifactMismatch: .artifactMismatch
        case .signatureInvalid: .signatureInvalid
        case .certificateChainInvalid: .certificateChainInvalid
        case .certificateProfileInvalid: .certificateProfileInvalid
        case .signedCertificateTimestampInvalid: .signedCertificateTimestampInvalid
        case .identityMismatch: .identityMismatch
        case .issuerMismatch: .issuerMismatch
        case .claimMismatch: .claimMismatch
        case .transparencyLogEntryInvalid: .transparencyLogEntryInvalid
        case .transparencyLogEntryInconsistent: .transparencyLogEntryInconsistent
        case .inclusionPromiseInvalid: .inclusionPromiseInvalid
        case .inclusionProofInvalid: .inclusionProofInvalid
        case .checkpointInvalid: .checkpointInvalid
        case .timestampInvalid: .timestampInvalid
        case .noVerifiedTime: .noVerifiedTime
        case .statementMismatch: .statementMismatch
        case .keyMismatch: .keyMismatch
        case .policyViolation: .policyViolation
        }
    }

    /// The failed step, as users read it ("identity mismatch", "inclusion proof", …).
    public var step: String {
        switch self {
        case .malformedBundle: "bundle parsing"
        case .unsupportedMediaType: "bundle media type"
        case .malformedTrustedRoot: "trusted root"
        case .invalidPolicy: "verification policy"
        case .artifactMismatch: "artifact digest"
        case .signatureInvalid: "artifact signature"
        case .certificateChainInvalid: "certificate chain"
        case .certificateProfileInvalid: "certificate profile"
        case .signedCertificateTimestampInvalid: "signed certificate timestamp"
        case .identityMismatch: "identity"
        case .issuerMismatch: "OIDC issuer"
        case .claimMismatch: "certificate claim"
        case .transparencyLogEntryInvalid: "transparency log entry"
        case .transparencyLogEntryInconsistent: "transparency log entry consistency"
        case .inclusionPromiseInvalid: "inclusion promise (SET)"
        case .inclusionProofInvalid: "inclusion proof"
        case .checkpointInvalid: "checkpoint"
        case .timestampInvalid: "signed timestamp"
        case .noVerifiedTime: "verified signing time"
        case .statementMismatch: "in-toto statement"
        case .keyMismatch: "public key"
        case .policyViolation: "verification policy rule"
        }
    }

    public var description: String {
        switch self {
        case .malformedBundle(let reason): "malformed bundle: \(reason)"
        case .unsupportedMediaType(let type): "unsupported bundle media type \(type.isEmpty ? "(none)" : "\"\(type)\"")"
        case .malformedTrustedRoot(let reason): "malformed trusted root: \(reason)"
        case .invalidPolicy(let reason): "invalid verification policy: \(reason)"
        case .artifactMismatch(let expected, let actual):
            "artifact digest mismatch: bundle signs \(expected), artifact is \(actual)"
        case .signatureInvalid(let reason): "signature verification failed: \(reason)"
        case .certificateChainInvalid(let reason): "certificate chain verification failed: \(reason)"
        case .certificateProfileInvalid(let reason): "certificate profile check failed: \(reason)"
        case .signedCertificateTimestampInvalid(let reason): "signed certificate timestamp verification failed: \(reason)"
        case .identityMismatch(let expected, let actual):
            "identity mismatch: certificate SAN is \(actual), expected \(expected)"
        case .issuerMismatch(let expected, let actual):
            "issuer mismatch: certificate OIDC issuer is \(actual), expected \(expected)"
        case .claimMismatch(let claim, let expected, let actual):
            "claim mismatch: certificate \(claim) is \(actual), expected \(expected)"
        case .transparencyLogEntryInvalid(let reason): "transparency log entry rejected: \(reason)"
        case .transparencyLogEntryInconsistent(let reason):
            "transparency log entry is inconsistent with the bundle: \(reason)"
        case .inclusionPromiseInvalid(let reason): "inclusion promise (SET) verification failed: \(reason)"
        case .inclusionProofInvalid(let reason): "inclusion proof verification failed: \(reason)"
        case .checkpointInvalid(let reason): "checkpoint verification failed: \(reason)"
        case .timestampInvalid(let reason): "signed timestamp verification failed: \(reason)"
        case .noVerifiedTime(let reason): "no verified signing time: \(reason)"
        case .statementMismatch(let reason): "in-toto statement check failed: \(reason)"
        case .keyMismatch(let reason): "public key check failed: \(reason)"
        case .policyViolation(let rule, let reason): "policy rule \(rule) not met: \(reason)"
        }
    }
}
