import Foundation
import HephaestusPlatform
import HephaestusSigstore

/// Finds the OIDC identity token for keyless signing, in sigstore-python's order: `--identity-token`, then
/// `SIGSTORE_ID_TOKEN` (also how GitLab CI passes its `id_tokens`), then the ambient credentials of the CI system
/// we run in — GitHub Actions, Buildkite, Google Cloud — always asking for audience `sigstore`.
public struct IdentityTokenProvider {
    public static let sigstoreAudience = "sigstore"

    /// Where the token came from (for logs and reports; never the token).
    public enum Source: String, Sendable {
        case option = "--identity-token"
        case environment = "SIGSTORE_ID_TOKEN"
        case githubActions = "GitHub Actions OIDC"
        case buildkite = "Buildkite OIDC"
        case googleCloud = "Google Cloud metadata server"
    }

    public let environment: [String: String]
    public let http: HTTPClient
    /// Where the bearer credentials met on the way are registered, so that no log shows them.
    public let redactor: SecretRedactor
    /// The audience asked of ambient providers: `sigstore`, or what a PyPI index names for trusted publishing.
    public let audience: String
    /// Runs `buildkite-agent` and returns its stdout (injectable for tests).
    public let runBuildkiteAgent: ([String]) throws -> String
    /// The DMI product name file that says whether this is a Google Compute Engine VM.
    public let productNamePath: String
    public let metadataBaseURL: URL

    public init(
        environment: [String: String], http: HTTPClient, redactor: SecretRedactor, audience: String = IdentityTokenProvider.sigstoreAudience,
        runBuildkiteAgent: @escaping ([String]) throws -> String = IdentityTokenProvider.runTool,
        productNamePath: String = "/sys/class/dmi/id/product_name",
        metadataBaseURL: URL = URL(string: "http://metadata.google.internal")!
    ) {
        self.environment = environment
        self.http = http
        self.redactor = redactor
        self.audience = audience
        self.runBuildkiteAgent = runBuildkiteAgent
        self.productNamePath = productNamePath
        self.metadataBaseURL = metadataBaseURL
    }

    /// The decoded token and its source, or ``SigningError/noIdentityToken(_:)`` naming what was tried.
    public func token(explicit: String?) throws -> (IdentityToken, Source) {
        if let explicit { return (try IdentityToken(explicit), .option) }
        if audience == Self.sigstoreAudience, let value = environment["SIGSTORE_ID_TOKEN"], !value.isEmpty {
            return (try IdentityToken(value), .environment)
        }
        if let ambient = try ambient() { return ambient }
        throw SigningError.noIdentityToken(
            "pass --identity-token, set SIGSTORE_ID_TOKEN, or run where ambient credentials exist (GitHub Actions with "
                + "`permissions: id-token: write`, Buildkite, Google Cloud); for rehearsals use `hephaestus dev sigstore token`")
    }

    private func ambient() throws -> (IdentityToken, Source)? {
        if let url = environment["ACTIONS_ID_TOKEN_REQUEST_URL"], let bearer = environment["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] {
            return (try githubActionsToken(requestURL: url, bearer: bearer), .githubActions)
        }
        if environment["GITHUB_ACTIONS"] == "true" {
            throw SigningError.noIdentityToken(
                "GitHub Actions did not provide ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN: grant the job `permissions: id-token: write`")
        }
        if environment["BUILDKITE"] == "true" {
            let output = try runBuildkiteAgent(["oidc", "request-token", "--audience", audience])
            return (try IdentityToken(output), .buildkite)
        }
        if let product = try? String(contentsOfFile: productNamePath, encoding: .utf8),
            product.contains("Google Compute Engine") || product.hasPrefix("Google")
        {
            return (try googleCloudToken(), .googleCloud)
        }
        return nil
    }

    /// GitHub Actions: `GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=sigstore` with the request token as bearer.
    func githubActionsToken(requestURL: String, bearer: String) throws -> IdentityToken {
        redactor.register(bearer)
        let separator = requestURL.contains("?") ? "&" : "?"
        guard let url = URL(string: requestURL + separator + "audience=" + audience) else {
            throw SigningError.noIdentityToken("ACTIONS_ID_TOKEN_REQUEST_URL is not a URL")
        }
        var headers = HTTPHeaders()
        headers.add("Authorization", "bearer \(bearer)")
        headers.add("Accept", "application/json")
        let response = try http.send(HTTPRequest(method: "GET", url: url, headers: headers), maximumBody: 1 << 20)
        guard response.status == 200 else {
            throw TransportError.httpStatus(url: HTTPClient.redacted(url), status: response.status, message: response.errorMessage)
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
            let value = object["value"] as? String
        else { throw SigningError.malformedServiceResponse(service: "GitHub Actions OIDC", reason: "no \"value\" in the answer") }
        return try IdentityToken(value)
    }

    /// Google Cloud: the metadata server's identity endpoint for the default service account.
    func googleCloudToken() throws -> IdentityToken {
        var components = URLComponents(url: metadataBaseURL, resolvingAgainstBaseURL: false)!
        components.path = "/computeMetadata/v1/instance/service-accounts/default/identity"
        components.queryItems = [URLQueryItem(name: "audience", value: audience), URLQueryItem(name: "format", value: "full")]
        var headers = HTTPHeaders()
        headers.add("Metadata-Flavor", "Google")
        let response = try http.send(HTTPRequest(method: "GET", url: components.url!, headers: headers), maximumBody: 1 << 20)
        guard response.status == 200 else {
            throw TransportError.httpStatus(url: HTTPClient.redacted(components.url!), status: response.status, message: response.errorMessage)
        }
        return try IdentityToken(String(decoding: response.body, as: UTF8.self))
    }

    /// Runs `buildkite-agent ARGUMENTS` from PATH and returns its stdout.
    public static func runTool(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["buildkite-agent"] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch {
            throw SigningError.noIdentityToken("BUILDKITE=true but buildkite-agent could not be run: \(error)")
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw SigningError.noIdentityToken("`buildkite-agent oidc request-token` exited with status \(process.terminationStatus)")
        }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
