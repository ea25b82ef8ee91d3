import Foundation
import HephaestusPlatform
import HephaestusSigstore
import HephaestusTestSupport
import Testing

/// The verifier remembers signatures it has verified in a run (leaf by issuer, SCT, checkpoint). Each test warms
/// the cache with a genuine verification, shows it is used, then shows a tampered input is still refused.
@Suite("Verified-signature cache never accepts what a fresh check refuses")
struct VerifiedSignatureCacheTests {
    static var checkpointPath: [Any] { ["verificationMaterial", "tlogEntries", 0, "inclusionProof", "checkpoint", "envelope"] }

    @Test("Warm cache: the same bundle twice is answered from memory for leaf, SCT and checkpoint")
    func warmCacheIsUsed() throws {
        let sigstore = try VirtualSigstore()
        let verifier = try sigstore.verifier()
        let minted = try sigstore.sign(Harness.artifact)
        _ = try verifier.verify(try minted.parsed(), policy: try Harness.policy())
        #expect(verifier.signatures.statistics.hits == 0)
        _ = try verifier.verify(try minted.parsed(), policy: try Harness.policy())
        #expect(verifier.signatures.statistics.hits == 3, "leaf signature, SCT and checkpoint: \(verifier.signatures.statistics)")
    }

    @Test("Warm cache: a flipped checkpoint signature, or another note under the same signature, is rejected")
    func tamperedCheckpointWithWarmCache() throws {
        let sigstore = try VirtualSigstore()
        let verifier = try sigstore.verifier()
        let minted = try sigstore.sign(Harness.artifact)
        _ = try verifier.verify(try minted.parsed(), policy: try Harness.policy())

        var flipped = minted
        flipped.set(Self.checkpointPath, Self.editingSignature(of: minted.value(Self.checkpointPath) as! String))
        try Self.expectFailure(flipped, verifier: verifier, code: .checkpointInvalid)

        // The same signature line under another origin line: the signed text differs, so the remembered check does not apply.
        var renamed = minted
        let note = minted.value(Self.checkpointPath) as! String
        renamed.set(Self.checkpointPath, "other-" + note)
        try Self.expectFailure(renamed, verifier: verifier, code: .checkpointInvalid)
        // The genuine bundle still passes from memory.
        _ = try verifier.verify(try minted.parsed(), policy: try Harness.policy())
    }

    @Test("Warm cache: a leaf whose issuing intermediate has expired at the new time is rejected")
    func intermediateOutsideValidityWithWarmCache() throws {
        let now = Date()
        // The CA is valid from a day ago; its intermediate ends a minute from now, inside the leaf's ten minutes.
        let sigstore = try VirtualSigstore(now: now, intermediateValidity: 86_400 + 60)
        let leafKey = PrivateKey.generate(.ecdsaP256)
        let leaf = try sigstore.ca.issueLeaf(
            .init(publicKey: leafKey.publicKey, identity: .email(Harness.identity), issuer: Harness.issuer, notBefore: now.addingTimeInterval(-1)))
        let authority = try #require(try sigstore.trustedRoot().certificateAuthorities.first)
        let cache = VerifiedSignatureCache()
        _ = try authority.validate(leaf, untrustedIntermediates: [], at: now, signatures: cache)
        _ = try authority.validate(leaf, untrustedIntermediates: [], at: now, signatures: cache)
        #expect(cache.statistics == (hits: 1, misses: 1))
        let later = now.addingTimeInterval(120)
        #expect(leaf.isValid(at: later))
        #expect(!DirectIssuance.accepts(leaf, issuedBy: sigstore.ca.intermediate, at: later, signatures: cache))
        #expect(throws: CryptoError.self) { try authority.validate(leaf, untrustedIntermediates: [], at: later, signatures: cache) }
    }

    @Test("Warm cache shared with another root of the same names: the leaf is refused under the other root")
    func otherRootWithWarmCache() throws {
        let cache = VerifiedSignatureCache()
        let genuine = try VirtualSigstore(name: "twin.sigstore.test")
        let impostor = try VirtualSigstore(name: "twin.sigstore.test")
        let minted = try genuine.sign(Harness.artifact)
        let leaf = try #require(minted.leaf)
        let genuineAuthority = try #require(try genuine.trustedRoot().certificateAuthorities.first)
        let otherAuthority = try #require(try impostor.trustedRoot().certificateAuthorities.first)
        _ = try genuineAuthority.validate(leaf, untrustedIntermediates: [], at: genuine.now, signatures: cache)
        #expect(throws: CryptoError.self) { try otherAuthority.validate(leaf, untrustedIntermediates: [], at: genuine.now, signatures: cache) }

        // End to end: a verifier for the other root, sharing the warm cache, refuses the genuine bundle.
        let warm = BundleVerifier(trustedRoot: try genuine.trustedRoot(), signatures: cache)
        _ = try warm.verify(try minted.parsed(), policy: try Harness.policy())
        let other = BundleVerifier(trustedRoot: try impostor.trustedRoot(), signatures: cache)
        try Self.expectFailure(minted, verifier: other, code: .transparencyLogEntryInvalid)
    }

    @Test("Warm cache: a forged SCT on a new leaf is rejected")
    func forgedSCTWithWarmCache() throws {
        let sigstore = try VirtualSigstore()
        let verifier = try sigstore.verifier()
        _ = try verifier.verify(try sigstore.sign(Harness.artifact).parsed(), policy: try Harness.policy())
        var options = VirtualSigstore.Options()
        options.leaf = { request in request.sctListEdit = { list in list[list.count - 3] ^= 0x01 } }
        try Self.expectFailure(try sigstore.sign(Harness.artifact, options: options), verifier: verifier, code: .signedCertificateTimestampInvalid)
    }

    @Test("A refused signature is never remembered")
    func refusedSignaturesAreNotRemembered() throws {
        let key = PrivateKey.generate(.ecdsaP256)
        let message = Array("checkpoint".utf8)
        var signature = try key.sign(message: message)
        signature[signature.count - 2] ^= 0x01
        let cache = VerifiedSignatureCache()
        for _ in 0..<2 {
            #expect(!cache.isValidSignature(signature, for: message, key: key.publicKey, scheme: .ecdsa(.sha256)))
        }
        #expect(cache.statistics == (hits: 0, misses: 2))
    }

    static func editingSignature(of note: String) -> String {
        var lines = note.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let parts = lines[4].split(separator: " ")
        var blob = Base64.decode(parts[2])!
        blob[blob.count - 3] ^= 0x01
        lines[4] = "\(parts[0]) \(parts[1]) \(Base64.encode(blob))"
        return lines.joined(separator: "\n")
    }

    static func expectFailure(
        _ minted: MintedBundle, verifier: BundleVerifier, code: VerificationError.Code, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        do {
            let result = try verifier.verify(try minted.parsed(), policy: try Harness.policy())
            Issue.record("expected \(code.rawValue), but the bundle verified for \(result.identity)", sourceLocation: sourceLocation)
        } catch let error as VerificationError {
            #expect(error.errorCode == code, "got \(error)", sourceLocation: sourceLocation)
        }
    }
}
