import Foundation
import HephaestusPlatform

/// Which GitHub API and token to use, as the CLI's `--api-url` and `--token-env` give them.
public struct GitHubChoice: Codable, Sendable, Equatable {
    /// The API base URL (default: `GITHUB_API_URL` from the run's environment, else https://api.github.com).
    public var apiURL: String?
    /// The environment variable holding the token (default: `GITHUB_TOKEN`, then `GH_TOKEN`).
    public var tokenEnv: String?

    public init(apiURL: String? = nil, tokenEnv: String? = nil) {
        self.apiURL = apiURL
        self.tokenEnv = tokenEnv
    }

    /// The API URL this choice resolves to in `environment`.
    public func resolvedAPIURL(environment: [String: String]) -> String? { apiURL ?? environment["GITHUB_API_URL"] }

    public func validate(environment: [String: String]) throws(RequestError) {
        if let url = resolvedAPIURL(environment: environment), URL(string: url)?.host == nil {
            throw RequestError("--api-url \(url) is not an absolute URL")
        }
    }

    /// The token (validated, registered with the run's redactor), or nil when none is set and none is required.
    public func token(in context: OperationContext, required: Bool) throws -> GitHubToken? {
        let token = try GitHubToken.fromEnvironment(variable: tokenEnv, environment: context.environment)
        token?.redact(with: context.redactor)
        if required && token == nil {
            throw GitHubError.missingToken(sources: tokenEnv.map { [$0] } ?? ["GITHUB_TOKEN", "GH_TOKEN"])
        }
        return token
    }

    /// A releases client over the run's HTTP client.
    public func client(in context: OperationContext, requireToken: Bool = false) throws -> GitHubReleasesClient {
        try validate(environment: context.environment)
        let url = URL(string: resolvedAPIURL(environment: context.environment) ?? GitHubReleasesClient.defaultAPIURL.absoluteString)!
        return try GitHubReleasesClient(apiURL: url, token: try token(in: context, required: requireToken), http: try context.network.client())
    }
}
