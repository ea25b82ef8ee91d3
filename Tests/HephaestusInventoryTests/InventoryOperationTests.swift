import Foundation
import HephaestusCore
import HephaestusInventory
import HephaestusOperations
import HephaestusPlatform
import HephaestusSigstore
import HephaestusTestSupport
import Logging
import Testing

/// The inventory operations run in-process on an inventory built in a temporary directory: what an auditor reads in
/// the audit's findings, the report's summary and files, and what `backfill status` lists.
@Suite("inventory operations")
struct InventoryOperationTests {
    static func context(environment: [String: String] = [:], cancellation: Cancellation = Cancellation()) -> OperationContext {
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        return OperationContext(
            logger: logger, environment: environment,
            network: NetworkAccess(settings: HTTPSettings(retryBaseDelay: 0.01, retryMaxDelay: 0.05), logger: logger), cancellation: cancellation)
    }

    /// An inventory of octo/wheels signed by a virtual Sigstore:
    /// - v1.0.0 (partial): a.whl signed, b.whl unsigned;
    /// - v1.1.0 (signed): c.tar.gz signed but the release's manifest lists another digest, e.whl signed after its bytes
    ///   changed since the first scan;
    /// - v2.0.0 (unsigned): d.whl whose bundle was made for other bytes.
    final class Fixture {
        let work: TemporaryDirectory
        let sigstore: VirtualSigstore
        let inventory: String
        let trustedRoot: String

        init(clean: Bool = false) throws {
            work = try TemporaryDirectory()
            sigstore = try VirtualSigstore()
            inventory = work.file("inventory.sqlite")
            trustedRoot = try work.write("trusted_root.json", sigstore.trustedRootJSON)
            let store = try InventoryStore(path: inventory)
            let assessment = BundleAssessment(verifier: try sigstore.verifier())
            let repository = try store.repositoryID("octo/wheels")
            var nextID: Int64 = 100
            func release(_ tag: String, _ published: String) throws -> Int64 {
                try store.upsertRelease(
                    repositoryID: repository, githubID: Int64(tag.count), tag: tag, publishedAt: published, draft: false, prerelease: false)
            }
            func asset(
                _ release: Int64, _ name: String, manifest: ReleaseAssetRoles.ManifestVerdict = .match, signed: [UInt8]?, bytes: [UInt8]? = nil
            ) throws -> Int64 {
                let content = bytes ?? Array("contents of \(name)\n".utf8)
                let digest = DigestAlgorithm.sha256.hash(content).hex
                nextID += 1
                let (id, _) = try store.recordAsset(
                    releaseID: release, name: name, githubID: nextID, size: Int64(content.count), updatedAt: nil, sha256: digest,
                    manifestVerdict: manifest)
                if let signed {
                    let bundle = try sigstore.sign(signed).json
                    try store.recordBundle(
                        assessment.record(
                            assetID: id, bundleAssetName: name + ".sigstore.json", bundleGitHubID: nil, content: bundle,
                            outcome: assessment.assess(bundle: bundle, sha256: digest)))
                }
                return id
            }
            let v1 = try release("v1.0.0", "2025-01-15T10:00:00Z")
            _ = try asset(v1, "a.whl", signed: Array("contents of a.whl\n".utf8))
            if clean { return }
            _ = try asset(v1, "b.whl", signed: nil)
            let v11 = try release("v1.1.0", "2025-03-20T10:00:00Z")
            _ = try asset(v11, "c.tar.gz", manifest: .mismatch, signed: Array("contents of c.tar.gz\n".utf8))
            _ = try asset(v11, "e.whl", signed: nil, bytes: Array("first e.whl\n".utf8))
            _ = try asset(v11, "e.whl", signed: Array("contents of e.whl\n".utf8))
            let v2 = try release("v2.0.0", "2025-06-30T10:00:00Z")
            _ = try asset(v2, "d.whl", signed: Array("other bytes than d.whl\n".utf8))
        }

        var trust: TrustChoice { TrustChoice(trustedRoot: trustedRoot) }
    }

    @Test("audit: each finding kind, in a stable order, is a negative verdict that exits 1")
    func auditFindings() async throws {
        let fixture = try Fixture()
        let report = try await InventoryAuditOperation.run(
            .init(inventory: fixture.inventory, identities: ["signer@*"], issuers: ["https://issuer.example.com"], trust: fixture.trust),
            in: Self.context())
        let found = report.findings.map { "\($0.kind.rawValue) \($0.release)/\($0.asset)" }
        #expect(
            found == [
                "unsigned-asset v1.0.0/b.whl", "manifest-mismatch v1.1.0/c.tar.gz", "digest-changed v1.1.0/e.whl", "verification-failed v2.0.0/d.whl",
            ])
        #expect(report.summary.repositories == 1 && report.summary.releases == 3)
        #expect(report.summary.assets == 5 && report.summary.bundles == 4)
        let failure = try #require(report.failure)
        #expect(failure.code == "inventory.findings")
        #expect(ExitCodeTable.status(for: failure) == .checkFailed)
        #expect(
            report.findings.first { $0.kind == .digestChanged }?.detail.contains(DigestAlgorithm.sha256.hash(Array("first e.whl\n".utf8)).hex) == true
        )

        let identity = try await InventoryAuditOperation.run(
            .init(inventory: fixture.inventory, identities: ["release-bot@*"], trust: fixture.trust), in: Self.context())
        #expect(identity.findings.filter { $0.kind == .unexpectedIdentity }.map(\.asset) == ["a.whl", "c.tar.gz", "e.whl"])
        #expect(identity.findings.first { $0.kind == .unexpectedIdentity }?.detail == "signed by signer@example.com, expected release-bot@*")
        let issuer = try await InventoryAuditOperation.run(
            .init(inventory: fixture.inventory, issuers: ["https://token.actions.githubusercontent.com"], trust: fixture.trust), in: Self.context())
        #expect(issuer.findings.filter { $0.kind == .unexpectedIssuer }.count == 3)
    }

    @Test("audit --policy: the same findings as the options it replaces; a claim or threshold rule is a policy-violation; both is a usage error")
    func auditPolicy() async throws {
        let fixture = try Fixture()
        func audit(_ policy: String) async throws -> InventoryAuditOperation.Report {
            let path = try fixture.work.write("policy.json", policy)
            return try await InventoryAuditOperation.run(.init(inventory: fixture.inventory, trust: fixture.trust, policy: path), in: Self.context())
        }
        let identity = try await audit(
            #"{"version": 1, "identities": [{"san": {"glob": "release-bot@*"}, "issuer": "https://issuer.example.com"}]}"#)
        #expect(identity.findings.filter { $0.kind == .unexpectedIdentity }.map(\.asset) == ["a.whl", "c.tar.gz", "e.whl"])
        #expect(identity.findings.first { $0.kind == .unexpectedIdentity }?.detail == "signed by signer@example.com, expected release-bot@*")
        let issuer = try await audit(
            #"{"version": 1, "identities": [{"san": {"glob": "signer@*"}, "issuer": "https://token.actions.githubusercontent.com"}]}"#)
        #expect(issuer.findings.filter { $0.kind == .unexpectedIssuer }.count == 3)
        let claim = try await audit(
            #"{"version": 1, "identities": [{"san": "signer@example.com", "issuer": "https://issuer.example.com", "claims": {"githubRepository": "octo/wheels"}}]}"#
        )
        #expect(claim.findings.filter { $0.kind == .policyViolation }.map(\.asset) == ["a.whl", "c.tar.gz", "e.whl"])
        #expect(claim.findings.first { $0.kind == .policyViolation }?.detail.contains("GitHub workflow repository is absent") == true)
        let tsa = try await audit(
            #"{"version": 1, "identities": [{"san": "signer@example.com", "issuer": "https://issuer.example.com"}], "timestampAuthority": {"threshold": 1}}"#
        )
        #expect(
            tsa.findings.filter { $0.kind == .policyViolation }.first?.detail.contains("policy rule timestampAuthority.threshold not met") == true)
        let passing = try await audit(#"{"version": 1, "identities": [{"san": "signer@example.com", "issuer": "https://issuer.example.com"}]}"#)
        #expect(passing.findings.allSatisfy { ![.policyViolation, .unexpectedIdentity, .unexpectedIssuer].contains($0.kind) })
        await #expect(throws: RequestError.self) {
            try await InventoryAuditOperation.run(
                .init(inventory: fixture.inventory, identities: ["signer@*"], trust: fixture.trust, policy: "p.json"), in: Self.context())
        }
    }

    @Test("audit: a clean inventory passes; windows read while the previous one is verified give the same findings")
    func auditCleanAndWindows() async throws {
        let clean = try Fixture(clean: true)
        let report = try await InventoryAuditOperation.run(
            .init(inventory: clean.inventory, identities: ["signer@example.com"], trust: clean.trust), in: Self.context())
        #expect(report.findings.isEmpty && report.failure == nil && report.summary.bundlesVerified == 1)

        let fixture = try Fixture()
        let store = try InventoryStore(path: fixture.inventory, mustExist: true)
        let assessment = BundleAssessment(verifier: try fixture.sigstore.verifier())
        let whole = try await InventoryAudit(store: store, assessment: assessment, expectations: .init(), jobs: 4).run()
        let windowed = try await InventoryAudit(store: store, assessment: assessment, expectations: .init(), jobs: 2, windowSize: 2).run()
        #expect(windowed.findings == whole.findings)
        #expect(windowed.summary.assets == 5 && windowed.summary.bundles == 4)

        let cancellation = Cancellation()
        cancellation.cancel()
        await #expect(throws: CancellationError.self) {
            _ = try await InventoryAudit(store: store, assessment: assessment, expectations: .init(), jobs: 2).run(cancellation: cancellation)
        }
    }

    @Test("audit and report: a missing inventory is not found (exit 66), and nothing is created")
    func missingInventory() async throws {
        let work = try TemporaryDirectory()
        let path = work.file("absent.sqlite")
        do {
            _ = try await InventoryAuditOperation.run(.init(inventory: path), in: Self.context())
            Issue.record("audited a missing inventory")
        } catch let error as InventoryError {
            #expect(error == .missing(path: path))
            #expect(ExitCodeTable.status(for: error) == .noInput)
        }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test("the default inventory is under the run's XDG_DATA_HOME, else HOME")
    func defaultPath() {
        #expect(InventoryStore.defaultPath(environment: ["XDG_DATA_HOME": "/data", "HOME": "/home/u"]) == "/data/hephaestus/inventory.sqlite")
        #expect(
            InventoryStore.defaultPath(environment: ["XDG_DATA_HOME": "", "HOME": "/home/u"]) == "/home/u/.local/share/hephaestus/inventory.sqlite")
        #expect(InventoryStore.path(nil, in: Self.context(environment: ["HOME": "/h"])) == "/h/.local/share/hephaestus/inventory.sqlite")
    }

    @Test("report: summary, timeline and identities; JSON and CSV files; the report decodes from its JSON document (run from the registry)")
    func report() async throws {
        let fixture = try Fixture()
        let csvPath = fixture.work.file("report.csv")
        let report = try await InventoryReportOperation.run(
            .init(inventory: fixture.inventory, format: .csv, output: csvPath, trust: fixture.trust), in: Self.context())
        let summary = report.summary
        // v2.0.0's only bundle does not verify: "signed, failing", not unsigned.
        #expect(summary.releases == 3 && summary.signedReleases == 1 && summary.partiallySignedReleases == 1)
        #expect(summary.failingReleases == 1 && summary.unsignedReleases == 0)
        #expect(summary.assets == 5 && summary.signedAssets == 3 && summary.failingBundles == 1 && summary.findings == 4)
        #expect(report.timeline.map(\.month) == ["2025-01", "2025-03", "2025-06"])
        #expect(report.identities.map(\.identity) == ["signer@example.com"] && report.identities.first?.bundles == 3)
        #expect(
            Dictionary(uniqueKeysWithValues: report.releases.map { ($0.tag, $0.state) }) == [
                "v1.0.0": .partial, "v1.1.0": .signed, "v2.0.0": .signedFailing,
            ])
        let rows = try String(contentsOfFile: csvPath, encoding: .utf8).split(separator: "\r\n")
        #expect(rows.count == 1 + 5)
        #expect(
            rows.contains {
                $0.hasPrefix("octo/wheels,v1.1.0,2025-03-20T10:00:00Z,signed,c.tar.gz,") && $0.contains(",mismatch,yes,signer@example.com,")
            })
        #expect(
            rows.contains {
                $0.hasPrefix("octo/wheels,v2.0.0,2025-06-30T10:00:00Z,signed-failing,d.whl,") && $0.contains(",failing,") && $0.contains(",fail,")
            })
        #expect(rows.contains { $0.hasPrefix("octo/wheels,v1.0.0,2025-01-15T10:00:00Z,partial,b.whl,") && $0.contains(",no,") })

        let operation = try #require(OperationRegistry.operation(named: "inventory.report"))
        let jsonPath = fixture.work.file("report.json")
        let request =
            #"{"inventory": "\#(fixture.inventory)", "format": "json", "output": "\#(jsonPath)", "trust": {"trustedRoot": "\#(fixture.trustedRoot)"}}"#
        let document = try await operation.runJSON(Array(request.utf8), in: Self.context())
        #expect(document.failure == nil)
        let written = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: jsonPath))) as? [String: Any])
        #expect(written["mediaType"] as? String == InventoryReport.mediaType)
        #expect((written["summary"] as? [String: Any])?["signedAssets"] as? Int == 3)
        let decoded = try JSONDecoder().decode(InventoryReport.self, from: Data(document.json))
        #expect(decoded.summary.findings == 4 && decoded.releases.count == 3)
        #expect(decoded.releases.flatMap(\.assets).first { $0.name == "c.tar.gz" }?.manifest == .mismatch)
    }

    @Test("status: runs per repository with their counts, one run's actions in order, an unknown run is not found")
    func status() async throws {
        let work = try TemporaryDirectory()
        let path = work.file("inventory.sqlite")
        let store = try InventoryStore(path: path)
        try store.startRun(id: "run-1", repository: "octo/wheels", dryRun: false, signer: "backfill@example.com")
        try store.recordAction(runID: "run-1", release: "v1.0.0", asset: "a.whl", action: .download, outcome: .done)
        let pending = try store.recordAction(
            runID: "run-1", release: "v1.0.0", asset: "a.whl", action: .upload, outcome: .pending, detail: "a.whl.sigstore.json", bundleSHA256: "ab")
        try store.completeAction(id: pending, outcome: .uploaded, uploadedAssetID: 7)
        try store.recordAction(runID: "run-1", release: "v2.0.0", asset: "d.whl", action: .refuse, outcome: .refused, detail: "no manifest")
        try store.finishRun(id: "run-1", status: .completedWithRefusals)
        try store.startRun(id: "run-2", repository: "octo/other", dryRun: false, signer: nil)
        #expect(try store.actionCount() == 3)
        #expect(try store.pendingUploads(repository: "octo/wheels").isEmpty)
        #expect(try store.completedUploads(runID: "run-1").map(\.uploadedAssetID) == [7])

        let all = try await BackfillStatusOperation.run(.init(inventory: path), in: Self.context())
        #expect(all.runs.map(\.id) == ["run-1", "run-2"] && all.actions.isEmpty)
        let wheels = try await BackfillStatusOperation.run(.init(repository: "octo/wheels", inventory: path), in: Self.context())
        let run = try #require(wheels.runs.first)
        #expect(wheels.runs.count == 1)
        #expect(run.status == .completedWithRefusals && run.uploaded == 1 && run.refused == 1 && run.skipped == 0 && run.failed == 0)
        let one = try await BackfillStatusOperation.run(.init(run: "run-1", inventory: path), in: Self.context())
        #expect(one.actions.map { "\($0.action.rawValue):\($0.outcome.rawValue)" } == ["download:done", "upload:uploaded", "refuse:refused"])
        let json = try ResultDocument(mediaType: BackfillStatusOperation.descriptor.reportMediaType, runID: RunID.generate(), payload: one).jsonText()
        #expect(json.contains(#""status" : "completed-with-refusals""#) && json.contains(#""outcome" : "uploaded""#))
        do {
            _ = try await BackfillStatusOperation.run(.init(run: "nope", inventory: path), in: Self.context())
            Issue.record("an unknown run was listed")
        } catch let error as InventoryError {
            #expect(error == .runNotFound("nope") && ExitCodeTable.status(for: error) == .noInput)
        }
    }

    @Test("outcomes keep their wire names")
    func outcomeNames() throws {
        #expect(
            BackfillOutcome.allCases.map(\.rawValue) == [
                "asset-gone", "already-signed", "failed", "done", "refused", "match", "signed", "pending", "superseded", "uploaded", "not-uploaded",
                "rolled-back", "deleted", "already-gone", "would-refuse", "would-download", "would-verify-digest", "would-sign", "would-upload",
            ])
        #expect(BackfillAction.allCases.map(\.rawValue) == ["skip", "download", "verify-digest", "refuse", "sign", "upload", "rollback"])
        #expect(BackfillRunStatus.allCases.map(\.rawValue) == ["running", "completed", "failed", "completed-with-refusals", "rolled-back"])
        #expect(BackfillPlanner.Decision.allCases.map(\.rawValue) == ["sign", "refuse"])
        let line = BackfillRunner.Line(release: "v1", asset: "a.whl", action: .verifyDigest, outcome: .wouldVerifyDigest, detail: nil)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(
            String(decoding: try encoder.encode(line), as: UTF8.self)
                == #"{"action":"verify-digest","asset":"a.whl","outcome":"would-verify-digest","release":"v1"}"#)
    }
}
