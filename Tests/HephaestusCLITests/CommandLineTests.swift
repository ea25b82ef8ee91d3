import ArgumentParser
import Foundation
import HephaestusCore
import HephaestusOperations
import HephaestusTestSupport
import Testing

@testable import hephaestus

/// The command line as a new user meets it: peer tools' flags, misspelt options, help screens, shell completions,
/// `--version`.
@Suite("command line: flags, help, completions, version")
struct CommandLineTests {
    // MARK: - Item 18: peer tools' flags, unknown options first

    @Test("sigstore-python's --cert-identity, --cert-oidc-issuer and --offline are accepted by verify bundle")
    func sigstorePythonFlags() throws {
        let work = try TemporaryDirectory()
        // The aliases reach the same options: a mismatching identity is refused at the identity step, exit 1 …
        let server = try SigstoreTestServer()
        try work.write("keyless.bin", "keyless bytes\n")
        let signed = try SignCommandTests.sign(
            [
                "--identity-token", try server.token(), "--signing-config", server.signingConfigPath, "--trusted-root", server.trustedRootPath,
                "keyless.bin",
            ], in: work.path)
        #expect(signed.status == 0, "\(signed.stderrText)")
        func verify(_ identity: String) throws -> ProcessResult {
            try HephaestusBinary.run(
                [
                    "verify", "bundle", "--offline", "--bundle", "keyless.bin.sigstore.json", "--cert-identity", identity, "--cert-oidc-issuer",
                    server.issuer, "--trusted-root", server.trustedRootPath, "keyless.bin",
                ], in: work.path)
        }
        let good = try verify("signer@example.com")
        #expect(good.status == 0, "\(good.stderrText)")
        #expect(good.stdoutText.contains("identity: signer@example.com"))
        let wrong = try verify("someone-else@example.com")
        #expect(wrong.status == 1)
        #expect(wrong.stderrText.contains("identity mismatch"), "\(wrong.stderrText)")
        // … and --offline is documented as the no-op it is.
        let help = try HephaestusBinary.run(["verify", "bundle", "--help"])
        #expect(help.stdoutText.contains("--certificate-identity, --cert-identity <SAN>"))
        #expect(help.stdoutText.contains("--certificate-oidc-issuer, --cert-oidc-issuer <URL>"))
        #expect(help.stdoutText.contains("verification is always offline"))
    }

    @Test("an unknown option is named before a missing required one, with the option it probably meant")
    func unknownOptionFirst() throws {
        // --bundle is missing too: the misspelling is what the user needs to hear about.
        let misspelt = try HephaestusBinary.run(["verify", "bundle", "--cert-identiy", "a@example.com", "artifact"])
        #expect(misspelt.status == 64)
        #expect(misspelt.stderrText.hasPrefix("Error: Unknown option '--cert-identiy'. Did you mean '--cert-identity'?\n"), "\(misspelt.stderrText)")
        #expect(misspelt.stderrText.contains("Usage: hephaestus verify bundle"))
        // A prefix of a known option suggests it; a word far from every option suggests nothing.
        let prefix = try HephaestusBinary.run(["release", "install", "--require-sig"])
        #expect(prefix.status == 64)
        #expect(prefix.stderrText.hasPrefix("Error: Unknown option '--require-sig'. Did you mean '--require-sigstore'?"), "\(prefix.stderrText)")
        let unrelated = try HephaestusBinary.run(["wheelhouse", "extract", "--zzzzzz", "archive.tar"])
        #expect(unrelated.status == 64)
        #expect(unrelated.stderrText.hasPrefix("Error: Unknown option '--zzzzzz'\n"), "\(unrelated.stderrText)")
        // The default subcommand's options count (dev sigstore runs serve), and --log-format json makes it a record.
        let defaulted = try HephaestusBinary.run(["--log-format", "json", "dev", "sigstore", "--dri", "x"])
        #expect(defaulted.status == 64)
        let record = try #require(try JSONSerialization.jsonObject(with: Data(defaulted.stderr)) as? [String: Any])
        let fields = try #require(record["fields"] as? [String: Any])
        #expect((fields["message"] as? String)?.hasPrefix("Error: Unknown option '--dri'. Did you mean '--dir'?") == true, "\(fields)")
        #expect(fields["exit_status"] as? Int == 64)
        // The value of an option that takes the next word whatever it is, and words after --, are not options.
        let passthrough = try HephaestusBinary.run(["release", "install", "--pip-arg", "--no-deps", "--archive", "missing.tar.gz"])
        #expect(!passthrough.stderrText.contains("Unknown option"), "\(passthrough.stderrText)")
    }

    @Test("the nearest option: within an edit distance of 2, else the closest one it is a prefix of")
    func nearestOption() {
        let known: Set<String> = ["--bundle", "--cert-identity", "--certificate-identity", "--certificate-identity-regexp", "--json"]
        #expect(UnknownOption.editDistance("--bundl", "--bundle") == 1)
        #expect(UnknownOption.editDistance("kitten", "sitting") == 3)
        #expect(UnknownOption.nearest(to: "--jsno", among: known) == "--json")
        #expect(UnknownOption.nearest(to: "--certificate", among: known) == "--certificate-identity")
        #expect(UnknownOption.nearest(to: "--output", among: known) == nil)
    }

    // MARK: - Item 19: help

    /// Every leaf command that runs operations, by its invocation.
    static var adapters: [(String, any OperationAdapter.Type)] {
        CommandRegistryTests.leaves(Hephaestus.self).compactMap { invocation, command in
            (command as? any OperationAdapter.Type).map { (invocation, $0) }
        }
    }

    @Test("every command's help lists every exit status its operations' error codes can lead to")
    func exitStatusesListed() throws {
        #expect(Self.adapters.count >= 20)
        // The tuf-conformance protocol fixes its client's statuses to 0 and 1 (its help says so).
        for (invocation, command) in Self.adapters where invocation != "conformance tuf-client" {
            let help = Hephaestus.helpMessage(for: command, includeHidden: true, columns: 400)
            let statuses = Set(command.operationDescriptors.flatMap(\.errorCodes).map { ExitCodeTable.status(forCode: $0) })
                .union([.success, .usage, .software])
            for status in statuses {
                #expect(
                    help.contains("\n  \("\(status.rawValue)".padding(toLength: 4, withPad: " ", startingAt: 0))\(status.meaning)\n"),
                    "`hephaestus \(invocation) --help` does not list exit status \(status.rawValue)")
            }
        }
        // As the user sees it: verify bundle names the statuses it was missing (65 malformed input, 77 unreadable).
        let help = try HephaestusBinary.run(["verify", "bundle", "--help"])
        #expect(help.stdoutText.contains("Exit status:\n  0   success\n  1   a check failed: the input is not trusted\n"), "\(help.stdoutText)")
        #expect(help.stdoutText.contains("  65  an input is malformed\n"))
        #expect(help.stdoutText.contains("  77  permission denied or credentials rejected\n"))
    }

    @Test("no option states its default twice; no help text carries a run of source indentation")
    func helpLayout() throws {
        for (invocation, command) in CommandRegistryTests.leaves(Hephaestus.self) {
            // Wide enough that every option's help is one line.
            let help = Hephaestus.helpMessage(for: command, includeHidden: true, columns: 1000)
            for line in help.split(separator: "\n") where line.hasPrefix("  -") {
                #expect(line.lowercased().ranges(of: "default").count <= 1, "`hephaestus \(invocation) --help`: \(line)")
            }
            for line in command.configuration.discussion.split(separator: "\n") where !(line.first?.isWhitespace ?? true) {
                #expect(line.firstMatch(of: /\S {2,}\S/) == nil, "`hephaestus \(invocation) --help`: \(line)")
            }
        }
        let pack = try HephaestusBinary.run(["wheelhouse", "pack", "--help"])
        #expect(pack.stdoutText.contains("anything else is refused and nothing is written"), "\(pack.stdoutText)")
        let extract = try HephaestusBinary.run(["wheelhouse", "extract", "--help"])
        #expect(extract.stdoutText.contains("(default 4 GiB)"))
        #expect(!extract.stdoutText.contains("4294967296"))
    }

    @Test("dev sigstore --help shows how to run serve (the default) and token, with every option of serve")
    func devSigstoreHelp() throws {
        let help = try HephaestusBinary.run(["dev", "sigstore", "--help"])
        #expect(help.status == 0)
        // The README's line, as the help shows it.
        #expect(help.stdoutText.contains("hephaestus dev sigstore [serve] --dir <DIR> [--port <PORT>] [--port-file <FILE>]"))
        #expect(help.stdoutText.contains("hephaestus dev sigstore token --dir <DIR> --identity <ID>"))
        let serve = try HephaestusBinary.run(["dev", "sigstore", "serve", "--help"])
        let options = serve.stdoutText.split(separator: "\n").compactMap { $0.firstMatch(of: /^  (--[a-z-]+)/)?.1 }
        let global = Set(["--log-format", "--log-level", "--quiet", "--verbose", "--metrics-file", "--version", "--help"])
        #expect(options.contains("--port-file"))
        for option in options where !global.contains(String(option)) {
            #expect(help.stdoutText.contains(option), "dev sigstore --help does not show \(option)")
        }
    }

    // MARK: - Item 21: completions, manual, version

    @Test("shell completion scripts are generated from the parser for bash, zsh and fish and name the commands")
    func completionScripts() throws {
        for shell in ["bash", "zsh", "fish"] {
            let script = try HephaestusBinary.run(["--generate-completion-script", shell])
            #expect(script.status == 0, "\(shell): \(script.stderrText)")
            // (fish names long options without their dashes)
            for word in ["verify", "bundle", "wheelhouse", "certificate-identity", "trusted-root"] {
                #expect(script.stdoutText.contains(word), "the \(shell) script does not mention \(word)")
            }
        }
        // The manual page is generated (generate-manual plugin) from the same description of the commands.
        let dump = try HephaestusBinary.run(["verify", "bundle", "--experimental-dump-help"])
        let description = try #require(try JSONSerialization.jsonObject(with: Data(dump.stdout)) as? [String: Any])
        let command = try #require(description["command"] as? [String: Any])
        #expect((command["discussion"] as? String)?.contains("Exit status:") == true)
    }

    @Test("--version prints the version, the commit the binary was built from and the date of the embedded trust material")
    func version() throws {
        let result = try HephaestusBinary.run(["--version"])
        #expect(result.status == 0)
        let lines = result.stdoutText.split(separator: "\n").map(String.init)
        #expect(lines.first == "hephaestus \(HephaestusVersion.current)")
        let commit = try #require(lines.first { $0.hasPrefix("commit: ") }?.dropFirst("commit: ".count))
        #expect(
            lines.contains { $0.hasPrefix("embedded trust material: taken \(HephaestusTrust.retrievedAt) from sigstore-") },
            "\(result.stdoutText)")
        // Built from this checkout: a commit of its history (`+modified` when built from changed sources).
        let root = FakeGitHubServer.projectRoot.path
        guard let git = ToolLocator.find("git"), try ProcessResult.run(git, ["-C", root, "rev-parse", "--git-dir"]).status == 0 else {
            #expect(commit == "unknown")
            return
        }
        let sha = commit.split(separator: "+").first.map(String.init) ?? ""
        #expect(sha.wholeMatch(of: /[0-9a-f]{40}/) != nil, "commit: \(commit)")
        #expect(try ProcessResult.run(git, ["-C", root, "cat-file", "-e", "\(sha)^{commit}"]).status == 0, "\(sha) is no commit of \(root)")
    }

    // MARK: - Negative numbers as option values

    @Test("a negative number after a long option is attached to it; anything else is left as it is")
    func negativeNumbersAreAttached() {
        for number in ["-60", "-0", "-1.5", "-2.", "-.5", "-1e3", "-2.5E-2", "-7e+1"] {
            #expect(GlobalOptionPlacement.isNegativeNumber(number), "\(number)")
            #expect(GlobalOptionPlacement.attachingNegativeNumbers(in: ["--lifetime", number]) == ["--lifetime=\(number)"])
        }
        for text in ["-", "-.", "-e3", "-1e", "-1e+", "--60", "-6O", "60", "-1.2.3", "-1 ", "-\u{0663}", "-x", ""] {
            #expect(!GlobalOptionPlacement.isNegativeNumber(text), "\(text)")
        }
        #expect(GlobalOptionPlacement.attachingNegativeNumbers(in: ["--lifetime", "-v"]) == ["--lifetime", "-v"])
        #expect(GlobalOptionPlacement.attachingNegativeNumbers(in: ["--", "--lifetime", "-60"]) == ["--", "--lifetime", "-60"])
        #expect(GlobalOptionPlacement.attachingNegativeNumbers(in: ["--lifetime=-60"]) == ["--lifetime=-60"])
    }
}
