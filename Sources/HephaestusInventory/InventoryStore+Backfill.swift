import Foundation
import GRDB
import HephaestusCore
import HephaestusPlatform

extension InventoryStore {
    /// A backfill run as `backfill status` lists it.
    public struct RunRecord: Codable, Sendable, Equatable {
        public let id: String
        public let repository: String
        public let startedAt: String
        public let finishedAt: String?
        public let status: BackfillRunStatus
        public let dryRun: Bool
        public let signer: String?
        public let uploaded: Int
        public let skipped: Int
        public let refused: Int
        public let failed: Int
        public let rolledBack: Int
    }

    /// One recorded action of a run.
    public struct ActionRecord: Codable, Sendable, Equatable {
        public let id: Int64
        public let runID: String
        public let at: String
        public let release: String
        public let asset: String
        public let action: BackfillAction
        public let outcome: BackfillOutcome
        public let detail: String?
        public let uploadedAssetID: Int64?
        public let bundleSHA256: String?
    }

    public func startRun(id: String, repository: String, dryRun: Bool, signer: String?) throws {
        try pool.write { db in
            try db.execute(
                sql: "INSERT INTO backfill_run (id, repository, started_at, status, dry_run, signer) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [id, repository, Self.now(), BackfillRunStatus.running.rawValue, dryRun, signer])
        }
    }

    public func finishRun(id: String, status: BackfillRunStatus) throws {
        try pool.write { db in
            try db.execute(sql: "UPDATE backfill_run SET status = ?, finished_at = ? WHERE id = ?", arguments: [status.rawValue, Self.now(), id])
        }
    }

    /// Records an action; returns its id (to complete it later).
    @discardableResult
    public func recordAction(
        runID: String, release: String, asset: String, action: BackfillAction, outcome: BackfillOutcome, detail: String? = nil,
        uploadedAssetID: Int64? = nil, bundleSHA256: String? = nil
    ) throws -> Int64 {
        try pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO backfill_action (run_id, at, release_tag, asset_name, action, outcome, detail, uploaded_asset_id, bundle_sha256)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [runID, Self.now(), release, asset, action.rawValue, outcome.rawValue, detail, uploadedAssetID, bundleSHA256])
            return db.lastInsertedRowID
        }
    }

    public func completeAction(id: Int64, outcome: BackfillOutcome, uploadedAssetID: Int64?, detail: String? = nil) throws {
        try pool.write { db in
            try db.execute(
                sql:
                    "UPDATE backfill_action SET outcome = ?, uploaded_asset_id = COALESCE(?, uploaded_asset_id), detail = COALESCE(?, detail) WHERE id = ?",
                arguments: [outcome.rawValue, uploadedAssetID, detail, id])
        }
    }

    /// Upload actions of `repository` that started but were never confirmed (a killed run).
    public func pendingUploads(repository: String) throws -> [ActionRecord] {
        try actions(
            where: "r.repository = ? AND a.action = 'upload' AND a.outcome = 'pending'", arguments: [repository])
    }

    /// The uploads `runID` completed (what rollback deletes).
    public func completedUploads(runID: String) throws -> [ActionRecord] {
        try actions(where: "a.run_id = ? AND a.action = 'upload' AND a.outcome = 'uploaded'", arguments: [runID])
    }

    public func actions(runID: String) throws -> [ActionRecord] {
        try actions(where: "a.run_id = ?", arguments: [runID])
    }

    private func actions(where condition: String, arguments: StatementArguments) throws -> [ActionRecord] {
        try pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT a.* FROM backfill_action a JOIN backfill_run r ON r.id = a.run_id WHERE \(condition) ORDER BY a.id
                    """,
                arguments: arguments
            ).map {
                ActionRecord(
                    id: $0["id"], runID: $0["run_id"], at: $0["at"], release: $0["release_tag"], asset: $0["asset_name"],
                    action: try recorded($0["action"]), outcome: try recorded($0["outcome"]), detail: $0["detail"],
                    uploadedAssetID: $0["uploaded_asset_id"], bundleSHA256: $0["bundle_sha256"])
            }
        }
    }

    public func runs(repository: String? = nil) throws -> [RunRecord] {
        try pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT r.*,
                        (SELECT COUNT(*) FROM backfill_action a WHERE a.run_id = r.id AND a.action = 'upload' AND a.outcome IN ('uploaded', 'rolled-back')) AS uploaded,
                        (SELECT COUNT(*) FROM backfill_action a WHERE a.run_id = r.id AND a.action = 'skip') AS skipped,
                        (SELECT COUNT(*) FROM backfill_action a WHERE a.run_id = r.id AND a.action = 'refuse') AS refused,
                        (SELECT COUNT(*) FROM backfill_action a WHERE a.run_id = r.id AND a.outcome = 'failed') AS failed,
                        (SELECT COUNT(*) FROM backfill_action a WHERE a.run_id = r.id AND a.outcome = 'rolled-back') AS rolled_back
                    FROM backfill_run r WHERE (? IS NULL OR r.repository = ?) ORDER BY r.started_at, r.id
                    """,
                arguments: [repository, repository]
            ).map {
                RunRecord(
                    id: $0["id"], repository: $0["repository"], startedAt: $0["started_at"], finishedAt: $0["finished_at"],
                    status: try recorded($0["status"]),
                    dryRun: $0["dry_run"], signer: $0["signer"], uploaded: $0["uploaded"], skipped: $0["skipped"], refused: $0["refused"],
                    failed: $0["failed"], rolledBack: $0["rolled_back"])
            }
        }
    }

    public func run(id: String) throws -> RunRecord? {
        try runs().first { $0.id == id }
    }

    /// How many actions all runs have recorded: the progress of runs in flight.
    public func actionCount() throws -> Int {
        try pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM backfill_action") ?? 0 }
    }

    /// A recorded action, outcome or status as its enum; an unknown one means the inventory was written by something else.
    func recorded<Value: RawRepresentable<String>>(_ text: String) throws -> Value {
        guard let value = Value(rawValue: text) else {
            throw InventoryError.schema(path: path, reason: "unknown recorded \(Value.self) \(text)")
        }
        return value
    }

    /// Records a subject asset and its bundle in one go (backfill's view of what it just signed or found signed);
    /// `bundle.assetID` is replaced by the asset's row id.
    public func recordSignedAsset(
        repository: String, release: GitHubRelease, asset: GitHubAsset, digest: Digest?, manifest: ReleaseAssetRoles.ManifestVerdict,
        bundle: BundleRecord
    ) throws {
        let repositoryID = try repositoryID(repository)
        let releaseID = try upsertRelease(
            repositoryID: repositoryID, githubID: release.id, tag: release.tagName, publishedAt: release.publishedAt ?? release.createdAt,
            draft: release.draft, prerelease: release.prerelease)
        let (assetID, _) = try recordAsset(
            releaseID: releaseID, name: asset.name, githubID: asset.id, size: asset.size, updatedAt: asset.updatedAt, sha256: digest?.hex,
            manifestVerdict: manifest)
        var record = bundle
        record.assetID = assetID
        try recordBundle(record)
    }

    /// The asset row id of `repository`@`tag`/`name`, if recorded.
    public func assetID(repository: String, tag: String, name: String) throws -> Int64? {
        try pool.read { db in
            try Int64.fetchOne(
                db,
                sql: """
                    SELECT a.id FROM asset a JOIN release rel ON rel.id = a.release_id JOIN repository r ON r.id = rel.repository_id
                    WHERE r.name = ? AND rel.tag = ? AND a.name = ?
                    """,
                arguments: [repository, tag, name])
        }
    }
}
