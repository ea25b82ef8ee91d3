import Foundation
import HephaestusLocalSigstore
import HephaestusPlatform
import HephaestusSigstore
import HephaestusTestSupport
import Testing

/// The RFC 3161 TSA and Rekor v2 clients speak the real wire formats: checked against the local instance's router
/// (over a routed transport, no sockets).
@Suite("Signing service clients (TSA, Rekor v2)")
struct TimestampAndRekorV2ClientTests {
    func http(_ transport: any HTTPTransport) throws -> HTTPClient {
        let sleeper = RecordingSleeper()
        return HTTPClient(transport: transport, policy: try RetryPolicy(maxRetries: 1), sleeper: sleeper, clock: sleeper.clock, random: { 0.5 })
    }

    func router(_ sigstore: VirtualSigstore) -> LocalSigstoreRouter {
        LocalSigstoreRouter(
            certificateAuthority: sigstore.ca, transparencyLog: sigstore.rekorV1, rekorV2: sigstore.rekorV2, timestampAuthority: sigstore.tsa)
    }

    @Test("TSA client: nonce and imprint checked; a replayed response for another request is refused")
    func timestampClient() throws {
        let sigstore = try VirtualSigstore()
        let router = router(sigstore)
        let replay = Replay()
        let transport = RoutedTransport { request in
            let answer = router.respond(method: request.method, path: request.url.path, body: request.body ?? [])
            return replay.pass(answer)
        }
        let client = TimestampClient(url: URL(string: "http://127.0.0.1:9/api/v1/timestamp")!, http: try http(transport))
        let signature = Array("signature bytes".utf8)
        let response = try client.timestamp(signature: signature)
        let parsed = try TimestampResponse(derEncoded: response)
        #expect(parsed.imprint == DigestAlgorithm.sha256.hash(signature).bytes)
        #expect(parsed.nonce != nil)
        #expect(transport.requests.first?.headers["content-type"] == "application/timestamp-query")
        replay.replayNext = true
        #expect(throws: SigningError.self) { try client.timestamp(signature: signature) }
    }

    @Test("Rekor v2 client: hashedRekordRequestV002 in, a TransparencyLogEntry that verifies out; a log recording something else is refused")
    func rekorV2Client() throws {
        let sigstore = try VirtualSigstore()
        let router = router(sigstore)
        let transport = RoutedTransport(router: router)
        let http = try http(transport)
        let signer = BundleSigner(
            verifier: try sigstore.verifier(), certificateAuthority: sigstore.ca,
            transparencyLog: RekorV2Client(baseURL: URL(string: "http://127.0.0.1:9")!, http: http),
            timestampAuthorities: [TimestampClient(url: URL(string: "http://127.0.0.1:9/api/v1/timestamp")!, http: http)])
        let signed = try signer.sign(BundleSigner.Artifact(bytes: Array("v2".utf8)), as: .keyless(try IdentityToken(TestIdentityToken.make())))
        #expect(signed.verification.logEntries.first?.kindVersion == "0.0.2")
        let request = try #require(
            try JSONSerialization.jsonObject(with: Data(transport.requests.first { $0.url.path == "/api/v2/log/entries" }?.body ?? []))
                as? [String: Any])
        let hashed = try #require(request["hashedRekordRequestV002"] as? [String: Any])
        #expect(Base64.decode(hashed["digest"] as? String ?? "") == DigestAlgorithm.sha256.hash(Array("v2".utf8)).bytes)

        // A log that records another entry than the one proposed.
        let lying = RoutedTransport { request in
            guard request.url.path == "/api/v2/log/entries" else {
                return router.respond(method: request.method, path: request.url.path, body: request.body ?? [])
            }
            var edited = try! JSONSerialization.jsonObject(with: Data(request.body ?? [])) as! [String: Any]
            var inner = edited["hashedRekordRequestV002"] as! [String: Any]
            inner["digest"] = Base64.encode(DigestAlgorithm.sha256.hash(Array("other".utf8)).bytes)
            edited["hashedRekordRequestV002"] = inner
            return router.respond(method: "POST", path: request.url.path, body: Array(try! JSONSerialization.data(withJSONObject: edited)))
        }
        let lyingClient = RekorV2Client(baseURL: URL(string: "http://127.0.0.1:9")!, http: try self.http(lying))
        let entry = ProposedLogEntry(
            content: .messageDigest(DigestAlgorithm.sha256.hash(Array("v2".utf8))), signature: [1, 2, 3], certificate: nil,
            publicKey: PrivateKey.generate(.ecdsaP256).publicKey)
        #expect(throws: (any Error).self) { try lyingClient.record(entry) }
    }
}

/// Answers honestly, or (once armed) with the first answer it saw.
final class Replay: @unchecked Sendable {
    private let lock = NSLock()
    private var first: LocalSigstoreRouter.Response?
    var replayNext = false

    func pass(_ answer: LocalSigstoreRouter.Response) -> LocalSigstoreRouter.Response {
        lock.lock()
        defer { lock.unlock() }
        if first == nil { first = answer }
        return replayNext ? first! : answer
    }
}
