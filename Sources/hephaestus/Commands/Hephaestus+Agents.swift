import ArgumentParser
import Foundation
import Glibc
import HephaestusCore
import HephaestusOperations
import HephaestusPlatform
import HephaestusSigstore

extension Hephaestus {
    /// `hephaestus mcp`: execs `hephaestus-mcp` from the directory of this executable, so that `hephaestus` itself
    /// links no MCP code.
    struct MCP: HephaestusCommand {
        static let configuration = CommandConfiguration(
            commandName: "mcp",
            abstract: "Serve the operations to AI agents as MCP tools on stdio (Model Context Protocol).",
            discussion: """
                Tools are the registered operations, with their request and report JSON Schemas and readOnlyHint, \
                destructiveHint and idempotentHint annotations (see `hephaestus schema --format mcp`). A destructive tool \
                call runs only with a one-time code the user gets from `hephaestus confirm ID` on a terminal. Every call, \
                allowed or refused, is recorded in the service's audit log (--store, default \
                $XDG_DATA_HOME/hephaestus/service.sqlite). Logs go to stderr; stdout carries the protocol.
                """
        )

        @OptionGroup(title: "Global options")
        var global: GlobalOptions

        @Flag(help: "Offer and allow only the read-only tools.")
        var readOnly = false

        @Option(help: ArgumentHelp("The service store whose audit log records every call: sqlite:PATH.", valueName: "LOCATION"))
        var store: String?

        func execute(_ context: CommandContext) async throws {
            let server = Self.serverPath()
            var arguments = [server, "--log-format", global.logFormat.rawValue, "--log-level", global.effectiveLevel.rawValue]
            if readOnly { arguments.append("--read-only") }
            if let store { arguments += ["--store", store] }
            context.stdout.flush()
            let argv = arguments.map { strdup($0) } + [nil]
            execv(server, argv)
            throw GeneralError.unexpected(
                "cannot start the MCP server \(server): \(String(cString: strerror(errno))) (it is installed next to hephaestus)")
        }

        /// `hephaestus-mcp` next to the running executable (`/proc/self/exe`).
        static func serverPath() -> String {
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
            let executable = count > 0 ? String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
            return (executable as NSString).deletingLastPathComponent + "/hephaestus-mcp"
        }
    }

    /// `hephaestus confirm ID`: a person confirms one destructive tool call an agent asked for, and gets its code.
    struct Confirm: HephaestusCommand {
        static let configuration = CommandConfiguration(
            commandName: "confirm",
            abstract: "Confirm one destructive MCP tool call and show its one-time code (a person at a terminal only).",
            discussion: """
                An agent's destructive tool call without a code is refused with an ID. Run `hephaestus confirm ID` in a \
                terminal: it shows the call (tool and arguments) and, once you type yes, a code valid for 5 minutes, for \
                exactly that call, once. Give the code to the agent. Runs only when stdin and stdout are terminals. \
                Pending confirmations are kept in $XDG_STATE_HOME/hephaestus/mcp-confirmations.json (mode 0600).
                """
        )

        @OptionGroup(title: "Global options")
        var global: GlobalOptions

        @Argument(help: ArgumentHelp("The id the refused tool call gave.", valueName: "ID"))
        var id: String

        func execute(_ context: CommandContext) async throws {
            guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else { throw AgentError.notATerminal }
            let confirmations = PendingConfirmations.standard(environment: ProcessInfo.processInfo.environment)
            let entry = try confirmations.pending(id, now: Date())
            let command = MCPToolCatalogue.operation(forTool: entry.tool)?.descriptor.command ?? entry.tool
            context.stdout.line("An AI agent asks to run this destructive operation:")
            context.stdout.line("  tool:      \(entry.tool) (hephaestus \(command))")
            context.stdout.line("  arguments: " + SchemaExport.text(entry.arguments).replacingOccurrences(of: "\n", with: "\n  "))
            context.stdout.line("Type yes to give the agent a one-time code for exactly this call: ", terminator: false)
            context.stdout.flush()
            guard readLine(strippingNewline: true)?.trimmingCharacters(in: .whitespaces) == "yes" else {
                throw AgentError.confirmationRefused(reason: "not confirmed at the terminal")
            }
            let (_, code) = try confirmations.confirm(id, now: Date())
            context.stdout.line("Code: \(code)")
            context.stdout.line("Valid for \(Int(PendingConfirmations.codeLifetime / 60)) minutes, once, for this call only.")
        }
    }
}
