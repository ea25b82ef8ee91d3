import Foundation
import HephaestusPlatform
import HephaestusSigstore
import HephaestusTestSupport
import Testing

/// The outbound path against the GitHub-Releases-shaped server: `wheelhouse pack`, `publish github`, `release revoke`,
/// and pack → sign → publish → `release install --require-sigstore` end to end.
@Suite("publish github, revoke, wheelhouse pack", .serialized)
struct PublishGitHubTests {
    static let token = "ghp_" + String(repeating: "Z9y8", count: 9)

    final class Fixture {
        let github: FakeGitHubServer
        let work: TemporaryDirectory

        init(releases: [[String: Any]] = [], faults: [String: [[String: Any]]] = [:]) throws {
            github = try FakeGitHubServer(config: FakeGitHubServer.config(releases: releases, faults: faults))
            work = try TemporaryDirectory()
        }

        var network: [String] { ["--api-url", github.apiURL, "--retry-base-delay", "0.01", "--retry-max-delay", "0.05"] }

        func run(_ arguments: [String], stdin: [UInt8]? = nil, token: String? = PublishGitHubTests.token) throws -> ProcessResult {
            var environment = ["PATH": "/usr/bin:/bin"]
            environment["GITHUB_TOKEN"] = token
            return try HephaestusBinary.run(arguments, in: work.path, environment: environment, stdin: stdin)
        }

        func publish(_ arguments: [String], token: String? = PublishGitHubTests.token) throws -> ProcessResult {
            try run(["publish", "github", "--repository", "octo/wheels"] + network + arguments, token: token)
        }

        /// `[tag: [name: sha256]]` as the server holds it.
        func assets() throws -> [String: [String: String]] {
            var result: [String: [String: String]] = [:]
            for release in try github.state()["octo/wheels"] ?? [] {
                var names: [String: String] = [:]
                for asset in (release["assets"] as? [[String: Any]]) ?? [] { names[asset["name"] as? String ?? ""] = asset["sha256"] as? String }
                result[release["tag_name"] as? String ?? ""] = names
            }
            return result
        }

        func release(_ tag: String) throws -> [String: Any]? {
            try github.state()["octo/wheels"]?.first { $0["tag_name"] as? String == tag }
        }
    }

    static func sha256(_ text: String) -> String { DigestAlgorithm.sha256.hash(Array(text.utf8)).hex }

    @Test(
        "publish github: --create with notes and --prerelease; identical files skipped; different content refused (nothing uploaded) unless --replace"
    )
    func publishGitHub() throws {
        let fixture = try Fixture()
        let work = fixture.work
        try work.write("notes.md", "## Changes\n\n- first release\n")
        try work.write("demo-1.0.0-wheelhouse.tar.gz", "archive bytes\n")
        try work.write("demo-1.0.0-wheelhouse.tar.gz.sha256", "\(Self.sha256("archive bytes\n"))  demo-1.0.0-wheelhouse.tar.gz\n")

        let missing = try fixture.publish(["--tag", "v1.0.0", "demo-1.0.0-wheelhouse.tar.gz"])
        #expect(missing.status != 0)
        #expect(missing.stderrText.contains("v1.0.0"), "\(missing.stderrText)")
        #expect(try fixture.release("v1.0.0") == nil, "without --create no release appears")
        for command in [["publish", "github"], ["release", "revoke", "--delete-release", "--yes"]] {
            let malformed = try fixture.run(
                command + ["--repository", "octo", "--tag", "v1.0.0"] + fixture.network
                    + (command[0] == "publish" ? ["demo-1.0.0-wheelhouse.tar.gz"] : []))
            #expect(malformed.status == 64, "\(command): \(malformed.stderrText)")
            #expect(malformed.stderrText.contains("invalid repository \"octo\": expected OWNER/REPO"))
        }

        let created = try fixture.publish(
            [
                "--tag", "v1.0.0", "--create", "--notes", "notes.md", "--prerelease", "demo-1.0.0-wheelhouse.tar.gz",
                "demo-1.0.0-wheelhouse.tar.gz.sha256",
            ])
        #expect(created.status == 0, "\(created.stderrText)")
        #expect(created.stdoutText.contains("created release v1.0.0 in octo/wheels"))
        #expect(created.stdoutText.contains("uploaded: demo-1.0.0-wheelhouse.tar.gz  sha256 \(Self.sha256("archive bytes\n"))"))
        let release = try #require(try fixture.release("v1.0.0"))
        #expect(release["body"] as? String == "## Changes\n\n- first release\n")
        #expect(release["prerelease"] as? Bool == true)
        #expect(try fixture.assets()["v1.0.0"]?["demo-1.0.0-wheelhouse.tar.gz"] == Self.sha256("archive bytes\n"))
        let uploads = try fixture.github.requests().filter {
            ($0["method"] as? String) == "POST" && ($0["path"] as? String ?? "").hasPrefix("/uploads/")
        }
        #expect(uploads.count == 2)

        // Again, same bytes: both skipped, nothing sent.
        let again = try fixture.publish(["--tag", "v1.0.0", "--json", "demo-1.0.0-wheelhouse.tar.gz", "demo-1.0.0-wheelhouse.tar.gz.sha256"])
        #expect(again.status == 0, "\(again.stderrText)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(again.stdout)) as? [String: Any])
        #expect(document["mediaType"] as? String == "application/vnd.hephaestus.github-publish-result+json;version=1")
        #expect(document["created"] as? Bool == false)
        #expect((document["assets"] as? [[String: Any]])?.map { $0["status"] as? String } == ["skipped-identical", "skipped-identical"])
        #expect(try fixture.github.requests().filter { ($0["path"] as? String ?? "").hasPrefix("/uploads/") }.count == 2)

        // A new file plus one whose bytes changed: refused as a whole; the new file is not uploaded either.
        try work.write("extra.txt", "extra\n")
        try work.write("demo-1.0.0-wheelhouse.tar.gz", "rebuilt archive bytes\n")
        let before = try fixture.assets()
        let differs = try fixture.publish(["--tag", "v1.0.0", "extra.txt", "demo-1.0.0-wheelhouse.tar.gz"])
        #expect(differs.status == 1)
        #expect(
            differs.stderrText.contains(
                "release v1.0.0 already has an asset demo-1.0.0-wheelhouse.tar.gz with different content (--replace replaces it)"))
        #expect(try fixture.assets() == before)

        let replaced = try fixture.publish(["--tag", "v1.0.0", "--replace", "extra.txt", "demo-1.0.0-wheelhouse.tar.gz"])
        #expect(replaced.status == 0, "\(replaced.stderrText)")
        #expect(replaced.stdoutText.contains("uploaded: extra.txt"))
        #expect(replaced.stdoutText.contains("replaced: demo-1.0.0-wheelhouse.tar.gz"))
        let after = try #require(try fixture.assets()["v1.0.0"])
        #expect(after["demo-1.0.0-wheelhouse.tar.gz"] == Self.sha256("rebuilt archive bytes\n"))
        #expect(after.count == 3)

        // Uploads need a token; the asset name on the wire is the sanitised one.
        let noToken = try fixture.publish(["--tag", "v1.0.0", "extra.txt"], token: nil)
        #expect(noToken.status != 0)
        try work.write("weird name\u{7}.txt", "x")
        let weird = try fixture.publish(["--tag", "v1.0.0", "weird name\u{7}.txt"])
        #expect(weird.status != 0, "a name with a control character is refused, not uploaded: \(weird.stdoutText)")
        #expect(try fixture.assets()["v1.0.0"]?.count == 3)
    }

    static func releaseWithAssets() -> [[String: Any]] {
        [
            [
                "id": 7, "tag_name": "v1.0.0", "published_at": "2026-01-10T10:00:00Z",
                "assets": [
                    ["id": 70, "name": "demo-1.0.0-wheelhouse.tar.gz", "text": "bad archive\n"],
                    ["id": 71, "name": "demo-1.0.0-wheelhouse.tar.gz.sha256", "text": "\(sha256("bad archive\n"))  demo-1.0.0-wheelhouse.tar.gz\n"],
                    ["id": 72, "name": "README.txt", "text": "read me\n"],
                ],
            ],
            ["id": 8, "tag_name": "v0.9.0", "published_at": "2025-12-10T10:00:00Z", "assets": [["id": 80, "name": "old.txt", "text": "old\n"]]],
        ]
    }

    @Test(
        "publish github: an upload stored but answered 502 is retried; the asset already there with our bytes counts as uploaded, other bytes do not")
    func lostUploadAnswer() throws {
        let fixture = try Fixture(faults: ["upload-answer": [["status": 502]]])
        try fixture.work.write("demo.whl", "demo wheel\n")
        let result = try fixture.publish(["--tag", "v3.0.0", "--create", "demo.whl"])
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(result.stdoutText.contains("uploaded: demo.whl  sha256 \(Self.sha256("demo wheel\n"))"))
        #expect(try fixture.assets()["v3.0.0"] == ["demo.whl": Self.sha256("demo wheel\n")])
        let uploads = try fixture.github.requests().filter {
            ($0["method"] as? String) == "POST" && ($0["path"] as? String ?? "").hasPrefix("/uploads/")
        }
        #expect(uploads.count == 2, "sent, answer lost, sent again")

        // Other bytes are there under the name when the retry hears "already exists" (another uploader was faster):
        // refused, naming the asset.
        let raced = try Fixture(faults: ["upload-answer": [["status": 502, "stored_body": "their wheel\n"]]])
        try raced.work.write("demo.whl", "our wheel\n")
        let refused = try raced.publish(["--tag", "v3.0.0", "--create", "demo.whl"])
        #expect(refused.status == 1, "\(refused.stderrText)")
        #expect(refused.stderrText.contains("release v3.0.0 already has an asset demo.whl with different content"))
        #expect(try raced.assets()["v3.0.0"] == ["demo.whl": Self.sha256("their wheel\n")])
    }

    @Test("publish github on a terminal draws a progress bar per uploaded asset")
    func progressBar() throws {
        let fixture = try Fixture()
        try fixture.work.write("big.whl", String(repeating: "wheel bytes ", count: 50_000))
        var environment = ["PATH": "/usr/bin:/bin"]
        environment["GITHUB_TOKEN"] = Self.token
        let shown = try HephaestusBinary.runInTerminal(
            ["publish", "github", "--repository", "octo/wheels"] + fixture.network + ["--tag", "v4.0.0", "--create", "big.whl"],
            in: fixture.work.path,
            environment: environment)
        #expect(shown.status == 0, "\(shown.stdoutText)")
        #expect(shown.stdoutText.contains("\rbig.whl  0.6 MB / 0.6 MB [########################] 100%"), "\(shown.stdoutText)")
        #expect(shown.stdoutText.contains("uploaded: big.whl"))
    }

    @Test("publish github --draft: the draft is found again by its tag (GitHub's by-tag lookup skips drafts), never duplicated")
    func draftRelease() throws {
        let fixture = try Fixture()
        try fixture.work.write("first.whl", "first wheel\n")
        try fixture.work.write("second.whl", "second wheel\n")
        let created = try fixture.publish(["--tag", "v2.0.0", "--create", "--draft", "first.whl"])
        #expect(created.status == 0, "\(created.stderrText)")
        #expect(created.stdoutText.contains("created release v2.0.0 in octo/wheels"))
        let draft = try #require(try fixture.release("v2.0.0"))
        #expect(draft["draft"] as? Bool == true)
        let lookup = try fixture.github.requests().filter { ($0["path"] as? String ?? "").hasSuffix("/releases/tags/v2.0.0") }
        #expect(!lookup.isEmpty, "the tag was looked up first")

        // A second run (without --create) adds a file to the same draft; with --create it still does not make another.
        let added = try fixture.publish(["--tag", "v2.0.0", "second.whl"])
        #expect(added.status == 0, "\(added.stderrText)")
        #expect(added.stdoutText.contains("uploaded: second.whl"))
        let again = try fixture.publish(["--tag", "v2.0.0", "--create", "--draft", "first.whl", "second.whl"])
        #expect(again.status == 0, "\(again.stderrText)")
        #expect(!again.stdoutText.contains("created release"))
        let releases = try fixture.github.state()["octo/wheels"] ?? []
        #expect(releases.count == 1, "one draft, not \(releases.count) releases")
        #expect(try fixture.assets()["v2.0.0"] == ["first.whl": Self.sha256("first wheel\n"), "second.whl": Self.sha256("second wheel\n")])
    }

    @Test(
        "release revoke: typed confirmation (a wrong answer deletes nothing); advisory in Markdown and JSON with digests; assets by glob; whole release; inventory record"
    )
    func revoke() throws {
        let fixture = try Fixture(releases: Self.releaseWithAssets())
        let base = ["release", "revoke", "--repository", "octo/wheels", "--tag", "v1.0.0"] + fixture.network

        let wrong = try fixture.run(base + ["--delete-assets", "demo-*", "--advisory", "advisory.md"], stdin: Array("v1.0.1\n".utf8))
        #expect(wrong.status == 64)
        #expect(wrong.stderrText.contains("Type the tag (v1.0.0) to confirm"))
        #expect(wrong.stderrText.contains("confirmation did not match \"v1.0.0\": nothing was deleted"))
        #expect(try fixture.assets()["v1.0.0"]?.count == 3)
        #expect(!FileManager.default.fileExists(atPath: fixture.work.file("advisory.md")))

        let noAnswer = try fixture.run(base + ["--delete-release"])
        #expect(noAnswer.status == 64, "no terminal, no --yes: nothing happens")
        #expect(try fixture.release("v1.0.0") != nil)

        let neither = try fixture.run(base)
        #expect(neither.status == 64)
        #expect(neither.stderrText.contains("give exactly one of --delete-release and --delete-assets GLOB"))
        let none = try fixture.run(base + ["--delete-assets", "*.exe", "--yes"])
        #expect(none.status != 0)
        #expect(try fixture.assets()["v1.0.0"]?.count == 3)

        let inventory = fixture.work.file("inventory.sqlite")
        let confirmed = try fixture.run(
            base + [
                "--delete-assets", "demo-*", "--reason", "built from a compromised runner", "--replacement", "v1.0.1",
                "--advisory", "advisory.md", "--inventory", inventory,
            ],
            stdin: Array("v1.0.0\n".utf8))
        #expect(confirmed.status == 0, "\(confirmed.stderrText)")
        #expect(confirmed.stdoutText.contains("deleted: demo-1.0.0-wheelhouse.tar.gz  sha256 \(Self.sha256("bad archive\n"))"))
        #expect(try fixture.assets()["v1.0.0"] == ["README.txt": Self.sha256("read me\n")])
        let markdown = try String(contentsOfFile: fixture.work.file("advisory.md"), encoding: .utf8)
        #expect(markdown.contains("# Security advisory: octo/wheels v1.0.0 revoked"))
        #expect(markdown.contains("built from a compromised runner"))
        #expect(markdown.contains("upgrade to v1.0.1"))
        #expect(markdown.contains("| `demo-1.0.0-wheelhouse.tar.gz` | 12 | `\(Self.sha256("bad archive\n"))` |"))
        let advisory = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: fixture.work.file("advisory.json")))) as? [String: Any])
        #expect(advisory["mediaType"] as? String == "application/vnd.hephaestus.revocation+json;version=1")
        #expect(advisory["tag"] as? String == "v1.0.0" && advisory["replacement"] as? String == "v1.0.1")
        #expect(
            Set(((advisory["affected"] as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String })
                == ["demo-1.0.0-wheelhouse.tar.gz", "demo-1.0.0-wheelhouse.tar.gz.sha256"])
        let recorded = try ProcessResult.runTool("sqlite3", [inventory, "SELECT tag, reason, replacement FROM advisory"])
        #expect(recorded.stdoutText == "v1.0.0|built from a compromised runner|v1.0.1\n", "\(recorded.stderrText)")

        let whole = try fixture.run(
            ["release", "revoke", "--repository", "octo/wheels", "--tag", "v0.9.0", "--delete-release", "--yes", "--advisory", "old.json", "--json"]
                + fixture.network)
        #expect(whole.status == 0, "\(whole.stderrText)")
        // --json: the report alone on stdout, the advisory in it.
        let report = try #require(try JSONSerialization.jsonObject(with: Data(whole.stdout)) as? [String: Any], "\(whole.stdoutText)")
        #expect(report["wholeRelease"] as? Bool == true && (report["advisory"] as? [String: Any])?["tag"] as? String == "v0.9.0")
        #expect(try fixture.release("v0.9.0") == nil)
        #expect(try fixture.release("v1.0.0") != nil)
        #expect(FileManager.default.fileExists(atPath: fixture.work.file("old.md")))
    }

    @Test("wheelhouse pack: the same wheels give the same bytes; manifest beside it; non-wheels and invalid wheels refused, nothing written")
    func packDeterministic() throws {
        let work = try TemporaryDirectory()
        _ = try PublishPyPITests.makeWheel(work, "alpha", "1.0", folder: "wheels")
        _ = try PublishPyPITests.makeWheel(work, "beta", "2.0", folder: "wheels")
        let first = try HephaestusBinary.run(
            ["wheelhouse", "pack", "wheels", "--output", "one/demo-1.0.0-wheelhouse.tar.gz", "--json"], in: work.path)
        #expect(first.status == 0, "\(first.stderrText)")
        // Same wheels copied elsewhere later (other mtimes, other order of creation): identical bytes.
        try FileManager.default.createDirectory(atPath: work.file("copy"), withIntermediateDirectories: true)
        for name in ["beta-2.0-py3-none-any.whl", "alpha-1.0-py3-none-any.whl"] {
            try FileManager.default.copyItem(atPath: work.file("wheels/\(name)"), toPath: work.file("copy/\(name)"))
        }
        let second = try HephaestusBinary.run(["wheelhouse", "pack", "copy", "--output", "two/demo-1.0.0-wheelhouse.tar.gz"], in: work.path)
        #expect(second.status == 0, "\(second.stderrText)")
        let one = try Data(contentsOf: URL(fileURLWithPath: work.file("one/demo-1.0.0-wheelhouse.tar.gz")))
        let two = try Data(contentsOf: URL(fileURLWithPath: work.file("two/demo-1.0.0-wheelhouse.tar.gz")))
        #expect(one == two)
        let digest = DigestAlgorithm.sha256.hash(Array(one)).hex
        #expect(
            try String(contentsOfFile: work.file("one/demo-1.0.0-wheelhouse.tar.gz.sha256"), encoding: .utf8)
                == "\(digest)  demo-1.0.0-wheelhouse.tar.gz\n")
        let check = try ProcessResult.runTool("sha256sum", ["-c", "demo-1.0.0-wheelhouse.tar.gz.sha256"], in: work.file("one"))
        #expect(check.status == 0)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(first.stdout)) as? [String: Any])
        #expect(
            document["sha256"] as? String == digest || (document["archive"] as? [String: Any])?["sha256"] as? String == digest
                || first.stdoutText.contains(digest))
        // What a reader of the archive sees: sorted names, uid/gid 0, no owner names, one mtime, mode 0644.
        let listing = try ProcessResult.runTool("tar", ["--numeric-owner", "-tvzf", work.file("one/demo-1.0.0-wheelhouse.tar.gz")])
        let lines = listing.stdoutText.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.allSatisfy { $0.hasPrefix("-rw-r--r-- 0/0") && $0.contains("1970-01-01") }, "\(listing.stdoutText)")
        #expect(lines.first?.hasSuffix("alpha-1.0-py3-none-any.whl") == true && lines.last?.hasSuffix("beta-2.0-py3-none-any.whl") == true)
        // SOURCE_DATE_EPOCH sets the one mtime.
        let epoch = try HephaestusBinary.run(
            ["wheelhouse", "pack", "wheels", "--output", "three/demo-1.0.0-wheelhouse.tar.gz"], in: work.path,
            environment: ["PATH": "/usr/bin:/bin", "SOURCE_DATE_EPOCH": "1767225600"])
        #expect(epoch.status == 0)
        let epochListing = try ProcessResult.runTool("tar", ["-tvzf", work.file("three/demo-1.0.0-wheelhouse.tar.gz")])
        #expect(epochListing.stdoutText.contains("2026-01-01"), "\(epochListing.stdoutText)")
        // Refusals: a stray file, a wheel whose RECORD lies, an existing output without --overwrite.
        try work.write("wheels/notes.txt", "not a wheel")
        let stray = try HephaestusBinary.run(["wheelhouse", "pack", "wheels", "--output", "four/demo-1.0.0-wheelhouse.tar.gz"], in: work.path)
        #expect(stray.status != 0)
        #expect(stray.stderrText.contains("notes.txt"))
        try FileManager.default.removeItem(atPath: work.file("wheels/notes.txt"))
        _ = try PublishPyPITests.makeWheel(work, "gamma", "1.0", ["--tamper-record"], folder: "wheels")
        let tampered = try HephaestusBinary.run(["wheelhouse", "pack", "wheels", "--output", "four/demo-1.0.0-wheelhouse.tar.gz"], in: work.path)
        #expect(tampered.status != 0)
        #expect(tampered.stderrText.contains("gamma-1.0-py3-none-any.whl"))
        #expect(!FileManager.default.fileExists(atPath: work.file("four/demo-1.0.0-wheelhouse.tar.gz")))
        #expect(!FileManager.default.fileExists(atPath: work.file("four/demo-1.0.0-wheelhouse.tar.gz.sha256")))
        let badName = try HephaestusBinary.run(["wheelhouse", "pack", "copy", "--output", "release.tar.gz"], in: work.path)
        #expect(badName.status == 64)
        #expect(badName.stderrText.contains("NAME-VERSION-wheelhouse.tar.gz"))
        let exists = try HephaestusBinary.run(["wheelhouse", "pack", "copy", "--output", "one/demo-1.0.0-wheelhouse.tar.gz"], in: work.path)
        #expect(exists.status != 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: work.file("one/demo-1.0.0-wheelhouse.tar.gz"))) == one)
    }

    @Test("pack --sign → publish github --create → release install --require-sigstore from that release (and a tampered upload is refused)")
    func packSignPublishInstall() throws {
        let fixture = try Fixture()
        let sigstore = try SigstoreTestServer()
        let work = fixture.work
        _ = try PublishPyPITests.makeWheel(work, "shipit", "1.2.0", folder: "wheels")
        let identity = "release@example.com"
        let packed = try fixture.run(
            [
                "wheelhouse", "pack", "wheels", "--output", "shipit-1.2.0-wheelhouse.tar.gz", "--sign", "--identity-token",
                try sigstore.token(identity: identity),
                "--signing-config", sigstore.signingConfigPath, "--trusted-root", sigstore.trustedRootPath,
            ])
        #expect(packed.status == 0, "\(packed.stderrText)")
        #expect(packed.stdoutText.contains("bundle:   shipit-1.2.0-wheelhouse.tar.gz.sigstore.json"))
        let files = ["shipit-1.2.0-wheelhouse.tar.gz", "shipit-1.2.0-wheelhouse.tar.gz.sha256", "shipit-1.2.0-wheelhouse.tar.gz.sigstore.json"]
        let published = try fixture.publish(["--tag", "v1.2.0", "--create"] + files)
        #expect(published.status == 0, "\(published.stderrText)")
        #expect(try fixture.assets()["v1.2.0"]?.keys.sorted() == files.sorted())

        let venv = work.file("venv")
        let install = try fixture.run(
            [
                "release", "install", "--repository", "octo/wheels", "--tag", "v1.2.0", "--require-sigstore", "--sigstore-identity", identity,
                "--sigstore-issuer", sigstore.issuer, "--trusted-root", sigstore.trustedRootPath, "--venv", venv,
            ] + fixture.network)
        #expect(install.status == 0, "\(install.stderrText)")
        let imported = try ProcessResult.run(venv + "/bin/python", ["-c", "import shipit; print(shipit.__version__)"])
        #expect(imported.stdoutText == "1.2.0\n", "\(imported.stderrText)")

        // Someone replaces the archive (and its manifest) on the release: the bundle no longer matches, nothing installs.
        try FileManager.default.createDirectory(atPath: work.file("evil"), withIntermediateDirectories: true)
        try work.write(
            "evil/shipit-1.2.0-wheelhouse.tar.gz",
            Array(try Data(contentsOf: URL(fileURLWithPath: work.file("shipit-1.2.0-wheelhouse.tar.gz")))) + [0])
        let evilDigest = try DigestAlgorithm.sha256.hash(fileAt: work.file("evil/shipit-1.2.0-wheelhouse.tar.gz")).hex
        try work.write("evil/shipit-1.2.0-wheelhouse.tar.gz.sha256", "\(evilDigest)  shipit-1.2.0-wheelhouse.tar.gz\n")
        let swapped = try fixture.publish([
            "--tag", "v1.2.0", "--replace", "evil/shipit-1.2.0-wheelhouse.tar.gz", "evil/shipit-1.2.0-wheelhouse.tar.gz.sha256",
        ])
        #expect(swapped.status == 0, "\(swapped.stderrText)")
        let refused = try fixture.run(
            [
                "release", "install", "--repository", "octo/wheels", "--tag", "v1.2.0", "--require-sigstore", "--sigstore-identity", identity,
                "--sigstore-issuer", sigstore.issuer, "--trusted-root", sigstore.trustedRootPath, "--venv", work.file("venv2"),
            ] + fixture.network)
        #expect(refused.status == 1, "\(refused.stderrText)")
        #expect(refused.stderrText.contains("artifact digest mismatch: bundle signs sha256:"), "\(refused.stderrText)")
        #expect(!FileManager.default.fileExists(atPath: work.file("venv2")))
    }
}
