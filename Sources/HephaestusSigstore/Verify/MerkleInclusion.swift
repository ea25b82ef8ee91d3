import HephaestusPlatform

/// RFC 6962 / RFC 9162 Merkle tree hashing and inclusion-proof verification.
public enum MerkleInclusion {
    /// `SHA-256(0x00 || leaf)`.
    public static func leafHash(_ leaf: [UInt8]) -> [UInt8] {
        DigestAlgorithm.sha256.hash([0x00] + leaf).bytes
    }

    /// `SHA-256(0x01 || left || right)`.
    public static func nodeHash(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] {
        DigestAlgorithm.sha256.hash([0x01] + left + right).bytes
    }

    /// The root hash implied by an inclusion proof (RFC 9162 §2.1.3.2), or an error when the proof's shape does not
    /// fit the index and tree size.
    public static func rootHash(
        leafIndex: Int64, treeSize: Int64, leafHash: [UInt8], proof: [[UInt8]]
    ) throws(VerificationError) -> [UInt8] {
        guard leafIndex >= 0, treeSize > 0, leafIndex < treeSize else {
            throw VerificationError.inclusionProofInvalid("log index \(leafIndex) is outside a tree of size \(treeSize)")
        }
        guard proof.allSatisfy({ $0.count == 32 }) else {
            throw VerificationError.inclusionProofInvalid("proof hashes must be 32 bytes")
        }
        var fn = UInt64(leafIndex)
        var sn = UInt64(treeSize - 1)
        var hash = leafHash
        for sibling in proof {
            guard sn != 0 else {
                throw VerificationError.inclusionProofInvalid("proof has \(proof.count) hashes, more than the tree needs")
            }
            if fn & 1 == 1 || fn == sn {
                hash = nodeHash(sibling, hash)
                while fn & 1 == 0 && fn != 0 {
                    fn >>= 1
                    sn >>= 1
                }
            } else {
                hash = nodeHash(hash, sibling)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0 else {
            throw VerificationError.inclusionProofInvalid("proof has \(proof.count) hashes, fewer than the tree needs")
        }
        return hash
    }
}
