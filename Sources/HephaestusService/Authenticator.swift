import Foundation
import HephaestusCore

/// Turns an `Authorization` header value (gRPC: the `authorization` metadata) into the account it speaks for, or
/// the reason it does not: missing, malformed, unknown, expired, revoked (each a 401 / `UNAUTHENTICATED`).
///
/// Every call reads the store, so a revocation or an expiry takes effect on the next request, in every process
/// sharing the store.
public struct Authenticator: Sendable {
    public let accounts: any AccountStore
    public let clock: @Sendable () -> Date

    public init(accounts: any AccountStore, clock: @escaping @Sendable () -> Date = Date.init) {
        self.accounts = accounts
        self.clock = clock
    }

    /// The account of `authorization` (`Bearer hph_…`; the scheme is case-insensitive, RFC 9110 §11.1). Throws
    /// ``AccessError`` for a refusal, and the store's error when it cannot be read.
    public func authenticate(authorization: String?) async throws -> Account {
        let token = try Self.token(in: authorization)
        let presented = token.hash
        // Found by its hash, then compared again in constant time: the lookup's own timing depends on the hash only,
        // never on how much of a guessed token is right.
        guard let account = try await accounts.account(withTokenHash: presented) else { throw AccessError.unknownToken }
        switch account.state(at: clock()) {
        case .active: return account
        case .expired: throw AccessError.expired(account: account.name)
        case .revoked: throw AccessError.revoked(account: account.name)
        }
    }

    /// The bearer token of a header value.
    public static func token(in authorization: String?) throws(AccessError) -> BearerToken {
        guard let authorization, !authorization.isEmpty else { throw .missingCredentials }
        let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw .malformedCredentials(reason: "expected \"Bearer TOKEN\"")
        }
        return try BearerToken(presented: parts[1].trimmingCharacters(in: .whitespaces))
    }
}
