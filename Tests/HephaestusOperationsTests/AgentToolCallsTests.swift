import Foundation
import HephaestusCore
import HephaestusOperations
import HephaestusPlatform
import HephaestusService
import HephaestusSigstore
import HephaestusTestSupport
import Logging
import Testing

/// Tool calls of agents, in process: the read-only filter, person-only confirmations bound to the call, the audit.
@Suite("agent tool calls")
struct AgentToolCallsTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    /// An audit log that cannot be written.
    struct BrokenAudit: AuditLog {
        func append(_ entry: AuditEntry) async throws(AuditError) -> AuditRecord { throw .unwritable(reason: "disk full") }
        func records(after sequence: Int64, limit: Int) async throws -> [AuditRecord] { [] }
        func head() async throws -> AuditHead? { nil }
        func records(matching filter: AuditFilter) async throws -> [AuditRecord] { [] }
    }

    static func calls(readOnly: Bool, audit: any AuditLog, confirmations: PendingConfirmations) -> AgentToolCalls {
        let context: @Sendable (RunID) -> OperationContext = { runID in
            OperationContext(runID: runID, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        }
        return AgentToolCalls(readOnly: readOnly, confirmations: confirmations, audit: audit, source: "test", clock: { start }, context: context)
    }

    @Test("a code confirms exactly one call, once, before it expires; the file is private and a shared one is refused")
    func confirmations() throws {
        let work = try TemporaryDirectory()
        let store = PendingConfirmations(path: work.file("state/hephaestus/mcp-confirmations.json"))
        let callA: JSONValue = ["directory": "wheels", "output": "a.tar.gz"]
        let callB: JSONValue = ["directory": "wheels", "output": "b.tar.gz"]
        let id = try store.request(tool: "wheelhouse_pack", arguments: callA, now: Self.start)
        #expect(try store.request(tool: "wheelhouse_pack", arguments: callA, now: Self.start) == id, "the same call waits under one id")
        #expect(try store.pending(id, now: Self.start).tool == "wheelhouse_pack")
        let (_, code) = try store.confirm(id, now: Self.start)
        #expect(code.wholeMatch(of: /[0-9A-Z]{4}-[0-9A-Z]{4}/) != nil)
        #expect(throws: AgentError.unknownConfirmation(id)) { try store.confirm(id, now: Self.start) }
        #expect { try store.spend(code: code, tool: "wheelhouse_pack", arguments: callB, now: Self.start) } throws: {
            "\($0)".contains("given for another call")
        }
        #expect { try store.spend(code: code, tool: "sign_files", arguments: callA, now: Self.start) } throws: { "\($0)".contains("another call") }
        try store.spend(code: code.lowercased(), tool: "wheelhouse_pack", arguments: callA, now: Self.start + 60)
        #expect { try store.spend(code: code, tool: "wheelhouse_pack", arguments: callA, now: Self.start + 61) } throws: {
            "\($0)".contains("already used")
        }
        // Expired codes are refused.
        let late = try store.request(tool: "wheelhouse_pack", arguments: callB, now: Self.start)
        let (_, lateCode) = try store.confirm(late, now: Self.start)
        #expect(throws: AgentError.self) {
            try store.spend(code: lateCode, tool: "wheelhouse_pack", arguments: callB, now: Self.start + PendingConfirmations.codeLifetime + 1)
        }
        var status = stat()
        #expect(lstat(store.path, &status) == 0 && status.st_mode & 0o777 == 0o600)
        #expect(!(try String(contentsOfFile: store.path, encoding: .utf8)).contains(code), "only the code's hash is kept")
        chmod(store.path, 0o644)
        #expect { try store.request(tool: "wheelhouse_pack", arguments: callA, now: Self.start) } throws: {
            ($0 as? AgentError)?.code == "agent.confirmation-store" && "\($0)".contains("not private")
        }
    }

    @Test("the call digest covers the tool name and every argument, whatever the key order")
    func digest() {
        let one = PendingConfirmations.callDigest(tool: "t", arguments: ["a": 1, "b": "x"])
        #expect(one == PendingConfirmations.callDigest(tool: "t", arguments: ["b": "x", "a": 1]))
        #expect(one != PendingConfirmations.callDigest(tool: "u", arguments: ["a": 1, "b": "x"]))
        #expect(one != PendingConfirmations.callDigest(tool: "t", arguments: ["a": 2, "b": "x"]))
    }

    @Test("read-only servers offer and run read-only tools only; unknown tools and unconfirmed destructive calls are refused; all audited")
    func calls() async throws {
        let work = try TemporaryDirectory()
        let store = try ServiceStore.open(.sqlite(path: work.file("service.sqlite")))
        let confirmations = PendingConfirmations(path: work.file("state/confirmations.json"))
        let readOnly = Self.calls(readOnly: true, audit: store.audit, confirmations: confirmations)
        #expect(readOnly.tools.count == MCPToolCatalogue.offered(readOnly: true).count)
        #expect(readOnly.tools.allSatisfy { $0.member("annotations")?.member("readOnlyHint") == true })
        let refused = await readOnly.call(tool: "wheelhouse_pack", arguments: ["directory": "w", "output": "o"])
        #expect(refused.isError && refused.code == "agent.read-only")
        let unknown = await readOnly.call(tool: "nope", arguments: [:])
        #expect(unknown.code == "agent.unknown-tool")

        let full = Self.calls(readOnly: false, audit: store.audit, confirmations: confirmations)
        let pack = MCPToolCatalogue.tools(readOnly: false).first { $0.member("name") == "wheelhouse_pack" }
        #expect(pack?.member("inputSchema")?.member("properties")?.member(MCPToolCatalogue.confirmationArgument) != nil)
        let unconfirmed = await full.call(tool: "wheelhouse_pack", arguments: ["directory": .string(work.file("w")), "output": "o"])
        #expect(unconfirmed.isError && unconfirmed.code == "agent.confirmation-required" && unconfirmed.text.contains("hephaestus confirm "))
        let badCode = await full.call(
            tool: "wheelhouse_pack", arguments: ["directory": .string(work.file("w")), "output": "o", "confirmationCode": "AAAA-AAAA"])
        #expect(badCode.code == "agent.confirmation-refused")

        let exported = await full.call(tool: "schema_export", arguments: ["format": "mcp"])
        #expect(!exported.isError, "\(exported.text)")
        #expect(exported.structured?.member("mediaType") == "application/vnd.hephaestus.schema-export+json;version=1")
        let malformed = await full.call(tool: "schema_export", arguments: ["format": "yaml"])
        #expect(malformed.isError && malformed.code == "usage.invalid-argument")

        let records = try await store.audit.records(matching: AuditFilter())
        #expect(records.map(\.entry.outcome) == [.refused, .refused, .refused, .refused, .allowed, .succeeded, .allowed, .failed])
        #expect(records.map(\.entry.operation).prefix(2) == ["wheelhouse.pack", "nope"])
        #expect(records.allSatisfy { $0.entry.transport == .mcp && $0.entry.source == "test" })
        #expect(try await store.audit.verify().broken == nil)
    }

    @Test("a call whose audit record cannot be written is not run")
    func unaudited() async throws {
        let work = try TemporaryDirectory()
        let calls = Self.calls(readOnly: false, audit: BrokenAudit(), confirmations: PendingConfirmations(path: work.file("c.json")))
        let output = work.file("schema.json")
        let outcome = await calls.call(tool: "schema_export", arguments: ["output": .string(output)])
        #expect(outcome.isError && outcome.code == "audit.unwritable")
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    @Test("schema.export writes its document atomically and reports its size and SHA-256")
    func exportOperation() async throws {
        let work = try TemporaryDirectory()
        let output = work.file("tools.json")
        let context = OperationContext(logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        let report = try await SchemaExportOperation.run(.init(format: .jsonSchema, output: output), in: context)
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: output)))
        #expect(report.bytes == bytes.count && report.sha256 == DigestAlgorithm.sha256.hash(bytes).hex)
        #expect(report.text == nil && report.operations == OperationRegistry.operations.count)
        await #expect(throws: FileError.self) { try await SchemaExportOperation.run(.init(format: .mcp, output: output), in: context) }
        let printed = try await SchemaExportOperation.run(.init(format: .toolInfo), in: context)
        #expect(printed.text?.contains("\"serializationVersion\"") == true, "tool-info without a command line lists the operations")
    }
}
