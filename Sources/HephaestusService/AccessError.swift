import HephaestusPlatform

/// Why the gate refused a request: no valid credentials (401 / `UNAUTHENTICATED`), or an account whose role lacks
/// the permission (403 / `PERMISSION_DENIED`). Messages never quote the token.
public enum AccessError: CodedError, Equatable {
    /// No `Authorization` header (gRPC: no `authorization` metadata).
    case missingCredentials
    /// A header that is not `Bearer hph_…` with a well-formed token.
    case malformedCredentials(reason: String)
    /// A well-formed token that belongs to no account.
    case unknownToken
    case expired(account: String)
    case revoked(account: String)
    /// The account's role is below what the action requires; `required` is nil when no role may do it (deny by
    /// default: not in the permission table).
    case forbidden(account: String, role: Role, action: String, required: Role?)

    public enum Code: String, ErrorCode {
        case missingCredentials = "auth.missing"
        case malformedCredentials = "auth.malformed"
        case unknownToken = "auth.unknown-token"
        case expired = "auth.expired"
        case revoked = "auth.revoked"
        case forbidden = "auth.forbidden"

        public var definition: (category: ErrorCategory, summary: String) {
            switch self {
            case .missingCredentials: (.unauthenticated, "a service request carries no `Authorization: Bearer` token")
            case .malformedCredentials: (.unauthenticated, "the `Authorization` header is not `Bearer hph_…` with a well-formed token")
            case .unknownToken: (.unauthenticated, "the bearer token belongs to no account")
            case .expired: (.unauthenticated, "the bearer token's account has expired")
            case .revoked: (.unauthenticated, "the bearer token's account was revoked")
            case .forbidden: (.permissionDenied, "the account's role does not permit the operation (deny by default)")
            }
        }
    }

    public var errorCode: Code {
        switch self {
        case .missingCredentials: .missingCredentials
        case .malformedCredentials: .malformedCredentials
        case .unknownToken: .unknownToken
        case .expired: .expired
        case .revoked: .revoked
        case .forbidden: .forbidden
        }
    }

    public var description: String {
        switch self {
        case .missingCredentials: "authentication required: send Authorization: Bearer TOKEN"
        case .malformedCredentials(let reason): "malformed Authorization header: \(reason)"
        case .unknownToken: "the bearer token is not valid"
        case .expired(let account): "the token of account \(account) has expired"
        case .revoked(let account): "the token of account \(account) was revoked"
        case .forbidden(let account, let role, let action, let required):
            required.map { "account \(account) (role \(role.rawValue)) may not \(action): it requires role \($0.rawValue) or above" }
                ?? "account \(account) may not \(action): no role may (not in the permission table)"
        }
    }
}
