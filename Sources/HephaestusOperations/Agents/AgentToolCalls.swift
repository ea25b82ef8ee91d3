import Foundation
import HephaestusCore
import HephaestusPlatform
import HephaestusService
import HephaestusSigstore

/// Tool calls of an AI agent (the MCP server's `tools/call`): the operation found by tool name, refused when the
/// server is read-only and the tool changes state, refused without a person's confirmation when it is destructive,
/// then run from its JSON arguments as the service runs it. Every call, allowed or refused, is recorded in the
/// service's audit log first; a call whose record cannot be written is not run.
package struct AgentToolCalls: Sendable {
    /// What a call gives back: the report document (structured, per the tool's output schema) and its text, or an
    /// error message; `isError` when the call was refused, failed, or the report carries a negative verdict.
    package struct Outcome: Sendable, Equatable {
        package let structured: JSONValue?
        package let text: String
        package let isError: Bool
        /// The error code when refused or failed.
        package let code: String?
    }

    package let readOnly: Bool
    package let confirmations: PendingConfirmations
    package let audit: any AuditLog
    /// Who is calling, as the audit log's `source` (`mcp-stdio uid=1000 pid=4242`).
    package let source: String
    package let clock: @Sendable () -> Date
    /// The context each operation runs in, for a run id.
    package let context: @Sendable (RunID) -> OperationContext

    package init(
        readOnly: Bool, confirmations: PendingConfirmations, audit: any AuditLog, source: String, clock: @escaping @Sendable () -> Date = Date.init,
        context: @escaping @Sendable (RunID) -> OperationContext
    ) {
        self.readOnly = readOnly
        self.confirmations = confirmations
        self.audit = audit
        self.source = source
        self.clock = clock
        self.context = context
    }

    /// The tools offered.
    package var tools: [JSONValue] { MCPToolCatalogue.tools(readOnly: readOnly) }

    package func call(tool: String, arguments: JSONValue) async -> Outcome {
        let runID = RunID.generate()
        guard let operation = MCPToolCatalogue.operation(forTool: tool), !readOnly || operation.descriptor.effect == .readOnly else {
            let error: AgentError = MCPToolCatalogue.operation(forTool: tool) == nil ? .unknownTool(tool) : .readOnly(tool: tool)
            return await refuse(error, operation: MCPToolCatalogue.operation(forTool: tool)?.descriptor.name ?? tool, runID: runID)
        }
        let descriptor = operation.descriptor
        var request = arguments
        var code: String?
        if case .object(var fields) = arguments {
            if case .string(let given)? = fields[MCPToolCatalogue.confirmationArgument] { code = given }
            fields[MCPToolCatalogue.confirmationArgument] = nil
            request = .object(fields)
        }
        if descriptor.effect == .destructive {
            do {
                if let code {
                    try confirmations.spend(code: code, tool: tool, arguments: request, now: clock())
                } else {
                    let id = try confirmations.request(tool: tool, arguments: request, now: clock())
                    return await refuse(.confirmationRequired(tool: tool, id: id), operation: descriptor.name, runID: runID)
                }
            } catch {
                return await refuse(error, operation: descriptor.name, runID: runID)
            }
        }
        guard await record(descriptor.name, runID: runID, outcome: .allowed, status: "200") else { return Self.unaudited }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        do {
            let document = try await operation.runJSON(Array(try encoder.encode(request)), in: context(runID))
            let text = String(decoding: document.json, as: UTF8.self)
            let structured = try? JSONValue.parse(document.json)
            if let failure = document.failure {
                _ = await record(
                    descriptor.name, runID: runID, outcome: .failed, status: AuditStatus.of(failure.category, .mcp), code: failure.code)
                return Outcome(structured: structured, text: text, isError: true, code: failure.code)
            }
            _ = await record(descriptor.name, runID: runID, outcome: .succeeded, status: AuditStatus.ok(.mcp))
            return Outcome(structured: structured, text: text, isError: false, code: nil)
        } catch {
            let coded = error as? any CodedError
            let category = coded?.category ?? .internalError
            _ = await record(
                descriptor.name, runID: runID, outcome: error is CancellationError ? .cancelled : .failed, status: AuditStatus.of(category, .mcp),
                code: coded?.code ?? ExitCodeTable.internalCode)
            return Outcome(structured: nil, text: "\(error)", isError: true, code: coded?.code ?? ExitCodeTable.internalCode)
        }
    }

    private static let unaudited = Outcome(
        structured: nil, text: "the audit log cannot be written: the call was not run", isError: true, code: AuditError.Code.unwritable.rawValue)

    private func refuse(_ error: AgentError, operation: String, runID: RunID) async -> Outcome {
        guard await record(operation, runID: runID, outcome: .refused, status: AuditStatus.of(error.category, .mcp), code: error.code) else {
            return Self.unaudited
        }
        return Outcome(structured: nil, text: error.description, isError: true, code: error.code)
    }

    /// Appends one record; false when it could not be written.
    private func record(_ operation: String, runID: RunID, outcome: AuditOutcome, status: String, code: String? = nil) async -> Bool {
        let entry = AuditEntry(
            time: clock(), requestID: runID.description, account: nil, role: nil, transport: .mcp, operation: operation, outcome: outcome,
            status: status, code: code, source: source)
        do {
            _ = try await audit.append(entry)
            return true
        } catch {
            return false
        }
    }
}
