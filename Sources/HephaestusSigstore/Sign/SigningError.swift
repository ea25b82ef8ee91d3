import Foundation
import HephaestusPlatform

/// Why signing stopped. Nothing is written when any of these is thrown.
public enum SigningError: CodedError {
    /// No OIDC token was given and none could be detected in the environment.
    case noIdentityToken(String)
    /// The token is not a JWT with the claims Fulcio needs.
    case malformedIdentityToken(String)
    /// The token's `exp` has passed (or its `nbf` is in the future).
    case identityTokenNotUsable(String)
    /// The certificate authority answered with a certificate that is not for our key or identity.
    case certificateRejected(String)
    /// A signing service answered something that cannot be used.
    case malformedServiceResponse(service: String, reason: String)
    /// The bundle we produced does not verify with our own verifier: it is not written.
    case selfVerificationFailed(VerificationError)
    /// The signing configuration cannot be used (no service valid now, unknown API version, …).
    case invalidSigningConfig(String)
    /// The file given with --in-toto is not an in-toto statement we can sign.
    case invalidStatement(String)
    /// The managed key (--key) cannot sign: a public key, an encrypted or unsupported private key, not a key at all.
    case invalidKey(String)

    public enum Code: String, ErrorCode {
        case noIdentityToken = "sign.no-identity-token"
        case malformedIdentityToken = "sign.malformed-identity-token"
        case identityTokenNotUsable = "sign.identity-token-expired"
        case certificateRejected = "sign.certificate-rejected"
        case malformedServiceResponse = "sign.malformed-service-response"
        case selfVerificationFailed = "sign.self-verification-failed"
        case invalidSigningConfig = "sign.invalid-signing-config"
        case invalidStatement = "sign.invalid-statement"
        case invalidKey = "sign.invalid-key"

        public var definition: (category: ErrorCategory, summary: String) {
            switch self {
            case .noIdentityToken: (.missingCredentials, "keyless signing found no OIDC token (option, SIGSTORE_ID_TOKEN or CI ambient credentials)")
            case .malformedIdentityToken: (.invalidInput, "the OIDC token is not a JWT with iss, sub and exp")
            case .identityTokenNotUsable: (.permissionDenied, "the OIDC token has expired, is not yet valid, or names an unverified e-mail")
            case .certificateRejected: (.checkFailed, "the CA returned a certificate for another key, or refused the proof of possession")
            case .malformedServiceResponse: (.unavailable, "a signing service (CA, log, TSA) answered something unusable")
            case .selfVerificationFailed: (.checkFailed, "the bundle just produced does not verify; nothing was written")
            case .invalidSigningConfig: (.invalidInput, "the signing configuration cannot be used")
            case .invalidStatement: (.invalidInput, "the --in-toto input is not an in-toto statement with a sha256 subject")
            case .invalidKey: (.invalidInput, "the --key file is not an unencrypted PEM private key of a supported type")
            }
        }
    }

    public var errorCode: Code {
        switch self {
        case .noIdentityToken: .noIdentityToken
        case .malformedIdentityToken: .malformedIdentityToken
        case .identityTokenNotUsable: .identityTokenNotUsable
        case .certificateRejected: .certificateRejected
        case .malformedServiceResponse: .malformedServiceResponse
        case .selfVerificationFailed: .selfVerificationFailed
        case .invalidSigningConfig: .invalidSigningConfig
        case .invalidStatement: .invalidStatement
        case .invalidKey: .invalidKey
        }
    }

    public var description: String {
        switch self {
        case .noIdentityToken(let reason): "no OIDC identity token: \(reason)"
        case .malformedIdentityToken(let reason): "malformed OIDC identity token: \(reason)"
        case .identityTokenNotUsable(let reason): "OIDC identity token not usable: \(reason)"
        case .certificateRejected(let reason): "certificate authority returned an unusable certificate: \(reason)"
        case .malformedServiceResponse(let service, let reason): "\(service) answered an unusable response: \(reason)"
        case .selfVerificationFailed(let error):
            "the signed bundle does not verify, so it was not written: \(error.description) [\(error.code)]"
        case .invalidSigningConfig(let reason): "signing config: \(reason)"
        case .invalidStatement(let reason): "in-toto statement: \(reason)"
        case .invalidKey(let reason): "signing key: \(reason)"
        }
    }
}
