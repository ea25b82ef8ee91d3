import Foundation
import GRDB
import HephaestusCore
import HephaestusPlatform

extension InventoryStore {
    /// A backfill run as `backfill status` lists it.
    public struct RunRecord: Encodable, Sendable {
        public let id: String
        public let repository: String
        public let startedAt: String
        public let finishedAt: String?
        public let status: String
        public let dryRun: Bool
        public let signer: String?
        public let uploaded: Int
        public let skipped: Int
        public let refused: Int
        public let failed: Int
        public let rolledBack: Int
    }

    /// One recorded action of a run.
    public struct ActionRecord: Encodable, Sendable {
        public let id: Int64
        public let runID: String
        public let at: String
        public let release: String
        public let asset: String
        public let action: String
        public let outcome: String
        public let detail: String?
        public let uploadedAssetID: Int64?
        public let bundleSHA256: String?
    }

    public func startRun(id: String, repository: String, dryRun: Bool, signer: String?) throws {
        try pool.write { db in
            try db.execute(
                sql: "INSERT INTO backfill_run (id, repository, started_at, status, dry_run, signer) VALUES (?, ?, ?, 'running', ?, ?)",
                arguments: [id, repository, Self.now(), dryRun, signer])
        }
    }

    public func finishRun(id: String, status: String) throws {
        try pool.write { db in
            try db.execute(sql: "UPDATE backfill_run SET status = ?, finished_at = ? WHERE id = ?", arguments: [status, Self.now(), id])
        }
    }

    /// Records an action; returns its id (to complete it later).
    @discardableResult
    public func recordAction(
        runID: String, release: String, asset: String, action: String, outcome: String, detail: String? = nil,
        uploadedAssetID: Int64? = nil, bundleSHA256: String? = nil
    ) throws -> Int64 {
        try pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO backfill_action (run_id, at, release_tag, asset_name, action, outcome, detail, uploaded_asset_id, bundle_sha256)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [runID, Self.now(), release, asset, action, outcome, detail, uploadedAssetID, bundleSHA256])
            return db.lastInsertedRowID
        }
    }

    public func completeAction(id: Int64, outcome: String, uploadedAssetID: Int64?, detail: String? = nil) throws {
        try pool.write { db in
            try db.execute(
                sql: "UPDATE backfill_action SET outcome = ?, uploaded_asset_id = COALESCE(?, uploaded_asset_id), detail = COALESCE(?, detail) WHERE id = ?",
                arguments: [outcome, uploadedAssetID, detail, id])
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
                    id: $0["id"], runID: $0["run_id"], at: $0["at"], release: $0["release_tag"], asset: $0["asset_name"], action: $0["action"],
                    outcome: $0["outcome"], detail: $0["detail"], uploadedAssetID: $0["uploaded_asset_id"], bundleSHA256: $0["bundle_sha256"])
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
                    id: $0["id"], repository: $0["repository"], startedAt: $0["started_at"], finishedAt: $0["finished_at"], status: $0["status"],
                    dryRun: $0["dry_run"], signer: $0["signer"], uploaded: $0["uploaded"], skipped: $0["skipped"], refused: $0["refused"],
                    failed: $0["failed"], rolledBack: $0["rolled_back"])
            }
        }
    }

    public func run(id: String) throws -> RunRecord? {
        try runs().first { $0.id == id }
    }

    /// Records a subject asset and its bundle in one go (backfill's view of what it just signed or found signed);
    /// `bundle.assetID` is replaced by the asset's row id.
    public func recordSignedAsset(
        repository: String, release: GitHubRelease, asset: GitHubAsset, digest: Digest?, manifest: String, bundle: BundleRecord
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
