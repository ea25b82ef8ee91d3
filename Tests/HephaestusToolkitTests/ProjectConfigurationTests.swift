import Foundation
import HephaestusTestSupport
import HephaestusToolkit
import Testing

@Suite("Project configuration (hephaestus.toml, pyproject.toml [tool.hephaestus])")
struct ProjectConfigurationTests {
    @Test("hephaestus.toml: cleanup and guard-rails sections, steps, pins")
    func dedicatedFile() throws {
        let directory = try TemporaryDirectory()
        try directory.write(
            "hephaestus.toml",
            """
            [cleanup]
            include = ["*.log"]
            exclude = ["docs/_build"]

            [guard-rails]
            auto_remediate_per_hour = 3

            [[guard-rails.steps]]
            name = "lint"
            command = ["ruff", "check", "."]
            timeout_seconds = 300
            allowed_exit_codes = [0]
            continue_on_failure = false
            network = false

            [[guard-rails.steps]]
            name = "shell"
            command = "echo hi"
            shell = true
            env = { A = "1" }

            [guard-rails.pins]
            ruff = "0.14.3"
            """)
        let configuration = try ProjectConfiguration.discover(in: directory.path)
        #expect(configuration.source == directory.file("hephaestus.toml"))
        #expect(configuration.cleanup == CleanupConfiguration(include: ["*.log"], exclude: ["docs/_build"]))
        #expect(configuration.guardRails.autoRemediatePerHour == 3)
        #expect(configuration.guardRails.pins == ["ruff": "0.14.3"])
        let steps = try #require(configuration.guardRails.steps)
        #expect(steps.map(\.name) == ["lint", "shell"])
        #expect(steps[0].command == .argv(["ruff", "check", "."]) && steps[0].timeoutSeconds == 300 && !steps[0].continueOnFailure)
        #expect(steps[1].command == .shell("echo hi") && steps[1].env == ["A": "1"])
    }

    @Test("pyproject.toml: only [tool.hephaestus] is read; other tools' tables are theirs")
    func pyproject() throws {
        let directory = try TemporaryDirectory()
        try directory.write(
            "pyproject.toml",
            """
            [project]
            name = "demo"
            [tool.ruff]
            line-length = 100
            [tool.hephaestus.cleanup]
            include = ["*.tmp"]
            """)
        let configuration = try ProjectConfiguration.discover(in: directory.path)
        #expect(configuration.cleanup.include == ["*.tmp"])
    }

    @Test(
        "Unknown keys and wrong values are one line naming the key and the file",
        arguments: [
            ("[cleanup]\nincludes = []\n", "unknown key `cleanup.includes`"),
            ("[cleanups]\n", "unknown key `cleanups`"),
            ("[guard-rails]\nauto_remediate_per_hour = \"2\"\n", "`guard-rails.auto_remediate_per_hour` must be an integer"),
            ("[[guard-rails.steps]]\nname = \"x\"\ncommand = [\"a\"]\ntimeout = 3\n", "unknown key `guard-rails.steps[0].timeout`"),
            ("[[guard-rails.steps]]\nname = \"x\"\ncommand = \"a b\"\n", "set shell = true"),
            ("[cleanup]\ninclude = [\"/etc\"]\n", "unusable pattern"),
            ("[cleanup\n", "line 1"),
        ])
    func rejected(text: String, expected: String) throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write("hephaestus.toml", text)
        #expect {
            try ProjectConfiguration.load(file: file)
        } throws: { error in
            let message = "\(error)"
            return message.hasPrefix(file + ":") && message.contains(expected) && !message.contains("\n")
        }
    }

    @Test("pyproject.toml's [tool.hephaestus] rejects unknown keys too")
    func pyprojectUnknownKey() throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write("pyproject.toml", "[tool.hephaestus]\nguardrails = {}\n")
        #expect(throws: ProjectConfigurationError(.unknownKey, "\(file): unknown key `tool.hephaestus.guardrails`")) {
            try ProjectConfiguration.load(file: file)
        }
    }
}
