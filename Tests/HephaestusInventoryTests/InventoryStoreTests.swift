import Foundation
import HephaestusCore
import HephaestusOperations
import HephaestusPlatform
import HephaestusSigstore
import HephaestusTestSupport
import Testing

@testable import HephaestusInventory

/// What the inventory file holds and which trusted root each verdict was made with: another program's database is
/// never touched, an inventory of an older Hephaestus is upgraded and its verdicts verified again, and the report says
/// what the audit says whatever root they are given.
@Suite("inventory store")
struct InventoryStoreTests {
    static let sqlite3 = ToolLocator.find("sqlite3")

    /// Runs SQL on a database with the sqlite3 shell; returns its output.
    @discardableResult
    static func sql(_ path: String, _ statements: String) throws -> String {
        let result = try ProcessResult.runTool("sqlite3", [path, statements])
        #expect(result.status == 0, "\(result.stderrText)")
        return result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Each way of opening the inventory: creating it (scan, backfill run) and opening an existing one (audit, report).
    static func open(_ path: String) async throws {
        _ = try await InventoryAuditOperation.run(.init(inventory: path), in: InventoryOperationTests.context())
    }

    @Test(
        "another program's SQLite database is refused (exit 65), to create or to open, and left byte for byte; so is a file that is not SQLite",
        .enabled(if: sqlite3 != nil, "sqlite3 makes the other program's database"))
    func foreignDatabase() async throws {
        let work = try TemporaryDirectory()
        let notes = work.file("notes.sqlite")
        try Self.sql(notes, "CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('keep me');")
        let tagged = work.file("tagged.sqlite")
        try Self.sql(tagged, "PRAGMA application_id = 1196444487;")  // GeoPackage's "GPKG", and no table yet
        let text = try work.write("notes.txt", "not a database\n")
        let cases = [
            (notes, "it is another SQLite database (tables: notes)"), (tagged, "it is another program's SQLite database (application id 0x47504b47)"),
            (text, "it is not a SQLite database"),
        ]
        for (path, reason) in cases {
            let before = try Data(contentsOf: URL(fileURLWithPath: path))
            for mustExist in [false, true] {
                #expect(throws: InventoryError.foreign(path: path, reason: reason)) { try InventoryStore(path: path, mustExist: mustExist) }
            }
            do {
                try await Self.open(path)
                Issue.record("audited \(path)")
            } catch let error as InventoryError {
                #expect(error.code == "inventory.foreign" && ExitCodeTable.status(for: error) == .dataError)
                #expect(
                    error.description
                        == "\(path) is not a Hephaestus inventory: \(reason); refusing to use or change it (pass --inventory with another path)")
            }
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before, "\(path) is unchanged")
            #expect(!FileManager.default.fileExists(atPath: path + "-wal"), "no WAL switch")
        }
        #expect(try Self.sql(notes, ".tables") == "notes")
        #expect(try Self.sql(notes, "PRAGMA journal_mode;") == "delete")
    }

    @Test(
        "a new inventory carries the Hephaestus application id and the schema marker; an empty file becomes one",
        .enabled(if: sqlite3 != nil, "sqlite3 reads the database header"))
    func markedOnCreation() throws {
        let work = try TemporaryDirectory()
        let empty = try work.write("empty.sqlite", "")
        for path in [work.file("new/inventory.sqlite"), empty] {
            _ = try InventoryStore(path: path)
            #expect(try Self.sql(path, "PRAGMA application_id;") == "1213220947", "HPHS")
            #expect(try Self.sql(path, "SELECT format FROM hephaestus_inventory;") == "hephaestus-inventory")
            _ = try InventoryStore(path: path, mustExist: true)
        }
        #expect(throws: FileError.isDirectory(path: work.path)) { try InventoryStore(path: work.path) }
    }

    @Test(
        "an older inventory opened by many at once is upgraded once, and every opener gets it",
        .enabled(if: sqlite3 != nil, "sqlite3 writes the older schema"))
    func concurrentUpgrade() throws {
        for _ in 0..<30 {
            let work = try TemporaryDirectory()
            let path = work.file("inventory.sqlite")
            _ = try InventoryStore(path: path)
            try Self.downgrade(path)
            for outcome in ParallelMap.map(Array(0..<8), jobs: 8, { _ in try InventoryStore(path: path, mustExist: true) }) {
                if case .failure(let error) = outcome { Issue.record("\(error)") }
            }
        }
    }

    @Test("opened by many at once while it is created, a new inventory is created once and every opener gets it")
    func concurrentCreation() throws {
        for _ in 0..<30 {
            let work = try TemporaryDirectory()
            let path = work.file("inventory.sqlite")
            for outcome in ParallelMap.map(Array(0..<4), jobs: 4, { _ in try InventoryStore(path: path) }) {
                if case .failure(let error) = outcome { Issue.record("\(error)") }
            }
        }
    }

    /// Turns a current inventory into what Hephaestus wrote before verdicts recorded their trusted root and before the
    /// schema marker: migrations v1 and v2 only, no application id.
    static func downgrade(_ path: String) throws {
        try sql(
            path,
            """
            PRAGMA application_id = 0; DROP TABLE hephaestus_inventory; ALTER TABLE bundle DROP COLUMN trusted_root_sha256;
            DELETE FROM grdb_migrations WHERE identifier NOT LIKE 'v1:%' AND identifier NOT LIKE 'v2:%';
            """)
    }

    @Test(
        "an inventory of an older Hephaestus is upgraded when opened, by the audit too; its verdicts count as made with an unknown root",
        .enabled(if: sqlite3 != nil, "sqlite3 writes the older schema"))
    func olderInventory() async throws {
        let fixture = try InventoryOperationTests.Fixture()
        try Self.downgrade(fixture.inventory)
        let audit = try await InventoryAuditOperation.run(
            .init(inventory: fixture.inventory, trust: fixture.trust), in: InventoryOperationTests.context())
        #expect(audit.summary.bundlesVerified == 4 && audit.findings.count == 4)
        #expect(try Self.sql(fixture.inventory, "PRAGMA application_id;") == "1213220947")
        #expect(try Self.sql(fixture.inventory, "SELECT format FROM hephaestus_inventory;") == "hephaestus-inventory")
        #expect(try Self.sql(fixture.inventory, "SELECT COUNT(*) FROM bundle WHERE trusted_root_sha256 IS NULL;") == "4")
        let store = try InventoryStore(path: fixture.inventory, mustExist: true)
        let asset = try #require(try store.assetID(repository: "octo/wheels", tag: "v1.0.0", name: "a.whl"))
        #expect(try store.storedBundle(assetID: asset)?.trustedRootSHA256 == nil)
    }

    @Test(
        "an inventory written by a newer Hephaestus is refused, naming that (no advice to use a --read-only flag that does not exist)",
        .enabled(if: sqlite3 != nil, "sqlite3 records the unknown migration"))
    func newerInventory() async throws {
        let fixture = try InventoryOperationTests.Fixture(clean: true)
        try Self.sql(fixture.inventory, "INSERT INTO grdb_migrations (identifier) VALUES ('v99: from the future');")
        do {
            try await Self.open(fixture.inventory)
            Issue.record("opened an inventory of a newer version")
        } catch let error as InventoryError {
            #expect(
                error.description
                    == "inventory \(fixture.inventory) cannot be used: it was written by a newer Hephaestus (its schema has migrations this version does not know)"
            )
            #expect(ExitCodeTable.status(for: error) == .dataError)
        }
    }

    @Test("each verdict records the SHA-256 of the trusted root's bytes it was made with")
    func verdictRecordsRoot() throws {
        let fixture = try InventoryOperationTests.Fixture(clean: true)
        let store = try InventoryStore(path: fixture.inventory, mustExist: true)
        let asset = try #require(try store.assetID(repository: "octo/wheels", tag: "v1.0.0", name: "a.whl"))
        let stored = try #require(try store.storedBundle(assetID: asset))
        #expect(stored.trustedRootSHA256 == DigestAlgorithm.sha256.hash(fixture.sigstore.trustedRootJSON).hex)
        #expect(try TrustedRoot.production().sha256 != TrustedRoot.staging().sha256)
    }

    @Test("report and audit with another trusted root: every bundle is verified again, and the report's states and findings are the audit's")
    func anotherTrustedRoot() async throws {
        let fixture = try InventoryOperationTests.Fixture()
        let other = try VirtualSigstore()
        let trust = TrustChoice(trustedRoot: try fixture.work.write("other_root.json", other.trustedRootJSON))
        let context = InventoryOperationTests.context()
        let audit = try await InventoryAuditOperation.run(.init(inventory: fixture.inventory, trust: trust), in: context)
        let report = try await InventoryReportOperation.run(.init(inventory: fixture.inventory, trust: trust), in: context)
        #expect(
            audit.findings.filter { $0.kind == .verificationFailed }.map { "\($0.release)/\($0.asset)" } == [
                "v1.0.0/a.whl", "v1.1.0/c.tar.gz", "v1.1.0/e.whl", "v2.0.0/d.whl",
            ])
        #expect(report.findings == audit.findings)
        #expect(report.summary.signedAssets == 0 && report.summary.failingBundles == 4)
        #expect(report.summary.failingReleases == 3 && report.summary.signedReleases == 0 && report.summary.unsignedReleases == 0)
        #expect(report.releases.allSatisfy { $0.state == .signedFailing })
        #expect(report.identities.isEmpty, "no identity is vouched for by a bundle that does not verify")
        let root = DigestAlgorithm.sha256.hash(other.trustedRootJSON).hex
        #expect(report.trustedRootSHA256 == root && audit.summary.trustedRootSHA256 == root)

        // With the root the verdicts were made with, they agree again.
        let same = try await InventoryReportOperation.run(.init(inventory: fixture.inventory, trust: fixture.trust), in: context)
        let sameAudit = try await InventoryAuditOperation.run(.init(inventory: fixture.inventory, trust: fixture.trust), in: context)
        #expect(same.findings == sameAudit.findings && same.summary.failingBundles == 1)
    }

    @Test("release states: a failing bundle makes a release \"signed, failing\", never unsigned")
    func releaseStates() {
        func release(_ verdicts: [VerificationReport.Verdict?]) -> InventoryReport.ReleaseInfo {
            InventoryReport.ReleaseInfo(
                repository: "o/r", tag: "v1", publishedAt: nil,
                assets: verdicts.enumerated().map { index, verdict in
                    InventoryReport.AssetInfo(
                        name: "\(index).whl", size: 1, sha256: nil, manifest: .match,
                        bundle: verdict.map {
                            InventoryReport.BundleInfo(identity: nil, issuer: nil, logIndex: nil, signingTime: nil, verdict: $0, reason: nil)
                        })
                })
        }
        #expect(release([.pass, .pass]).state == .signed)
        #expect(release([.pass, nil]).state == .partial)
        #expect(release([nil, nil]).state == .unsigned && release([]).state == .unsigned)
        #expect(release([.fail]).state == .signedFailing && release([.fail, nil]).state == .signedFailing)
        #expect(release([.pass, .fail]).state == .signedFailing)
        #expect(InventoryReport.ReleaseState.signedFailing.description == "signed, failing")
        #expect(InventoryReport.ReleaseState.allCases.map(\.rawValue) == ["signed", "partial", "signed-failing", "unsigned"])
    }
}
