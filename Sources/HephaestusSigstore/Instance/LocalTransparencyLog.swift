import Foundation
import HephaestusPlatform

/// A transparency log for local test instances: a real append-only Merkle tree, signed checkpoints (C2SP signed
/// note), inclusion proofs and, for Rekor v1, signed entry timestamps. Not a production log.
public final class LocalTransparencyLog: @unchecked Sendable {
    public enum Flavor: Sendable {
        /// Rekor v1: ECDSA P-256 key, log id = SHA-256(SPKI), SETs, origin "NAME - TREEID".
        case rekorV1
        /// Rekor v2: Ed25519 key, log id = SHA-256(NAME || "\n" || 0x01 || key), no SETs, origin "NAME".
        case rekorV2
    }

    /// What appending an entry yields: everything a bundle's `tlogEntries` item needs.
    public struct Receipt: Sendable {
        public let logIndex: Int64
        public let integratedTime: Int64
        public let logID: [UInt8]
        public let signedEntryTimestamp: [UInt8]?
        public let treeSize: Int64
        public let rootHash: [UInt8]
        public let proof: [[UInt8]]
        public let checkpoint: String

        /// The same receipt with another checkpoint note (tests use it to forge checkpoints).
        public func replacingCheckpoint(_ note: String) -> Receipt {
            Receipt(
                logIndex: logIndex, integratedTime: integratedTime, logID: logID, signedEntryTimestamp: signedEntryTimestamp,
                treeSize: treeSize, rootHash: rootHash, proof: proof, checkpoint: note)
        }
    }

    public let flavor: Flavor
    public let name: String
    public let baseURL: String
    public let key: PrivateKey
    public let logID: [UInt8]
    public let tree = MerkleTree()
    private let lock = NSLock()
    private let treeID: UInt64

    public init(flavor: Flavor, name: String, key: PrivateKey? = nil, treeID: UInt64 = 1) {
        self.flavor = flavor
        self.name = name
        self.baseURL = "https://\(name)"
        self.treeID = treeID
        let key = key ?? PrivateKey.generate(flavor == .rekorV1 ? .ecdsaP256 : .ed25519)
        self.key = key
        switch flavor {
        case .rekorV1:
            logID = DigestAlgorithm.sha256.hash(key.publicKey.derSubjectPublicKeyInfo).bytes
        case .rekorV2:
            let raw = Array(key.publicKey.derSubjectPublicKeyInfo.suffix(32))
            logID = DigestAlgorithm.sha256.hash(Array(name.utf8) + [0x0A, 0x01] + raw).bytes
        }
    }

    /// The checkpoint origin line.
    public var origin: String { flavor == .rekorV1 ? "\(name) - \(treeID)" : name }

    /// Appends a canonicalized entry body; returns the receipt for the tree as it stands after the append.
    public func append(body: [UInt8], integratedTime: Int64) throws(CryptoError) -> Receipt {
        lock.lock()
        defer { lock.unlock() }
        let index = tree.append(entry: body)
        let size = tree.size
        let root = tree.rootHash(size: size)
        var set: [UInt8]?
        if flavor == .rekorV1 {
            let payload = CanonicalJSON.object([
                "body": .string(Base64.encode(body)), "integratedTime": .integer(integratedTime),
                "logID": .string(Hex.encode(logID)), "logIndex": .integer(index),
            ]).serialized
            set = try key.sign(message: payload)
        }
        return Receipt(
            logIndex: index, integratedTime: flavor == .rekorV1 ? integratedTime : 0, logID: logID,
            signedEntryTimestamp: set, treeSize: size, rootHash: root, proof: tree.inclusionProof(index: index, size: size),
            checkpoint: try checkpoint(size: size, root: root))
    }

    /// A signed note for (size, root).
    public func checkpoint(size: Int64, root: [UInt8]) throws(CryptoError) -> String {
        let text = "\(origin)\n\(size)\n\(Base64.encode(root))\n"
        return try signNote(text: text)
    }

    /// Signs a note body with this log's key and key hint.
    public func signNote(text: String, keyHint: [UInt8]? = nil) throws(CryptoError) -> String {
        let signature = try key.sign(message: Array(text.utf8))
        let hint: [UInt8]
        switch flavor {
        case .rekorV1: hint = keyHint ?? Array(logID.prefix(4))
        case .rekorV2: hint = keyHint ?? Array(logID.prefix(4))
        }
        return text + "\n— \(name) \(Base64.encode(hint + signature))\n"
    }

    /// The trusted-root `tlogs` entry for this log.
    public func trustedRootEntry(validFrom: Date) -> [String: Any] {
        [
            "baseUrl": baseURL, "hashAlgorithm": "SHA2_256",
            "publicKey": [
                "rawBytes": Base64.encode(key.publicKey.derSubjectPublicKeyInfo),
                "keyDetails": flavor == .rekorV1 ? "PKIX_ECDSA_P256_SHA_256" : "PKIX_ED25519",
                "validFor": ["start": RFC3339.format(validFrom)],
            ],
            "logId": ["keyId": Base64.encode(logID)],
        ]
    }
}
