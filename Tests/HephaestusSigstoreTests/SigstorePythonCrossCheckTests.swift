import Foundation
import HephaestusPlatform
import HephaestusSigstore
import HephaestusTestSupport
import Testing

/// Bundles our signer produces verify with an independent implementation, the `sigstore` package from PyPI, given
/// the same trusted root; and a byte changed after signing is rejected by both.
@Suite("Cross-check with sigstore-python", .enabled(if: SigstorePythonPeer.isUsable, Comment(rawValue: SigstorePythonPeer.absenceMessage)))
struct SigstorePythonCrossCheckTests {
    struct Case: Sendable, CustomStringConvertible {
        let description: String
        let githubActions: Bool
        let rekorV2: Bool
        let timestamp: Bool
    }

    @Test(
        "sigstore verify identity --offline accepts our bundle and rejects it after tampering",
        arguments: [
            Case(description: "e-mail identity, Rekor v1", githubActions: false, rekorV2: false, timestamp: false),
            Case(description: "e-mail identity, Rekor v1 + TSA", githubActions: false, rekorV2: false, timestamp: true),
            Case(description: "GitHub Actions URI identity, Rekor v2 + TSA", githubActions: true, rekorV2: true, timestamp: true),
        ])
    func crossCheck(_ testCase: Case) throws {
        let sigstore = try VirtualSigstore()
        let scratch = try TemporaryDirectory(prefix: "hephaestus-crosscheck")
        let artifactBytes = Array("demo-1.0.0-wheelhouse.tar.gz bytes for \(testCase.description)\n".utf8)
        let token = try IdentityToken(
            testCase.githubActions ? TestIdentityToken.githubActions() : TestIdentityToken.make(email: "release@example.org"))
        let signer = BundleSigner(
            verifier: try sigstore.verifier(), certificateAuthority: sigstore.ca,
            transparencyLog: testCase.rekorV2 ? sigstore.rekorV2 : sigstore.rekorV1,
            timestampAuthorities: testCase.timestamp ? [sigstore.tsa] : [])
        let signed = try signer.sign(.init(bytes: artifactBytes), as: .keyless(token))

        let artifact = try scratch.write("artifact.txt", artifactBytes)
        let bundle = try scratch.write("artifact.txt.sigstore.json", signed.json)
        let config = try scratch.write(
            "trust_config.json",
            SigstorePythonPeer.trustConfig(trustedRoot: sigstore.trustedRootObject, signingConfig: sigstore.signingConfigObject))

        let accepted = try SigstorePythonPeer.verifyIdentity(
            trustConfig: config, bundle: bundle, artifact: artifact, identity: token.certificateIdentity, issuer: token.issuer)
        #expect(accepted.status == 0, "sigstore-python refused our bundle: \(accepted.stderrText)")
        #expect(accepted.stderrText.contains("OK"), "\(accepted.stderrText)")

        // Tamper with the artifact after signing: both verifiers must refuse.
        var tamperedBytes = artifactBytes
        tamperedBytes[0] ^= 0x20
        let tampered = try scratch.write("tampered.txt", tamperedBytes)
        let refused = try SigstorePythonPeer.verifyIdentity(
            trustConfig: config, bundle: bundle, artifact: tampered, identity: token.certificateIdentity, issuer: token.issuer)
        #expect(refused.status != 0, "sigstore-python accepted a tampered artifact")
        let policy = try VerificationPolicy(
            artifact: .bytes(tamperedBytes),
            identity: .certificate(identity: .exact(token.certificateIdentity), issuer: .exact(token.issuer), claims: []))
        #expect(throws: VerificationError.self) { try sigstore.verifier().verify(try SigstoreBundle(json: signed.json), policy: policy) }

        // And a wrong identity is refused by sigstore-python too.
        let wrongIdentity = try SigstorePythonPeer.verifyIdentity(
            trustConfig: config, bundle: bundle, artifact: artifact, identity: "mallory@example.com", issuer: token.issuer)
        #expect(wrongIdentity.status != 0)
    }
}
