import Foundation
import HephaestusPlatform

/// `token validate`: what GitHub says about the token: scopes, expiry, rate limit.
public struct TokenReport: OperationReport {
    public struct RateLimit: Codable, Sendable {
        public let limit: Int?
        public let remaining: Int?
        public let used: Int?
        public let reset: Date?
    }

    public let kind: GitHubToken.Kind
    public let source: String
    /// `x-oauth-scopes`; nil when GitHub does not report scopes (fine-grained and app tokens).
    public let scopes: [String]?
    public let expiresAt: String?
    public let rateLimit: RateLimit

    /// Asks `GET /rate_limit`, which every token kind may call and which does not count against the limit.
    public static func check(client: GitHubReleasesClient) throws -> TokenReport {
        guard let token = client.token else { throw GitHubError.missingToken(sources: ["GITHUB_TOKEN", "GH_TOKEN"]) }
        let url = client.endpoint("/rate_limit")
        let response = try client.http.send(
            HTTPRequest(
                url: url,
                headers: HTTPHeaders([
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
            kind: token.kind, source: token.source, scopes: scopes,
            expiresAt: headers["github-authentication-token-expiration"],
            rateLimit: RateLimit(
                limit: headers["x-ratelimit-limit"].flatMap(Int.init), remaining: headers["x-ratelimit-remaining"].flatMap(Int.init),
                used: headers["x-ratelimit-used"].flatMap(Int.init),
                reset: headers["x-ratelimit-reset"].flatMap(TimeInterval.init).map { Date(timeIntervalSince1970: $0) }))
    }
}

/// `token.validate`: the GitHub token's shape checked, then what GitHub says of it (kind, scopes, expiry, rate limit).
/// The token is never part of the report.
public enum TokenValidateOperation: Operation {
    public struct Request: Codable, Sendable, Equatable {
        public var github: GitHubChoice

        public init(github: GitHubChoice = GitHubChoice()) {
            self.github = github
        }

        private enum CodingKeys: String, CodingKey { case github }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            github = try container.decodeIfPresent(GitHubChoice.self, forKey: .github) ?? GitHubChoice()
        }
    }

    public static let descriptor = OperationDescriptor(
        name: "token.validate", command: "token validate",
        summary: "Check the GitHub token's shape, then ask GitHub for its kind, scopes, expiry and rate limit.",
        reportMediaType: MediaType.tokenReport, effect: .readOnly,
        errorCodes: [GitHubError.Code.missingToken, .malformedToken].map(\.rawValue) + TransportError.Code.allCases.map(\.rawValue))

    public static func run(_ request: Request, in context: OperationContext, emit: ItemSink<Never>) async throws -> TokenReport {
        let client = try request.github.client(in: context, requireToken: true)
        return try await BlockingWork.run { try TokenReport.check(client: client) }
    }
}
