import Foundation
import HephaestusCore
import HephaestusService
import HephaestusTestSupport
import Testing

/// `hephaestus mcp` with PyPI's reference MCP client over stdio, and `hephaestus confirm` on a pseudo-terminal
/// (fixtures/agents/mcp_session.py), then the audit log the calls left.
@Suite("MCP server")
struct MCPServerTests {
    static let identity = "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2"
    static let issuer = "https://token.actions.githubusercontent.com"

    @Test(
        "tools listed (read-only filter), verify_bundle on a genuine bundle, destructive calls refused without a person's code, every call audited",
        .enabled(if: SharedFixtures.isAvailable, Comment(rawValue: SharedFixtures.absenceMessage)),
        .enabled(if: TestVenv.isUsable("python"), "the test venv (mcp, jsonschema) is absent"))
    func session() async throws {
        let python = try #require(TestVenv.tool("python"), "the test venv has no python")
        let work = try TemporaryDirectory()
        let wheels = try WheelhouseFactory()
        try wheels.wheel("demo", "1.0")
        let store = work.file("service.sqlite")
        let state = work.file("state")
        let fixtures = SharedFixtures.sigstorePython.path
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_STATE_HOME"] = state
        let script = TestVenv.projectRoot.appendingPathComponent("fixtures/agents/mcp_session.py").path
        let result = try ProcessResult.run(
            python,
            [
                script, HephaestusBinary.path, "sqlite:\(store)", fixtures + "/bundle_v3_github.whl.sigstore", fixtures + "/bundle_v3_github.whl",
                Self.identity, Self.issuer, wheels.directory.file("wheels"), work.file("out"),
            ], environment: environment)
        #expect(result.status == 0, "\(result.stdoutText)\(result.stderrText)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [String: Any], "\(result.stderrText)")
        #expect(summary["verified"] as? String == "pass")
        #expect((summary["readOnlyTools"] as? Int ?? 0) < (summary["tools"] as? Int ?? 0))

        // The pending-confirmation file is private to the user.
        var status = stat()
        #expect(lstat(state + "/hephaestus/mcp-confirmations.json", &status) == 0)
        #expect(status.st_mode & 0o777 == 0o600)

        // Every call is in the service's audit log, allowed or refused, and the chain holds.
        let opened = try ServiceStore.open(.sqlite(path: store), mustExist: true)
        let records = try await opened.audit.records(matching: AuditFilter())
        #expect(records.allSatisfy { $0.entry.transport == .mcp })
        func count(_ operation: String, _ outcome: AuditOutcome, _ code: String? = nil) -> Int {
            records.filter { $0.entry.operation == operation && $0.entry.outcome == outcome && $0.entry.code == code }.count
        }
        #expect(count("wheelhouse.pack", .refused, "agent.read-only") == 1)
        #expect(count("verify.bundle", .allowed) == 1 && count("verify.bundle", .succeeded) == 1)
        #expect(count("wheelhouse.pack", .refused, "agent.confirmation-required") == 2)
        #expect(count("wheelhouse.pack", .refused, "agent.confirmation-refused") == 2, "A's code for B, and A's code twice")
        #expect(count("wheelhouse.pack", .allowed) == 1 && count("wheelhouse.pack", .succeeded) == 1)
        #expect(count("no_such_tool", .refused, "agent.unknown-tool") == 1)
        #expect(records.filter { $0.entry.outcome == .refused }.allSatisfy { $0.entry.status == "403" || $0.entry.status == "404" })
        let verification = try await opened.audit.verify()
        #expect(verification.broken == nil && verification.verified == Int64(records.count))
    }

    @Test("hephaestus confirm refuses to run without a terminal, and names no code")
    func confirmNeedsTerminal() throws {
        let work = try TemporaryDirectory()
        let result = try HephaestusBinary.run(["confirm", "ABCDEFGH"], environment: ["XDG_STATE_HOME": work.path, "HOME": work.path])
        #expect(result.status == 77)
        #expect(result.stderrText == "hephaestus: hephaestus confirm needs a person at a terminal: stdin and stdout must be TTYs\n")
        #expect(!FileManager.default.fileExists(atPath: work.file("hephaestus/mcp-confirmations.json")))
    }
}
