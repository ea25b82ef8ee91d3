import Foundation
import HephaestusTestSupport
import Testing

@Suite("hephaestus guard-rails")
struct GuardRailsCommandTests {
    static let configuration = """
        [guard-rails]
        network_probe = "127.0.0.1:1"

        [[guard-rails.steps]]
        name = "ok"
        command = ["true"]

        [[guard-rails.steps]]
        name = "bad"
        command = "echo 'demo/x.py:3: error: Incompatible types  [assignment]'; exit 1"
        shell = true
        findings = "mypy-text"

        [[guard-rails.steps]]
        name = "online"
        command = ["true"]
        network = true
        """

    static func project(_ text: String = configuration) throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory(prefix: "guard-rails-cli")
        try directory.write("hephaestus.toml", text)
        return directory
    }

    @Test("text: a line per step, findings under it, the totals; exit 1 when a step failed")
    func text() throws {
        let directory = try Self.project()
        let result = try HephaestusBinary.run(["guard-rails"], in: directory.path)
        #expect(result.status == 1)
        let lines = result.stdoutText.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("ok ok: passed [") == true && lines.first?.hasSuffix(" s]") == true)
        #expect(lines.contains("   demo/x.py:3: error [assignment] Incompatible types"))
        #expect(lines.contains { $0.hasPrefix("-- online: skipped-offline (the network is unreachable (cannot connect to 127.0.0.1:1") })
        #expect(lines.last == "guard-rails: 1 passed, 1 failed, 1 skipped-offline; 1 step(s) failed: bad")
    }

    @Test("--format junit --output FILE writes the XML atomically and prints the totals; jsonl streams one record per step")
    func machineFormats() throws {
        let directory = try Self.project()
        let junit = try HephaestusBinary.run(["guard-rails", "--format", "junit", "--output", directory.file("out.xml")], in: directory.path)
        #expect(junit.status == 1)
        let xml = try String(contentsOfFile: directory.file("out.xml"), encoding: .utf8)
        #expect(xml.contains("<testsuites name=\"guard-rails\" tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"1\""))
        #expect(junit.stdoutText.hasSuffix("guard-rails: 1 passed, 1 failed, 1 skipped-offline; 1 step(s) failed: bad\n"))
        let jsonl = try HephaestusBinary.run(["guard-rails", "--format", "jsonl"], in: directory.path)
        let records = jsonl.stdoutText.split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(records.count == 4)
        #expect(
            records.prefix(3).map { $0?["mediaType"] as? String }
                == Array(repeating: "application/vnd.hephaestus.guard-rails-step+json;version=1", count: 3))
        #expect(records.prefix(3).map { $0?["status"] as? String } == ["passed", "failed", "skipped-offline"])
        #expect(records.last??["mediaType"] as? String == "application/vnd.hephaestus.guard-rails-report+json;version=1")
    }

    @Test("--drift: an installed file that differs from the locked wheel is named, with the reinstall command; exit 1")
    func driftAgainstLockedWheel() throws {
        let directory = try Self.project(
            "[guard-rails]\nwheelhouse = \"wheelhouse\"\n[[guard-rails.steps]]\nname = \"ok\"\ncommand = [\"true\"]\n")
        let script = TestVenv.projectRoot.appendingPathComponent("fixtures/wheels/make_wheel.py").path
        let wheel = try ProcessResult.runTool("python3", [script, directory.file("wheelhouse"), "Demo_Tool", "1.0"]).stdoutText
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let hash = try ProcessResult.runTool("sha256sum", [wheel]).stdoutText.prefix(64)
        // An installation as an installer leaves it: the wheel's files in site-packages, its RECORD beside them.
        let sitePackages = directory.file(".venv/lib/python3.11/site-packages")
        try FileManager.default.createDirectory(atPath: sitePackages, withIntermediateDirectories: true)
        try directory.write(".venv/pyvenv.cfg", "home = /usr/bin\n")
        let unpacked = try ProcessResult.runTool("python3", ["-m", "zipfile", "-e", wheel, sitePackages])
        try #require(unpacked.status == 0, "\(unpacked.stderrText)")
        try directory.write("requirements.txt", "demo-tool==1.0.0 --hash=sha256:\(hash)\n")
        let clean = try HephaestusBinary.run(["guard-rails", "--drift"], in: directory.path)
        #expect(clean.status == 0, "\(clean.stdoutText)\(clean.stderrText)")

        try directory.write(".venv/lib/python3.11/site-packages/Demo_Tool/__init__.py", "print('changed')\n")
        let result = try HephaestusBinary.run(["guard-rails", "--drift"], in: directory.path)
        #expect(result.status == 1)
        let project = URL(fileURLWithPath: directory.path).resolvingSymlinksInPath().path
        let (venv, wheelhouse) = (project + "/.venv", project + "/wheelhouse")
        #expect(
            result.stdoutText.contains(
                "drift hash-mismatch: demo-tool (installed 1.0, pinned 1.0.0) from requirements.txt:1: the installed files are not those of "
                    + "Demo_Tool-1.0-py3-none-any.whl, whose sha256 the lock lists: lib/python3.11/site-packages/Demo_Tool/__init__.py: differs; "
                    + "fix: \(venv)/bin/python -m pip install --no-deps --force-reinstall --no-index \(wheelhouse)/Demo_Tool-1.0-py3-none-any.whl\n"),
            "\(result.stdoutText)")
    }

    @Test(
        "Refusals: an unknown step (64), a missing tool (78), an unknown configuration key (78)",
        arguments: [
            (["--only", "nope"], Int32(64), "no step named \"nope\" (the steps: ok, bad, online)"),
            (["--config", "missing-tool.toml"], 78, "step ghost: hephaestus-no-such-tool is not installed"),
            (["--config", "typo.toml"], 78, "typo.toml: unknown key `guard-rails.steps[0].comand`"),
        ])
    func refusals(arguments: [String], status: Int32, message: String) throws {
        let directory = try Self.project()
        try directory.write("missing-tool.toml", "[[guard-rails.steps]]\nname = \"ghost\"\ncommand = [\"hephaestus-no-such-tool\"]\n")
        try directory.write("typo.toml", "[[guard-rails.steps]]\nname = \"x\"\ncomand = [\"true\"]\n")
        let result = try HephaestusBinary.run(["guard-rails"] + arguments, in: directory.path)
        #expect(result.status == status)
        #expect(result.stderrText.contains(message) || result.stdoutText.contains(message), "\(result.stdoutText)\(result.stderrText)")
    }
}
