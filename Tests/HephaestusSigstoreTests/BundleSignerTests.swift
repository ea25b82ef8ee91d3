import Foundation
import HephaestusLocalSigstore
import HephaestusPlatform
import HephaestusSigstore
import HephaestusTestSupport
import Testing

/// The signer against the in-process test instance: every bundle it hands out verifies, and every way a service
/// can lie is caught before anything is returned.
@Suite("Bundle signer")
struct BundleSignerTests {
    let artifact = BundleSigner.Artifact(bytes: Array("wheelhouse-1.0.0.tar.gz contents\n".utf8))

    func signer(
        _ sigstore: VirtualSigstore, ca: (any CertificateIssuing)? = nil, log: (any TransparencyLogging)? = nil,
        timestamps: [any Timestamping] = [], noLog: Bool = false
    ) throws -> BundleSigner {
        BundleSigner(
            verifier: try sigstore.verifier(), certificateAuthority: ca ?? sigstore.ca,
            transparencyLog: noLog ? nil : (log ?? sigstore.rekorV1), timestampAuthorities: timestamps)
    }

    func expectSigningError(_ code: SigningError.Code, _ body: () throws -> Void) {
        do {
            try body()
            Issue.record("expected \(code.rawValue), but signing succeeded")
        } catch let error as SigningError {
            #expect(error.errorCode == code, "got \(error)")
        } catch {
            Issue.record("expected \(code.rawValue), got \(error)")
        }
    }

    @Test("keyless, e-mail identity, Rekor v1: the bundle verifies for the token's e-mail and issuer")
    func keylessEmailRekorV1() throws {
        let sigstore = try VirtualSigstore()
        let token = try IdentityToken(TestIdentityToken.make(subject: "1234567", email: "release@example.org"))
        let signed = try signer(sigstore).sign(artifact, as: .keyless(token))
        #expect(signed.verification.identity == "release@example.org")
        #expect(signed.verification.issuer == "https://issuer.example.com")
        #expect(signed.verification.logEntries.first?.kind == "hashedrekord")
        // A consumer reading the JSON independently reaches the same verdict.
        let policy = try VerificationPolicy(
            artifact: .bytes(artifact.bytes!),
            identity: .certificate(identity: .exact("release@example.org"), issuer: .exact("https://issuer.example.com"), claims: []))
        _ = try sigstore.verifier().verify(try SigstoreBundle(json: signed.json), policy: policy)
        let text = String(decoding: signed.json, as: UTF8.self)
        #expect(text.contains("application/vnd.dev.sigstore.bundle.v0.3+json"))
        #expect(!text.contains(token.rawValue), "the token must never end up in the bundle")
    }

    @Test("keyless, GitHub Actions URI identity, Rekor v2 with a TSA timestamp")
    func keylessGitHubRekorV2() throws {
        let sigstore = try VirtualSigstore()
        let token = try IdentityToken(TestIdentityToken.githubActions())
        let signed = try signer(sigstore, log: sigstore.rekorV2, timestamps: [sigstore.tsa]).sign(artifact, as: .keyless(token))
        #expect(signed.verification.identity == "https://github.com/hephaestus-demo/wheels/.github/workflows/release.yml@refs/tags/v1.0.0")
        #expect(signed.verification.issuer == IdentityToken.githubActionsIssuer)
        #expect(signed.verification.verifiedTimestamps.map(\.source) == ["timestamp-authority"])
    }

    @Test("keyless with Rekor v1 and a TSA: two verified times")
    func keylessWithTimestamp() throws {
        let sigstore = try VirtualSigstore()
        let token = try IdentityToken(TestIdentityToken.make())
        let signed = try signer(sigstore, timestamps: [sigstore.tsa]).sign(artifact, as: .keyless(token))
        #expect(Set(signed.verification.verifiedTimestamps.map(\.source)) == ["transparency-log", "timestamp-authority"])
    }

    @Test(
        "managed keys (P-256, P-384, Ed25519) logged to Rekor v1 carry a public-key hint and verify with the key",
        arguments: [
            PrivateKey.Algorithm.ecdsaP256, .ecdsaP384, .ed25519,
        ])
    func managedKey(algorithm: PrivateKey.Algorithm) throws {
        let sigstore = try VirtualSigstore()
        let key = PrivateKey.generate(algorithm)
        let signed = try signer(sigstore).sign(artifact, as: .managedKey(key, hint: "release-key"))
        let bundle = try SigstoreBundle(json: signed.json)
        #expect(signed.certificate == nil)
        #expect(String(decoding: signed.json, as: UTF8.self).contains("\"hint\" : \"release-key\""))
        let other = PrivateKey.generate(algorithm)
        #expect(throws: VerificationError.self) {
            try sigstore.verifier().verify(
                bundle, policy: try VerificationPolicy(artifact: .bytes(artifact.bytes!), identity: .publicKey(other.publicKey)))
        }
    }

    @Test("an expired token is refused before the CA is asked")
    func expiredToken() throws {
        let sigstore = try VirtualSigstore()
        let ca = RecordingIssuer(sigstore.ca)
        let token = try IdentityToken(TestIdentityToken.make(expiresIn: -120))
        expectSigningError(.identityTokenNotUsable) { _ = try signer(sigstore, ca: ca).sign(artifact, as: .keyless(token)) }
        #expect(ca.calls == 0)
    }

    @Test("a token whose e-mail is not verified is refused")
    func unverifiedEmail() throws {
        let token = try IdentityToken(TestIdentityToken.make(subject: "signer@example.com", emailVerified: false))
        expectSigningError(.identityTokenNotUsable) { try token.checkUsable(at: Date()) }
    }

    @Test(
        "malformed tokens name what is wrong",
        arguments: [
            "not-a-jwt", "a.b", "eyJhbGciOiJub25lIn0.bm90IGpzb24.c2ln",
            TestIdentityToken.compact(header: ["alg": "ES256"], claims: ["iss": "https://x", "sub": "s"]),
            TestIdentityToken.compact(header: ["alg": "ES256"], claims: ["sub": "s", "exp": 4_000_000_000]),
        ])
    func malformedToken(text: String) {
        expectSigningError(.malformedIdentityToken) { _ = try IdentityToken(text) }
    }

    @Test("a CA certifying another key is caught")
    func certificateForAnotherKey() throws {
        let sigstore = try VirtualSigstore()
        let ca = TamperingIssuer(base: sigstore.ca) { request in request.publicKey = PrivateKey.generate(.ecdsaP256).publicKey }
        let token = try IdentityToken(TestIdentityToken.make())
        expectSigningError(.certificateRejected) { _ = try signer(sigstore, ca: ca).sign(artifact, as: .keyless(token)) }
    }

    @Test("a CA certifying another identity: self-verification refuses the bundle")
    func certificateForAnotherIdentity() throws {
        let sigstore = try VirtualSigstore()
        let ca = TamperingIssuer(base: sigstore.ca) { request in request.identity = .email("mallory@example.com") }
        let token = try IdentityToken(TestIdentityToken.make())
        do {
            _ = try signer(sigstore, ca: ca).sign(artifact, as: .keyless(token))
            Issue.record("a bundle for another identity was handed out")
        } catch SigningError.selfVerificationFailed(let error) {
            #expect(error.errorCode == .identityMismatch)
            #expect(error.description.contains("mallory@example.com"))
        }
    }

    @Test("a log answering a bad inclusion proof: self-verification refuses the bundle")
    func badInclusionProof() throws {
        let sigstore = try VirtualSigstore()
        // Two earlier entries so the proof has hashes to corrupt.
        for index in 0..<2 { _ = try sigstore.sign(Array("earlier \(index)".utf8)) }
        let log = CorruptingLog(base: sigstore.rekorV1)
        let token = try IdentityToken(TestIdentityToken.make())
        do {
            _ = try signer(sigstore, log: log).sign(artifact, as: .keyless(token))
            Issue.record("a bundle with a bad inclusion proof was handed out")
        } catch SigningError.selfVerificationFailed(let error) {
            #expect([.inclusionProofInvalid, .checkpointInvalid].contains(error.errorCode), "got \(error)")
        }
    }

    @Test("a log from another instance: self-verification refuses the bundle")
    func untrustedLog() throws {
        let sigstore = try VirtualSigstore()
        let other = try VirtualSigstore(name: "other.sigstore.test")
        let token = try IdentityToken(TestIdentityToken.make())
        do {
            _ = try signer(sigstore, log: other.rekorV1).sign(artifact, as: .keyless(token))
            Issue.record("a bundle logged to an untrusted log was handed out")
        } catch SigningError.selfVerificationFailed(let error) {
            #expect(error.errorCode == .transparencyLogEntryInvalid, "got \(error)")
        }
    }

    @Test("Rekor v2 without a timestamp authority has no verified time: refused")
    func rekorV2WithoutTimestamp() throws {
        let sigstore = try VirtualSigstore()
        let token = try IdentityToken(TestIdentityToken.make())
        do {
            _ = try signer(sigstore, log: sigstore.rekorV2).sign(artifact, as: .keyless(token))
            Issue.record("a Rekor v2 bundle without a verified time was handed out")
        } catch SigningError.selfVerificationFailed(let error) {
            #expect(error.errorCode == .noVerifiedTime, "got \(error)")
        }
    }
}

/// Counts CA calls.
final class RecordingIssuer: CertificateIssuing {
    let base: any CertificateIssuing
    private(set) var calls = 0

    init(_ base: any CertificateIssuing) { self.base = base }

    func issueCertificate(publicKey: PublicKey, proofOfPossession: [UInt8], token: IdentityToken) throws -> [Certificate] {
        calls += 1
        return try base.issueCertificate(publicKey: publicKey, proofOfPossession: proofOfPossession, token: token)
    }
}

/// A CA that edits the leaf request: a lying Fulcio.
struct TamperingIssuer: CertificateIssuing {
    let base: LocalCertificateAuthority
    let edit: (inout LocalCertificateAuthority.LeafRequest) -> Void

    func issueCertificate(publicKey: PublicKey, proofOfPossession: [UInt8], token: IdentityToken) throws -> [Certificate] {
        var request = LocalCertificateAuthority.LeafRequest(
            publicKey: publicKey, identity: .email(token.certificateIdentity), issuer: token.issuer, notBefore: Date().addingTimeInterval(-1))
        edit(&request)
        return [try base.issueLeaf(request), base.intermediate]
    }
}

/// A log whose inclusion proofs are corrupted on the way back.
struct CorruptingLog: TransparencyLogging {
    let base: LocalTransparencyLog

    func record(_ entry: ProposedLogEntry) throws -> [String: Any] {
        var item = try base.record(entry)
        var proof = item["inclusionProof"] as! [String: Any]
        var hashes = proof["hashes"] as! [String]
        var first = Base64.decode(hashes[0])!
        first[0] ^= 0x80
        hashes[0] = Base64.encode(first)
        proof["hashes"] = hashes
        item["inclusionProof"] = proof
        return item
    }
}
