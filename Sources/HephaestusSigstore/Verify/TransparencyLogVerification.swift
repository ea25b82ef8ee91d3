import Foundation
import HephaestusPlatform

/// The transparency-log step: each entry must come from a trusted log, repeat the bundle's signature, key and
/// digest, and be proven included (inclusion proof against a signed checkpoint) and/or promised (SET).
enum TransparencyLogVerification {
    /// What one entry established.
    struct Outcome {
        let entry: TransparencyLogEntry
        let log: TransparencyLogInstance
        /// The integrated time, when a verified SET signs it (Rekor v1); never for Rekor v2.
        let verifiedTime: Date?
    }

    /// Verifies every entry (all must pass: a bundle with a bad entry is rejected, not partially trusted).
    /// Integrated times may run this far ahead of the verifier's clock (clock skew), no further.
    static let allowedClockSkew: TimeInterval = 300

    static func verify(
        _ entries: [TransparencyLogEntry], material: SignedMaterial, trustedRoot: TrustedRoot, now: Date,
        signatures: VerifiedSignatureCache? = nil
    ) throws(VerificationError) -> [Outcome] {
        var outcomes: [Outcome] = []
        for entry in entries {
            outcomes.append(try verify(entry, material: material, trustedRoot: trustedRoot, now: now, signatures: signatures))
        }
        return outcomes
    }

    static func verify(
        _ entry: TransparencyLogEntry, material: SignedMaterial, trustedRoot: TrustedRoot, now: Date,
        signatures: VerifiedSignatureCache? = nil
    ) throws(VerificationError) -> Outcome {
        let candidates = trustedRoot.transparencyLogs(withID: entry.logKeyID)
        guard let log = candidates.first else {
            throw VerificationError.transparencyLogEntryInvalid(
                "entry is from a log not in the trusted root (log id \(Base64.encode(entry.logKeyID)))")
        }
        try LogEntryConsistency.check(entry, material: material)

        let isRekorV2 = entry.kindVersion == "0.0.2" && entry.kind != "intoto"
        var verifiedTime: Date?
        if let promise = entry.inclusionPromise {
            guard !isRekorV2 else {
                throw VerificationError.inclusionPromiseInvalid("Rekor v2 entries carry no inclusion promise")
            }
            try verifyInclusionPromise(promise, entry: entry, log: log)
            let time = Date(timeIntervalSince1970: TimeInterval(entry.integratedTime))
            guard time <= now.addingTimeInterval(allowedClockSkew) else {
                throw VerificationError.inclusionPromiseInvalid("integrated time \(RFC3339.string(time)) is in the future")
            }
            verifiedTime = time
        }
        if let proof = entry.inclusionProof {
            try verifyInclusionProof(proof, entry: entry, log: log, signatures: signatures)
        }
        guard entry.inclusionPromise != nil || entry.inclusionProof != nil else {
            throw VerificationError.transparencyLogEntryInvalid("entry has neither an inclusion proof nor an inclusion promise")
        }
        return Outcome(entry: entry, log: log, verifiedTime: verifiedTime)
    }

    /// The SET: the log's signature over the RFC 8785 canonical JSON of body, integratedTime, logID and logIndex.
    static func verifyInclusionPromise(
        _ promise: [UInt8], entry: TransparencyLogEntry, log: TransparencyLogInstance
    ) throws(VerificationError) {
        let time = Date(timeIntervalSince1970: TimeInterval(entry.integratedTime))
        guard log.validity.contains(time) else {
            throw VerificationError.inclusionPromiseInvalid(
                "integrated time \(RFC3339.string(time)) is outside the log key's validity \(log.validity)")
        }
        let payload = CanonicalJSON.object([
            "body": .string(Base64.encode(entry.canonicalizedBody)),
            "integratedTime": .integer(entry.integratedTime),
            "logID": .string(Hex.encode(entry.logKeyID)),
            "logIndex": .integer(entry.logIndex),
        ]).serialized
        guard log.publicKey.isValidSignature(promise, for: payload, scheme: log.scheme) else {
            throw VerificationError.inclusionPromiseInvalid("signed entry timestamp does not verify with the log's key")
        }
    }

    /// The inclusion proof (with the proof's own index) against its root, and that root against the checkpoint
    /// signed by the log.
    static func verifyInclusionProof(
        _ proof: InclusionProof, entry: TransparencyLogEntry, log: TransparencyLogInstance, signatures: VerifiedSignatureCache? = nil
    ) throws(VerificationError) {
        guard let note = proof.checkpoint else {
            throw VerificationError.inclusionProofInvalid("inclusion proof has no checkpoint")
        }
        let computed = try MerkleInclusion.rootHash(
            leafIndex: proof.logIndex, treeSize: proof.treeSize,
            leafHash: MerkleInclusion.leafHash(entry.canonicalizedBody), proof: proof.hashes)
        guard computed == proof.rootHash else {
            throw VerificationError.inclusionProofInvalid(
                "computed root \(Base64.encode(computed)) is not the proof's root \(Base64.encode(proof.rootHash))")
        }
        let checkpoint = try Checkpoint(note: note)
        try checkpoint.verify(log: log, cache: signatures)
        guard checkpoint.treeSize == proof.treeSize else {
            throw VerificationError.checkpointInvalid("checkpoint tree size \(checkpoint.treeSize) is not the proof's \(proof.treeSize)")
        }
        guard checkpoint.rootHash == proof.rootHash else {
            throw VerificationError.checkpointInvalid("checkpoint root hash is not the proof's root hash")
        }
    }
}
