import ArgumentParser
import Foundation
import HephaestusCore
import HephaestusPlatform
import Logging

/// HTTP behaviour wherever the network is used: timeouts, retries, deadline, CA bundle.
struct HTTPOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Per-attempt timeout in seconds.", valueName: "SECONDS"))
    var timeout: Double = 60

    @Option(help: ArgumentHelp("Retries after the first attempt (0…20).", valueName: "N"))
    var maxRetries: Int = 5

    @Option(help: ArgumentHelp("Base of the exponential backoff, seconds (full jitter).", valueName: "SECONDS"))
    var retryBaseDelay: Double = 0.5

    @Option(help: ArgumentHelp("Cap of a single backoff wait, seconds.", valueName: "SECONDS"))
    var retryMaxDelay: Double = 30

    @Option(help: ArgumentHelp("Overall deadline for one operation, all attempts and waits included, seconds.", valueName: "SECONDS"))
    var deadline: Double = 600

    @Option(help: ArgumentHelp("PEM file of CA certificates to trust for TLS instead of the system store.", valueName: "FILE"))
    var caBundle: String?

    func validate() throws {
        do {
            _ = try makePolicy()
        } catch {
            throw ValidationError("\(error)")
        }
        if let caBundle, !FileManager.default.isReadableFile(atPath: caBundle) {
            throw ValidationError("--ca-bundle \(caBundle) is not a readable file")
        }
    }

    func makePolicy() throws -> RetryPolicy {
        try RetryPolicy(maxRetries: maxRetries, baseDelay: retryBaseDelay, maxDelay: retryMaxDelay, timeout: timeout, deadline: deadline)
    }

    func makeHTTPClient(logger: Logger) throws -> HTTPClient {
        HTTPClient(
            transport: CurlTransport(caBundle: caBundle, userAgent: "hephaestus/\(HephaestusVersion.current)"),
            policy: try makePolicy(), observe: TransportLog.observer(logger))
    }
}

/// Options wherever GitHub is used (CLI.md): API URL, token, and the HTTP options.
struct NetworkOptions: ParsableArguments {
    @Option(help: ArgumentHelp("GitHub API base URL (env GITHUB_API_URL; default https://api.github.com).", valueName: "URL"))
    var apiURL: String?

    @Option(help: ArgumentHelp("Environment variable holding the GitHub token (default: GITHUB_TOKEN, then GH_TOKEN).", valueName: "NAME"))
    var tokenEnv: String?

    @OptionGroup
    var http: HTTPOptions

    func validate() throws {
        if let url = resolvedAPIURL, URL(string: url)?.host == nil {
            throw ValidationError("--api-url \(url) is not an absolute URL")
        }
    }

    var resolvedAPIURL: String? { apiURL ?? ProcessInfo.processInfo.environment["GITHUB_API_URL"] }

    func makeHTTPClient(logger: Logger) throws -> HTTPClient { try http.makeHTTPClient(logger: logger) }

    /// The token (validated, registered for redaction), or nil when none is set and none is required.
    func makeToken(required: Bool) throws -> GitHubToken? {
        let token = try GitHubToken.fromEnvironment(variable: tokenEnv)
        token?.redact(with: SecretRedactor.shared)
        if required && token == nil {
            throw GitHubError.missingToken(sources: tokenEnv.map { [$0] } ?? ["GITHUB_TOKEN", "GH_TOKEN"])
        }
        return token
    }

    func makeGitHubClient(logger: Logger, requireToken: Bool = false) throws -> GitHubReleasesClient {
        let url = URL(string: resolvedAPIURL ?? GitHubReleasesClient.defaultAPIURL.absoluteString)!
        return try GitHubReleasesClient(apiURL: url, token: try makeToken(required: requireToken), http: try makeHTTPClient(logger: logger))
    }
}
