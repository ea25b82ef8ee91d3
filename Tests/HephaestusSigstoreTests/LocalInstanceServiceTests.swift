import Foundation
import HephaestusPlatform
import HephaestusSigstore
import HephaestusTestSupport
import Testing

/// The local instance's OIDC issuer, Fulcio CSR form, TSA and Rekor v2 endpoints, and the clients that speak to
/// them (over a routed transport, no sockets).
@Suite("Local instance services and their clients")
struct LocalInstanceServiceTests {
    func http(_ transport: any HTTPTransport) throws -> HTTPClient {
        let sleeper = RecordingSleeper()
        return HTTPClient(transport: transport, policy: try RetryPolicy(maxRetries: 1), sleeper: sleeper, clock: sleeper.clock, random: { 0.5 })
    }

    func router(_ sigstore: VirtualSigstore, issuer: LocalOIDCIssuer? = nil) -> LocalSigstoreRouter {
        LocalSigstoreRouter(
            certificateAuthority: sigstore.ca, transparencyLog: sigstore.rekorV1, rekorV2: sigstore.rekorV2, timestampAuthority: sigstore.tsa,
            oidcIssuer: issuer)
    }

    @Test("OIDC issuer: its tokens verify; edited claims, another key, another audience and alg=none do not")
    func oidcIssuer() throws {
        let issuer = LocalOIDCIssuer(url: "http://127.0.0.1:9/oauth2", key: .generate(.ecdsaP256))
        let token = try issuer.mint(identity: "dev@example.com")
        let decoded = try issuer.verify(token)
        #expect(decoded.email == "dev@example.com" && decoded.namesEmail && decoded.issuer == issuer.url)
        let parts = token.split(separator: ".").map(String.init)
        var claims = try #require(try JSONSerialization.jsonObject(with: Data(Base64.decode(parts[1], alphabet: .urlSafe)!)) as? [String: Any])
        claims["email"] = "mallory@example.com"
        let edited = parts[0] + "." + Base64.encode(Array(try JSONSerialization.data(withJSONObject: claims)), alphabet: .urlSafe) + "." + parts[2]
        #expect(throws: SigningError.self) { try issuer.verify(edited) }
        let stranger = LocalOIDCIssuer(url: issuer.url, key: .generate(.ecdsaP256))
        #expect(throws: SigningError.self) { try issuer.verify(try stranger.mint(identity: "dev@example.com")) }
        #expect(throws: SigningError.self) { try issuer.verify(try issuer.mint(identity: "dev@example.com", extraClaims: ["aud": "other"])) }
        let none = TestIdentityToken.compact(header: ["alg": "none", "kid": issuer.keyID], claims: claims)
        #expect(throws: SigningError.self) { try issuer.verify(none) }
        let keySet = try #require((issuer.keySet["keys"] as? [[String: Any]])?.first)
        #expect(keySet["kid"] as? String == issuer.keyID && keySet["crv"] as? String == "P-256")
    }

    @Test("GitHub Actions tokens carry the workflow claims Fulcio puts in the certificate")
    func githubClaims() throws {
        let issuer = LocalOIDCIssuer(url: "http://127.0.0.1:9/oauth2", key: .generate(.ecdsaP256))
        let token = try issuer.verify(
            issuer.mint(identity: "https://github.com/acme/widgets/.github/workflows/release.yml@refs/tags/v1", issuer: IdentityToken.githubActionsIssuer))
        #expect(token.certificateIdentity == "https://github.com/acme/widgets/.github/workflows/release.yml@refs/tags/v1")
        #expect(token.fulcioClaims["1.3.6.1.4.1.57264.1.12"] == "https://github.com/acme/widgets")
        #expect(token.fulcioClaims["1.3.6.1.4.1.57264.1.14"] == "refs/tags/v1")
        #expect(token.fulcioClaims["1.3.6.1.4.1.57264.1.20"] == "push")
        #expect(try IdentityToken(TestIdentityToken.make()).fulcioClaims.isEmpty)
    }

    @Test("Fulcio CSR form with a Bearer token (as sigstore-python sends it); a CSR whose signature is broken is refused")
    func fulcioCertificateSigningRequest() throws {
        let sigstore = try VirtualSigstore()
        let issuer = LocalOIDCIssuer(url: "http://127.0.0.1:9/oauth2", key: .generate(.ecdsaP256))
        let router = router(sigstore, issuer: issuer)
        let work = try TemporaryDirectory()
        let keyPath = work.file("key.pem")
        #expect(try ProcessResult.runTool("openssl", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-out", keyPath]).status == 0)
        let csr = try ProcessResult.runTool("openssl", ["req", "-new", "-key", keyPath, "-subj", "/CN=ignored"])
        #expect(csr.status == 0)
        let token = try issuer.mint(identity: "csr@example.com")
        func request(_ pem: String, token: String) -> LocalSigstoreRouter.Response {
            let body = try! JSONSerialization.data(withJSONObject: ["certificateSigningRequest": Base64.encode(Array(pem.utf8))])
            return router.respond(method: "POST", path: "/api/v2/signingCert", headers: HTTPHeaders([("Authorization", "Bearer \(token)")]), body: Array(body))
        }
        let answer = request(csr.stdoutText, token: token)
        #expect(answer.status == 201, "\(String(decoding: answer.body, as: UTF8.self))")
        let chain = try FulcioClient.parseChain(answer.body)
        #expect(try chain[0].publicKey().derSubjectPublicKeyInfo == CertificateSigningRequest(pem: csr.stdoutText).publicKey.derSubjectPublicKeyInfo)
        // Break the CSR signature: flip a bit near the end of the DER.
        let lines = csr.stdoutText.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        var der = try #require(Base64.decode(lines))
        der[der.count - 3] ^= 0x01
        let broken = "-----BEGIN CERTIFICATE REQUEST-----\n\(Base64.encode(der))\n-----END CERTIFICATE REQUEST-----\n"
        #expect(try CertificateSigningRequest(pem: broken).isSelfSignatureValid == false)
        #expect(request(broken, token: token).status == 400)
        // A token the issuer did not sign: 401.
        #expect(request(csr.stdoutText, token: TestIdentityToken.make()).status == 401)
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
        let request = try #require(try JSONSerialization.jsonObject(with: Data(transport.requests.first { $0.url.path == "/api/v2/log/entries" }?.body ?? [])) as? [String: Any])
        let hashed = try #require(request["hashedRekordRequestV002"] as? [String: Any])
        #expect(Base64.decode(hashed["digest"] as? String ?? "") == DigestAlgorithm.sha256.hash(Array("v2".utf8)).bytes)

        // A log that records another entry than the one proposed.
        let lying = RoutedTransport { request in
            guard request.url.path == "/api/v2/log/entries" else { return router.respond(method: request.method, path: request.url.path, body: request.body ?? []) }
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
