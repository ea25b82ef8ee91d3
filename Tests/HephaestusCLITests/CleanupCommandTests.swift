import Foundation
import HephaestusTestSupport
import Testing

@Suite("hephaestus cleanup")
struct CleanupCommandTests {
    static func project() throws -> (TemporaryDirectory, String) {
        let directory = try TemporaryDirectory(prefix: "cleanup-cli")
        // The real path (the temporary directory's may hold `//`): what cleanup reports and asks to be typed.
        let root = URL(fileURLWithPath: directory.path).resolvingSymlinksInPath().path + "/project"
        for path in ["pkg/__pycache__/a.cpython-312.pyc", "build/lib/a.py", "pkg/a.py", ".git/HEAD"] {
            try FileManager.default.createDirectory(
                atPath: root + "/" + (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data("content\n".utf8).write(to: URL(fileURLWithPath: root + "/" + path))
        }
        return (directory, root)
    }

    @Test("--dry-run --json lists the plan with a media type and removes nothing; the run removes it")
    func dryRunThenRun() throws {
        let (directory, root) = try Self.project()
        let dry = try HephaestusBinary.run(["cleanup", root, "--dry-run", "--json"])
        #expect(dry.status == 0)
        let document = try JSONSerialization.jsonObject(with: Data(dry.stdout)) as! [String: Any]
        #expect(document["mediaType"] as? String == "application/vnd.hephaestus.cleanup-report+json;version=1")
        let targets = (document["targets"] as! [[String: Any]]).map { $0["path"] as! String }
        #expect(Set(targets) == [root + "/pkg/__pycache__", root + "/build"])
        #expect(FileManager.default.fileExists(atPath: root + "/build/lib/a.py"))
        let run = try HephaestusBinary.run(["cleanup", "--audit-manifest", directory.file("audit.json")], in: root)
        #expect(run.status == 0, "\(run.stderrText)")
        #expect(run.stdoutText.contains("removed \(root)/build/"))
        #expect(run.stdoutText.contains("removed 2 files and 3 directories, 16 B"))
        #expect(!FileManager.default.fileExists(atPath: root + "/build") && FileManager.default.fileExists(atPath: root + "/pkg/a.py"))
        #expect(FileManager.default.fileExists(atPath: directory.file("audit.json")))
    }

    @Test(
        "Refusals: one line and a distinct exit status, nothing removed",
        arguments: [
            (["/"], Int32(77), "refused root /: / is a protected system directory"),
            (["--extra-path", "  "], 64, "an --extra-path is empty or only whitespace"),
            (["--extra-path", "/usr/../etc", "--allow-outside-root", "--yes"], 77, "refused path /etc: /etc is a protected system directory"),
            (["--yes"], 64, "--yes is meaningful only with --allow-outside-root"),
        ])
    func refusals(arguments: [String], status: Int32, message: String) throws {
        let (directory, root) = try Self.project()
        defer { withExtendedLifetime(directory) {} }
        let result = try HephaestusBinary.run(["cleanup"] + arguments, in: root)
        #expect(result.status == status)
        #expect(result.stderrText.contains(message), "\(result.stderrText)")
        #expect(FileManager.default.fileExists(atPath: root + "/build/lib/a.py"))
    }

    @Test("Outside the root: refused without a terminal, even with the path piped in; --yes removes it and is logged")
    func outsideRoot() throws {
        let (directory, root) = try Self.project()
        let elsewhere = (root as NSString).deletingLastPathComponent + "/elsewhere"
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        let piped = try HephaestusBinary.run(
            ["cleanup", root, "--extra-path", elsewhere, "--allow-outside-root"], stdin: Array("\(elsewhere)\n".utf8))
        #expect(piped.status == 77)
        #expect(piped.stderrText.contains("no terminal to confirm it (add --yes"))
        #expect(FileManager.default.fileExists(atPath: elsewhere) && FileManager.default.fileExists(atPath: root + "/build"))
        let confirmed = try HephaestusBinary.run(["cleanup", root, "--extra-path", elsewhere, "--allow-outside-root", "--yes"])
        #expect(confirmed.status == 0)
        #expect(confirmed.stderrText.contains("cleanup.outside-root-confirmed") && confirmed.stderrText.contains("by=--yes"))
        #expect(!FileManager.default.fileExists(atPath: elsewhere))
    }

    @Test("Outside the root at a terminal: the typed path confirms, anything else refuses")
    func typedConfirmation() throws {
        guard let script = ToolLocator.find("script") else { return }
        for (answer, status) in [("wrong", Int32(77)), ("RIGHT", 0)] {
            let (directory, root) = try Self.project()
            defer { withExtendedLifetime(directory) {} }
            let elsewhere = (root as NSString).deletingLastPathComponent + "/elsewhere"
            try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
            let typed = answer == "RIGHT" ? elsewhere : answer
            let command = [HephaestusBinary.path, "cleanup", root, "--extra-path", elsewhere, "--allow-outside-root"].map { "'\($0)'" }
                .joined(separator: " ")
            let result = try ProcessResult.run(script, ["-qec", command, "/dev/null"], stdin: Array("\(typed)\n".utf8))
            #expect(result.status == status, "\(result.stdoutText)")
            #expect(result.stdoutText.contains("Type \(elsewhere) to confirm:"))
            #expect(FileManager.default.fileExists(atPath: elsewhere) == (status != 0))
        }
    }

    @Test("An unknown key in the project's configuration is one line naming it and the file (exit 78)")
    func unknownConfigurationKey() throws {
        let (directory, root) = try Self.project()
        defer { withExtendedLifetime(directory) {} }
        try Data("[cleanup]\nexclud = [\"x\"]\n".utf8).write(to: URL(fileURLWithPath: root + "/hephaestus.toml"))
        let result = try HephaestusBinary.run(["cleanup", root, "--dry-run"])
        #expect(result.status == 78)
        #expect(result.stderrText == "hephaestus: \(root)/hephaestus.toml: unknown key `cleanup.exclud`\n")
    }
}
