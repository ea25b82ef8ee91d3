import Foundation
import GRDB
import HephaestusCore
import HephaestusPlatform
import HephaestusSQLite

/// The attestation inventory: repositories, releases, assets (size, SHA-256, manifest verdict), the bundles found
/// for them (with the bundle bytes, so audits re-verify offline, and the trusted root each verdict was made with), and
/// backfill runs with their actions.
///
/// SQLite in WAL mode through a GRDB pool: any number of concurrent readers, one writer; every change is one
/// transaction, so a process killed at any point leaves the last committed state. Queries keep to SQL PostgreSQL
/// shares (`ON CONFLICT … DO UPDATE`, `COALESCE`, `CASE`, `ALTER TABLE … ADD COLUMN`), so that a PostgreSQL store can
/// follow; what only SQLite has — the application id that marks the file, WAL mode — is in ``InventoryFile`` and
/// ``init(path:mustExist:)``, and the schema marker is a plain table.
public final class InventoryStore: Sendable {
    public let path: String
    let pool: DatabasePool

    /// `$XDG_DATA_HOME/hephaestus/inventory.sqlite` (default `~/.local/share/hephaestus/inventory.sqlite`), in the
    /// run's `environment`.
    public static func defaultPath(environment: [String: String]) -> String {
        let base =
            environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.local/share"
        return base + "/hephaestus/inventory.sqlite"
    }

    /// Opens the inventory at `path`, creating it unless `mustExist`, and applies the schema migrations an older
    /// Hephaestus did not (they only add: no recorded row changes). A path holding anything but an inventory is
    /// refused before anything writes to it (``InventoryError/foreign(path:reason:)``); an inventory written by a
    /// newer Hephaestus is refused too.
    public init(path: String, mustExist: Bool = false) throws {
        self.path = path
        let found = try InventoryFile.recognize(path: path)
        if found == .absent {
            guard !mustExist else { throw InventoryError.missing(path: path) }
            try FileManager.default.createDirectory(
                atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path, withIntermediateDirectories: true)
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(Self.busyTimeout)
        configuration.foreignKeysEnabled = true
        do {
            pool = try SharedDatabase.openPool(path: path, configuration: configuration, patience: Self.busyTimeout) { pool in
                guard try !pool.read({ try Self.migrator.hasBeenSuperseded($0) }) else {
                    throw InventoryError.schema(
                        path: path, reason: "it was written by a newer Hephaestus (its schema has migrations this version does not know)")
                }
                if found != .inventory(stamped: true) { try pool.write { try InventoryFile.stamp($0) } }
                try SharedDatabase.migrate(pool, with: Self.migrator)
            }
        } catch let error as InventoryError {
            throw error
        } catch {
            throw InventoryError.schema(path: path, reason: "\(error)")
        }
    }

    /// How long a connection waits for another one's lock (seconds).
    static let busyTimeout: TimeInterval = 10

    /// The first migration's identifier: what marks an inventory created before the schema marker.
    private static let firstMigration = "v1: repositories, releases, assets, bundles, backfill"
    /// The portable schema marker: a table holding one row with this format.
    static let markerFormat = "hephaestus-inventory"

    /// Whether `db` holds an inventory: the schema marker, or (created before it) the first migration's record.
    static func isInventory(_ db: Database) throws -> Bool {
        if try db.tableExists("hephaestus_inventory") {
            return try String.fetchOne(db, sql: "SELECT format FROM hephaestus_inventory") == markerFormat
        }
        return try db.tableExists("grdb_migrations")
            && String.fetchOne(db, sql: "SELECT identifier FROM grdb_migrations WHERE identifier = ?", arguments: [firstMigration]) != nil
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration(firstMigration) { db in
            try db.execute(
                sql: """
                    CREATE TABLE repository (
                        id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, last_scanned_at TEXT);
                    CREATE TABLE release (
                        id INTEGER PRIMARY KEY,
                        repository_id INTEGER NOT NULL REFERENCES repository(id) ON DELETE CASCADE,
                        github_id INTEGER NOT NULL, tag TEXT NOT NULL, published_at TEXT,
                        draft INTEGER NOT NULL, prerelease INTEGER NOT NULL, last_seen_at TEXT NOT NULL,
                        UNIQUE(repository_id, tag));
                    CREATE TABLE asset (
                        id INTEGER PRIMARY KEY,
                        release_id INTEGER NOT NULL REFERENCES release(id) ON DELETE CASCADE,
                        name TEXT NOT NULL, github_id INTEGER NOT NULL, size INTEGER NOT NULL, updated_at TEXT,
                        sha256 TEXT, manifest_verdict TEXT NOT NULL,
                        previous_sha256 TEXT, digest_changed_at TEXT,
                        first_seen_at TEXT NOT NULL, last_seen_at TEXT NOT NULL, removed INTEGER NOT NULL DEFAULT 0,
                        UNIQUE(release_id, name));
                    CREATE TABLE bundle (
                        id INTEGER PRIMARY KEY,
                        asset_id INTEGER NOT NULL UNIQUE REFERENCES asset(id) ON DELETE CASCADE,
                        bundle_asset_name TEXT NOT NULL, bundle_github_id INTEGER, bundle_sha256 TEXT NOT NULL,
                        content BLOB NOT NULL, media_type TEXT, identity TEXT, issuer TEXT, claims TEXT,
                        log_id TEXT, log_index INTEGER, signing_time TEXT,
                        verdict TEXT NOT NULL, reason TEXT, verified_at TEXT NOT NULL, verifier_version TEXT NOT NULL);
                    CREATE TABLE backfill_run (
                        id TEXT PRIMARY KEY, repository TEXT NOT NULL, started_at TEXT NOT NULL, finished_at TEXT,
                        status TEXT NOT NULL, dry_run INTEGER NOT NULL, signer TEXT);
                    CREATE TABLE backfill_action (
                        id INTEGER PRIMARY KEY, run_id TEXT NOT NULL REFERENCES backfill_run(id),
                        at TEXT NOT NULL, release_tag TEXT NOT NULL, asset_name TEXT NOT NULL,
                        action TEXT NOT NULL, outcome TEXT NOT NULL, detail TEXT, uploaded_asset_id INTEGER, bundle_sha256 TEXT);
                    CREATE INDEX release_by_repository ON release(repository_id);
                    CREATE INDEX asset_by_release ON asset(release_id);
                    CREATE INDEX action_by_run ON backfill_action(run_id);
                    """)
        }
        migrator.registerMigration("v2: advisories") { db in
            try db.execute(
                sql: """
                    CREATE TABLE advisory (
                        id INTEGER PRIMARY KEY, repository TEXT NOT NULL, tag TEXT NOT NULL, reason TEXT NOT NULL,
                        replacement TEXT, created_at TEXT NOT NULL, affected TEXT NOT NULL);
                    """)
        }
        migrator.registerMigration("v3: schema marker") { db in
            try db.execute(sql: "CREATE TABLE hephaestus_inventory (format TEXT NOT NULL, created_at TEXT NOT NULL)")
            try db.execute(sql: "INSERT INTO hephaestus_inventory (format, created_at) VALUES (?, ?)", arguments: [markerFormat, now()])
        }
        // Verdicts recorded before have none: made with an unknown root, so verified again by the next scan.
        migrator.registerMigration("v4: the trusted root of each verdict") { db in
            try db.execute(sql: "ALTER TABLE bundle ADD COLUMN trusted_root_sha256 TEXT")
        }
        return migrator
    }

    static func now() -> String { RFC3339.string(Date()) }

    // MARK: Writing what a scan saw

    /// The repository's row id (created on first sight).
    public func repositoryID(_ name: String) throws -> Int64 {
        try pool.write { db in
            try db.execute(sql: "INSERT INTO repository (name) VALUES (?) ON CONFLICT(name) DO NOTHING", arguments: [name])
            return try Int64.fetchOne(db, sql: "SELECT id FROM repository WHERE name = ?", arguments: [name])!
        }
    }

    public func markScanned(repositoryID: Int64) throws {
        try pool.write { db in
            try db.execute(sql: "UPDATE repository SET last_scanned_at = ? WHERE id = ?", arguments: [Self.now(), repositoryID])
        }
    }

    /// Inserts or refreshes a release; returns its row id.
    public func upsertRelease(repositoryID: Int64, githubID: Int64, tag: String, publishedAt: String?, draft: Bool, prerelease: Bool) throws -> Int64
    {
        try pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO release (repository_id, github_id, tag, published_at, draft, prerelease, last_seen_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(repository_id, tag) DO UPDATE SET github_id = excluded.github_id,
                        published_at = excluded.published_at, draft = excluded.draft, prerelease = excluded.prerelease,
                        last_seen_at = excluded.last_seen_at
                    """,
                arguments: [repositoryID, githubID, tag, publishedAt, draft, prerelease, Self.now()])
            return try Int64.fetchOne(db, sql: "SELECT id FROM release WHERE repository_id = ? AND tag = ?", arguments: [repositoryID, tag])!
        }
    }

    /// What the inventory knew about an asset before this scan.
    public struct KnownAsset: Sendable {
        public let id: Int64
        public let githubID: Int64
        public let size: Int64
        public let updatedAt: String?
        public let sha256: String?
    }

    public func knownAsset(releaseID: Int64, name: String) throws -> KnownAsset? {
        try pool.read { db in
            try Row.fetchOne(
                db, sql: "SELECT id, github_id, size, updated_at, sha256 FROM asset WHERE release_id = ? AND name = ?", arguments: [releaseID, name]
            )
            .map { KnownAsset(id: $0["id"], githubID: $0["github_id"], size: $0["size"], updatedAt: $0["updated_at"], sha256: $0["sha256"]) }
        }
    }

    /// Records an asset as seen now. When its SHA-256 differs from the one recorded before, the old value is kept in
    /// `previous_sha256` with the time the change was noticed. Returns the row id and whether the digest changed.
    @discardableResult
    public func recordAsset(
        releaseID: Int64, name: String, githubID: Int64, size: Int64, updatedAt: String?, sha256: String?,
        manifestVerdict: ReleaseAssetRoles.ManifestVerdict
    ) throws -> (id: Int64, digestChanged: Bool) {
        try pool.write { db in
            let now = Self.now()
            if let row = try Row.fetchOne(db, sql: "SELECT id, sha256 FROM asset WHERE release_id = ? AND name = ?", arguments: [releaseID, name]) {
                let id: Int64 = row["id"]
                let old: String? = row["sha256"]
                let changed = old != nil && sha256 != nil && old != sha256
                try db.execute(
                    sql: """
                        UPDATE asset SET github_id = ?, size = ?, updated_at = ?, sha256 = COALESCE(?, sha256), manifest_verdict = ?,
                            last_seen_at = ?, removed = 0,
                            previous_sha256 = CASE WHEN ? THEN sha256 ELSE previous_sha256 END,
                            digest_changed_at = CASE WHEN ? THEN ? ELSE digest_changed_at END
                        WHERE id = ?
                        """,
                    arguments: [githubID, size, updatedAt, sha256, manifestVerdict.rawValue, now, changed, changed, now, id])
                return (id, changed)
            }
            try db.execute(
                sql: """
                    INSERT INTO asset (release_id, name, github_id, size, updated_at, sha256, manifest_verdict, first_seen_at, last_seen_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [releaseID, name, githubID, size, updatedAt, sha256, manifestVerdict.rawValue, now, now])
            return (db.lastInsertedRowID, false)
        }
    }

    /// Marks assets of a release that were not seen in this scan as removed.
    public func markRemovedAssets(releaseID: Int64, seen: [String]) throws {
        try pool.write { db in
            let rows = try Row.fetchAll(db, sql: "SELECT id, name FROM asset WHERE release_id = ? AND removed = 0", arguments: [releaseID])
            for row in rows where !seen.contains(row["name"] as String) {
                try db.execute(sql: "UPDATE asset SET removed = 1 WHERE id = ?", arguments: [row["id"] as Int64])
                try db.execute(sql: "DELETE FROM bundle WHERE asset_id = ?", arguments: [row["id"] as Int64])
            }
        }
    }

    /// The stored bundle's SHA-256 for an asset and the trusted root (SHA-256) its verdict was made with, nil for
    /// a verdict recorded before roots were (to skip unchanged bundles already verified with the same root).
    public func storedBundle(assetID: Int64) throws -> (sha256: String, trustedRootSHA256: String?)? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT bundle_sha256, trusted_root_sha256 FROM bundle WHERE asset_id = ?", arguments: [assetID])
                .map { ($0["bundle_sha256"], $0["trusted_root_sha256"]) }
        }
    }

    /// A bundle and what verifying it said, with the trusted root it was verified with.
    public struct BundleRecord: Sendable {
        public var assetID: Int64
        public var bundleAssetName: String
        public var bundleGitHubID: Int64?
        public var content: [UInt8]
        public var mediaType: String?
        /// The verdict, signer, log index and signing time.
        public var assessed: InventoryReport.BundleInfo
        public var claims: [String: String]
        public var logID: String?
        /// SHA-256 (hex) of the trusted root's bytes the verdict was made with.
        public var trustedRootSHA256: String
        public var verifierVersion: String

        public init(
            assetID: Int64, bundleAssetName: String, bundleGitHubID: Int64?, content: [UInt8], mediaType: String?,
            assessed: InventoryReport.BundleInfo, claims: [String: String], logID: String?, trustedRootSHA256: String, verifierVersion: String
        ) {
            self.assetID = assetID
            self.bundleAssetName = bundleAssetName
            self.bundleGitHubID = bundleGitHubID
            self.content = content
            self.mediaType = mediaType
            self.assessed = assessed
            self.claims = claims
            self.logID = logID
            self.trustedRootSHA256 = trustedRootSHA256
            self.verifierVersion = verifierVersion
        }
    }

    public func recordBundle(_ record: BundleRecord) throws {
        let claims = String(
            decoding: (try? JSONSerialization.data(withJSONObject: record.claims, options: .sortedKeys)) ?? Data("{}".utf8), as: UTF8.self)
        let assessed = record.assessed
        try pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO bundle (asset_id, bundle_asset_name, bundle_github_id, bundle_sha256, content, media_type, identity, issuer,
                        claims, log_id, log_index, signing_time, verdict, reason, verified_at, verifier_version, trusted_root_sha256)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(asset_id) DO UPDATE SET bundle_asset_name = excluded.bundle_asset_name,
                        bundle_github_id = excluded.bundle_github_id, bundle_sha256 = excluded.bundle_sha256, content = excluded.content,
                        media_type = excluded.media_type, identity = excluded.identity, issuer = excluded.issuer, claims = excluded.claims,
                        log_id = excluded.log_id, log_index = excluded.log_index, signing_time = excluded.signing_time,
                        verdict = excluded.verdict, reason = excluded.reason, verified_at = excluded.verified_at,
                        verifier_version = excluded.verifier_version, trusted_root_sha256 = excluded.trusted_root_sha256
                    """,
                arguments: [
                    record.assetID, record.bundleAssetName, record.bundleGitHubID, DigestAlgorithm.sha256.hash(record.content).hex,
                    Data(record.content), record.mediaType, assessed.identity, assessed.issuer, claims, record.logID, assessed.logIndex,
                    assessed.signingTime, assessed.verdict.rawValue, assessed.reason, Self.now(), record.verifierVersion, record.trustedRootSHA256,
                ])
        }
    }

    /// Records a revocation advisory (`affected`: file name and SHA-256 pairs).
    public func recordAdvisory(repository: String, tag: String, reason: String, replacement: String?, affected: [(String, String)]) throws {
        let list = affected.map { ["name": $0.0, "sha256": $0.1] }
        let json = String(decoding: try JSONSerialization.data(withJSONObject: list, options: .sortedKeys), as: UTF8.self)
        try pool.write { db in
            try db.execute(
                sql: "INSERT INTO advisory (repository, tag, reason, replacement, created_at, affected) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [repository, tag, reason, replacement, Self.now(), json])
        }
    }

    public func removeBundle(assetID: Int64) throws {
        try pool.write { db in try db.execute(sql: "DELETE FROM bundle WHERE asset_id = ?", arguments: [assetID]) }
    }
}
