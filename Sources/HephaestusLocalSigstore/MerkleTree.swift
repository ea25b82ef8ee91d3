import HephaestusPlatform
import HephaestusSigstore
import Synchronization

/// An append-only RFC 6962 Merkle tree of leaf hashes, with inclusion proofs for any earlier tree size.
///
/// Hashes of complete power-of-two subtrees never change, so they are cached: roots and proofs cost O(log n). The
/// leaves and the cache are guarded by one lock (reading a root fills the cache, so it writes too).
public final class MerkleTree: Sendable {
    private let state = Mutex(State())

    private struct State {
        var leaves: [[UInt8]] = []
        var perfectSubtrees: [Int: [Int: [UInt8]]] = [:]

        mutating func path(index: Int, start: Int, count: Int) -> [[UInt8]] {
            guard count > 1 else { return [] }
            let split = MerkleTree.largestPowerOfTwo(below: count)
            if index < split {
                return path(index: index, start: start, count: split) + [subtreeHash(start: start + split, count: count - split)]
            }
            return path(index: index - split, start: start + split, count: count - split) + [subtreeHash(start: start, count: split)]
        }

        mutating func subtreeHash(start: Int, count: Int) -> [UInt8] {
            if count == 1 { return leaves[start] }
            let isPerfect = count & (count - 1) == 0
            if isPerfect, let cached = perfectSubtrees[count]?[start] { return cached }
            let split = MerkleTree.largestPowerOfTwo(below: count)
            let hash = MerkleInclusion.nodeHash(subtreeHash(start: start, count: split), subtreeHash(start: start + split, count: count - split))
            if isPerfect { perfectSubtrees[count, default: [:]][start] = hash }
            return hash
        }
    }

    public init() {}

    public var size: Int64 { state.withLock { Int64($0.leaves.count) } }

    /// Appends the leaf for `entry` (hashed as `SHA-256(0x00 || entry)`); returns its index.
    @discardableResult
    public func append(entry: [UInt8]) -> Int64 {
        let leaf = MerkleInclusion.leafHash(entry)
        return state.withLock { state in
            state.leaves.append(leaf)
            return Int64(state.leaves.count - 1)
        }
    }

    /// The root hash of the first `size` leaves.
    public func rootHash(size: Int64? = nil) -> [UInt8] {
        state.withLock { state in
            let count = Int(size ?? Int64(state.leaves.count))
            guard count > 0 else { return DigestAlgorithm.sha256.hash([]).bytes }
            return state.subtreeHash(start: 0, count: count)
        }
    }

    /// The audit path for leaf `index` in the tree of the first `size` leaves (RFC 6962 §2.1.1).
    public func inclusionProof(index: Int64, size: Int64? = nil) -> [[UInt8]] {
        state.withLock { state in
            state.path(index: Int(index), start: 0, count: Int(size ?? Int64(state.leaves.count)))
        }
    }

    /// The largest power of two strictly less than `count` (count > 1).
    static func largestPowerOfTwo(below count: Int) -> Int {
        var power = 1
        while power << 1 < count { power <<= 1 }
        return power
    }
}
