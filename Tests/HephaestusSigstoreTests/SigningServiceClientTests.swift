import Foundation
import HephaestusLocalSigstore
import HephaestusPlatform
import HephaestusSigstore
import HephaestusTestSupport
import Synchronization
import Testing

/// The Fulcio v2 and Rekor v1 clients speak the real wire formats: checked against the local instance's router
/// (no sockets), with the bytes of each request asserted and service failures injected.
@Suite("Signing service clients (Fulcio v2, Rekor v1)")
struct SigningServiceClientTests {
    let artifact = BundleSigner.Artifact(bytes: Array("demo-1.0.0-wheelhouse.tar.gz\n".utf8))
    let fulcioURL = URL(string: "http://127.0.0.1:1/fulcio")!
    let rekorURL = URL(string: "http://127.0.0.1:1/rekor")!

    func client(_ transport: any HTTPTransport, sleeper: RecordingSleeper = RecordingSleeper()) throws -> HTTPClient {
        HTTPClient(transport: transport, policy: try RetryPolicy(maxRetries: 2), sleeper: sleeper, clock: sleeper.clock, random: { 0.5 })
    }

    /// Routes `/fulcio/...` and `/rekor/...` to the instance, after `fault` had a chance to answer first.
    func transport(
        _ sigstore: VirtualSigstore, fault: @escaping @Sendable (HTTPRequest) -> LocalSigstoreRouter.Response?? = { _ in nil }
    ) -> RoutedTransport {
        let router = LocalSigstoreRouter(certificateAuthority: sigstore.ca, transparencyLog: sigstore.rekorV1)
        return RoutedTransport { request in
            if let injected = fault(request) { return injected }
            let path = request.url.path.replacingOccurrences(of: "/fulcio", with: "").replacingOccurrences(of: "/rekor", with: "")
            return router.respond(method: request.method, path: path, body: request.body ?? [])
        }
    }

    func signer(_ sigstore: VirtualSigstore, _ transport: RoutedTransport, sleeper: RecordingSleeper = RecordingSleeper()) throws -> BundleSigner {
        let http = try client(transport, sleeper: sleeper)
        return BundleSigner(
            verifier: try sigstore.verifier(), certificateAuthority: FulcioClient(baseURL: fulcioURL, http: http),
            transparencyLog: RekorV1Client(baseURL: rekorURL, http: http))
    }

    @Test("keyless signing over HTTP: Fulcio v2 request shape, Rekor v1 proposal, and a bundle that verifies")
    func keylessOverHTTP() throws {
        let sigstore = try VirtualSigstore()
        let transport = transport(sigstore)
        let token = try IdentityToken(TestIdentityToken.make(email: "release@example.org"))
        let signed = try signer(sigstore, transport).sign(artifact, as: .keyless(token))
        #expect(signed.verification.identity == "release@example.org")

        let requests = transport.requests
        #expect(requests.map { "\($0.method) \($0.url.path)" } == ["POST /fulcio/api/v2/signingCert", "POST /rekor/api/v1/log/entries"])
        let fulcio = try #require(try JSONSerialization.jsonObject(with: Data(requests[0].body ?? [])) as? [String: Any])
        #expect((fulcio["credentials"] as? [String: String])?["oidcIdentityToken"] == token.rawValue)
        let keyRequest = try #require(fulcio["publicKeyRequest"] as? [String: Any])
        #expect((keyRequest["publicKey"] as? [String: String])?["algorithm"] == "ECDSA")
        #expect(requests[0].headers["content-type"] == "application/json")
        // The Rekor proposal is the canonical hashedrekord body: the token never reaches the log.
        let proposal = String(decoding: requests[1].body ?? [], as: UTF8.self)
        #expect(proposal.hasPrefix(#"{"apiVersion":"0.0.1","kind":"hashedrekord""#))
        #expect(proposal.contains(artifact.digest.hex))
        #expect(!proposal.contains(token.rawValue))
    }

    @Test("managed key over HTTP: the log records the public key, the bundle verifies with it")
    func managedKeyOverHTTP() throws {
        let sigstore = try VirtualSigstore()
        let key = PrivateKey.generate(.ecdsaP384)
        let signed = try signer(sigstore, transport(sigstore)).sign(artifact, as: .managedKey(key, hint: "k1"))
        #expect(signed.verification.logEntries.count == 1)
    }

    @Test("Fulcio 4xx is not retried and stops signing")
    func fulcioClientError() throws {
        let sigstore = try VirtualSigstore()
        let transport = transport(sigstore) { request in
            request.url.path.hasPrefix("/fulcio") ? .some(.init(status: 400, body: Array(#"{"message":"bad request"}"#.utf8))) : nil
        }
        let token = try IdentityToken(TestIdentityToken.make())
        #expect(throws: TransportError.self) { _ = try signer(sigstore, transport).sign(artifact, as: .keyless(token)) }
        #expect(transport.requests.count == 1)
    }

    @Test("Fulcio 503 is retried, then signing succeeds")
    func fulcioServerErrorRetried() throws {
        let sigstore = try VirtualSigstore()
        let failures = Mutex(2)
        let transport = transport(sigstore) { request in
            guard request.url.path.hasPrefix("/fulcio") else { return nil }
            return failures.withLock { remaining in
                guard remaining > 0 else { return nil }
                remaining -= 1
                return .some(.init(status: 503, body: []))
            }
        }
        let sleeper = RecordingSleeper()
        let token = try IdentityToken(TestIdentityToken.make())
        _ = try signer(sigstore, transport, sleeper: sleeper).sign(artifact, as: .keyless(token))
        #expect(transport.requests.filter { $0.url.path.hasPrefix("/fulcio") }.count == 3)
        #expect(sleeper.delays.count == 2)
    }

    @Test("Rekor unavailable: signing fails after the retries, nothing is returned")
    func rekorUnavailable() throws {
        let sigstore = try VirtualSigstore()
        let transport = transport(sigstore) { request in request.url.path.hasPrefix("/rekor") ? .some(nil) : nil }
        let token = try IdentityToken(TestIdentityToken.make())
        #expect(throws: TransportError.self) { _ = try signer(sigstore, transport).sign(artifact, as: .keyless(token)) }
        #expect(transport.requests.filter { $0.url.path.hasPrefix("/rekor") }.count == 3)
    }

    @Test("a Rekor answer that logged another body is refused")
    func rekorLoggedSomethingElse() throws {
        let sigstore = try VirtualSigstore()
        let router = LocalSigstoreRouter(certificateAuthority: sigstore.ca, transparencyLog: sigstore.rekorV1)
        let other = PrivateKey.generate(.ecdsaP256)
        let otherDigest = DigestAlgorithm.sha256.hash(Array("something else".utf8))
        let otherBody = RekorEntryBody.hashedRekordV001(
            digest: otherDigest, signature: try other.sign(digest: otherDigest), verifierPEM: other.publicKey.pem)
        let transport = transport(sigstore) { request in
            request.url.path.hasPrefix("/rekor") ? .some(router.respond(method: "POST", path: "/api/v1/log/entries", body: otherBody)) : nil
        }
        let token = try IdentityToken(TestIdentityToken.make())
        do {
            _ = try signer(sigstore, transport).sign(artifact, as: .keyless(token))
            Issue.record("a log entry for another artifact was accepted")
        } catch SigningError.malformedServiceResponse(let service, let reason) {
            #expect(service == "Rekor")
            #expect(reason.contains("differs"))
        }
    }

    @Test(
        "Fulcio answers that are not a usable chain are named",
        arguments: [
            #"{}"#, #"not json"#, #"{"signedCertificateDetachedSct":{}}"#,
            #"{"signedCertificateEmbeddedSct":{"chain":{"certificates":["-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"]}}}"#,
        ])
    func malformedFulcioAnswer(body: String) {
        #expect(throws: SigningError.self) { _ = try FulcioClient.parseChain(Array(body.utf8)) }
    }
}
