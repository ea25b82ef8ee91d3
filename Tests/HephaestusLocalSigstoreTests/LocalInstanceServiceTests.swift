import Foundation
import HephaestusCore
import HephaestusLocalSigstore
import HephaestusPlatform
import HephaestusSigstore
import HephaestusTestSupport
import Testing

/// The local instance's own behaviour: its OIDC issuer, the Fulcio it answers as (CSR form, proof of possession),
/// and its Rekor's checks of what it is asked to log. The shipped clients that speak to it are tested in
/// HephaestusSigstoreTests.
@Suite("Local instance services")
struct LocalInstanceServiceTests {
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
            issuer.mint(
                identity: "https://github.com/acme/widgets/.github/workflows/release.yml@refs/tags/v1", issuer: IdentityToken.githubActionsIssuer))
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
        #expect(
            try ProcessResult.runTool("openssl", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-out", keyPath]).status
                == 0)
        let csr = try ProcessResult.runTool("openssl", ["req", "-new", "-key", keyPath, "-subj", "/CN=ignored"])
        #expect(csr.status == 0)
        let token = try issuer.mint(identity: "csr@example.com")
        func request(_ pem: String, token: String) -> LocalSigstoreRouter.Response {
            let body = try! JSONSerialization.data(withJSONObject: ["certificateSigningRequest": Base64.encode(Array(pem.utf8))])
            return router.respond(
                method: "POST", path: "/api/v2/signingCert", headers: HTTPHeaders([("Authorization", "Bearer \(token)")]), body: Array(body))
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

    @Test("the instance's Rekor refuses a proposal whose signature does not verify")
    func rekorChecksSignatures() throws {
        let sigstore = try VirtualSigstore()
        let router = LocalSigstoreRouter(certificateAuthority: sigstore.ca, transparencyLog: sigstore.rekorV1)
        let key = PrivateKey.generate(.ecdsaP256)
        let digest = DigestAlgorithm.sha256.hash(Array("artifact".utf8))
        var signature = try key.sign(digest: digest)
        signature[signature.count - 1] ^= 1
        let body = RekorEntryBody.hashedRekordV001(digest: digest, signature: signature, verifierPEM: key.publicKey.pem)
        #expect(router.respond(method: "POST", path: "/api/v1/log/entries", body: body).status == 400)
    }

    @Test("the CA refuses a proof of possession made with another key")
    func proofOfPossession() throws {
        let sigstore = try VirtualSigstore()
        let token = try IdentityToken(TestIdentityToken.make())
        let key = PrivateKey.generate(.ecdsaP256)
        let forged = try PrivateKey.generate(.ecdsaP256).sign(message: Array(token.proofSubject.utf8))
        do {
            _ = try sigstore.ca.issueCertificate(publicKey: key.publicKey, proofOfPossession: forged, token: token)
            Issue.record("a certificate was issued on a forged proof of possession")
        } catch let error as SigningError {
            #expect(error.errorCode == .certificateRejected, "got \(error)")
        }
    }

    @Test("the instance's errors have the exit statuses `dev sigstore` documents")
    func errorCodesHaveExitStatuses() {
        #expect(LocalInstanceError.corruptState("x").category.exitStatus == .dataError)
        #expect(LocalInstanceError.notAnInstance(path: "/tmp/x").category.exitStatus == .noInput)
    }
}
