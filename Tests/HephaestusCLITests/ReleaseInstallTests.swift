import Foundation
import HephaestusPlatform
import HephaestusTestSupport
import Testing

/// `release verify` / `release install` end to end: real libarchive, real venv, real pip. Every failure leaves the
/// environment unchanged (`pip freeze` before and after) and nothing outside the private staging directory.
@Suite("release install, fail closed", .serialized)
struct ReleaseInstallTests {
    /// One venv shared by the failure cases: each must leave it exactly as it was.
    static let sharedVenv: (TemporaryDirectory, String) = {
        let directory = try! TemporaryDirectory(prefix: "venv")
        let venv = directory.file("venv")
        _ = try? ProcessResult.runTool("python3", ["-m", "venv", venv])
        return (directory, venv)
    }()

    static func freeze(_ venv: String) throws -> String {
        try ProcessResult.run(venv + "/bin/python", ["-m", "pip", "freeze", "--all"]).stdoutText
    }

    static func install(_ arguments: [String], in factory: WheelhouseFactory, workdir: TemporaryDirectory) throws -> ProcessResult {
        try HephaestusBinary.run(["release", "install", "--workdir", workdir.path] + arguments, in: factory.directory.path)
    }

    static let signed = [
        "--require-sigstore", "--sigstore-identity", "https://github.com/octo/wheels/.github/workflows/release.yml@refs/tags/*", "--trusted-root",
        "trusted_root.json",
    ]

    @Test("Happy path: checks pass, wheels install and import; --remove-archive; staging removed")
    func happyPath() throws {
        let factory = try WheelhouseFactory()
        try factory.wheel("alpha-pkg", "1.2.0")
        try factory.wheel("beta-pkg", "0.3.1", requires: ["alpha-pkg>=1.0"])
        let archive = try factory.release()
        let workdir = try TemporaryDirectory()
        let venvParent = try TemporaryDirectory()
        let venv = venvParent.file("venv")
        let result = try Self.install(
            ["--archive", "demo-1.0.0-wheelhouse.tar.gz", "--venv", venv, "--remove-archive", "--json"] + Self.signed, in: factory, workdir: workdir)
        #expect(result.status == 0, "\(result.stderrText)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [String: Any])
        #expect(report["mediaType"] as? String == "application/vnd.hephaestus.release-report+json;version=1")
        let sigstore = try #require(report["sigstore"] as? [String: Any])
        #expect(sigstore["verdict"] as? String == "pass")
        #expect(sigstore["identity"] as? String == WheelhouseFactory.identity)
        #expect(sigstore["logIndex"] as? Int != nil)
        #expect((report["manifest"] as? [String: Any])?["verdict"] as? String == "pass")
        #expect((report["installed"] as? [String])?.sorted() == ["alpha-pkg==1.2.0", "beta-pkg==0.3.1"])
        #expect(
            (report["stages"] as? [[String: Any]])?.map { $0["name"] as? String } == [
                "fetch", "checksum", "sigstore", "extract", "wheels", "install",
            ])
        let imported = try ProcessResult.run(
            venv + "/bin/python", ["-c", "import alpha_pkg, beta_pkg; print(alpha_pkg.__version__, beta_pkg.__version__)"])
        #expect(imported.stdoutText == "1.2.0 0.3.1\n")
        #expect(!FileManager.default.fileExists(atPath: archive))
        #expect(try FileManager.default.contentsOfDirectory(atPath: workdir.path).isEmpty)
    }

    @Test("--dry-run runs every check and asks pip, changing nothing")
    func dryRun() throws {
        let factory = try WheelhouseFactory()
        try factory.wheel("alpha-pkg", "1.2.0")
        let archive = try factory.release()
        let (_, venv) = Self.sharedVenv
        let before = try Self.freeze(venv)
        let result = try Self.install(
            ["--archive", "demo-1.0.0-wheelhouse.tar.gz", "--venv", venv, "--dry-run", "--remove-archive"] + Self.signed, in: factory,
            workdir: try TemporaryDirectory())
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(result.stdoutText.contains("would install: alpha-pkg==1.2.0"))
        #expect(try Self.freeze(venv) == before)
        #expect(FileManager.default.fileExists(atPath: archive))
        let fresh = try TemporaryDirectory().file("never-created")
        let planned = try Self.install(
            ["--archive", "demo-1.0.0-wheelhouse.tar.gz", "--venv", fresh, "--dry-run"] + Self.signed, in: factory, workdir: try TemporaryDirectory())
        #expect(planned.status == 0, "\(planned.stderrText)")
        #expect(!FileManager.default.fileExists(atPath: fresh))
    }

    /// A failure scenario: how to break the release, extra arguments, expected status and message.
    struct Failure: Sendable, CustomTestStringConvertible {
        let name: String
        let status: Int32
        let message: String
        var testDescription: String { name }
    }

    static let failures: [Failure] = [
        Failure(name: "checksum mismatch", status: 1, message: "checksum failed"),
        Failure(name: "missing manifest", status: 1, message: "no SHA-256 manifest"),
        Failure(name: "manifest does not name the archive", status: 1, message: "does not list demo-1.0.0-wheelhouse.tar.gz"),
        Failure(name: "missing bundle with --require-sigstore", status: 1, message: "no bundle"),
        Failure(name: "wrong identity", status: 1, message: "identity mismatch"),
        Failure(name: "wrong issuer", status: 1, message: "issuer mismatch"),
        Failure(name: "archive tampered after signing", status: 1, message: "artifact digest mismatch"),
        Failure(name: "pip failure: missing dependency", status: 3, message: "pip failed"),
        Failure(name: "not a wheel inside", status: 1, message: "not wheels: README.txt"),
        Failure(name: "RECORD mismatch", status: 1, message: "RECORD check failed"),
        Failure(name: "hostile archive", status: 1, message: "'..' path component"),
        Failure(name: "directory named like a wheel", status: 1, message: "\"zzz-1.0-py3-none-any.whl\" is a directory named like a wheel"),
        Failure(name: "no wheel at all", status: 1, message: "the wheelhouse holds no wheels"),
    ]

    @Test("Each failure exits non-zero with one message, leaves the venv unchanged and nothing in the workdir", arguments: failures)
    func failure(scenario: Failure) throws {
        let factory = try WheelhouseFactory()
        var arguments = ["--archive", "demo-1.0.0-wheelhouse.tar.gz"] + Self.signed
        switch scenario.name {
        case "pip failure: missing dependency":
            try factory.wheel("needy-pkg", "1.0.0", requires: ["absent-dependency>=1"])
            try factory.release()
        case "not a wheel inside":
            try factory.wheel("alpha-pkg", "1.0.0")
            try factory.release(extraFiles: ["README.txt": "not a wheel"])
        case "directory named like a wheel":
            try factory.wheel("alpha-pkg", "1.0.0")
            try FileManager.default.createDirectory(
                atPath: factory.directory.file("wheels/zzz-1.0-py3-none-any.whl"), withIntermediateDirectories: true)
            try factory.release()
        case "no wheel at all":
            try FileManager.default.createDirectory(atPath: factory.directory.file("wheels/empty"), withIntermediateDirectories: true)
            try factory.release()
        case "RECORD mismatch":
            try factory.wheel("alpha-pkg", "1.0.0", tamperRecord: true)
            try factory.release()
        case "hostile archive":
            try FileManager.default.copyItem(atPath: HostileArchives.path("traversal.tar"), toPath: factory.directory.file("evil-wheelhouse.tar"))
            let digest = try DigestAlgorithm.sha256.hash(fileAt: factory.directory.file("evil-wheelhouse.tar"))
            try factory.directory.write("evil-wheelhouse.tar.sha256", "\(digest.hex)  evil-wheelhouse.tar\n")
            arguments = ["--archive", "evil-wheelhouse.tar"]
        default:
            try factory.wheel("alpha-pkg", "1.0.0")
            try factory.release()
        }
        let archive = factory.directory.file("demo-1.0.0-wheelhouse.tar.gz")
        switch scenario.name {
        case "checksum mismatch":
            try factory.directory.write("demo-1.0.0-wheelhouse.tar.gz.sha256", String(repeating: "0", count: 64) + "  demo-1.0.0-wheelhouse.tar.gz\n")
        case "missing manifest":
            try FileManager.default.removeItem(atPath: archive + ".sha256")
        case "manifest does not name the archive":
            try factory.directory.write("demo-1.0.0-wheelhouse.tar.gz.sha256", String(repeating: "0", count: 64) + "  other.tar.gz\n")
        case "missing bundle with --require-sigstore":
            try FileManager.default.removeItem(atPath: archive + ".sigstore.json")
        case "wrong identity":
            arguments = [
                "--archive", "demo-1.0.0-wheelhouse.tar.gz", "--require-sigstore", "--sigstore-identity", "https://github.com/evil/*",
                "--trusted-root", "trusted_root.json",
            ]
        case "wrong issuer":
            arguments += ["--sigstore-issuer", "https://accounts.google.com"]
        case "archive tampered after signing":
            var bytes = try FileReader.contents(of: archive)
            bytes[bytes.count / 2] ^= 0x20
            try Data(bytes).write(to: URL(fileURLWithPath: archive))
            let digest = try DigestAlgorithm.sha256.hash(fileAt: archive)
            try factory.directory.write("demo-1.0.0-wheelhouse.tar.gz.sha256", "\(digest.hex)  demo-1.0.0-wheelhouse.tar.gz\n")
        default: break
        }
        let (_, venv) = Self.sharedVenv
        let before = try Self.freeze(venv)
        let workdir = try TemporaryDirectory()
        let result = try Self.install(arguments + ["--venv", venv], in: factory, workdir: workdir)
        #expect(result.status == scenario.status, "\(scenario.name): \(result.stderrText)")
        #expect(result.stderrText.contains(scenario.message), "\(scenario.name): \(result.stderrText)")
        #expect(try Self.freeze(venv) == before, "\(scenario.name) changed the venv")
        #expect(try FileManager.default.contentsOfDirectory(atPath: workdir.path).isEmpty, "\(scenario.name) left files behind")
        #expect(!result.stderrText.contains("Fatal error"))
    }

    @Test("--allow-missing-manifest proceeds, saying the run is unsafe; an unsigned release warns; a present bad bundle still fails")
    func softModes() throws {
        let factory = try WheelhouseFactory()
        try factory.wheel("alpha-pkg", "1.0.0")
        let archive = try factory.release()
        try FileManager.default.removeItem(atPath: archive + ".sha256")
        let (_, venv) = Self.sharedVenv
        let allowed = try Self.install(
            [
                "--archive", "demo-1.0.0-wheelhouse.tar.gz", "--venv", venv, "--dry-run", "--allow-missing-manifest", "--trusted-root",
                "trusted_root.json",
            ], in: factory, workdir: try TemporaryDirectory())
        #expect(allowed.status == 0, "\(allowed.stderrText)")
        #expect(allowed.stderrText.contains("this run is unsafe"))
        #expect(allowed.stderrText.contains("signer is not pinned"))
        try FileManager.default.removeItem(atPath: archive + ".sigstore.json")
        let unsigned = try Self.install(
            ["--archive", "demo-1.0.0-wheelhouse.tar.gz", "--venv", venv, "--dry-run", "--allow-missing-manifest"], in: factory,
            workdir: try TemporaryDirectory())
        #expect(unsigned.status == 0)
        #expect(unsigned.stderrText.contains("its origin is not verified"))
        try factory.directory.write("demo-1.0.0-wheelhouse.tar.gz.sigstore.json", "{\"mediaType\": \"nonsense\"}")
        let bad = try Self.install(
            ["--archive", "demo-1.0.0-wheelhouse.tar.gz", "--venv", venv, "--dry-run", "--allow-missing-manifest"], in: factory,
            workdir: try TemporaryDirectory())
        #expect(bad.status == 1)
    }

    @Test("Any *.sha256 manifest naming the archive is found")
    func otherManifestNames() throws {
        let factory = try WheelhouseFactory()
        try factory.wheel("alpha-pkg", "1.0.0")
        let archive = try factory.release()
        try FileManager.default.moveItem(atPath: archive + ".sha256", toPath: factory.directory.file("release-checksums.sha256"))
        let result = try HephaestusBinary.run(
            ["release", "verify", "--archive", "demo-1.0.0-wheelhouse.tar.gz"] + Self.signed, in: factory.directory.path)
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(result.stdoutText.contains("manifest: pass (release-checksums.sha256)"))
    }

    @Test("From a GitHub release: assets discovered, downloaded, checked and installed")
    func fromRelease() throws {
        let factory = try WheelhouseFactory()
        try factory.wheel("alpha-pkg", "2.0.0")
        let archive = try factory.release()
        let assets: [[String: Any]] = [
            ["id": 1, "name": "demo-1.0.0-wheelhouse.tar.gz", "file": archive],
            ["id": 2, "name": "demo-1.0.0-wheelhouse.tar.gz.sha256", "file": archive + ".sha256"],
            ["id": 3, "name": "demo-1.0.0-wheelhouse.tar.gz.sigstore.json", "file": archive + ".sigstore.json"],
        ]
        let server = try FakeGitHubServer(
            config: FakeGitHubServer.config(releases: [
                ["id": 1, "tag_name": "v1.0.0", "draft": false, "prerelease": false, "published_at": "2026-01-01T00:00:00Z", "assets": assets]
            ]))
        let venv = try TemporaryDirectory().file("venv")
        let workdir = try TemporaryDirectory()
        let result = try HephaestusBinary.run(
            ["release", "install", "--repository", "octo/wheels", "--latest", "--api-url", server.apiURL, "--venv", venv, "--workdir", workdir.path]
                + Self.signed.map { $0 == "trusted_root.json" ? factory.trustedRoot : $0 })
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(result.stdoutText.contains("installed: alpha-pkg==2.0.0"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: workdir.path).isEmpty)
    }

    @Test("Usage errors: --require-sigstore without identities, no install target, two sources")
    func usage() throws {
        for arguments in [
            ["release", "install", "--archive", "a.tar.gz", "--venv", "v", "--require-sigstore"],
            ["release", "install", "--archive", "a.tar.gz"],
            ["release", "install", "--archive", "a.tar.gz", "--venv", "v", "--python", "/usr/bin/python3"],
            ["release", "verify", "--archive", "a.tar.gz", "--repository", "o/r", "--tag", "v1"],
            ["release", "verify"],
        ] {
            let result = try HephaestusBinary.run(arguments)
            #expect(result.status == 64, "\(arguments)")
        }
    }
}
