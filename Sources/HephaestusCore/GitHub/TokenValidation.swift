import Foundation
import HephaestusPlatform

/// `token validate`: what GitHub says about the token: scopes, expiry, rate limit.
public struct TokenReport: Encodable, Sendable {
    public struct RateLimit: Encodable, Sendable {
        public let limit: Int?
        public let remaining: Int?
        public let used: Int?
        public let reset: Date?
    }

    public let kind: String
    public let source: String
    /// `x-oauth-scopes`; nil when GitHub does not report scopes (fine-grained and app tokens).
    public let scopes: [String]?
    public let expiresAt: String?
    public let rateLimit: RateLimit

    /// Asks `GET /rate_limit`, which every token kind may call and which does not count against the limit.
    public static func check(client: GitHubReleasesClient) throws -> TokenReport {
        guard let token = client.token else { throw GitHubError.missingToken(sources: ["GITHUB_TOKEN", "GH_TOKEN"]) }
        let url = client.endpoint("/rate_limit")
        let response = try client.http.send(HTTPRequest(url: url, headers: HTTPHeaders([
            ("Accept", "application/vnd.github+json"), ("Authorization", token.authorization),
        ])))
        guard (200...299).contains(response.status) else {
            throw TransportError.httpStatus(url: HTTPClient.redacted(url), status: response.status, message: response.errorMessage)
        }
        let headers = response.headers
        let scopes = headers["x-oauth-scopes"].map {
            $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        return TokenReport(
            kind: token.kind.rawValue, source: token.source, scopes: scopes,
            expiresAt: headers["github-authentication-token-expiration"],
            rateLimit: RateLimit(
                limit: headers["x-ratelimit-limit"].flatMap(Int.init), remaining: headers["x-ratelimit-remaining"].flatMap(Int.init),
                used: headers["x-ratelimit-used"].flatMap(Int.init),
                reset: headers["x-ratelimit-reset"].flatMap(TimeInterval.init).map { Date(timeIntervalSince1970: $0) }))
    }
}
