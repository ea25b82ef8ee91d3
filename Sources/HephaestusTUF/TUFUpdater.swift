import Foundation
import HephaestusPlatform
import HephaestusSigstore

/// A target file as trusted metadata lists it.
public struct TUFTargetInfo: Sendable, Equatable {
    public let path: String
    public let length: Int
    /// Hash algorithm name (`sha256`, `sha512`) to hex digest.
    public let hashes: [String: String]
}

/// The TUF client workflow (TUF specification 1.0, §5): root rotation, timestamp, snapshot, targets, delegations and
/// target files, each checked for signatures, versions, lengths, hashes and expiry against one fixed start time.
///
/// The trusted metadata lives in `metadataDirectory` under unversioned names (`root.json`, `timestamp.json`, …). What
/// an update accepted is kept in memory and written by ``commit()`` (each file through a ``StagedFile``, renamed into
/// place) only after every check of the update passed: a refused update leaves the directory as it was.
public final class TUFUpdater {
    public static let maximumRootRotations = 32
    public static let maximumDelegations = 32
    static let rootLimit = 512_000
    static let timestampLimit = 16_384
    static let snapshotLimit = 2_000_000
    static let targetsLimit = 5_000_000

    let metadataDirectory: String
    let metadataURL: URL
    let fetcher: any TUFFetcher
    /// The update start time (§5.1): every expiry is checked against it.
    let startTime: Date

    private(set) var root: TUFRoot
    private var timestamp: TUFEnvelope?
    private var snapshot: TUFEnvelope?
    private var snapshotMeta: [String: TUFMetaFile] = [:]
    private var targetsByRole: [String: TUFTargets] = [:]
    /// Accepted files not yet written, by file name in the metadata directory.
    private var staged: [String: [UInt8]] = [:]
    private var stagedOrder: [String] = []

    /// Loads the trusted root from `metadataDirectory/root.json` (it must be signed by its own threshold).
    public init(metadataDirectory: String, metadataURL: URL, fetcher: any TUFFetcher, startTime: Date = Date()) throws(TUFError) {
        self.metadataDirectory = metadataDirectory
        self.metadataURL = metadataURL
        self.fetcher = fetcher
        self.startTime = startTime
        guard let bytes = Self.readLocal(metadataDirectory, "root.json") else {
            throw TUFError(.noTrustedRoot, "no trusted root.json in \(metadataDirectory)")
        }
        self.root = try Self.selfSignedRoot(bytes)
    }

    /// Installs `rootBytes` (signed by its own threshold) as the trusted root of a metadata directory; returns its
    /// version.
    @discardableResult
    public static func initialize(metadataDirectory: String, rootBytes: [UInt8]) throws -> Int {
        let root = try selfSignedRoot(rootBytes)
        try AtomicFileWriter.write(rootBytes, to: metadataDirectory + "/root.json", overwrite: true)
        return root.version
    }

    /// The trusted root's version (after ``refresh()``, the newest accepted).
    public var rootVersion: Int { root.version }

    static func selfSignedRoot(_ bytes: [UInt8]) throws(TUFError) -> TUFRoot {
        let root = try TUFRoot(TUFEnvelope(bytes: bytes, role: "root"))
        try root.verify(root.envelope, as: "root")
        return root
    }

    // MARK: - Refresh (§5.3–5.6)

    /// Updates root, timestamp, snapshot and top-level targets. Call ``commit()`` to keep what was accepted.
    public func refresh() throws(TUFError) {
        try updateRoot()
        try updateTimestamp()
        try updateSnapshot()
        _ = try loadTargets(role: "targets", delegator: nil)
    }

    /// §5.3: each next root signed by a threshold of the trusted root's keys and of its own, version by version.
    private func updateRoot() throws(TUFError) {
        for _ in 0..<Self.maximumRootRotations {
            let (next, overflow) = root.version.addingReportingOverflow(1)
            if overflow { break }
            guard let bytes = try fetcher.fetch(url("\(next).root.json"), maximumLength: Self.rootLimit) else { break }
            let envelope = try TUFEnvelope(bytes: bytes, role: "root")
            let candidate = try TUFRoot(envelope)
            try root.verify(envelope, as: "root")
            guard envelope.version == next else {
                throw TUFError(.versionMismatch, "root metadata \(next).root.json has version \(envelope.version)")
            }
            try candidate.verify(envelope, as: "root")
            root = candidate
            stage("root.json", bytes)
        }
        try root.envelope.requireUnexpired(role: "root", at: startTime)
    }

    /// §5.4: a new timestamp, never older than the trusted one nor naming an older snapshot.
    private func updateTimestamp() throws(TUFError) {
        // A local copy not signed by the current root's timestamp keys (they rotated) is no reference (§5.3.11).
        let trusted = Self.readLocal(metadataDirectory, "timestamp.json").flatMap { bytes in
            try? verified(bytes, role: "timestamp", type: "timestamp")
        }
        guard let bytes = try fetcher.fetch(url("timestamp.json"), maximumLength: Self.timestampLimit) else {
            throw TUFError(.fetchFailed, "the repository has no timestamp.json")
        }
        var new = try verified(bytes, role: "timestamp", type: "timestamp")
        let newSnapshot = try Self.snapshotEntry(new)
        if let trusted {
            let trustedSnapshot = try Self.snapshotEntry(trusted)
            guard new.version >= trusted.version else {
                throw TUFError(.rollback, "timestamp metadata version \(new.version) is older than the trusted version \(trusted.version)")
            }
            guard newSnapshot.version >= trustedSnapshot.version else {
                throw TUFError(
                    .rollback,
                    "timestamp metadata names snapshot version \(newSnapshot.version), older than the trusted \(trustedSnapshot.version)")
            }
            if new.version == trusted.version { new = trusted }
        }
        try new.requireUnexpired(role: "timestamp", at: startTime)
        if new.version != trusted?.version { stage("timestamp.json", new.bytes) }
        timestamp = new
    }

    static func snapshotEntry(_ timestamp: TUFEnvelope) throws(TUFError) -> TUFMetaFile {
        guard let entry = timestamp.signed["meta"]?["snapshot.json"] else {
            throw TUFError(.metadataInvalid, "timestamp metadata is invalid: no snapshot.json in meta")
        }
        return try TUFMetaFile(entry, role: "timestamp")
    }

    /// §5.5: the snapshot the timestamp names, by length, hashes and version, not rolling back any listed file.
    private func updateSnapshot() throws(TUFError) {
        let expected = try Self.snapshotEntry(timestamp!)
        let trusted = Self.readLocal(metadataDirectory, "snapshot.json").flatMap { bytes in
            try? verified(bytes, role: "snapshot", type: "snapshot")
        }
        if let trusted, trusted.version == expected.version, trusted.expires > startTime {
            try useSnapshot(trusted)
            return
        }
        let name = root.consistentSnapshot ? "\(expected.version).snapshot.json" : "snapshot.json"
        guard let bytes = try fetcher.fetch(url(name), maximumLength: expected.length ?? Self.snapshotLimit) else {
            throw TUFError(.fetchFailed, "the repository has no \(name)")
        }
        try Self.check(bytes, against: expected, what: "snapshot metadata")
        let new = try verified(bytes, role: "snapshot", type: "snapshot")
        if let trusted {
            let old = try Self.metaEntries(trusted)
            let current = try Self.metaEntries(new)
            for (file, entry) in old {
                guard let now = current[file] else { throw TUFError(.rollback, "snapshot metadata no longer lists \(file)") }
                guard now.version >= entry.version else {
                    throw TUFError(.rollback, "snapshot metadata lists \(file) version \(now.version), older than the trusted \(entry.version)")
                }
            }
        }
        guard new.version == expected.version else {
            throw TUFError(.versionMismatch, "snapshot metadata has version \(new.version), the timestamp names \(expected.version)")
        }
        try new.requireUnexpired(role: "snapshot", at: startTime)
        stage("snapshot.json", bytes)
        try useSnapshot(new)
    }

    private func useSnapshot(_ envelope: TUFEnvelope) throws(TUFError) {
        snapshot = envelope
        snapshotMeta = try Self.metaEntries(envelope)
    }

    static func metaEntries(_ snapshot: TUFEnvelope) throws(TUFError) -> [String: TUFMetaFile] {
        guard let meta = snapshot.signed["meta"]?.objectValue else {
            throw TUFError(.metadataInvalid, "snapshot metadata is invalid: no meta")
        }
        var entries: [String: TUFMetaFile] = [:]
        for (file, entry) in meta { entries[file] = try TUFMetaFile(entry, role: "snapshot") }
        return entries
    }

    /// §5.6 and §5.7.3: a targets role (top-level when `delegator` is nil) at the version the snapshot names.
    private func loadTargets(role: String, delegator: (TUFTargets, TUFDelegatedRole)?) throws(TUFError) -> TUFTargets {
        if let loaded = targetsByRole[role] { return loaded }
        let fileName = Self.quote(role) + ".json"
        guard let expected = snapshotMeta[role + ".json"] else {
            throw TUFError(.metadataInvalid, "snapshot metadata does not list \(role).json")
        }
        let check = { (bytes: [UInt8]) throws(TUFError) -> TUFTargets in
            let envelope = try TUFEnvelope(bytes: bytes, role: role)
            if let (parent, delegation) = delegator {
                try envelope.verify(role: role, roleKeys: delegation.roleKeys, keys: parent.delegationKeys)
            } else {
                try self.root.verify(envelope, as: "targets")
            }
            return try TUFTargets(envelope, role: role)
        }
        if let bytes = Self.readLocal(metadataDirectory, fileName), let trusted = try? check(bytes),
            trusted.envelope.version == expected.version, trusted.envelope.expires > startTime
        {
            targetsByRole[role] = trusted
            return trusted
        }
        let name = root.consistentSnapshot ? "\(expected.version).\(fileName)" : fileName
        guard let bytes = try fetcher.fetch(url(name), maximumLength: expected.length ?? Self.targetsLimit) else {
            throw TUFError(.fetchFailed, "the repository has no \(name)")
        }
        try Self.check(bytes, against: expected, what: "\(role) metadata")
        let new = try check(bytes)
        guard new.envelope.version == expected.version else {
            throw TUFError(.versionMismatch, "\(role) metadata has version \(new.envelope.version), the snapshot names \(expected.version)")
        }
        try new.envelope.requireUnexpired(role: role, at: startTime)
        stage(fileName, bytes)
        targetsByRole[role] = new
        return new
    }

    // MARK: - Targets (§5.7)

    /// The trusted entry for `path`: a pre-order depth-first search of the delegations from the top-level targets,
    /// stopping at a terminating delegation, visiting at most ``maximumDelegations`` roles.
    public func targetInfo(_ path: String) throws(TUFError) -> TUFTargetInfo {
        let top = try loadTargets(role: "targets", delegator: nil)
        var toVisit: [(role: String, targets: TUFTargets)] = [("targets", top)]
        var visited = Set<String>()
        var budget = Self.maximumDelegations
        while budget > 0, let (role, targets) = toVisit.popLast() {
            guard !visited.contains(role) else { continue }
            if let file = targets.targets[path] { return TUFTargetInfo(path: path, length: file.length, hashes: file.hashes) }
            visited.insert(role)
            budget -= 1
            var children: [(String, TUFTargets)] = []
            for delegation in targets.delegations where delegation.isDelegated(path) {
                children.append((delegation.name, try loadTargets(role: delegation.name, delegator: (targets, delegation))))
                if delegation.terminating {
                    toVisit.removeAll()
                    break
                }
            }
            toVisit.append(contentsOf: children.reversed())
        }
        throw TUFError(.targetNotFound, "no trusted targets metadata lists \(path)")
    }

    /// Downloads `info` from `baseURL` into `directory` (file name: the target path percent-encoded), unless a file
    /// there already has its length and hashes. Returns whether it was fetched.
    @discardableResult
    public func download(_ info: TUFTargetInfo, baseURL: URL, directory: String) throws -> Bool {
        let destination = directory + "/" + Self.quote(info.path)
        if let existing = Self.readLocal(directory, Self.quote(info.path)), (try? Self.check(existing, target: info)) != nil {
            return false
        }
        var remote = info.path
        if root.consistentSnapshot {
            let hash = info.hashes["sha256"] ?? info.hashes["sha512"] ?? info.hashes.values.sorted().first!
            let parts = info.path.split(separator: "/", omittingEmptySubsequences: false)
            remote = (parts.dropLast() + ["\(hash).\(parts.last!)"]).joined(separator: "/")
        }
        let encoded = remote.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? remote
        let base = baseURL.absoluteString.hasSuffix("/") ? baseURL.absoluteString : baseURL.absoluteString + "/"
        guard let url = URL(string: base + encoded) else { throw TUFError(.fetchFailed, "invalid target URL for \(info.path)") }
        guard let bytes = try fetcher.fetch(url, maximumLength: info.length) else {
            throw TUFError(.fetchFailed, "the repository has no target \(info.path)")
        }
        try Self.check(bytes, target: info)
        try AtomicFileWriter.write(bytes, to: destination, overwrite: true)
        return true
    }

    /// Writes every accepted metadata file to the metadata directory: all are staged first (nothing is written when
    /// one cannot be), then each is moved into place in the order the workflow accepted it. Not ``AtomicFileWriter``'s
    /// all-or-nothing commit: undoing a committed `root.json` would remove it, and with it every trust in the repository,
    /// while each file here was verified on its own and any prefix of them is a consistent trusted state.
    public func commit() throws {
        let files = try stagedOrder.map { name throws -> StagedFile in
            let file = try StagedFile(destination: metadataDirectory + "/" + name, overwrite: true)
            try file.write(staged[name]!)
            return file
        }
        for file in files { try file.commit() }
        staged.removeAll()
        stagedOrder.removeAll()
    }

    private func stage(_ name: String, _ bytes: [UInt8]) {
        if staged.updateValue(bytes, forKey: name) == nil { stagedOrder.append(name) }
    }

    // MARK: - Offline (the cache as verification reads it)

    /// What a metadata directory holds after a complete update, checked without the network: the chain once, then
    /// any of the top-level targets role's files.
    public struct LocalMetadata: Sendable {
        public let rootVersion: Int
        public let timestampVersion: Int
        /// When the trusted timestamp metadata expires: after that, a TUF client must refresh before trusting it.
        public let timestampExpires: Date
        /// The top-level targets role's files, as its checked metadata lists them.
        let files: [String: TUFTargetInfo]
        let targetsDirectory: String

        /// A target file's bytes, checked against its length and hashes in the trusted targets metadata.
        public func target(_ path: String) throws(TUFError) -> [UInt8] {
            guard let info = files[path] else { throw TUFError(.targetNotFound, "the trusted targets metadata does not list \(path)") }
            guard let bytes = readLocal(targetsDirectory, quote(path)) else {
                throw TUFError(.targetNotFound, "target \(path) is missing from \(targetsDirectory)")
            }
            try check(bytes, target: info)
            return bytes
        }
    }

    /// Checks the metadata a complete ``refresh()`` and ``commit()`` left: the root signed by its own threshold,
    /// timestamp, snapshot and targets signed by the root's keys, each the version, length and hashes the one before
    /// names. Expiry is not checked (the caller is offline and reports the cache's age instead); anything else out of
    /// place is an error. Every signature, length and hash is checked on every call; the chain is read once however
    /// many targets are then read from it.
    public static func localMetadata(metadataDirectory: String, targetsDirectory: String) throws(TUFError) -> LocalMetadata {
        func read(_ name: String) throws(TUFError) -> [UInt8] {
            guard let bytes = readLocal(metadataDirectory, name) else {
                throw TUFError(.metadataInvalid, "\(name) is missing from \(metadataDirectory)")
            }
            return bytes
        }
        guard let rootBytes = readLocal(metadataDirectory, "root.json") else {
            throw TUFError(.noTrustedRoot, "no trusted root.json in \(metadataDirectory)")
        }
        let root = try selfSignedRoot(rootBytes)
        func verified(_ bytes: [UInt8], _ role: String) throws(TUFError) -> TUFEnvelope {
            let envelope = try TUFEnvelope(bytes: bytes, role: role)
            try envelope.requireType(role)
            try root.verify(envelope, as: role)
            return envelope
        }
        let timestamp = try verified(try read("timestamp.json"), "timestamp")
        let snapshotEntry = try Self.snapshotEntry(timestamp)
        let snapshotBytes = try read("snapshot.json")
        try check(snapshotBytes, against: snapshotEntry, what: "snapshot metadata")
        let snapshot = try verified(snapshotBytes, "snapshot")
        guard snapshot.version == snapshotEntry.version else {
            throw TUFError(.versionMismatch, "snapshot metadata has version \(snapshot.version), the timestamp names \(snapshotEntry.version)")
        }
        guard let targetsEntry = try metaEntries(snapshot)["targets.json"] else {
            throw TUFError(.metadataInvalid, "snapshot metadata does not list targets.json")
        }
        let targetsBytes = try read("targets.json")
        try check(targetsBytes, against: targetsEntry, what: "targets metadata")
        let targets = try TUFTargets(try verified(targetsBytes, "targets"), role: "targets")
        guard targets.envelope.version == targetsEntry.version else {
            throw TUFError(
                .versionMismatch, "targets metadata has version \(targets.envelope.version), the snapshot names \(targetsEntry.version)")
        }
        var files: [String: TUFTargetInfo] = [:]
        for (path, file) in targets.targets { files[path] = TUFTargetInfo(path: path, length: file.length, hashes: file.hashes) }
        return LocalMetadata(
            rootVersion: root.version, timestampVersion: timestamp.version, timestampExpires: timestamp.expires, files: files,
            targetsDirectory: targetsDirectory)
    }

    // MARK: - Checks and helpers

    /// Parses `bytes` as metadata of `type` signed by a threshold of the root's keys for `role`.
    private func verified(_ bytes: [UInt8], role: String, type: String) throws(TUFError) -> TUFEnvelope {
        let envelope = try TUFEnvelope(bytes: bytes, role: role)
        try envelope.requireType(type)
        try root.verify(envelope, as: role)
        return envelope
    }

    static func check(_ bytes: [UInt8], against entry: TUFMetaFile, what: String) throws(TUFError) {
        if let length = entry.length, bytes.count != length {
            throw TUFError(.lengthMismatch, "\(what) is \(bytes.count) bytes long, \(length) listed")
        }
        try checkHashes(bytes, entry.hashes, what: what)
    }

    static func check(_ bytes: [UInt8], target: TUFTargetInfo) throws(TUFError) {
        guard bytes.count == target.length else {
            throw TUFError(.lengthMismatch, "target \(target.path) is \(bytes.count) bytes long, \(target.length) listed")
        }
        try checkHashes(bytes, target.hashes, what: "target \(target.path)")
    }

    /// Every listed hash of an algorithm this client knows must match; an entry with none it knows is refused.
    static func checkHashes(_ bytes: [UInt8], _ hashes: [String: String], what: String) throws(TUFError) {
        var checked = 0
        for (name, hex) in hashes {
            guard let algorithm = DigestAlgorithm(rawValue: name) else { continue }
            guard algorithm.hash(bytes).hex == hex.lowercased() else {
                throw TUFError(.hashMismatch, "\(what) does not match its listed \(name) hash")
            }
            checked += 1
        }
        guard checked > 0 || hashes.isEmpty else { throw TUFError(.hashMismatch, "\(what) lists no hash this client supports") }
    }

    func url(_ name: String) -> URL {
        let base = metadataURL.absoluteString.hasSuffix("/") ? metadataURL.absoluteString : metadataURL.absoluteString + "/"
        return URL(string: base + name)!
    }

    static func readLocal(_ directory: String, _ name: String) -> [UInt8]? {
        guard let reader = try? FileReader(path: directory + "/" + name) else { return nil }
        return try? reader.readAll(limit: snapshotLimit * 4)
    }

    /// Python's `urllib.parse.quote(name, safe="")`: what file names roles and targets get on disk.
    public static func quote(_ name: String) -> String {
        var output = ""
        for byte in name.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "~"):
                output.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                output += String(format: "%%%02X", byte)
            }
        }
        return output
    }
}
