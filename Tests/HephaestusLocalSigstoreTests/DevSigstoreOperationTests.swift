import Foundation
import HephaestusCore
import HephaestusLocalSigstore
import HephaestusPlatform
import HephaestusSigstore
import HephaestusTestSupport
import Logging
import Testing

/// `dev.sigstore` and `dev.sigstore-token` run in-process: serving until the run is cancelled, minting tokens.
@Suite("dev sigstore operations", .serialized)
struct DevSigstoreOperationTests {
    static func context(cancellation: Cancellation = Cancellation()) -> OperationContext {
        OperationContext(logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }), cancellation: cancellation)
    }

    static func client() throws -> HTTPClient {
        HTTPClient(
            transport: CurlTransport(caBundle: nil, userAgent: "test"),
            policy: try RetryPolicy(maxRetries: 0, baseDelay: 0.01, maxDelay: 0.01, timeout: 5, deadline: 5))
    }

    @Test("serves once listening (port file, trust documents), answers until its cancellation is set, then stops; a task cancelled stops it too")
    func servesUntilCancelled() async throws {
        let work = try TemporaryDirectory()
        let directory = work.file("instance")
        let cancellation = Cancellation()
        let (listened, listener) = AsyncStream.makeStream(of: DevSigstoreServeOperation.Listening.self)
        let serving = Task {
            try await DevSigstoreServeOperation.run(
                .init(directory: directory, portFile: work.file("port.json")), in: Self.context(cancellation: cancellation),
                emit: ItemSink { listener.yield($0) })
        }
        var listening = listened.makeAsyncIterator()
        let instance = try #require(await listening.next())
        #expect(instance.url.hasPrefix("http://127.0.0.1:") && instance.directory == directory)
        #expect(instance.oidcIssuer == instance.url + "/oauth2")
        for name in ["trusted_root.json", "signing_config.json", "signing_config.rekor-v1.json", "trust_config.json"] {
            #expect(FileManager.default.fileExists(atPath: "\(directory)/\(name)"), "\(name)")
        }
        let port = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: work.file("port.json")))) as? [String: Any])
        #expect(port["url"] as? String == instance.url)

        let token = try await DevSigstoreTokenOperation.run(.init(directory: directory, identity: "dev@example.com"), in: Self.context()).token
        let decoded = try IdentityToken(token)
        #expect(decoded.issuer == instance.oidcIssuer && decoded.email == "dev@example.com")
        let discovery = try Self.client().send(HTTPRequest(url: URL(string: instance.oidcIssuer + "/.well-known/openid-configuration")!))
        #expect(discovery.status == 200)

        cancellation.cancel()
        let report = try await serving.value
        #expect(report.url == instance.url && report.directory == directory && report.requests == 1)
        #expect(throws: TransportError.self) {
            _ = try Self.client().send(HTTPRequest(url: URL(string: instance.oidcIssuer + "/.well-known/openid-configuration")!))
        }

        // Started again on the same directory: the same port; cancelling the task stops it.
        let again = Task {
            try await DevSigstoreServeOperation.run(.init(directory: directory), in: Self.context(), emit: ItemSink { _ in })
        }
        again.cancel()
        #expect(try await again.value.url == instance.url)
    }

    @Test("tokens: the requested identity, issuer and lifetime; a directory without an instance is not found")
    func tokens() async throws {
        let work = try TemporaryDirectory()
        let directory = work.file("instance")
        _ = try LocalSigstoreInstance.open(directory: directory)
        let workflow = "https://github.com/acme/widgets/.github/workflows/release.yml@refs/tags/v1.2.0"
        let github = try await DevSigstoreTokenOperation.run(
            .init(directory: directory, identity: workflow, issuer: IdentityToken.githubActionsIssuer, lifetime: -60), in: Self.context())
        let decoded = try IdentityToken(github.token)
        #expect(decoded.issuer == IdentityToken.githubActionsIssuer && decoded.expiry < Date())
        let missing = work.file("nothing-here")
        await #expect(throws: LocalInstanceError.notAnInstance(path: missing)) {
            _ = try await DevSigstoreTokenOperation.run(.init(directory: missing, identity: "x@example.com"), in: Self.context())
        }
        #expect(throws: (any Error).self) {
            try JSONDecoder().decode(DevSigstoreTokenOperation.Request.self, from: Data(#"{"directory": "d"}"#.utf8))
        }
        #expect(
            try JSONDecoder().decode(DevSigstoreTokenOperation.Request.self, from: Data(#"{"directory": "d", "identity": "i"}"#.utf8)).lifetime == 600
        )
    }
}
