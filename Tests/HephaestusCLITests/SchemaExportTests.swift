import ArgumentParser
import Foundation
import HephaestusCore
import HephaestusOperations
import HephaestusTestSupport
import Testing

@testable import hephaestus

/// `hephaestus schema`: the exported command line agrees with the real parser both ways, and the reports the
/// commands print validate against the exported JSON Schemas (PyPI's jsonschema).
@Suite("schema export")
struct SchemaExportTests {
    /// One argument of the exported tool-info.
    struct ExportedArgument {
        let command: [String]
        let kind: String
        /// Its long names (an option may have aliases: `--certificate-identity`, `--cert-identity`).
        let longs: [String]
        let valueType: String
        let allValues: [String]
    }

    static func toolInfo() throws -> [String: Any] {
        let result = try HephaestusBinary.run(["schema", "--format", "tool-info"])
        #expect(result.status == 0, "\(result.stderrText)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [String: Any])
    }

    /// Every leaf command's named arguments, by command path.
    static func exportedArguments(_ command: [String: Any], path: [String] = []) -> [[String]: [ExportedArgument]] {
        let name = command["commandName"] as? String ?? ""
        let here = name == "hephaestus" && path.isEmpty ? [] : path + [name]
        var found: [[String]: [ExportedArgument]] = [:]
        let subcommands = command["subcommands"] as? [[String: Any]] ?? []
        if subcommands.isEmpty, here != ["help"] {
            found[here] = (command["arguments"] as? [[String: Any]] ?? []).map { argument in
                let names = argument["names"] as? [[String: String]] ?? []
                return ExportedArgument(
                    command: here, kind: argument["kind"] as? String ?? "", longs: names.filter { $0["kind"] == "long" }.compactMap { $0["name"] },
                    valueType: argument["valueType"] as? String ?? "", allValues: argument["allValues"] as? [String] ?? [])
            }
        }
        for subcommand in subcommands { found.merge(exportedArguments(subcommand, path: here)) { $1 } }
        return found
    }

    /// A value of the exported type, which the parser must accept for the option.
    static func sample(_ argument: ExportedArgument) -> String {
        if let first = argument.allValues.first { return first }
        switch argument.valueType {
        case "integer": return "2"
        case "number": return "2.5"
        default: return "x"
        }
    }

    /// The parser's complaint about `option`, if any: unknown (found as `main` finds it, whatever else is wrong with
    /// the command line), or a value it cannot read as the exported type.
    static func complaint(about option: String, parsing arguments: [String]) -> String? {
        guard let complaint = complaintNamingOption(parsing: arguments) else { return nil }
        return complaint.contains(option) ? complaint : nil
    }

    /// What the parser says when it refuses an option of `arguments`: unknown, a value it cannot read, a missing value;
    /// nil when it accepts every option (whatever else it says: a missing argument, options that exclude each other).
    static func complaintNamingOption(parsing arguments: [String]) -> String? {
        do {
            _ = try Hephaestus.parseAsRoot(arguments)
            return nil
        } catch {
            let message = Hephaestus.fullMessage(for: error)
            if message.contains("is invalid for") || message.contains("Missing value for") || message.contains("Unknown option") {
                return message
            }
            return UnknownOption.find(in: arguments, root: Hephaestus.self, failing: error)?.fullMessage
        }
    }

    /// The long options the parser documents for a command: the names at the start of its full help's option lines
    /// (hidden options included), not options its prose mentions.
    static func parserOptions(_ path: [String]) throws -> Set<String> {
        var command: any ParsableCommand.Type = Hephaestus.self
        for name in path {
            command = try #require(command.configuration.subcommands.first { $0._commandName == name })
        }
        let help = Hephaestus.helpMessage(for: command, includeHidden: true, columns: 1000)
        var names: Set<String> = []
        for line in help.split(separator: "\n") where line.hasPrefix("  -") {
            let declaration = line.split(separator: "  ", omittingEmptySubsequences: true).first ?? ""
            names.formUnion(declaration.matches(of: /--([a-z][a-z0-9-]*)/).map { String($0.1) })
        }
        return names
    }

    @Test("every option in the exported command line parses with the real parser, and every option the parser documents is exported")
    func commandLineRoundTrip() throws {
        let commands = Self.exportedArguments(try #require(try Self.toolInfo()["command"] as? [String: Any]))
        #expect(commands.count >= 28, "\(commands.count) leaf commands")
        var disagreements: [String] = []
        var checked = 0
        for (path, arguments) in commands {
            let command = "hephaestus \(path.joined(separator: " "))"
            var exported: Set<String> = []
            // Each named option once, with a value of its exported type (options that take the rest of the line last).
            var pending: [(long: String, words: [String])] = []
            for argument in arguments {
                exported.formUnion(argument.longs)
                #expect(["string", "integer", "number", "boolean"].contains(argument.valueType), "\(command): \(argument.valueType)")
                for long in argument.longs where long != "help" && long != "version" {
                    pending.append((long, argument.kind == "flag" ? ["--\(long)"] : ["--\(long)", Self.sample(argument)]))
                    checked += 1
                    // A number option must refuse text: a value type exported as a number that is not would pass here.
                    if argument.valueType == "integer" || argument.valueType == "number", argument.allValues.isEmpty,
                        Self.complaint(about: "--\(long)", parsing: path + ["--\(long)", "not-a-number"]) == nil
                    {
                        disagreements.append("\(command) --\(long) is exported as \(argument.valueType) but takes any text")
                    }
                }
            }
            // All of them in one command line: the parser must know each and read each value; an option it refuses is a
            // disagreement, taken out before the next try.
            while !pending.isEmpty {
                let words = path + pending.flatMap(\.words)
                guard let complaint = Self.complaintNamingOption(parsing: words) else { break }
                guard let index = pending.firstIndex(where: { complaint.contains("'--\($0.long)") || complaint.contains("--\($0.long) ") }) else {
                    disagreements.append("\(command): \(complaint)")
                    break
                }
                disagreements.append("\(command) --\(pending[index].long): \(complaint)")
                pending.remove(at: index)
            }
            let documented = try Self.parserOptions(path).subtracting(["experimental-dump-help", "help-hidden"])
            for missing in documented.subtracting(exported).sorted() {
                disagreements.append("hephaestus \(path.joined(separator: " ")) accepts --\(missing), which the schema does not list")
            }
            for extra in exported.subtracting(documented).subtracting(["help", "version"]).sorted() {
                disagreements.append("hephaestus \(path.joined(separator: " ")) does not document --\(extra), which the schema lists")
            }
        }
        #expect(checked > 300, "\(checked) options checked")
        #expect(disagreements == [], "\(disagreements.count) disagreements")
    }

    @Test("a wrong value type in the schema is caught: --jobs of verify batch read as a string is refused by the parser")
    func roundTripCatchesWrongType() {
        #expect(Self.complaint(about: "--jobs", parsing: ["verify", "batch", "--jobs", "x"]) != nil)
        #expect(Self.complaint(about: "--no-such-option", parsing: ["verify", "batch", "--no-such-option"]) != nil)
        #expect(Self.complaint(about: "--jobs", parsing: ["verify", "batch", "--jobs", "2"]) == nil)
        // Among other options, on one command line, as the round trip parses them.
        let line = ["verify", "bundle", "--bundle", "b.json", "--no-such-option", "--key", "k.pem", "--staging"]
        #expect(Self.complaintNamingOption(parsing: line)?.contains("--no-such-option") == true)
    }

    @Test("each command with an operation carries its effect, media type, schemas and exit statuses")
    func operationsInToolInfo() throws {
        let info = try Self.toolInfo()
        #expect(info["mediaType"] as? String == "application/vnd.hephaestus.tool-info+json;version=1")
        #expect(info["serializationVersion"] as? Int == 0)
        func find(_ command: [String: Any], _ path: [String]) -> [String: Any]? {
            guard let name = path.first else { return command }
            let next = (command["subcommands"] as? [[String: Any]] ?? []).first { $0["commandName"] as? String == name }
            return next.flatMap { find($0, Array(path.dropFirst())) }
        }
        let root = try #require(info["command"] as? [String: Any])
        let verify = try #require(find(root, ["verify", "bundle"])?["operation"] as? [String: Any])
        #expect(verify["name"] as? String == "verify.bundle")
        #expect(verify["readOnly"] as? Bool == true)
        #expect(verify["destructive"] as? Bool == false)
        let statuses = (verify["exitCodes"] as? [[String: Any]] ?? []).compactMap { $0["status"] as? Int }
        #expect(statuses.contains(0) && statuses.contains(1) && statuses.contains(64))
        let revoke = try #require(find(root, ["release", "revoke"])?["operation"] as? [String: Any])
        #expect(revoke["destructive"] as? Bool == true)
        #expect(revoke["idempotent"] as? Bool == false)
        let jobs = (find(root, ["verify", "batch"])?["arguments"] as? [[String: Any]] ?? []).first {
            $0["valueName"] as? String == "n" || ($0["preferredName"] as? [String: String])?["name"] == "jobs"
        }
        #expect(jobs?["valueType"] as? String == "integer")
    }

    @Test("--output writes the document atomically, refuses an existing file without --overwrite, and --json describes it")
    func outputFile() throws {
        let work = try TemporaryDirectory()
        let path = work.file("operations.schema.json")
        let written = try HephaestusBinary.run(["schema", "--format", "json-schema", "--output", path])
        #expect(written.status == 0, "\(written.stderrText)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        let definitions = try #require(document["$defs"] as? [String: Any])
        for descriptor in OperationRegistry.descriptors {
            #expect(definitions["\(descriptor.name).request"] != nil && definitions["\(descriptor.name).report"] != nil, "\(descriptor.name)")
        }
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let again = try HephaestusBinary.run(["schema", "--format", "mcp", "--output", path])
        #expect(again.status == 73)
        #expect(again.stderrText.contains("already exists"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before, "the refused run left the file as it was")
        let replaced = try HephaestusBinary.run(["schema", "--format", "mcp", "--output", path, "--overwrite", "--json"])
        #expect(replaced.status == 0, "\(replaced.stderrText)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(replaced.stdout)) as? [String: Any])
        #expect(report["mediaType"] as? String == "application/vnd.hephaestus.schema-export+json;version=1")
        #expect(report["documentMediaType"] as? String == "application/vnd.hephaestus.mcp-tools+json;version=1")
        let tools = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        #expect((tools["tools"] as? [Any])?.count == OperationRegistry.descriptors.count)
        let bad = try HephaestusBinary.run(["schema", "--format", "yaml"])
        #expect(bad.status == 64)
    }

    /// A `--json` run whose stdout is one report of `operation`.
    struct Run {
        let operation: String
        let label: String
        let arguments: [String]
        var directory: String?
        var expectedStatus: Int32 = 0
    }

    /// Representative `--json` runs of every command that runs offline (local files, the local Sigstore instance);
    /// the others are listed in docs/agents.md with why.
    static func offlineRuns(_ work: TemporaryDirectory, server: SigstoreTestServer, wheels: WheelhouseFactory) throws -> [Run] {
        try work.write("a.txt", "schema\n")
        let file = work.file("a.txt")
        let key = work.file("key.pem")
        #expect(
            try ProcessResult.runTool("openssl", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-out", key]).status == 0
        )
        #expect(try ProcessResult.runTool("openssl", ["pkey", "-in", key, "-pubout", "-out", work.file("key.pub")]).status == 0)
        let digest = try HephaestusBinary.run(["digest", file])
        try work.write("SHA256SUMS", digest.stdoutText)
        try wheels.wheel("demo", "1.0")
        let archive = work.file("demo-1.0-wheelhouse.tar.gz")
        var runs = [
            Run(operation: "digest.files", label: "digest", arguments: ["digest", "--json", file]),
            Run(operation: "digest.check", label: "digest --check", arguments: ["digest", "--check", "--json", work.file("SHA256SUMS")]),
            Run(operation: "trust.show", label: "trust show", arguments: ["trust", "show", "--json"]),
            Run(operation: "trust.show", label: "trust show --staging", arguments: ["trust", "show", "--staging", "--json"]),
            Run(
                operation: "sign.files", label: "sign --key",
                arguments: [
                    "sign", "--json", "--key", key, "--signing-config", server.rekorV1SigningConfigPath, "--trusted-root", server.trustedRootPath,
                    "--bundle", work.file("a.txt.sigstore.json"), file,
                ]),
            Run(
                operation: "verify.bundle", label: "verify bundle --key (pass)",
                arguments: [
                    "verify", "bundle", "--json", "--bundle", work.file("a.txt.sigstore.json"), "--key", work.file("key.pub"), "--trusted-root",
                    server.trustedRootPath, file,
                ]),
            Run(
                operation: "wheelhouse.pack", label: "wheelhouse pack",
                arguments: ["wheelhouse", "pack", "--json", wheels.directory.file("wheels"), "--output", archive]),
            Run(
                operation: "wheelhouse.extract", label: "wheelhouse extract",
                arguments: ["wheelhouse", "extract", "--json", archive, "--dest", work.file("extracted")]),
            Run(operation: "schema.export", label: "schema --output", arguments: ["schema", "--json", "--output", work.file("tool-info.json")]),
            Run(operation: "schema.export", label: "schema --format mcp", arguments: ["schema", "--json", "--format", "mcp"]),
        ]
        if SharedFixtures.isAvailable {
            let signer = [
                "--certificate-identity", "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2",
                "--certificate-oidc-issuer", "https://token.actions.githubusercontent.com",
            ]
            let fixtures = SharedFixtures.sigstorePython.path
            runs += [
                Run(
                    operation: "verify.bundle", label: "verify bundle (genuine, pass)",
                    arguments: ["verify", "bundle", "--json", "--bundle", "bundle_v3_github.whl.sigstore"] + signer + ["bundle_v3_github.whl"],
                    directory: fixtures),
                Run(
                    operation: "verify.bundle", label: "verify bundle (genuine, identity mismatch)",
                    arguments: [
                        "verify", "bundle", "--json", "--bundle", "bundle.txt.sigstore", "--staging", "--certificate-identity",
                        "bad@ident.example.com",
                        "--certificate-oidc-issuer", "https://github.com/login/oauth", "bundle.txt",
                    ], directory: fixtures, expectedStatus: 1),
                Run(
                    operation: "verify.files", label: "verify files (genuine)",
                    arguments: ["verify", "files", "--json"] + signer + ["bundle_v3_github.whl"],
                    directory: fixtures),
            ]
        }
        return runs
    }

    /// Runs scripts/validate-json-reports (what the test job runs over every run the suites recorded) on `directory`.
    static func validate(_ directory: String, minimum: Int) throws -> ProcessResult {
        let python = try #require(TestVenv.tool("python"), "the test venv has no python")
        let script = TestVenv.projectRoot.appendingPathComponent("scripts/validate-json-reports").path
        return try ProcessResult.run(python, [script, "--binary", HephaestusBinary.path, "--min-reports", String(minimum), directory])
    }

    @Test(
        "every --json report of the offline commands validates against its exported JSON Schema (PyPI jsonschema)",
        .enabled(if: TestVenv.isUsable("python"), "the test venv (jsonschema) is absent"))
    func reportsValidate() throws {
        let work = try TemporaryDirectory()
        let server = try SigstoreTestServer()
        let wheels = try WheelhouseFactory()
        let recorded = work.file("recorded")
        let runs = try Self.offlineRuns(work, server: server, wheels: wheels)
        for run in runs {
            let result = try HephaestusBinary.run(run.arguments, in: run.directory)
            #expect(result.status == run.expectedStatus, "\(run.label): \(result.stderrText)")
            JSONReportRecorder.record(arguments: run.arguments, result: result, caller: run.label, into: recorded)
        }
        let validation = try Self.validate(recorded, minimum: runs.count)
        #expect(validation.status == 0, "\(validation.stdoutText)\(validation.stderrText)")
        #expect(
            validation.stdoutText.contains("validated \(runs.count) --json documents from \(runs.count) recorded runs"), "\(validation.stdoutText)")
    }

    @Test(
        "the validator fails a report that does not match its schema, a document with no schema, and a run that recorded nothing",
        .enabled(if: TestVenv.isUsable("python"), "the test venv (jsonschema) is absent"))
    func validatorCatchesDrift() throws {
        let work = try TemporaryDirectory()
        let arguments = ["schema", "--json", "--format", "mcp"]
        let report = try HephaestusBinary.run(arguments)
        var document = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout)) as? [String: Any])
        document["format"] = "yaml"
        document["sha256"] = nil
        let tampered = String(decoding: try JSONSerialization.data(withJSONObject: document), as: UTF8.self)
        let recorded = work.file("recorded")
        JSONReportRecorder.record(
            arguments: arguments, result: ProcessResult(status: 0, signal: nil, stdout: Array(tampered.utf8), stderr: []), caller: "tampered",
            into: recorded)
        let unknown = #"{"mediaType": "application/vnd.example.nothing+json;version=1"}"#
        JSONReportRecorder.record(
            arguments: ["exit-codes", "--json"], result: ProcessResult(status: 0, signal: nil, stdout: Array(unknown.utf8), stderr: []),
            caller: "unknown", into: recorded)
        let validation = try Self.validate(recorded, minimum: 1)
        #expect(validation.status == 1)
        #expect(validation.stdoutText.contains("'yaml' is not one of"), "\(validation.stdoutText)")
        #expect(validation.stdoutText.contains("'sha256' is a required property"), "\(validation.stdoutText)")
        #expect(validation.stdoutText.contains("no schema has the media type application/vnd.example.nothing"), "\(validation.stdoutText)")
        #expect(validation.stdoutText.contains("only 0 documents were validated"), "\(validation.stdoutText)")
        // Recording is off without the variable, and on with it only for --json runs.
        let off = work.file("off")
        JSONReportRecorder.record(arguments: arguments, result: report, caller: "off", into: nil)
        JSONReportRecorder.record(arguments: ["schema", "--format", "mcp"], result: report, caller: "no --json", into: off)
        #expect(!FileManager.default.fileExists(atPath: off))
    }
}
