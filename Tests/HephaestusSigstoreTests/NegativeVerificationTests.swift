import Foundation
import HephaestusPlatform
import HephaestusSigstore
import HephaestusTestSupport
import Testing

/// Every verification check, shown to reject a tampered input. Each test changes one thing in an otherwise valid
/// bundle and names the check that must catch it.
@Suite("Verifier rejects tampered bundles")
struct NegativeVerificationTests {
    let sigstore: VirtualSigstore

    init() throws {
        sigstore = try VirtualSigstore()
        // A few earlier entries so that inclusion proofs have hashes to corrupt.
        for index in 0..<5 { _ = try sigstore.sign(Array("earlier \(index)".utf8)) }
    }

    var rekorV2Options: VirtualSigstore.Options {
        var options = VirtualSigstore.Options()
        options.log = .rekorV2
        options.timestamps = 1
        return options
    }

    // MARK: Artifact signature

    @Test("A flipped signature byte is rejected")
    func flippedSignature() throws {
        var minted = try sigstore.sign(Harness.artifact)
        minted.flipByte(["messageSignature", "signature"])
        try Harness.expectFailure(minted, by: sigstore, code: .transparencyLogEntryInconsistent)
    }

    @Test("A signature over other bytes, logged consistently, fails the signature check itself")
    func signatureOverOtherBytes() throws {
        var options = VirtualSigstore.Options()
        options.signedBytes = Array("something else".utf8)
        try Harness.expectFailure(try sigstore.sign(Harness.artifact, options: options), by: sigstore, code: .signatureInvalid)
    }

    @Test("A wrong artifact is rejected")
    func wrongArtifact() throws {
        try Harness.expectFailure(
            try sigstore.sign(Harness.artifact), by: sigstore, code: .artifactMismatch,
            policy: try Harness.policy(artifact: Array("another artifact".utf8)))
    }

    // MARK: Identity

    @Test("A wrong identity is rejected")
    func wrongIdentity() throws {
        try Harness.expectFailure(
            try sigstore.sign(Harness.artifact), by: sigstore, code: .identityMismatch, policy: try Harness.policy(identity: "mallory@example.com"))
    }

    @Test("A wrong issuer is rejected")
    func wrongIssuer() throws {
        try Harness.expectFailure(
            try sigstore.sign(Harness.artifact), by: sigstore, code: .issuerMismatch,
            policy: try Harness.policy(issuer: "https://accounts.example.org"))
    }

    @Test("Issuer extensions .1.1 and .1.8 disagreeing are rejected")
    func disagreeingIssuers() throws {
        var options = VirtualSigstore.Options()
        options.leaf = { $0.legacyIssuer = "https://accounts.evil.example" }
        try Harness.expectFailure(try sigstore.sign(Harness.artifact, options: options), by: sigstore, code: .certificateProfileInvalid)
    }

    @Test("A leaf without the codeSigning usage is rejected")
    func missingCodeSigning() throws {
        var options = VirtualSigstore.Options()
        options.leaf = { $0.extendedKeyUsage = [CertificateExtension.OID.timeStampingUsage] }
        try Harness.expectFailure(try sigstore.sign(Harness.artifact, options: options), by: sigstore, code: .certificateProfileInvalid)
    }

    // MARK: Certificate chain

    @Test("An expired intermediate fails the chain at the signing time")
    func expiredChain() throws {
        let shortLived = try VirtualSigstore(intermediateValidity: 3600)
        try Harness.expectFailure(try shortLived.sign(Harness.artifact), by: shortLived, code: .certificateChainInvalid)
    }

    @Test("A signing time outside the leaf's validity window is rejected")
    func timeOutsideLeafWindow() throws {
        var options = VirtualSigstore.Options()
        options.leaf = { $0.notBefore = $0.notBefore.addingTimeInterval(3600) }
        try Harness.expectFailure(try sigstore.sign(Harness.artifact, options: options), by: sigstore, code: .certificateChainInvalid)
    }

    @Test("A bundle from another Sigstore instance is rejected")
    func otherInstance() throws {
        let other = try VirtualSigstore(name: "other.sigstore.test")
        try Harness.expectFailure(try other.sign(Harness.artifact), by: sigstore, code: .transparencyLogEntryInvalid)
        var options = VirtualSigstore.Options()
        options.certificateAuthority = other.ca
        try Harness.expectFailure(try sigstore.sign(Harness.artifact, options: options), by: sigstore, code: .certificateChainInvalid)
    }

    // MARK: SCT

    @Test("A flipped SCT signature is rejected")
    func flippedSCT() throws {
        var options = VirtualSigstore.Options()
        options.leaf = { $0.sctListEdit = { list in list[list.count - 5] ^= 0x01 } }
        try Harness.expectFailure(try sigstore.sign(Harness.artifact, options: options), by: sigstore, code: .signedCertificateTimestampInvalid)
    }

    @Test("A leaf without an embedded SCT is rejected")
    func missingSCT() throws {
        var options = VirtualSigstore.Options()
        options.leaf = { $0.includeSCT = false }
        try Harness.expectFailure(try sigstore.sign(Harness.artifact, options: options), by: sigstore, code: .signedCertificateTimestampInvalid)
    }

    // MARK: Signed entry timestamp

    @Test("A SET by a log outside the trusted root is rejected")
    func setByUnknownLog() throws {
        let other = try VirtualSigstore(name: "other.sigstore.test")
        var options = VirtualSigstore.Options()
        options.transparencyLog = other.rekorV1
        try Harness.expectFailure(try sigstore.sign(Harness.artifact, options: options), by: sigstore, code: .transparencyLogEntryInvalid)
        // Claiming our log's id does not help: the SET does not verify with our log's key.
        var minted = try sigstore.sign(Harness.artifact, options: options)
        minted.set(["verificationMaterial", "tlogEntries", 0, "logId", "keyId"], Base64.encode(sigstore.rekorV1.logID))
        try Harness.expectFailure(minted, by: sigstore, code: .inclusionPromiseInvalid)
    }

    @Test("A flipped SET is rejected")
    func flippedSET() throws {
        var minted = try sigstore.sign(Harness.artifact)
        minted.flipByte(["verificationMaterial", "tlogEntries", 0, "inclusionPromise", "signedEntryTimestamp"])
        try Harness.expectFailure(minted, by: sigstore, code: .inclusionPromiseInvalid)
    }

    @Test("A changed integrated time breaks the SET")
    func changedIntegratedTime() throws {
        var minted = try sigstore.sign(Harness.artifact)
        minted.set(["verificationMaterial", "tlogEntries", 0, "integratedTime"], String(Int(sigstore.now.timeIntervalSince1970) - 60))
        try Harness.expectFailure(minted, by: sigstore, code: .inclusionPromiseInvalid)
    }

    @Test("An integrated time in the future is rejected, even with a valid SET")
    func futureIntegratedTime() throws {
        var options = VirtualSigstore.Options()
        options.signingTime = sigstore.now.addingTimeInterval(86_400)
        let minted = try sigstore.sign(Harness.artifact, options: options)
        try Harness.expectFailure(minted, by: sigstore, code: .inclusionPromiseInvalid, clock: { [now = sigstore.now] in now })
    }

    // MARK: Inclusion proof and checkpoint

    @Test("A corrupted inclusion proof hash is rejected")
    func corruptedProofHash() throws {
        var minted = try sigstore.sign(Harness.artifact)
        minted.flipByte(["verificationMaterial", "tlogEntries", 0, "inclusionProof", "hashes", 0])
        try Harness.expectFailure(minted, by: sigstore, code: .inclusionProofInvalid)
    }

    @Test("A wrong proof index is rejected")
    func wrongProofIndex() throws {
        var minted = try sigstore.sign(Harness.artifact)
        minted.set(["verificationMaterial", "tlogEntries", 0, "inclusionProof", "logIndex"], "2")
        try Harness.expectFailure(minted, by: sigstore, code: .inclusionProofInvalid)
    }

    @Test("A checkpoint signed over another root hash is rejected")
    func checkpointWithWrongRoot() throws {
        var options = VirtualSigstore.Options()
        options.checkpoint = { log, receipt in try log.checkpoint(size: receipt.treeSize, root: [UInt8](repeating: 7, count: 32)) }
        try Harness.expectFailure(try sigstore.sign(Harness.artifact, options: options), by: sigstore, code: .checkpointInvalid)
    }

    @Test("A checkpoint whose only signature has another key hint is rejected")
    func wrongKeyHint() throws {
        var options = VirtualSigstore.Options()
        options.checkpoint = { log, receipt in
            try log.signNote(text: "\(log.origin)\n\(receipt.treeSize)\n\(Base64.encode(receipt.rootHash))\n", keyHint: [0, 0, 0, 0])
        }
        try Harness.expectFailure(try sigstore.sign(Harness.artifact, options: options), by: sigstore, code: .checkpointInvalid)
    }

    @Test("A flipped checkpoint signature is rejected; an unknown cosignature is ignored")
    func checkpointSignatures() throws {
        var flipped = VirtualSigstore.Options()
        flipped.checkpoint = { _, receipt in
            var lines = receipt.checkpoint.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let signatureLine = lines[4]
            let parts = signatureLine.split(separator: " ")
            var blob = Base64.decode(parts[2])!
            blob[blob.count - 3] ^= 0x01
            lines[4] = "\(parts[0]) \(parts[1]) \(Base64.encode(blob))"
            return lines.joined(separator: "\n")
        }
        try Harness.expectFailure(try sigstore.sign(Harness.artifact, options: flipped), by: sigstore, code: .checkpointInvalid)

        var witnessed = VirtualSigstore.Options()
        witnessed.checkpoint = { _, receipt in
            receipt.checkpoint + "— witness.example.org \(Base64.encode([1, 2, 3, 4] + [UInt8](repeating: 9, count: 64)))\n"
        }
        try Harness.expectPass(try sigstore.sign(Harness.artifact, options: witnessed), by: sigstore)
    }

    @Test("Rekor v2: a flipped Ed25519 checkpoint signature and a tampered proof are rejected")
    func rekorV2Checkpoint() throws {
        var minted = try sigstore.sign(Harness.artifact, options: rekorV2Options)
        minted.flipByte(["verificationMaterial", "tlogEntries", 0, "inclusionProof", "rootHash"])
        try Harness.expectFailure(minted, by: sigstore, code: .inclusionProofInvalid)
    }

    // MARK: Log entry consistency (CVE-2022-36056)

    @Test("A log entry from another signing of the same artifact is rejected")
    func entryFromAnotherSigning() throws {
        var minted = try sigstore.sign(Harness.artifact)
        let other = try sigstore.sign(Harness.artifact)
        minted.set(["verificationMaterial", "tlogEntries"], other.value(["verificationMaterial", "tlogEntries"])!)
        try Harness.expectFailure(minted, by: sigstore, code: .transparencyLogEntryInconsistent)
    }

    // MARK: Timestamps

    @Test("Rekor v2 without a timestamp has no verified time")
    func rekorV2WithoutTimestamp() throws {
        var options = rekorV2Options
        options.timestamps = 0
        try Harness.expectFailure(try sigstore.sign(Harness.artifact, options: options), by: sigstore, code: .noVerifiedTime)
    }

    @Test("A timestamp from another TSA, or over another signature, does not count")
    func untrustedTimestamp() throws {
        let other = try VirtualSigstore(name: "other.sigstore.test")
        var minted = try sigstore.sign(Harness.artifact, options: rekorV2Options)
        let signature = Base64.decode(minted.value(["messageSignature", "signature"]) as! String)!
        let foreign = try other.tsa.timestamp(signature: signature, at: sigstore.now)
        minted.set(["verificationMaterial", "timestampVerificationData", "rfc3161Timestamps", 0, "signedTimestamp"], Base64.encode(foreign))
        try Harness.expectFailure(minted, by: sigstore, code: .noVerifiedTime)
        let wrongImprint = try sigstore.tsa.timestamp(signature: signature + [0], at: sigstore.now)
        minted.set(["verificationMaterial", "timestampVerificationData", "rfc3161Timestamps", 0, "signedTimestamp"], Base64.encode(wrongImprint))
        try Harness.expectFailure(minted, by: sigstore, code: .noVerifiedTime)
    }

    @Test("A TSA time outside the leaf's validity fails the chain at that time")
    func lateTimestamp() throws {
        var minted = try sigstore.sign(Harness.artifact, options: rekorV2Options)
        let signature = Base64.decode(minted.value(["messageSignature", "signature"]) as! String)!
        let late = try sigstore.tsa.timestamp(signature: signature, at: sigstore.now.addingTimeInterval(3600))
        minted.set(["verificationMaterial", "timestampVerificationData", "rfc3161Timestamps", 0, "signedTimestamp"], Base64.encode(late))
        try Harness.expectFailure(minted, by: sigstore, code: .certificateChainInvalid)
    }

    @Test("33 timestamps are refused")
    func tooManyTimestamps() throws {
        var minted = try sigstore.sign(Harness.artifact, options: rekorV2Options)
        let signature = Base64.decode(minted.value(["messageSignature", "signature"]) as! String)!
        let tokens = try (0..<33).map { offset in
            ["signedTimestamp": Base64.encode(try sigstore.tsa.timestamp(signature: signature, at: sigstore.now.addingTimeInterval(Double(offset))))]
        }
        minted.set(["verificationMaterial", "timestampVerificationData", "rfc3161Timestamps"], tokens)
        try Harness.expectFailure(minted, by: sigstore, code: .malformedBundle)
    }

    // MARK: DSSE

    @Test("A changed DSSE payload or signature is rejected")
    func dsseTampering() throws {
        let statement = Statement.for(Harness.artifact)
        var payload = try sigstore.attest(statement: statement)
        payload.editBase64(["dsseEnvelope", "payload"]) { $0[$0.count - 2] = UInt8(ascii: " ") }
        try Harness.expectFailure(payload, by: sigstore, code: .transparencyLogEntryInconsistent)
        var signature = try sigstore.attest(statement: statement)
        signature.flipByte(["dsseEnvelope", "signatures", 0, "sig"])
        try Harness.expectFailure(signature, by: sigstore, code: .transparencyLogEntryInconsistent)
        // Rekor v2 logs the PAE digest: a changed payload breaks that too.
        var v2 = try sigstore.attest(statement: statement, options: rekorV2Options)
        v2.editBase64(["dsseEnvelope", "payload"]) { $0[$0.count - 2] = UInt8(ascii: " ") }
        try Harness.expectFailure(v2, by: sigstore, code: .transparencyLogEntryInconsistent)
    }

    @Test("An in-toto statement whose subjects miss the artifact is rejected")
    func subjectMismatch() throws {
        let minted = try sigstore.attest(statement: Statement.for(Array("another artifact".utf8)))
        try Harness.expectFailure(minted, by: sigstore, code: .statementMismatch)
    }

    // MARK: Structure

    @Test("Unknown media types are rejected")
    func unknownMediaType() throws {
        var minted = try sigstore.sign(Harness.artifact)
        minted.set(["mediaType"], "application/vnd.dev.sigstore.bundle.v0.4+json")
        try Harness.expectFailure(minted, by: sigstore, code: .unsupportedMediaType)
    }

    @Test(
        "Structural rules: duplicates, bounds, encodings, versions",
        arguments: [
            "duplicate entry", "33 entries", "bad base64", "negative index", "no verification material", "chain with root", "v0.2 without proof",
        ])
    func structure(rule: String) throws {
        var minted = try sigstore.sign(Harness.artifact)
        let entry = minted.value(["verificationMaterial", "tlogEntries", 0])!
        switch rule {
        case "duplicate entry": minted.set(["verificationMaterial", "tlogEntries"], [entry, entry])
        case "33 entries": minted.set(["verificationMaterial", "tlogEntries"], Array(repeating: entry, count: 33))
        case "bad base64": minted.set(["messageSignature", "signature"], "not*base64")
        case "negative index": minted.set(["verificationMaterial", "tlogEntries", 0, "logIndex"], "-1")
        case "no verification material": minted.set(["verificationMaterial", "certificate"], NSNull())
        case "chain with root":
            minted.set(["mediaType"], "application/vnd.dev.sigstore.bundle+json;version=0.2")
            minted.set(["verificationMaterial", "certificate"], NSNull())
            minted.set(
                ["verificationMaterial", "x509CertificateChain"],
                ["certificates": [minted.leaf!, sigstore.ca.root].map { ["rawBytes": Base64.encode($0.derEncoded)] }])
        case "v0.2 without proof":
            minted.set(["mediaType"], "application/vnd.dev.sigstore.bundle+json;version=0.2")
            minted.set(["verificationMaterial", "certificate"], NSNull())
            minted.set(["verificationMaterial", "x509CertificateChain"], ["certificates": [["rawBytes": Base64.encode(minted.leaf!.derEncoded)]]])
            minted.set(["verificationMaterial", "tlogEntries", 0, "inclusionProof"], NSNull())
        default: Issue.record("unknown rule")
        }
        try Harness.expectFailure(minted, by: sigstore, code: .malformedBundle)
    }

    @Test("A v0.2 bundle with a certificate chain (leaf only) still verifies")
    func chainBundle() throws {
        var minted = try sigstore.sign(Harness.artifact)
        minted.set(["mediaType"], "application/vnd.dev.sigstore.bundle+json;version=0.2")
        minted.set(["verificationMaterial", "certificate"], NSNull())
        minted.set(["verificationMaterial", "x509CertificateChain"], ["certificates": [["rawBytes": Base64.encode(minted.leaf!.derEncoded)]]])
        try Harness.expectPass(minted, by: sigstore)
    }
}
