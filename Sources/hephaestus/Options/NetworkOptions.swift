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
            _ = try settings.retryPolicy()
        } catch {
            throw ValidationError("\(error)")
        }
        if let caBundle, !FileManager.default.isReadableFile(atPath: caBundle) {
            throw ValidationError("--ca-bundle \(caBundle) is not a readable file")
        }
    }

    /// The settings of every HTTP request of the run.
    var settings: HTTPSettings {
        HTTPSettings(
            timeout: timeout, maxRetries: maxRetries, retryBaseDelay: retryBaseDelay, retryMaxDelay: retryMaxDelay, deadline: deadline,
            caBundle: caBundle)
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

    var choice: GitHubChoice { GitHubChoice(apiURL: apiURL, tokenEnv: tokenEnv) }

    func validate() throws {
        do { try choice.validate(environment: ProcessInfo.processInfo.environment) } catch { throw ValidationError(error.message) }
    }
}
