import Foundation
import HephaestusPlatform
import HephaestusSigstore
import HephaestusTestSupport
import Testing

/// Bundles of every kind minted by the virtual Sigstore verify, and report what they should.
@Suite("Verifier round trips (virtual Sigstore)")
struct RoundTripTests {
    @Test("Rekor v1 hashedrekord with SET, inclusion proof and checkpoint")
    func rekorV1() throws {
        let sigstore = try VirtualSigstore()
        let result = try Harness.expectPass(try sigstore.sign(Harness.artifact), by: sigstore)
        #expect(result.identity == Harness.identity)
        #expect(result.issuer == Harness.issuer)
        #expect(result.logEntries.first?.kind == "hashedrekord")
        #expect(result.verifiedTimestamps.map(\.source) == ["transparency-log"])
        #expect(result.artifactDigest == DigestAlgorithm.sha256.hash(Harness.artifact).description)
    }

    @Test("Rekor v1 with an RFC 3161 timestamp too: two verified times")
    func rekorV1WithTimestamp() throws {
        let sigstore = try VirtualSigstore()
        var options = VirtualSigstore.Options()
        options.timestamps = 1
        let result = try Harness.expectPass(try sigstore.sign(Harness.artifact, options: options), by: sigstore)
        #expect(Set(result.verifiedTimestamps.map(\.source)) == ["transparency-log", "timestamp-authority"])
    }

    @Test("Rekor v2 hashedrekord 0.0.2 with a TSA timestamp; integrated time never counts")
    func rekorV2() throws {
        let sigstore = try VirtualSigstore()
        var options = VirtualSigstore.Options()
        options.log = .rekorV2
        options.timestamps = 1
        let result = try Harness.expectPass(try sigstore.sign(Harness.artifact, options: options), by: sigstore)
        #expect(result.logEntries.first?.kindVersion == "0.0.2")
        #expect(result.logEntries.first?.integratedTime == nil)
        #expect(result.verifiedTimestamps.map(\.source) == ["timestamp-authority"])
    }

    @Test("URI identities, matched exactly and by anchored regexp")
    func uriIdentity() throws {
        let sigstore = try VirtualSigstore()
        let workflow = "https://github.com/octo/repo/.github/workflows/release.yml@refs/tags/v1.2.0"
        var options = VirtualSigstore.Options()
        options.identity = .uri(workflow)
        options.issuer = "https://token.actions.githubusercontent.com"
        options.leaf = { request in
            request.claims = ["1.3.6.1.4.1.57264.1.12": "https://github.com/octo/repo", "1.3.6.1.4.1.57264.1.14": "refs/tags/v1.2.0"]
        }
        let minted = try sigstore.sign(Harness.artifact, options: options)
        try Harness.expectPass(minted, by: sigstore, policy: try Harness.policy(identity: workflow, issuer: options.issuer))
        let regexp = try VerificationPolicy(
            artifact: .bytes(Harness.artifact),
            identity: .certificate(
                identity: .regularExpression("https://github\\.com/octo/repo/.*@refs/tags/v.*"), issuer: .exact(options.issuer),
                claims: [.githubRepository("octo/repo"), .githubRef("refs/tags/v1.2.0")]))
        let result = try Harness.expectPass(minted, by: sigstore, policy: regexp)
        #expect(result.claims["sourceRepositoryRef"] == "refs/tags/v1.2.0")
        let unanchored = try VerificationPolicy(
            artifact: .bytes(Harness.artifact),
            identity: .certificate(identity: .regularExpression("https://github\\.com/octo"), issuer: .exact(options.issuer), claims: []))
        try Harness.expectFailure(minted, by: sigstore, code: .identityMismatch, policy: unanchored)
        let wrongRef = try VerificationPolicy(
            artifact: .bytes(Harness.artifact),
            identity: .certificate(identity: .exact(workflow), issuer: .exact(options.issuer), claims: [.githubRef("refs/heads/main")]))
        try Harness.expectFailure(minted, by: sigstore, code: .claimMismatch, policy: wrongRef)
    }

    @Test("DSSE in-toto attestations through Rekor v1 (dsse 0.0.1) and Rekor v2 (hashedrekord over the PAE)")
    func dsse() throws {
        let sigstore = try VirtualSigstore()
        let statement = Statement.for(Harness.artifact)
        try Harness.expectPass(try sigstore.attest(statement: statement), by: sigstore)
        var options = VirtualSigstore.Options()
        options.log = .rekorV2
        options.timestamps = 1
        try Harness.expectPass(try sigstore.attest(statement: statement, options: options), by: sigstore)
    }

    @Test("Managed keys (ECDSA P-256, P-384, Ed25519) with --key", arguments: PrivateKey.Algorithm.allCases)
    func managedKeys(algorithm: PrivateKey.Algorithm) throws {
        let sigstore = try VirtualSigstore()
        let key = PrivateKey.generate(algorithm)
        let minted = try sigstore.sign(Harness.artifact, key: key)
        let policy = try VerificationPolicy(artifact: .bytes(Harness.artifact), identity: .publicKey(key.publicKey))
        let result = try Harness.expectPass(minted, by: sigstore, policy: policy)
        #expect(result.identity.hasPrefix("key:sha256:"))
        let otherKey = try VerificationPolicy(artifact: .bytes(Harness.artifact), identity: .publicKey(PrivateKey.generate(algorithm).publicKey))
        try Harness.expectFailure(minted, by: sigstore, code: .transparencyLogEntryInconsistent, policy: otherKey)
        try Harness.expectFailure(minted, by: sigstore, code: .invalidPolicy)
    }

    @Test("A digest stands in for the artifact")
    func digestOnly() throws {
        let sigstore = try VirtualSigstore()
        let policy = try VerificationPolicy(
            artifact: .digest(DigestAlgorithm.sha256.hash(Harness.artifact)),
            identity: .certificate(identity: .exact(Harness.identity), issuer: .exact(Harness.issuer), claims: []))
        try Harness.expectPass(try sigstore.sign(Harness.artifact), by: sigstore, policy: policy)
    }
}

/// In-toto statements for tests.
enum Statement {
    static func `for`(_ artifact: [UInt8], name: String = "wheelhouse.tar.gz") -> [UInt8] {
        let digest = DigestAlgorithm.sha256.hash(artifact).hex
        return Array(
            #"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"\#(name)","digest":{"sha256":"\#(digest)"}}],"predicateType":"https://slsa.dev/provenance/v1","predicate":{}}"#
                .utf8)
    }
}
