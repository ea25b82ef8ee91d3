import Foundation
import Glibc
import HephaestusCore
import HephaestusOperations
import HephaestusPlatform
import HephaestusService
import HephaestusSigstore
import Logging
import MCP

/// `hephaestus-mcp [--read-only] [--store LOCATION]`: the MCP server on stdio that `hephaestus mcp` execs. Tools are
/// the registered operations (``MCPToolCatalogue``); calls go through ``AgentToolCalls`` (read-only filter, person's
/// confirmation of destructive calls, the service's audit log). Logs go to stderr as JSON lines; stdout is the
/// protocol's.
enum MCPServerMain {
    static func main() async {
        let environment = ProcessInfo.processInfo.environment
        let runID = RunID.generate()
        var readOnly = false
        var storeText: String?
        var format = LogFormat.json
        var level = Logger.Level.info
        var arguments = Array(CommandLine.arguments.dropFirst())[...]
        while let argument = arguments.popFirst() {
            switch argument {
            case "--read-only": readOnly = true
            case "--store" where !arguments.isEmpty: storeText = arguments.popFirst()
            case "--log-format" where LogFormat(rawValue: arguments.first ?? "") != nil: format = LogFormat(rawValue: arguments.popFirst()!)!
            case "--log-level" where Logger.Level(rawValue: arguments.first ?? "") != nil: level = Logger.Level(rawValue: arguments.popFirst()!)!
            default:
                fail(
                    "hephaestus mcp: unknown argument \(argument) (usage: hephaestus mcp [--read-only] [--store LOCATION] [--log-format F] [--log-level L])",
                    status: .usage)
            }
        }
        let (logFormat, logLevel) = (format, level)
        LoggingSystem.bootstrap { _ in StructuredLogHandler(format: logFormat, runID: runID, level: logLevel) }
        let logger = {
            var logger = Logger(label: "hephaestus-mcp")
            logger.logLevel = logLevel
            return logger
        }()
        let store: ServiceStore
        do {
            store = try ServiceStore.open(try StoreLocation.resolve(storeText, environment: environment))
        } catch {
            fail("hephaestus mcp: the audit log cannot be opened: \(error)", status: ExitCodeTable.status(for: error))
        }
        let calls = AgentToolCalls(
            readOnly: readOnly, confirmations: .standard(environment: environment), audit: store.audit,
            source: "mcp-stdio uid=\(getuid()) pid=\(getpid())"
        ) { runID in
            OperationContext(runID: runID, logger: logger, environment: environment, serviceStore: store)
        }
        let tools = calls.tools.compactMap(tool)
        let server = Server(
            name: "hephaestus", version: HephaestusVersion.current, title: "Hephaestus",
            instructions:
                "Verify, sign and publish Python release wheelhouses with Sigstore. Destructive tools need a confirmation code that only the"
                + " user can give by running `hephaestus confirm ID` in a terminal.",
            capabilities: .init(tools: .init(listChanged: false)))
        await server.withMethodHandler(ListTools.self) { _ in ListTools.Result(tools: tools) }
        await server.withMethodHandler(CallTool.self) { parameters in
            let arguments: JSONValue = parameters.arguments.map { .object($0.compactMapValues(json)) } ?? [:]
            let outcome = await calls.call(tool: parameters.name, arguments: arguments)
            logger.info(
                "mcp.call",
                metadata: ["tool": .string(parameters.name), "error": .stringConvertible(outcome.isError), "code": .string(outcome.code ?? "")])
            return CallTool.Result(
                content: [.text(text: outcome.text, annotations: nil, _meta: nil)], structuredContent: outcome.structured.flatMap(value),
                isError: outcome.isError)
        }
        do {
            try await server.start(transport: StdioTransport(logger: logger))
            logger.info("mcp.started", metadata: ["tools": .stringConvertible(tools.count), "read_only": .stringConvertible(readOnly)])
            await server.waitUntilCompleted()
        } catch {
            fail("hephaestus mcp: \(error)", status: .unavailable)
        }
    }

    static func fail(_ message: String, status: ExitStatus) -> Never {
        LogSink.standardError.write(message)
        exit(status.rawValue)
    }

    /// A catalogue tool as the SDK's `Tool`.
    static func tool(_ description: JSONValue) -> Tool? {
        guard case .string(let name)? = description.member("name"), let input = description.member("inputSchema").flatMap(value) else {
            return nil
        }
        func hint(_ key: String) -> Bool? {
            if case .bool(let flag)? = description.member("annotations")?.member(key) { return flag }
            return nil
        }
        var title: String?
        if case .string(let text)? = description.member("title") { title = text }
        var summary: String?
        if case .string(let text)? = description.member("description") { summary = text }
        return Tool(
            name: name, title: title, description: summary, inputSchema: input,
            annotations: .init(
                title: title, readOnlyHint: hint("readOnlyHint"), destructiveHint: hint("destructiveHint"), idempotentHint: hint("idempotentHint")),
            outputSchema: description.member("outputSchema").flatMap(value))
    }

    static func value(_ json: JSONValue) -> Value? {
        guard let data = try? JSONEncoder().encode(json) else { return nil }
        return try? JSONDecoder().decode(Value.self, from: data)
    }

    static func json(_ value: Value) -> JSONValue? {
        guard let data = try? JSONEncoder().encode(value) else { return nil }
        return try? JSONValue.parse(Array(data))
    }
}

await MCPServerMain.main()
