import ArgumentParser
import HephaestusCore
import HephaestusOperations

extension SchemaFormat: ExpressibleByArgument {}

extension Hephaestus {
    /// `hephaestus schema`: the command line, the operations' JSON Schemas or the MCP tool list.
    struct Schema: OperationCommand {
        typealias Performed = SchemaExportOperation

        static let configuration = CommandConfiguration(
            commandName: "schema",
            abstract: "Export the command line and every operation's request and report schemas, for tools and AI agents.",
            discussion: withExitStatuses(
                """
                tool-info: ArgumentParser's ToolInfoV0 (as --experimental-dump-help prints it), each argument with its \
                value type and each command with its operation: effect (read-only, idempotent, destructive), report \
                media type, request and report JSON Schemas, exit statuses. json-schema: one JSON Schema document whose \
                $defs are every operation's request, report and item. mcp: the tool list `hephaestus mcp` serves. \
                The schemas are read from the operations' Swift types, so they cannot drift from what the commands \
                accept and print.
                """)
        )

        @OptionGroup(title: "Global options")
        var global: GlobalOptions

        @Option(help: "The document: tool-info, json-schema or mcp.")
        var format: SchemaFormat = .toolInfo

        @Option(help: ArgumentHelp("Write the document to FILE (atomically) instead of stdout.", valueName: "FILE"))
        var output: String?

        @Flag(help: "Replace an existing --output file.")
        var overwrite = false

        @Flag(help: "Print one JSON document on stdout describing what was exported (with the document when there is no --output).")
        var json = false

        func request(_ context: CommandContext) throws -> SchemaExportOperation.Request {
            SchemaExport.registerCommandLine { CommandLineDescription.toolInfo() }
            return SchemaExportOperation.Request(format: format, output: output, overwrite: overwrite)
        }

        func render(report: SchemaExportOperation.Report, _ context: CommandContext) throws {
            if json {
                try printJSON(report, context)
            } else if let text = report.text {
                context.stdout.line(text)
            } else if let output = report.output {
                context.stdout.line(
                    "\(output): \(report.format.rawValue), \(report.operations) operations, \(report.bytes) bytes, sha256 \(report.sha256)")
            }
        }
    }
}
