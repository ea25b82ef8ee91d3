import Foundation
import HephaestusInventory
import HephaestusPlatform
import HephaestusSigstore
import HephaestusTestSupport
import Testing

/// Backfill and inventory against the GitHub-shaped release server and the local Sigstore test instance.
@Suite("backfill and inventory", .serialized)
struct BackfillInventoryTests {
    static let token = "ghp_" + String(repeating: "A1b2", count: 9)

    /// A repository history: v1.0.0 (two assets, SHA256SUMS), v1.1.0 (a wheel with its .sha256, and an archive the
    /// manifest lists with another digest), v2.0.0 (a wheel with no manifest at all).
    final class Fixture {
        let sigstore: SigstoreTestServer
        let github: FakeGitHubServer
        let work: TemporaryDirectory
        let inventory: String
        let bytes: [String: [UInt8]]

        init(extraAssetsPerRelease: Int = 0, faults: [String: [[String: Any]]] = [:]) throws {
            sigstore = try SigstoreTestServer()
            work = try TemporaryDirectory()
            inventory = work.file("inventory.sqlite")
            var bytes: [String: [UInt8]] = [:]
            func blob(_ name: String) -> [UInt8] {
                let value = Array("contents of \(name)\n".utf8)
                bytes[name] = value
                return value
            }
            func asset(_ id: Int, _ name: String, _ data: [UInt8]) -> [String: Any] { ["id": id, "name": name, "base64": Base64.encode(data)] }
            func sums(_ lines: [(String, [UInt8])]) -> [UInt8] {
                Array(lines.map { "\(DigestAlgorithm.sha256.hash($0.1).hex)  \($0.0)\n" }.joined().utf8)
            }
            var nextID = 100
            func extras(_ tag: String) -> [(String, [UInt8])] {
                (0..<extraAssetsPerRelease).map { index in
                    let name = "extra-\(tag)-\(index).whl"
                    return (name, blob(name))
                }
            }
            let v1 = [("demo-1.0.0.whl", blob("demo-1.0.0.whl")), ("demo-1.0.0.tar.gz", blob("demo-1.0.0.tar.gz"))] + extras("1.0.0")
            let v11Wheel = blob("demo-1.1.0.whl")
            let v11Archive = blob("demo-1.1.0.tar.gz")
            let v11Extras = extras("1.1.0")
            var releases: [[String: Any]] = []
            var v1Assets = v1.map { item -> [String: Any] in
                nextID += 1
                return asset(nextID, item.0, item.1)
            }
            nextID += 1
            v1Assets.append(asset(nextID, "SHA256SUMS", sums(v1)))
            releases.append(["id": 1, "tag_name": "v1.0.0", "published_at": "2025-01-15T10:00:00Z", "assets": v1Assets])
            var v11Assets: [[String: Any]] = []
            for (name, data) in [("demo-1.1.0.whl", v11Wheel), ("demo-1.1.0.tar.gz", v11Archive)] + v11Extras {
                nextID += 1
                v11Assets.append(asset(nextID, name, data))
            }
            nextID += 1
            v11Assets.append(asset(nextID, "demo-1.1.0.whl.sha256", sums([("demo-1.1.0.whl", v11Wheel)])))
            nextID += 1
            v11Assets.append(asset(nextID, "SHA256SUMS", sums([("demo-1.1.0.tar.gz", Array("something else".utf8))] + v11Extras)))
            releases.append(["id": 2, "tag_name": "v1.1.0", "published_at": "2025-03-20T10:00:00Z", "assets": v11Assets])
            nextID += 1
            releases.append([
                "id": 3, "tag_name": "v2.0.0", "published_at": "2025-06-30T10:00:00Z",
                "assets": [asset(nextID, "demo-2.0.0.whl", blob("demo-2.0.0.whl"))],
            ])
            self.bytes = bytes
            github = try FakeGitHubServer(config: FakeGitHubServer.config(releases: releases.reversed(), faults: faults))
        }

        var environment: [String: String] { ["PATH": "/usr/bin:/bin", "GITHUB_TOKEN": BackfillInventoryTests.token] }

        func run(_ arguments: [String], environment extra: [String: String] = [:]) throws -> ProcessResult {
            try HephaestusBinary.run(arguments, in: work.path, environment: environment.merging(extra) { _, new in new })
        }

        var network: [String] { ["--api-url", github.apiURL, "--retry-base-delay", "0.01", "--retry-max-delay", "0.05"] }
        var trust: [String] { ["--trusted-root", sigstore.trustedRootPath] }

        func signingArguments() throws -> [String] {
            ["--identity-token", try sigstore.token(identity: "backfill@example.com"), "--signing-config", sigstore.rekorV1SigningConfigPath]
        }

        func backfill(_ extra: [String] = []) throws -> ProcessResult {
            try run(
                ["backfill", "run", "--repository", "octo/wheels", "--inventory", inventory] + (try signingArguments()) + trust + network + extra)
        }
    }

    @Test("plan lists unsigned assets and refuses untied ones; --dry-run changes nothing; run signs, uploads and records; rerun is a no-op")
    func planRunRerun() throws {
        let fixture = try Fixture()
        let plan = try fixture.run(["backfill", "plan", "--repository", "octo/wheels", "--json"] + fixture.network)
        #expect(plan.status == 0, "\(plan.stderrText)")
        let items = try #require((try JSONSerialization.jsonObject(with: Data(plan.stdout)) as? [String: Any])?["items"] as? [[String: Any]])
        let actions = Dictionary(uniqueKeysWithValues: items.map { ("\($0["release"]!)/\($0["asset"]!)", $0["action"] as! String) })
        #expect(
            actions == [
                "v1.0.0/demo-1.0.0.tar.gz": "sign", "v1.0.0/demo-1.0.0.whl": "sign", "v1.1.0/demo-1.1.0.whl": "sign",
                "v1.1.0/demo-1.1.0.tar.gz": "refuse", "v2.0.0/demo-2.0.0.whl": "refuse",
            ])
        let since = try fixture.run(["backfill", "plan", "--repository", "octo/wheels", "--since", "v1.1.0"] + fixture.network)
        #expect(!since.stdoutText.contains("v1.0.0") && since.stdoutText.contains("v1.1.0"))

        let before = try fixture.github.assetNames()
        let dry = try fixture.backfill(["--dry-run"])
        #expect(dry.status == 0, "\(dry.stderrText)")
        #expect(dry.stdoutText.contains("v1.0.0  demo-1.0.0.whl  upload: would-upload  demo-1.0.0.whl.sigstore.json"))
        #expect(dry.stdoutText.contains("dry run, nothing changed"))
        #expect(try fixture.github.assetNames() == before)
        #expect(!FileManager.default.fileExists(atPath: fixture.inventory))
        #expect(fixture.sigstore.requestLog.isEmpty)

        let run = try fixture.backfill()
        #expect(run.status == 1, "refusals make the exit status 1: \(run.stderrText) \(run.stdoutText)")
        #expect(run.stdoutText.contains("3 uploaded, 0 skipped, 2 refused"), "\(run.stdoutText)")
        #expect(run.stdoutText.contains("refuse: refused"))
        let after = try fixture.github.assetNames()
        #expect(after["v1.0.0"]?.contains("demo-1.0.0.whl.sigstore.json") == true)
        #expect(after["v1.1.0"]?.contains("demo-1.1.0.whl.sigstore.json") == true)
        #expect(after["v1.1.0"]?.contains("demo-1.1.0.tar.gz.sigstore.json") == false, "an untied asset is never signed")
        #expect(after["v2.0.0"] == ["demo-2.0.0.whl"])
        // Every uploaded bundle verifies for its asset with the signer's identity.
        for (tag, name) in [("v1.0.0", "demo-1.0.0.whl"), ("v1.0.0", "demo-1.0.0.tar.gz"), ("v1.1.0", "demo-1.1.0.whl")] {
            try expectBundleVerifies(fixture, tag: tag, name: name)
        }

        let rerun = try fixture.backfill()
        #expect(rerun.stdoutText.contains("0 uploaded, 0 skipped, 2 refused"), "\(rerun.stdoutText)")
        #expect(try fixture.github.assetNames() == after)

        let status = try fixture.run(["backfill", "status", "--inventory", fixture.inventory])
        #expect(status.status == 0)
        #expect(status.stdoutText.components(separatedBy: "\n").filter { $0.contains("octo/wheels") }.count == 2)
        #expect(status.stdoutText.contains("uploaded 3, skipped 0, refused 2"))
    }

    @Test("rollback deletes exactly the assets the run uploaded, and only those")
    func rollback() throws {
        let fixture = try Fixture()
        let run = try fixture.backfill(["--json"])
        let document = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout)) as? [String: Any])
        let runID = try #require(document["runId"] as? String)
        let original = try fixture.github.assetNames()
        let unknown = try fixture.run(["backfill", "rollback", "--run", "nope", "--inventory", fixture.inventory] + fixture.trust + fixture.network)
        #expect(unknown.status == 66)
        let rolled = try fixture.run(
            ["backfill", "rollback", "--run", runID, "--inventory", fixture.inventory, "--json"] + fixture.trust + fixture.network)
        #expect(rolled.status == 0, "\(rolled.stderrText)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(rolled.stdout)) as? [String: Any], "\(rolled.stdoutText)")
        #expect(report["deleted"] as? Int == 3 && report["run"] as? String == runID && (report["lines"] as? [Any])?.count == 3, "\(report)")
        let after = try fixture.github.assetNames()
        for (tag, names) in original {
            #expect(after[tag] == names.filter { !$0.hasSuffix(".sigstore.json") }, "\(tag)")
        }
        let deletes = try fixture.github.requests().filter { $0["method"] as? String == "DELETE" }
        #expect(deletes.count == 3)
        let status = try fixture.run(["backfill", "status", "--inventory", fixture.inventory, "--run", runID])
        #expect(status.stdoutText.contains("rolled-back"))
    }

    @Test("an upload stored but answered 502 is retried; the bundle found there with our bytes is recorded as uploaded and rolled back with the run")
    func lostUploadAnswer() throws {
        let fixture = try Fixture(faults: ["upload-answer": [["status": 502]]])
        let run = try fixture.backfill(["--json"])
        let document = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout)) as? [String: Any])
        #expect(document["uploaded"] as? Int == 3, "\(run.stdoutText)")
        #expect(!run.stdoutText.contains("superseded"))
        let runID = try #require(document["runId"] as? String)
        let uploads = try fixture.github.requests().filter {
            ($0["method"] as? String) == "POST" && ($0["path"] as? String ?? "").hasPrefix("/uploads/")
        }
        #expect(uploads.count == 4, "one upload sent twice")
        let bundles = try fixture.github.assetNames().values.flatMap { $0 }.filter { $0.hasSuffix(".sigstore.json") }
        #expect(bundles.count == 3, "\(bundles)")
        let rolled = try fixture.run(["backfill", "rollback", "--run", runID, "--inventory", fixture.inventory] + fixture.trust + fixture.network)
        #expect(rolled.status == 0, "\(rolled.stderrText)")
        #expect(rolled.stdoutText.contains("3 asset(s) deleted"), "the bundle whose answer was lost is ours too")
        #expect(try fixture.github.assetNames().values.flatMap { $0 }.allSatisfy { !$0.hasSuffix(".sigstore.json") })
    }

    @Test(
        "killed 20 times at points chosen by its own recorded progress, then run to the end: exactly one bundle per signable asset, inventory consistent"
    )
    func crashResume() throws {
        let fixture = try Fixture(extraAssetsPerRelease: 3)
        var generator = SeededGenerator(seed: 20_261_125)
        let signing = try fixture.signingArguments()
        var killed = 0
        var progress: InventoryStore?
        for _ in 0..<20 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: HephaestusBinary.path)
            process.arguments =
                ["backfill", "run", "--repository", "octo/wheels", "--inventory", fixture.inventory] + signing + fixture.trust + fixture.network
            process.environment = fixture.environment
            process.currentDirectoryURL = URL(fileURLWithPath: fixture.work.path)
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            // Each run is killed once it has recorded 1 to 3 more actions (download, verify-digest, sign, upload started,
            // refuse…): the kill points follow the run's own progress in the inventory, whatever the machine's speed.
            let recorded = try progress?.actionCount() ?? 0
            let target = recorded + Int.random(in: 1...3, using: &generator)
            try process.run()
            let deadline = Date().addingTimeInterval(120)
            while process.isRunning {
                if progress == nil, FileManager.default.fileExists(atPath: fixture.inventory) {
                    progress = try? InventoryStore(path: fixture.inventory, mustExist: true)
                }
                if let count = try? progress?.actionCount(), count >= target {
                    kill(process.processIdentifier, SIGKILL)
                    killed += 1
                    break
                }
                guard Date() < deadline else {
                    Issue.record("the run recorded no progress for 120 s")
                    kill(process.processIdentifier, SIGKILL)
                    break
                }
                usleep(2_000)
            }
            process.waitUntilExit()
        }
        #expect(killed >= 10, "most iterations should be cut short (\(killed))")
        let final = try fixture.backfill()
        #expect(final.stdoutText.contains(" 0 failed"), "\(final.stdoutText) \(final.stderrText)")

        // Exactly one bundle per signable asset on the server, each verifying; none for refused assets.
        let state = try fixture.github.state()["octo/wheels"] ?? []
        var bundleCount = 0
        for release in state {
            let names = ((release["assets"] as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String }
            #expect(Set(names).count == names.count, "no duplicate names")
            for name in names where name.hasSuffix(".whl") || name.hasSuffix(".tar.gz") {
                let bundles = names.filter { $0 == name + ".sigstore.json" }
                let refused = name == "demo-1.1.0.tar.gz" || name == "demo-2.0.0.whl"
                #expect(bundles.count == (refused ? 0 : 1), "\(name)")
                bundleCount += bundles.count
                if !refused { try expectBundleVerifies(fixture, tag: release["tag_name"] as! String, name: name) }
            }
        }
        #expect(bundleCount == 9)
        let uploads = try fixture.github.requests().filter { $0["method"] as? String == "POST" }
        #expect(uploads.count >= bundleCount)

        // The inventory agrees: a fresh scan finds every signed asset signed, and the audit reports only the refusals.
        let audit = try fixture.run(
            ["inventory", "audit", "--inventory", fixture.inventory, "--json", "--identity", "backfill@example.com"] + fixture.trust)
        let findings = try #require((try JSONSerialization.jsonObject(with: Data(audit.stdout)) as? [String: Any])?["findings"] as? [[String: Any]])
        #expect(findings.allSatisfy { $0["kind"] as? String == "unsigned-asset" || $0["kind"] as? String == "manifest-mismatch" }, "\(findings)")
        let status = try fixture.run(["backfill", "status", "--inventory", fixture.inventory, "--json"])
        let runs = try #require((try JSONSerialization.jsonObject(with: Data(status.stdout)) as? [String: Any])?["runs"] as? [[String: Any]])
        let uploadedByRuns = runs.map { $0["uploaded"] as? Int ?? 0 }.reduce(0, +)
        #expect(uploadedByRuns == bundleCount, "every bundle on the server is attributed to exactly one run (\(uploadedByRuns))")
    }

    @Test("scan records everything; audit reports each finding kind; rescans are incremental and catch changed digests")
    func scanAndAudit() throws {
        let fixture = try Fixture()
        _ = try fixture.backfill()
        let scan = try fixture.run(
            ["inventory", "scan", "--repository", "octo/wheels", "--inventory", fixture.inventory] + fixture.trust + fixture.network)
        #expect(scan.status == 0, "\(scan.stderrText)")
        #expect(scan.stdoutText.contains("3 releases, 5 assets"), "\(scan.stdoutText)")
        #expect(scan.stdoutText.contains("2 unsigned"))

        let clean = try fixture.run(
            [
                "inventory", "audit", "--inventory", fixture.inventory, "--json", "--identity", "backfill@example.com", "--issuer",
                fixture.sigstore.issuer,
            ] + fixture.trust)
        #expect(clean.status == 1)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(clean.stdout)) as? [String: Any])
        #expect(document["mediaType"] as? String == "application/vnd.hephaestus.inventory-audit+json;version=1")
        let kinds = Set(((document["findings"] as? [[String: Any]]) ?? []).compactMap { $0["kind"] as? String })
        #expect(kinds == ["unsigned-asset", "manifest-mismatch"], "\(kinds)")
        let finding = try #require((document["findings"] as? [[String: Any]])?.first)
        #expect(Set(finding.keys).isSuperset(of: ["kind", "release", "asset", "detail"]))

        let wrongIdentity = try fixture.run(
            ["inventory", "audit", "--inventory", fixture.inventory, "--identity", "release-bot@example.com"] + fixture.trust)
        #expect(wrongIdentity.stdoutText.contains("unexpected-identity"))
        let wrongIssuer = try fixture.run(
            ["inventory", "audit", "--inventory", fixture.inventory, "--issuer", "https://token.actions.githubusercontent.com"] + fixture.trust)
        #expect(wrongIssuer.stdoutText.contains("unexpected-issuer"))
        // Verified against another trust root, every bundle fails.
        let other = try SigstoreTestServer()
        let foreign = try fixture.run(["inventory", "audit", "--inventory", fixture.inventory, "--trusted-root", other.trustedRootPath])
        #expect(foreign.stdoutText.components(separatedBy: "verification-failed").count - 1 == 3)

        // An incremental rescan downloads nothing; the API digests make hashing unnecessary.
        let rescan = try fixture.run(
            ["inventory", "scan", "--repository", "octo/wheels", "--inventory", fixture.inventory, "--json"] + fixture.trust + fixture.network)
        let summary = try #require(
            ((try JSONSerialization.jsonObject(with: Data(rescan.stdout)) as? [String: Any])?["repositories"] as? [[String: Any]])?.first)
        #expect(summary["assetsDownloaded"] as? Int == 0)
        #expect(summary["bundlesUnchanged"] as? Int == 3)
    }

    @Test("a replaced asset (same name, other bytes) is a digest-changed finding; a tampered stored bundle fails the audit")
    func digestChangeAndTamper() throws {
        // Two servers share the repository history; the second has v2.0.0's wheel replaced.
        let fixture = try Fixture()
        _ = try fixture.run(["inventory", "scan", "--repository", "octo/wheels", "--inventory", fixture.inventory] + fixture.trust + fixture.network)
        let replaced = try FakeGitHubServer(
            config: FakeGitHubServer.config(releases: [
                [
                    "id": 3, "tag_name": "v2.0.0", "published_at": "2025-06-30T10:00:00Z",
                    "assets": [["id": 999, "name": "demo-2.0.0.whl", "text": "trojan"]],
                ]
            ]))
        let rescan = try fixture.run(
            ["inventory", "scan", "--repository", "octo/wheels", "--inventory", fixture.inventory, "--api-url", replaced.apiURL] + fixture.trust)
        #expect(rescan.stdoutText.contains("digest changed: v2.0.0/demo-2.0.0.whl"), "\(rescan.stdoutText)")
        let audit = try fixture.run(["inventory", "audit", "--inventory", fixture.inventory] + fixture.trust)
        #expect(audit.stdoutText.contains("digest-changed  octo/wheels@v2.0.0  demo-2.0.0.whl"), "\(audit.stdoutText)")

        // Tamper with a stored bundle in the database itself: the audit re-verifies, it does not trust verdicts.
        let fresh = try Fixture()
        _ = try fresh.backfill()
        #expect(
            try ProcessResult.runTool(
                "sqlite3",
                [
                    fresh.inventory,
                    "UPDATE bundle SET content = replace(content, 'hashedrekord', 'hashedrekorx') WHERE id = (SELECT MIN(id) FROM bundle)",
                ]
            ).status == 0)
        let tampered = try fresh.run(["inventory", "audit", "--inventory", fresh.inventory] + fresh.trust)
        #expect(tampered.stdoutText.contains("verification-failed"), "\(tampered.stdoutText)")
    }

    @Test("reports: JSON document, CSV rows, and a self-contained HTML page rendered by headless Chromium")
    func reports() throws {
        let fixture = try Fixture()
        _ = try fixture.backfill()
        _ = try fixture.run(["inventory", "scan", "--repository", "octo/wheels", "--inventory", fixture.inventory] + fixture.trust + fixture.network)
        for format in ["json", "csv", "html"] {
            let result = try fixture.run(
                ["inventory", "report", "--inventory", fixture.inventory, "--format", format, "--output", "report.\(format)"] + fixture.trust)
            #expect(result.status == 0, "\(format): \(result.stderrText)")
        }
        // An existing report is kept unless --overwrite; what is not a regular file is never replaced, nor written through.
        let report = ["inventory", "report", "--inventory", fixture.inventory, "--format", "json", "--output"]
        let again = try fixture.run(report + ["report.json"] + fixture.trust)
        #expect(again.status == 73, "\(again.stderrText)")
        #expect(again.stderrText == "hephaestus: report.json already exists (pass --overwrite to replace it)\n")
        #expect(try fixture.run(report + ["report.json", "--overwrite"] + fixture.trust).status == 0)
        #expect(mkfifo(fixture.work.file("report.fifo"), 0o600) == 0)
        let fifo = try fixture.run(report + ["report.fifo", "--overwrite"] + fixture.trust)
        #expect(fifo.status == 73, "\(fifo.stderrText)")
        #expect(fifo.stderrText == "hephaestus: report.fifo is a FIFO: refusing to write over it (outputs replace regular files only)\n")
        var status = stat()
        #expect(lstat(fixture.work.file("report.fifo"), &status) == 0 && status.st_mode & S_IFMT == S_IFIFO)
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: fixture.work.file("report.json")))) as? [String: Any])
        #expect(json["mediaType"] as? String == "application/vnd.hephaestus.inventory-report+json;version=1")
        let summary = try #require(json["summary"] as? [String: Any])
        #expect(summary["releases"] as? Int == 3)
        #expect(summary["signedAssets"] as? Int == 3)
        #expect(summary["signedReleases"] as? Int == 1 && summary["partiallySignedReleases"] as? Int == 1 && summary["unsignedReleases"] as? Int == 1)
        #expect((json["findings"] as? [[String: Any]])?.count == 3)
        let csv = try String(contentsOfFile: fixture.work.file("report.csv"), encoding: .utf8)
        let rows = csv.split(separator: "\r\n")
        #expect(rows.first?.hasPrefix("repository,release,published_at,release_state,asset") == true)
        #expect(rows.count == 1 + 5)
        #expect(rows.contains { $0.contains("demo-1.0.0.whl") && $0.contains(",yes,backfill@example.com,") })

        let html = try String(contentsOfFile: fixture.work.file("report.html"), encoding: .utf8)
        #expect(!html.contains("<script") && !html.contains("src=") && !html.contains("href=") && !html.contains("url("), "self-contained")
        guard let chromium = ToolLocator.find("chromium") ?? ToolLocator.find("chromium-browser") else {
            #expect(ProcessInfo.processInfo.environment["HEPHAESTUS_REQUIRE_CHROMIUM"] == nil, "chromium is required by this test job")
            print("chromium is not installed: HTML rendering check skipped")
            return
        }
        let rendered = try ProcessResult.run(
            chromium,
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=\(fixture.work.file("chromium"))",
                "--dump-dom", "file://" + fixture.work.file("report.html"),
            ])
        #expect(rendered.status == 0, "\(rendered.stderrText)")
        let dom = rendered.stdoutText
        #expect(dom.contains("Attestation inventory"))
        #expect(dom.contains("Signed and unsigned releases over time") && dom.contains("<svg"))
        #expect(dom.contains("backfill@example.com"))
        #expect(dom.contains("2025-01") && dom.contains("2025-03") && dom.contains("2025-06"))
        #expect(dom.contains("Findings (3)") && dom.contains("unsigned-asset") && dom.contains("manifest-mismatch"))
        let shot = try ProcessResult.run(
            chromium,
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=\(fixture.work.file("chromium2"))",
                "--window-size=1200,1600", "--screenshot=\(fixture.work.file("report.png"))", "file://" + fixture.work.file("report.html"),
            ])
        #expect(shot.status == 0)
        let png = try Data(contentsOf: URL(fileURLWithPath: fixture.work.file("report.png")))
        #expect(png.count > 10_000 && png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
    }

    /// The JSON document a command printed.
    private func document(_ result: ProcessResult) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [String: Any], "\(result.stdoutText) \(result.stderrText)")
    }

    @Test(
        "scan, report and audit with another trusted root verify again; report and audit agree; a release whose bundles fail is \"signed, failing\"")
    func anotherTrustedRoot() throws {
        let fixture = try Fixture()
        _ = try fixture.backfill()
        func scan(_ trust: [String]) throws -> [String: Any] {
            let result = try fixture.run(
                ["inventory", "scan", "--repository", "octo/wheels", "--inventory", fixture.inventory, "--json"] + trust + fixture.network)
            #expect(result.status == 0, "\(result.stderrText)")
            return try #require((try document(result)["repositories"] as? [[String: Any]])?.first)
        }
        _ = try scan(fixture.trust)
        #expect(try scan(fixture.trust)["bundlesUnchanged"] as? Int == 3, "same root: nothing verified again")

        let other = try SigstoreTestServer()
        let otherTrust = ["--trusted-root", other.trustedRootPath]
        let switched = try scan(otherTrust)
        #expect(switched["bundlesUnchanged"] as? Int == 0 && switched["bundlesVerified"] as? Int == 3 && switched["bundlesFailing"] as? Int == 3)

        let report = try fixture.run(
            ["inventory", "report", "--inventory", fixture.inventory, "--format", "json", "--output", "report.json"] + otherTrust)
        #expect(report.status == 0, "\(report.stderrText)")
        #expect(report.stdoutText == "report.json: json report of 3 releases (0 signed, 0 partially, 2 signed but failing, 1 unsigned), 6 findings\n")
        let written = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: fixture.work.file("report.json")))) as? [String: Any])
        let root = DigestAlgorithm.sha256.hash(Array(try Data(contentsOf: URL(fileURLWithPath: other.trustedRootPath)))).hex
        #expect(written["trustedRootSHA256"] as? String == root)
        let states = ((written["releases"] as? [[String: Any]]) ?? []).map { "\($0["tag"]!) \($0["state"] ?? "")" }
        #expect(Set(states) == ["v1.0.0 signed-failing", "v1.1.0 signed-failing", "v2.0.0 unsigned"], "\(states)")
        let audit = try fixture.run(["inventory", "audit", "--inventory", fixture.inventory, "--json"] + otherTrust)
        #expect(audit.status == 1)
        let audited = try document(audit)
        #expect((audited["summary"] as? [String: Any])?["trustedRootSHA256"] as? String == root)
        let auditFindings = try #require(audited["findings"] as? [[String: Any]])
        let reportFindings = try #require(written["findings"] as? [[String: Any]])
        #expect(auditFindings as NSArray == reportFindings as NSArray, "the report's findings are the audit's")
        #expect(auditFindings.filter { $0["kind"] as? String == "verification-failed" }.count == 3)

        let html = try fixture.run(
            ["inventory", "report", "--inventory", fixture.inventory, "--format", "html", "--output", "report.html"] + otherTrust)
        #expect(html.status == 0)
        #expect(try String(contentsOfFile: fixture.work.file("report.html"), encoding: .utf8).contains("<td>signed, failing</td>"))

        let back = try scan(fixture.trust)
        #expect(back["bundlesUnchanged"] as? Int == 0 && back["bundlesFailing"] as? Int == 0, "verdicts made with the other root are not reused")
    }

    @Test(
        "an inventory path holding another SQLite database, or a file that is not one, is refused with one line (exit 65) and left unchanged",
        .enabled(if: ToolLocator.find("sqlite3") != nil, "sqlite3 makes the other program's database"))
    func foreignDatabase() throws {
        let fixture = try Fixture()
        let notes = fixture.work.file("notes.sqlite")
        #expect(try ProcessResult.runTool("sqlite3", [notes, "CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('keep me');"]).status == 0)
        let text = try fixture.work.write("notes.txt", "not a database\n")
        for (path, reason) in [(notes, "it is another SQLite database (tables: notes)"), (text, "it is not a SQLite database")] {
            let before = try Data(contentsOf: URL(fileURLWithPath: path))
            let name = URL(fileURLWithPath: path).lastPathComponent
            for command in [
                ["inventory", "scan", "--repository", "octo/wheels", "--inventory", name] + fixture.trust + fixture.network,
                ["inventory", "audit", "--inventory", name] + fixture.trust,
                ["inventory", "report", "--inventory", name, "--format", "csv", "--output", "report.csv"] + fixture.trust,
                ["backfill", "status", "--inventory", name],
            ] {
                let result = try fixture.run(command)
                #expect(result.status == 65, "\(command): \(result.stderrText)")
                #expect(
                    result.stderrText
                        == "hephaestus: \(name) is not a Hephaestus inventory: \(reason); refusing to use or change it (pass --inventory with another path)\n"
                )
                #expect(result.stdout.isEmpty)
            }
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before, "\(name) is unchanged")
        }
        #expect(try ProcessResult.runTool("sqlite3", [notes, ".tables"]).stdoutText == "notes\n", "no table added")
        #expect(!FileManager.default.fileExists(atPath: fixture.work.file("report.csv")))
        #expect(try fixture.github.requests().isEmpty, "refused before any request")
    }

    @Test(
        "an inventory of a newer Hephaestus is refused naming that; one of an older one is upgraded and its verdicts verified again",
        .enabled(if: ToolLocator.find("sqlite3") != nil, "sqlite3 edits the schema"))
    func schemaVersions() throws {
        let fixture = try Fixture()
        _ = try fixture.backfill()
        let scanArguments =
            ["inventory", "scan", "--repository", "octo/wheels", "--inventory", fixture.inventory, "--json"] + fixture.trust + fixture.network
        _ = try fixture.run(scanArguments)
        // What Hephaestus wrote before verdicts recorded their root: migrations v1 and v2, no application id, no marker.
        let downgrade = """
            PRAGMA application_id = 0; DROP TABLE hephaestus_inventory; ALTER TABLE bundle DROP COLUMN trusted_root_sha256;
            DELETE FROM grdb_migrations WHERE identifier NOT LIKE 'v1:%' AND identifier NOT LIKE 'v2:%';
            """
        #expect(try ProcessResult.runTool("sqlite3", [fixture.inventory, downgrade]).status == 0)
        let audit = try fixture.run(["inventory", "audit", "--inventory", fixture.inventory] + fixture.trust)
        #expect(audit.status == 1 && audit.stdoutText.contains("3 bundles re-verified"), "\(audit.stderrText)")
        let upgraded = try #require((try document(try fixture.run(scanArguments))["repositories"] as? [[String: Any]])?.first)
        #expect(
            upgraded["bundlesUnchanged"] as? Int == 0 && upgraded["bundlesVerified"] as? Int == 3, "verdicts of an unknown root are verified again")
        let again = try #require((try document(try fixture.run(scanArguments))["repositories"] as? [[String: Any]])?.first)
        #expect(again["bundlesUnchanged"] as? Int == 3)

        #expect(
            try ProcessResult.runTool("sqlite3", [fixture.inventory, "INSERT INTO grdb_migrations (identifier) VALUES ('v99: from the future');"])
                .status == 0)
        let newer = try fixture.run(["inventory", "audit", "--inventory", fixture.inventory] + fixture.trust)
        #expect(newer.status == 65)
        #expect(
            newer.stderrText
                == "hephaestus: inventory \(fixture.inventory) cannot be used: it was written by a newer Hephaestus (its schema has migrations this version does not know)\n"
        )
    }

    private func expectBundleVerifies(_ fixture: Fixture, tag: String, name: String) throws {
        let release = try #require((try fixture.github.state()["octo/wheels"] ?? []).first { $0["tag_name"] as? String == tag })
        let bundleAsset = try #require(((release["assets"] as? [[String: Any]]) ?? []).first { $0["name"] as? String == name + ".sigstore.json" })
        let client = HTTPClient(transport: CurlTransport(), policy: try RetryPolicy(maxRetries: 0))
        let blob = try client.send(HTTPRequest(url: URL(string: "\(fixture.github.storageURL)/blobs/\(bundleAsset["id"]!)")!))
        let bundlePath = try fixture.work.write("check-\(tag)-\(name).sigstore.json", blob.body)
        let artifact = try fixture.work.write("check-\(tag)-\(name)", fixture.bytes[name]!)
        let verified = try HephaestusBinary.run(
            [
                "verify", "bundle", "--bundle", bundlePath, "--certificate-identity", "backfill@example.com", "--certificate-oidc-issuer",
                fixture.sigstore.issuer,
                "--trusted-root", fixture.sigstore.trustedRootPath, artifact,
            ])
        #expect(verified.status == 0, "\(tag)/\(name): \(verified.stderrText)")
    }
}

/// A small deterministic generator (SplitMix64) so the crash points are the same on every run.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
