import Foundation
import HephaestusCore
import HephaestusLocalSigstore
import HephaestusPlatform
import HephaestusSigstore
import HephaestusTestSupport
import Testing

/// Where keyless signing finds its OIDC token, in order: option, SIGSTORE_ID_TOKEN, CI ambient credentials.
@Suite("Identity token discovery")
struct IdentityTokenProviderTests {
    func http(_ transport: RoutedTransport) throws -> HTTPClient {
        let sleeper = RecordingSleeper()
        return HTTPClient(transport: transport, policy: try RetryPolicy(maxRetries: 0), sleeper: sleeper, clock: sleeper.clock)
    }

    let optionToken = TestIdentityToken.make(subject: "option@example.com", email: "option@example.com")
    let environmentToken = TestIdentityToken.make(subject: "env@example.com", email: "env@example.com")
    let ambientToken = TestIdentityToken.githubActions()

    @Test("the option wins over SIGSTORE_ID_TOKEN, which wins over ambient credentials")
    func precedence() throws {
        let transport = RoutedTransport { _ in nil }
        let environment = [
            "SIGSTORE_ID_TOKEN": environmentToken, "ACTIONS_ID_TOKEN_REQUEST_URL": "https://example.invalid/t", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "x",
        ]
        let provider = IdentityTokenProvider(environment: environment, http: try http(transport), redactor: SecretRedactor())
        #expect(try provider.token(explicit: optionToken).1 == .option)
        let (token, source) = try provider.token(explicit: nil)
        #expect(source == .environment && token.email == "env@example.com")
        #expect(transport.requests.isEmpty)
    }

    @Test("Buildkite: `buildkite-agent oidc request-token --audience sigstore`")
    func buildkite() throws {
        let calls = RequestLog()
        let provider = IdentityTokenProvider(
            environment: ["BUILDKITE": "true"], http: try http(RoutedTransport { _ in nil }), redactor: SecretRedactor(),
            runBuildkiteAgent: { arguments in
                calls.add(arguments.joined(separator: " "))
                return self.ambientToken + "\n"
            }, productNamePath: "/nonexistent")
        let (token, source) = try provider.token(explicit: nil)
        #expect(source == .buildkite)
        #expect(token.issuer == IdentityToken.githubActionsIssuer)
        #expect(calls.items == ["oidc request-token --audience sigstore"])
    }

    @Test("Google Cloud: on a GCE VM, the metadata server's identity endpoint with audience sigstore")
    func googleCloud() throws {
        let directory = try TemporaryDirectory()
        let product = try directory.write("product_name", "Google Compute Engine\n")
        let transport = RoutedTransport { request in
            guard request.headers["metadata-flavor"] == "Google",
                request.url.path == "/computeMetadata/v1/instance/service-accounts/default/identity",
                request.url.query?.contains("audience=sigstore") == true
            else { return LocalSigstoreRouter.Response(status: 403, body: Array("no".utf8)) }
            return LocalSigstoreRouter.Response(status: 200, contentType: "text/plain", body: Array(self.environmentToken.utf8))
        }
        let provider = IdentityTokenProvider(
            environment: [:], http: try http(transport), redactor: SecretRedactor(), productNamePath: product,
            metadataBaseURL: URL(string: "http://127.0.0.1:9")!)
        let (token, source) = try provider.token(explicit: nil)
        #expect(source == .googleCloud && token.email == "env@example.com")
        // Not on GCE and no other source: a clear "no token" error naming the options.
        let nowhere = IdentityTokenProvider(environment: [:], http: try http(transport), redactor: SecretRedactor(), productNamePath: "/nonexistent")
        let error = #expect(throws: SigningError.self) { try nowhere.token(explicit: nil) }
        #expect(error?.code == "sign.no-identity-token")
        #expect(error?.description.contains("SIGSTORE_ID_TOKEN") == true)
    }

    @Test("GitHub Actions: a failing token endpoint is an error naming the endpoint, without the bearer")
    func githubActionsFailure() throws {
        let transport = RoutedTransport { _ in LocalSigstoreRouter.Response(status: 403, body: Array(#"{"message":"denied"}"#.utf8)) }
        let provider = IdentityTokenProvider(
            environment: [
                "ACTIONS_ID_TOKEN_REQUEST_URL": "http://127.0.0.1:9/token?api-version=2.0", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "runtime-secret-value",
            ],
            http: try http(transport), redactor: SecretRedactor(), productNamePath: "/nonexistent")
        let error = #expect(throws: (any Error).self) { try provider.token(explicit: nil) }
        #expect(!"\(error!)".contains("runtime-secret-value"))
        #expect(transport.requests.first?.url.query == "api-version=2.0&audience=sigstore")
        #expect(transport.requests.first?.headers["authorization"] == "bearer runtime-secret-value")
    }
}

final class RequestLog: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String] = []
    func add(_ entry: String) {
        lock.lock()
        entries.append(entry)
        lock.unlock()
    }
    var items: [String] {
        lock.lock()
        defer { lock.unlock() }
        return entries
    }
}
