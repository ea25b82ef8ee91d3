import Foundation
import HephaestusPlatform
import HephaestusSigstore
import Synchronization

/// A transparency log for local test instances: a real append-only Merkle tree, signed checkpoints (C2SP signed
/// note), inclusion proofs and, for Rekor v1, signed entry timestamps. Not a production log.
public final class LocalTransparencyLog: Sendable {
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

        /// The bundle's `tlogEntries` item for this receipt (proto3 JSON: int64 as strings, bytes as Base64);
        /// `includePromise: false` leaves out the signed entry timestamp.
        public func bundleEntry(kind: String, kindVersion: String, body: [UInt8], includePromise: Bool = true) -> [String: Any] {
            var entry: [String: Any] = [
                "logIndex": String(logIndex), "logId": ["keyId": Base64.encode(logID)],
                "kindVersion": ["kind": kind, "version": kindVersion], "canonicalizedBody": Base64.encode(body),
                "inclusionProof": [
                    "logIndex": String(logIndex), "rootHash": Base64.encode(rootHash),
                    "treeSize": String(treeSize), "hashes": proof.map { Base64.encode($0) },
                    "checkpoint": ["envelope": checkpoint],
                ],
            ]
            if integratedTime != 0 { entry["integratedTime"] = String(integratedTime) }
            if includePromise, let signedEntryTimestamp {
                entry["inclusionPromise"] = ["signedEntryTimestamp": Base64.encode(signedEntryTimestamp)]
            }
            return entry
        }
    }

    public let flavor: Flavor
    public let name: String
    public let baseURL: String
    public let key: PrivateKey
    public let logID: [UInt8]
    public let tree = MerkleTree()
    public let treeID: UInt64
    /// The entries and the storage; held across every change of `tree` too, so entries and tree grow together.
    private let state = Mutex(State())

    private struct State {
        /// Every entry in log order, and the index of each leaf hash (Rekor v1's entry UUID).
        var entries: [StoredEntry] = []
        var indexByLeafHash: [[UInt8]: Int64] = [:]
        var storage: (any TransparencyLogStorage)?
    }

    /// A logged entry as storage keeps it.
    public struct StoredEntry: Sendable, Equatable {
        public let body: [UInt8]
        public let integratedTime: Int64

        public init(body: [UInt8], integratedTime: Int64) {
            self.body = body
            self.integratedTime = integratedTime
        }
    }

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

    /// Replays the entries `storage` holds into this (empty) log and keeps every later append there too, so a
    /// restarted instance continues the same tree.
    public func attach(storage: any TransparencyLogStorage) throws {
        let stored = try storage.entries(log: origin)
        state.withLock { state in
            precondition(state.entries.isEmpty, "attach storage before the first append")
            for entry in stored { remember(entry, in: &state) }
            state.storage = storage
        }
    }

    /// Appends a canonicalized entry body; returns the receipt for the tree as it stands after the append.
    /// With storage attached, the entry is stored before the tree grows: a failed write appends nothing.
    public func append(body: [UInt8], integratedTime: Int64) throws -> Receipt {
        try state.withLock { state in
            let entry = StoredEntry(body: body, integratedTime: flavor == .rekorV1 ? integratedTime : 0)
            try state.storage?.store(entry, index: Int64(state.entries.count), log: origin)
            let index = remember(entry, in: &state)
            return try receipt(index: index, size: tree.size, entries: state.entries)
        }
    }

    /// The number of entries.
    public var size: Int64 {
        state.withLock { _ in tree.size }
    }

    /// The entry at `index` and its receipt against the current tree, or nil when there is none.
    public func entry(at index: Int64) throws(CryptoError) -> (entry: StoredEntry, receipt: Receipt)? {
        try state.withLock { state throws(CryptoError) in
            guard index >= 0, index < state.entries.count else { return nil }
            return (state.entries[Int(index)], try receipt(index: index, size: tree.size, entries: state.entries))
        }
    }

    /// The index of the entry whose RFC 6962 leaf hash is `leafHash` (Rekor v1's entry UUID).
    public func index(ofLeafHash leafHash: [UInt8]) -> Int64? {
        state.withLock { $0.indexByLeafHash[leafHash] }
    }

    /// The signed checkpoint of the current tree.
    public func currentCheckpoint() throws(CryptoError) -> (size: Int64, root: [UInt8], note: String) {
        try state.withLock { _ throws(CryptoError) in
            let size = tree.size
            let root = tree.rootHash(size: size)
            return (size, root, try checkpoint(size: size, root: root))
        }
    }

    @discardableResult
    private func remember(_ entry: StoredEntry, in state: inout State) -> Int64 {
        let index = tree.append(entry: entry.body)
        state.entries.append(entry)
        state.indexByLeafHash[MerkleInclusion.leafHash(entry.body)] = index
        return index
    }

    private func receipt(index: Int64, size: Int64, entries: [StoredEntry]) throws(CryptoError) -> Receipt {
        let entry = entries[Int(index)]
        let root = tree.rootHash(size: size)
        var set: [UInt8]?
        if flavor == .rekorV1 {
            let payload = CanonicalJSON.object([
                "body": .string(Base64.encode(entry.body)), "integratedTime": .integer(entry.integratedTime),
                "logID": .string(Hex.encode(logID)), "logIndex": .integer(index),
            ]).serialized
            set = try key.sign(message: payload)
        }
        return Receipt(
            logIndex: index, integratedTime: entry.integratedTime, logID: logID,
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
                "validFor": ["start": RFC3339.string(validFrom)],
            ],
            "logId": ["keyId": Base64.encode(logID)],
        ]
    }
}

/// Where a local log keeps its entries across restarts (the test instance uses SQLite).
public protocol TransparencyLogStorage: Sendable {
    /// The stored entries of the log with checkpoint origin `log`, in index order.
    func entries(log: String) throws -> [LocalTransparencyLog.StoredEntry]
    /// Stores `entry` at `index` (always the next index) durably before the log acknowledges it.
    func store(_ entry: LocalTransparencyLog.StoredEntry, index: Int64, log: String) throws
}
