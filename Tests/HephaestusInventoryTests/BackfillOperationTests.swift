import Foundation
import HephaestusCore
import HephaestusInventory
import HephaestusOperations
import HephaestusPlatform
import HephaestusSigstore
import HephaestusTestSupport
import Synchronization
import Testing

/// The backfill and scan operations run in-process against the GitHub-shaped release server (a Python script) and the
/// in-process local Sigstore test instance.
@Suite("backfill operations", .serialized, .enabled(if: ToolLocator.find("python3") != nil, "python3 runs the GitHub release stand-in"))
struct BackfillOperationTests {
    static let token = "ghp_" + String(repeating: "A1b2", count: 9)

    /// octo/wheels: v1.0.0 (two assets and a SHA256SUMS listing them), v1.1.0 (a wheel with its .sha256, an archive
    /// the manifest lists with another digest), v2.0.0 (a wheel with no manifest).
    final class Fixture {
        let sigstore: SigstoreTestServer
        let github: FakeGitHubServer
        let work: TemporaryDirectory

        init() throws {
            sigstore = try SigstoreTestServer()
            work = try TemporaryDirectory()
            func blob(_ name: String) -> [UInt8] { Array("contents of \(name)\n".utf8) }
            func asset(_ id: Int, _ name: String, _ data: [UInt8]) -> [String: Any] { ["id": id, "name": name, "base64": Base64.encode(data)] }
            func sums(_ names: [(String, [UInt8])]) -> [UInt8] {
                Array(names.map { "\(DigestAlgorithm.sha256.hash($0.1).hex)  \($0.0)\n" }.joined().utf8)
            }
            let releases: [[String: Any]] = [
                [
                    "id": 3, "tag_name": "v2.0.0", "published_at": "2025-06-30T10:00:00Z",
                    "assets": [asset(201, "demo-2.0.0.whl", blob("demo-2.0.0.whl"))],
                ],
                [
                    "id": 2, "tag_name": "v1.1.0", "published_at": "2025-03-20T10:00:00Z",
                    "assets": [
                        asset(111, "demo-1.1.0.whl", blob("demo-1.1.0.whl")), asset(112, "demo-1.1.0.tar.gz", blob("demo-1.1.0.tar.gz")),
                        asset(113, "demo-1.1.0.whl.sha256", sums([("demo-1.1.0.whl", blob("demo-1.1.0.whl"))])),
                        asset(114, "SHA256SUMS", sums([("demo-1.1.0.tar.gz", Array("something else".utf8))])),
                    ],
                ],
                [
                    "id": 1, "tag_name": "v1.0.0", "published_at": "2025-01-15T10:00:00Z",
                    "assets": [
                        asset(101, "demo-1.0.0.whl", blob("demo-1.0.0.whl")), asset(102, "demo-1.0.0.tar.gz", blob("demo-1.0.0.tar.gz")),
                        asset(
                            103, "SHA256SUMS", sums([("demo-1.0.0.whl", blob("demo-1.0.0.whl")), ("demo-1.0.0.tar.gz", blob("demo-1.0.0.tar.gz"))])),
                    ],
                ],
            ]
            github = try FakeGitHubServer(config: FakeGitHubServer.config(releases: releases))
        }

        var inventory: String { work.file("inventory.sqlite") }
        var githubChoice: GitHubChoice { GitHubChoice(apiURL: github.apiURL) }
        var trust: TrustChoice { TrustChoice(trustedRoot: sigstore.trustedRootPath) }

        func signing() throws -> SigningChoice {
            SigningChoice(identityToken: try sigstore.token(identity: "backfill@example.com"), signingConfig: sigstore.rekorV1SigningConfigPath)
        }

        func context(cancellation: Cancellation = Cancellation()) -> OperationContext {
            InventoryOperationTests.context(environment: ["GITHUB_TOKEN": BackfillOperationTests.token], cancellation: cancellation)
        }

        func runRequest(dryRun: Bool = false) throws -> BackfillRunOperation.Request {
            BackfillRunOperation.Request(
                repository: "octo/wheels", signing: try signing(), trust: trust, inventory: inventory, dryRun: dryRun, github: githubChoice)
        }
    }

    /// Collects the items an operation emits.
    final class Items<Item: Sendable>: Sendable {
        private let collected = Mutex<[Item]>([])
        var sink: ItemSink<Item> { ItemSink { item in self.collected.withLock { $0.append(item) } } }
        var all: [Item] { collected.withLock { $0 } }
    }

    @Test("plan: signable assets and refusals with their reasons; --since limits the releases; a bad repository is a usage error")
    func plan() async throws {
        let fixture = try Fixture()
        let plan = try await BackfillPlanOperation.run(.init(repository: "octo/wheels", github: fixture.githubChoice), in: fixture.context())
        #expect(plan.repository == "octo/wheels")
        #expect(
            plan.items.map { "\($0.release)/\($0.asset) \($0.action.rawValue)" } == [
                "v1.0.0/demo-1.0.0.tar.gz sign", "v1.0.0/demo-1.0.0.whl sign", "v1.1.0/demo-1.1.0.tar.gz refuse", "v1.1.0/demo-1.1.0.whl sign",
                "v2.0.0/demo-2.0.0.whl refuse",
            ])
        #expect(plan.signable == 3)
        #expect(plan.items.last?.reason == "the release has no SHA-256 manifest to tie the bytes to")
        #expect(plan.items.first { $0.asset == "demo-1.1.0.tar.gz" }?.manifest == .mismatch)
        let since = try await BackfillPlanOperation.run(
            .init(repository: "octo/wheels", since: "v1.1.0", github: fixture.githubChoice), in: fixture.context())
        #expect(Set(since.items.map(\.release)) == ["v1.1.0", "v2.0.0"])
        let byDate = try await BackfillPlanOperation.run(
            .init(repository: "octo/wheels", since: "2025-06-01", github: fixture.githubChoice), in: fixture.context())
        #expect(byDate.items.map(\.release) == ["v2.0.0"])
        await #expect(throws: GitHubError.self) {
            _ = try await BackfillPlanOperation.run(.init(repository: "not a repository", github: fixture.githubChoice), in: fixture.context())
        }
    }

    @Test(
        "run: a dry run changes nothing; a run signs, uploads and records, streaming its lines; refusals are its verdict; status and rollback follow it"
    )
    func runStatusRollback() async throws {
        let fixture = try Fixture()
        let before = try fixture.github.assetNames()
        let dryItems = Items<BackfillRunner.Line>()
        let dry = try await BackfillRunOperation.run(try fixture.runRequest(dryRun: true), in: fixture.context(), emit: dryItems.sink)
        #expect(dry.dryRun && dry.failure == nil, "a dry run shows refusals without failing")
        #expect(dryItems.all == dry.lines)
        #expect(
            dry.lines.contains(
                .init(release: "v1.0.0", asset: "demo-1.0.0.whl", action: .upload, outcome: .wouldUpload, detail: "demo-1.0.0.whl.sigstore.json")))
        #expect(dry.lines.filter { $0.outcome == .wouldRefuse }.count == 2 && dry.refused == 2)
        #expect(try fixture.github.assetNames() == before)
        #expect(!FileManager.default.fileExists(atPath: fixture.inventory))
        #expect(fixture.sigstore.requestLog.isEmpty)

        let items = Items<BackfillRunner.Line>()
        let run = try await BackfillRunOperation.run(try fixture.runRequest(), in: fixture.context(), emit: items.sink)
        #expect(items.all == run.lines, "every line is streamed as it happens, in order")
        #expect(run.uploaded == 3 && run.skipped == 0 && run.refused == 2 && run.failed == 0)
        let failure = try #require(run.failure)
        #expect(failure.code == "backfill.incomplete" && ExitCodeTable.status(for: failure) == .checkFailed)
        #expect(run.lines.filter { $0.asset == "demo-1.0.0.whl" }.map(\.action) == [.download, .verifyDigest, .sign, .upload])
        #expect(run.lines.first { $0.asset == "demo-2.0.0.whl" && $0.action == .refuse }?.outcome == .refused)
        let after = try fixture.github.assetNames()
        #expect(after["v1.0.0"]?.filter { $0.hasSuffix(".sigstore.json") }.count == 2)
        #expect(after["v2.0.0"] == ["demo-2.0.0.whl"])

        let status = try await BackfillStatusOperation.run(.init(run: run.runId, inventory: fixture.inventory), in: fixture.context())
        #expect(status.runs.map(\.status) == [.completedWithRefusals])
        #expect(status.runs.first?.uploaded == 3 && status.runs.first?.refused == 2)
        #expect(status.actions.filter { $0.action == .upload }.allSatisfy { $0.outcome == .uploaded && $0.uploadedAssetID != nil })

        // The inventory now holds the signed assets; the audit finds only the two refused ones unsigned.
        let audit = try await InventoryAuditOperation.run(
            .init(inventory: fixture.inventory, identities: ["backfill@example.com"], trust: fixture.trust), in: fixture.context())
        #expect(audit.summary.bundles == 3 && audit.findings.isEmpty, "\(audit.findings)")

        let rollback = try await BackfillRollbackOperation.run(
            .init(run: run.runId, trust: fixture.trust, inventory: fixture.inventory, github: fixture.githubChoice), in: fixture.context())
        #expect(rollback.deleted == 3 && rollback.lines.allSatisfy { $0.action == .rollback && $0.outcome == .deleted })
        #expect(try fixture.github.assetNames() == before)
        let rolled = try await BackfillStatusOperation.run(.init(run: run.runId, inventory: fixture.inventory), in: fixture.context())
        #expect(rolled.runs.first?.status == .rolledBack && rolled.runs.first?.rolledBack == 3)
        await #expect(throws: InventoryError.runNotFound("nope")) {
            _ = try await BackfillRollbackOperation.run(
                .init(run: "nope", trust: fixture.trust, inventory: fixture.inventory, github: fixture.githubChoice), in: fixture.context())
        }
    }

    @Test("run --policy: an existing bundle counts as signed only when it meets the policy; a bad policy file stops the run before any work")
    func runPolicy() async throws {
        let fixture = try Fixture()
        let sigstore = try VirtualSigstore()
        let artifact = Array("an asset\n".utf8)
        let bundle = try sigstore.sign(artifact).json
        let digest = DigestAlgorithm.sha256.hash(artifact).hex
        let verifier = try sigstore.verifier()
        #expect((try? BundleAssessment(verifier: verifier).assess(bundle: bundle, sha256: digest).get())?.identity == "signer@example.com")
        func policy(_ san: String) throws -> SignerPolicy {
            try PolicyFile(
                bytes: Array(#"{"version": 1, "identities": [{"san": "\#(san)", "issuer": "https://issuer.example.com"}]}"#.utf8), source: "p.json"
            ).signerPolicy(templates: [:])
        }
        #expect((try? BundleAssessment(verifier: verifier, policy: policy("signer@example.com")).assess(bundle: bundle, sha256: digest).get()) != nil)
        let refused = BundleAssessment(verifier: verifier, policy: try policy("release-bot@example.com")).assess(bundle: bundle, sha256: digest)
        #expect(throws: VerificationError.identityMismatch(expected: "release-bot@example.com", actual: "signer@example.com")) { try refused.get() }

        let work = try TemporaryDirectory()
        var request = try fixture.runRequest(dryRun: true)
        request.policy = try work.write("policy.json", #"{"version": 1, "identities": [], "extra": 1}"#)
        await #expect(throws: PolicyError.invalid(file: request.policy!, reason: "unknown key extra")) {
            _ = try await BackfillRunOperation.run(request, in: fixture.context(), emit: ItemSink { _ in })
        }
        request.policy = try work.write(
            "policy.json", #"{"version": 1, "identities": [{"san": "backfill@example.com", "issuer": "https://issuer.example.com"}]}"#)
        let dry = try await BackfillRunOperation.run(request, in: fixture.context(), emit: ItemSink { _ in })
        #expect(dry.dryRun && dry.failure == nil)
    }

    @Test("run: a cancelled run stops before its next asset and is recorded as failed; the next run finishes the work")
    func cancelledRun() async throws {
        let fixture = try Fixture()
        let cancellation = Cancellation()
        cancellation.cancel()
        await #expect(throws: CancellationError.self) {
            _ = try await BackfillRunOperation.run(try fixture.runRequest(), in: fixture.context(cancellation: cancellation), emit: ItemSink { _ in })
        }
        let status = try await BackfillStatusOperation.run(.init(inventory: fixture.inventory), in: fixture.context())
        #expect(status.runs.map(\.status) == [.failed])
        #expect(try fixture.github.assetNames().values.joined().allSatisfy { !$0.hasSuffix(".sigstore.json") })
        let resumed = try await BackfillRunOperation.run(try fixture.runRequest(), in: fixture.context(), emit: ItemSink { _ in })
        #expect(resumed.uploaded == 3)
    }

    @Test("requests: invalid combinations are usage errors naming the flags; a run needs a GitHub token")
    func requests() async throws {
        var request = BackfillRunOperation.Request(repository: "octo/wheels", maxPerMinute: 0)
        #expect(throws: RequestError("--max-per-minute must be positive")) { try request.validate() }
        request = BackfillRunOperation.Request(
            repository: "octo/wheels", signing: SigningChoice(signingConfig: "x.json"), trust: TrustChoice(staging: true))
        #expect(throws: RequestError("--signing-config and --staging cannot be used together")) { try request.validate() }
        #expect(throws: RequestError("give at least one --repository OWNER/REPO")) { try InventoryScanOperation.Request(repositories: []).validate() }
        let decoded = try JSONDecoder().decode(BackfillRunOperation.Request.self, from: Data(#"{"repository": "octo/wheels"}"#.utf8))
        #expect(decoded == BackfillRunOperation.Request(repository: "octo/wheels"))
        await #expect(throws: GitHubError.self) {
            _ = try await BackfillRunOperation.run(
                .init(repository: "octo/wheels", github: GitHubChoice(apiURL: "http://127.0.0.1:9")), in: InventoryOperationTests.context(),
                emit: ItemSink { _ in })
        }
    }

    @Test("scan: records releases, assets and bundles, one summary per repository as it is done; a rescan downloads nothing")
    func scan() async throws {
        let fixture = try Fixture()
        _ = try await BackfillRunOperation.run(try fixture.runRequest(), in: fixture.context(), emit: ItemSink { _ in })
        let items = Items<InventoryScan.Summary>()
        let request = InventoryScanOperation.Request(
            repositories: ["octo/wheels"], inventory: fixture.inventory, trust: fixture.trust, github: fixture.githubChoice)
        let scan = try await InventoryScanOperation.run(request, in: fixture.context(), emit: items.sink)
        #expect(scan.inventory == fixture.inventory && items.all == scan.repositories)
        let summary = try #require(scan.repositories.first)
        #expect(summary.releases == 3 && summary.assets == 5 && summary.unsigned == 2 && summary.bundlesFailing == 0)
        let rescan = try await InventoryScanOperation.run(request, in: fixture.context(), emit: ItemSink { _ in })
        #expect(rescan.repositories.first?.assetsDownloaded == 0 && rescan.repositories.first?.bundlesUnchanged == 3)
    }

    /// Scans octo/wheels with `trust`; returns its summary.
    private func scan(_ fixture: Fixture, _ trust: TrustChoice) async throws -> InventoryScan.Summary {
        let request = InventoryScanOperation.Request(
            repositories: ["octo/wheels"], inventory: fixture.inventory, trust: trust, github: fixture.githubChoice)
        return try #require(try await InventoryScanOperation.run(request, in: fixture.context(), emit: ItemSink { _ in }).repositories.first)
    }

    @Test("scan: an unchanged bundle whose verdict was made with another trusted root is verified again; with the same root it is not")
    func scanAnotherRoot() async throws {
        let fixture = try Fixture()
        _ = try await BackfillRunOperation.run(try fixture.runRequest(), in: fixture.context(), emit: ItemSink { _ in })
        _ = try await scan(fixture, fixture.trust)
        let same = try await scan(fixture, fixture.trust)
        #expect(same.bundlesUnchanged == 3 && same.bundlesVerified == 0)
        let other = TrustChoice(trustedRoot: try fixture.work.write("other_root.json", try VirtualSigstore().trustedRootJSON))
        let switched = try await scan(fixture, other)
        #expect(switched.bundlesUnchanged == 0 && switched.bundlesVerified == 3 && switched.bundlesFailing == 3)
        let audit = try await InventoryAuditOperation.run(.init(inventory: fixture.inventory, trust: other), in: fixture.context())
        let report = try await InventoryReportOperation.run(.init(inventory: fixture.inventory, trust: other), in: fixture.context())
        #expect(audit.findings.filter { $0.kind == .verificationFailed }.count == 3 && report.findings == audit.findings)
        #expect(report.summary.failingBundles == 3 && report.summary.failingReleases == 2 && report.summary.signedReleases == 0)
        let back = try await scan(fixture, fixture.trust)
        #expect(back.bundlesUnchanged == 0 && back.bundlesVerified == 3 && back.bundlesFailing == 0)
    }

    @Test(
        "scan: the verdicts of an inventory written before roots were recorded are verified again, once",
        .enabled(if: InventoryStoreTests.sqlite3 != nil, "sqlite3 writes the older schema"))
    func scanOlderInventory() async throws {
        let fixture = try Fixture()
        _ = try await BackfillRunOperation.run(try fixture.runRequest(), in: fixture.context(), emit: ItemSink { _ in })
        _ = try await scan(fixture, fixture.trust)
        try InventoryStoreTests.downgrade(fixture.inventory)
        let upgraded = try await scan(fixture, fixture.trust)
        #expect(upgraded.bundlesUnchanged == 0 && upgraded.bundlesVerified == 3 && upgraded.bundlesFailing == 0)
        let again = try await scan(fixture, fixture.trust)
        #expect(again.bundlesUnchanged == 3 && again.bundlesVerified == 0)
    }
}
