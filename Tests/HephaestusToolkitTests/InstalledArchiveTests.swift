import Foundation
import HephaestusCore
import HephaestusPlatform
import HephaestusTestSupport
import HephaestusToolkit
import Testing

@Suite("guard-rails drift: installed wheels against the lock's hashes (real pip in a virtualenv made by the test)")
struct InstalledArchiveTests {
    /// A project with a virtualenv where pip installed demotool 1.0 from a find-links directory (as from an index: pip
    /// records no archive hash), a wheelhouse holding that wheel, and a second, different build of demotool 1.0.
    struct Project {
        let directory: TemporaryDirectory
        let project: String
        let venv: String
        let wheelhouse: String
        let locked: String
        let lockedHash: String
        let other: String
        let otherHash: String

        init() throws {
            directory = try TemporaryDirectory(prefix: "installed-archive")
            project = directory.file("project")
            venv = project + "/.venv"
            wheelhouse = project + "/wheelhouse"
            locked = try makeWheel(into: wheelhouse, "demotool", "1.0")
            lockedHash = try DigestAlgorithm.sha256.hash(fileAt: locked).hex
            // Another build of the same version: one module more (what a swapped wheel on a mirror looks like).
            other = try ProcessResult.runTool(
                "python3",
                [
                    TestVenv.projectRoot.appendingPathComponent("fixtures/wheels/make_wheel.py").path, directory.file("elsewhere"), "demotool",
                    "1.0", "--modules", "1",
                ]
            ).stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
            otherHash = try DigestAlgorithm.sha256.hash(fileAt: other).hex
            let made = try ProcessResult.runTool("python3", ["-m", "venv", venv])
            try #require(made.status == 0, "\(made.stderrText)")
            try pip(["install", "-q", "--no-index", "--find-links", wheelhouse, "demotool==1.0"])
        }

        func pip(_ arguments: [String]) throws {
            let result = try ProcessResult.run(venv + "/bin/python", ["-m", "pip"] + arguments)
            try #require(result.status == 0, "\(result.stderrText)")
        }

        func configure(wheelhouse: Bool, requirement: String) throws {
            try put(
                project + "/hephaestus.toml",
                "[guard-rails]\n\(wheelhouse ? "wheelhouse = \"wheelhouse\"\n" : "")[[guard-rails.steps]]\nname = \"noop\"\ncommand = [\"true\"]\n"
                    + "[guard-rails.pins]\ndemotool = \"V1.0.0\"\n")
            try put(project + "/requirements.txt", requirement)
        }

        func drift(autoRemediate: Bool = false) async throws -> GuardRailsReport {
            try await GuardRailsOperation.run(
                .init(project: project, drift: true, autoRemediate: autoRemediate, store: directory.file("state/ledger.sqlite")),
                in: toolkitContext(environment: ProcessInfo.processInfo.environment.merging(["USER": "tester"]) { $1 }), emit: ItemSink { _ in })
        }

        var sitePackages: String {
            let lib = (NativePath.entries(ofDirectory: venv + "/lib") ?? []).first { $0.hasPrefix("python") } ?? "python3"
            return "lib/\(lib)/site-packages"
        }
    }

    @Test("Installed from an index: unverifiable without a wheelhouse, verified against the locked wheel, tampering and a swapped build found")
    func filesAgainstLockedWheel() async throws {
        let setup = try Project()
        let real = CleanupSafety.resolve(setup.project)!
        #expect(!FileManager.default.fileExists(atPath: setup.venv + "/\(setup.sitePackages)/demotool-1.0.dist-info/direct_url.json"))

        // No wheelhouse: the hash cannot be checked, and the finding says so and how to make it checkable. The pin
        // V1.0.0 of the configuration matches the installed 1.0 (PEP 440).
        try setup.configure(wheelhouse: false, requirement: "demotool==1.0 \\\n    --hash=sha256:\(setup.lockedHash)\n")
        let unverifiable = try await setup.drift()
        #expect(unverifiable.drift?.map(\.kind) == [.hashUnverified], "\(unverifiable.drift ?? [])")
        let finding = try #require(unverifiable.drift?.first)
        #expect(finding.source == "requirements.txt:1" && finding.remediationArgv == nil)
        #expect(finding.detail?.contains("no [guard-rails] wheelhouse") == true)
        #expect(
            finding.remediation
                == "\(real)/.venv/bin/python -m pip download --no-deps --only-binary=:all: --dest \(real)/wheelhouse demotool==1.0"
                + " and set wheelhouse = \"wheelhouse\" in [guard-rails] (the next run checks the wheel's sha256 against the lock)")

        // The locked wheel in the wheelhouse: every installed file is that wheel's.
        try setup.configure(wheelhouse: true, requirement: "demotool==1.0 --hash=sha256:\(setup.lockedHash)\n")
        let verified = try await setup.drift()
        #expect(verified.drift == [], "\(verified.drift ?? [])")
        #expect(verified.failure == nil)

        // A file changed after installation.
        let module = setup.venv + "/\(setup.sitePackages)/demotool/__init__.py"
        let original = try FileReader.contents(of: module)
        try put(module, String(decoding: original, as: UTF8.self) + "import os; os.system('true')\n")
        let tampered = try await setup.drift()
        let mismatch = try #require(tampered.drift?.first, "\(tampered.drift ?? [])")
        #expect(tampered.drift?.count == 1 && mismatch.kind == .hashMismatch)
        #expect(mismatch.detail?.contains("\(setup.sitePackages)/demotool/__init__.py: differs") == true, "\(mismatch.detail ?? "")")
        let reinstall =
            "\(real)/.venv/bin/python -m pip install --no-deps --force-reinstall --no-index \(real)/wheelhouse/demotool-1.0-py3-none-any.whl"
        #expect(mismatch.remediation == reinstall)

        // --auto-remediate reinstalls the locked wheel; the files are that wheel's again.
        let remediated = try await setup.drift(autoRemediate: true)
        #expect(remediated.remediation?.plan == [reinstall])
        #expect(remediated.remediation?.actions.map(\.exitStatus) == [0])
        #expect(remediated.drift == [], "\(remediated.drift ?? [])")
        #expect(try FileReader.contents(of: module) == original)

        // Another build of the same version installed (pip is content with name and version): its extra module is
        // reported, and so is the lock's hash of a wheel that is not in the wheelhouse.
        try setup.pip([
            "install", "-q", "--no-deps", "--force-reinstall", "--no-index", "--find-links", (setup.other as NSString).deletingLastPathComponent,
            "demotool==1.0",
        ])
        let swapped = try await setup.drift()
        let swap = try #require(swapped.drift?.first)
        #expect(swapped.drift?.count == 1 && swap.kind == .hashMismatch)
        #expect(swap.detail?.contains("\(setup.sitePackages)/demotool/mod_000.py: not in the wheel") == true, "\(swap.detail ?? "")")

        try setup.configure(wheelhouse: true, requirement: "demotool==1.0 --hash=sha256:\(setup.otherHash)\n")
        let notInWheelhouse = try await setup.drift()
        #expect(notInWheelhouse.drift?.map(\.kind) == [.hashUnverified])
        #expect(
            notInWheelhouse.drift?.first?.detail?.hasSuffix("(1 wheel(s) of that version there have hashes the lock does not list)") == true,
            "\(notInWheelhouse.drift ?? [])")
    }

    @Test("Installed from a wheel file: pip's recorded archive hash is checked against the lock, with or without a wheelhouse")
    func recordedArchiveHash() async throws {
        let setup = try Project()
        try setup.pip(["install", "-q", "--no-deps", "--force-reinstall", "--no-index", setup.other])
        try setup.configure(wheelhouse: false, requirement: "demotool==1.0 --hash=sha256:\(setup.otherHash)\n")
        #expect(try await setup.drift().drift == [])

        try setup.configure(wheelhouse: false, requirement: "demotool==1.0 --hash=sha256:\(setup.lockedHash)\n")
        let report = try await setup.drift()
        let finding = try #require(report.drift?.first)
        #expect(report.drift?.count == 1 && finding.kind == .hashMismatch && finding.installed == "sha256:" + setup.otherHash)
        #expect(finding.detail == "direct_url.json records an archive whose sha256 the lock does not list")
        #expect(finding.remediation.hasSuffix("-m pip install --no-deps --force-reinstall demotool==1.0"))
    }
}
