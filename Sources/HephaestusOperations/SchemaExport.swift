import Foundation
import HephaestusCore
import HephaestusPlatform
import HephaestusSigstore
import Synchronization

/// The formats `hephaestus schema` writes.
public enum SchemaFormat: String, Codable, Sendable, CaseIterable {
    /// ArgumentParser's `ToolInfoV0` (what `--experimental-dump-help` prints), each argument with its value type and
    /// each command with its operation: effect, report media type and schemas, exit codes.
    case toolInfo = "tool-info"
    /// One JSON Schema document whose `$defs` are every operation's request, report and item schemas.
    case jsonSchema = "json-schema"
    /// The MCP server's tool list (`tools/list` result): names, descriptions, input and output schemas, annotations.
    case mcp
}

/// The documents of ``SchemaFormat``, built from the operation registry (and, for tool-info, the command line the
/// process registered).
package enum SchemaExport {
    package static let toolInfoMediaType = "application/vnd.hephaestus.tool-info+json;version=1"
    package static let jsonSchemaMediaType = "application/vnd.hephaestus.operation-schemas+json;version=1"
    package static let mcpMediaType = "application/vnd.hephaestus.mcp-tools+json;version=1"

    private static let registeredCommandLine = Mutex<(@Sendable () -> JSONValue)?>(nil)

    /// Registers the process's command line as ArgumentParser's `ToolInfoV0` JSON (the CLI does when it starts a
    /// `schema` run); front ends without a command line register none, and their tool-info lists the operations only.
    package static func registerCommandLine(_ toolInfo: @escaping @Sendable () -> JSONValue) {
        registeredCommandLine.withLock { $0 = toolInfo }
    }

    package static func document(_ format: SchemaFormat) -> JSONValue {
        switch format {
        case .toolInfo: toolInfo(commandLine: registeredCommandLine.withLock { $0 }?())
        case .jsonSchema: jsonSchema()
        case .mcp: ["mediaType": .string(mcpMediaType), "tools": .array(MCPToolCatalogue.tools(readOnly: false))]
        }
    }

    /// What a command's operation is, for tool-info: its effect, media type, schemas and exit statuses.
    package static func operationInfo(_ schema: OperationSchema) -> JSONValue {
        let descriptor = schema.descriptor
        var fields: [String: JSONValue] = [
            "name": .string(descriptor.name), "summary": .string(descriptor.summary), "effect": .string(descriptor.effect.rawValue),
            "readOnly": .bool(descriptor.effect == .readOnly), "destructive": .bool(descriptor.effect == .destructive),
            "idempotent": .bool(descriptor.effect != .destructive), "longRunning": .bool(descriptor.longRunning),
            "reportMediaType": .string(descriptor.reportMediaType), "requestSchema": embedded(schema.request),
            "reportSchema": embedded(schema.report), "exitCodes": exitCodes(descriptor),
        ]
        if let item = schema.item { fields["itemSchema"] = embedded(item) }
        return .object(fields)
    }

    /// The exit statuses an operation can end with, each with the error codes that lead to it: 0, then the statuses of
    /// its codes and of the codes every operation can meet (usage, internal), in ascending order.
    package static func exitCodes(_ descriptor: OperationDescriptor) -> JSONValue {
        var codes: [ExitStatus: [String]] = [:]
        for code in descriptor.errorCodes + [ExitCodeTable.usageCode, ExitCodeTable.internalCode] {
            let status = ExitCodeTable.status(forCode: code)
            if codes[status]?.contains(code) != true { codes[status, default: []].append(code) }
        }
        let success: JSONValue = ["status": 0, "meaning": .string(ExitStatus.success.meaning), "codes": []]
        return .array(
            [success]
                + codes.keys.sorted { $0.rawValue < $1.rawValue }.map { status in
                    [
                        "status": .integer(Int64(status.rawValue)), "meaning": .string(status.meaning),
                        "codes": .array(codes[status]!.map { .string($0) }),
                    ]
                })
    }

    /// A schema placed inside another document: without its own `$schema`.
    package static func embedded(_ schema: JSONValue) -> JSONValue {
        guard case .object(var fields) = schema else { return schema }
        fields["$schema"] = nil
        return .object(fields)
    }

    private static func jsonSchema() -> JSONValue {
        var definitions: [String: JSONValue] = [:]
        for schema in OperationSchema.all {
            let name = schema.descriptor.name
            definitions["\(name).request"] = embedded(schema.request)
            definitions["\(name).report"] = embedded(schema.report)
            if let item = schema.item { definitions["\(name).item"] = embedded(item) }
        }
        return [
            "$schema": OperationSchema.dialect, "title": "Hephaestus operations", "mediaType": .string(jsonSchemaMediaType),
            "$defs": .object(definitions),
            "operations": .array(
                OperationSchema.all.map { schema in
                    let descriptor = schema.descriptor
                    return [
                        "name": .string(descriptor.name), "command": .string(descriptor.command), "effect": .string(descriptor.effect.rawValue),
                        "reportMediaType": .string(descriptor.reportMediaType), "request": .string("#/$defs/\(descriptor.name).request"),
                        "report": .string("#/$defs/\(descriptor.name).report"),
                    ]
                }),
        ]
    }

    /// ArgumentParser's tree with each leaf command's operation added (`operation`); without a command line, a tree
    /// of the registry's commands and their operations.
    private static func toolInfo(commandLine: JSONValue?) -> JSONValue {
        let byCommand = Dictionary(uniqueKeysWithValues: OperationSchema.all.map { ($0.descriptor.command, $0) })
        guard case .object(var document)? = commandLine, let root = document["command"] else {
            let commands: [JSONValue] = OperationSchema.all.map { schema in
                ["commandName": .string(schema.descriptor.command), "operation": operationInfo(schema)]
            }
            return [
                "serializationVersion": 0, "mediaType": .string(toolInfoMediaType),
                "command": ["commandName": "hephaestus", "subcommands": .array(commands)],
            ]
        }
        document["command"] = annotateRoot(root, byCommand: byCommand)
        document["mediaType"] = .string(toolInfoMediaType)
        return .object(document)
    }

    private static func annotateRoot(_ root: JSONValue, byCommand: [String: OperationSchema]) -> JSONValue {
        func annotate(_ command: JSONValue, path: [String]) -> JSONValue {
            guard case .object(var fields) = command, case .string(let name)? = fields["commandName"] else { return command }
            let here = path + [name]
            if let schema = byCommand[here.joined(separator: " ")] { fields["operation"] = operationInfo(schema) }
            if case .array(let subcommands)? = fields["subcommands"] {
                fields["subcommands"] = .array(subcommands.map { annotate($0, path: here) })
            }
            return .object(fields)
        }
        guard case .object(var fields) = root else { return root }
        if case .array(let subcommands)? = fields["subcommands"] {
            fields["subcommands"] = .array(subcommands.map { annotate($0, path: []) })
        }
        return .object(fields)
    }
}

/// `schema.export`: the command line, the operations' schemas or the MCP tool list, as one JSON document on stdout or
/// written atomically to a file.
public enum SchemaExportOperation: HephaestusCore.Operation {
    public struct Request: Codable, Sendable, Equatable {
        public var format: SchemaFormat
        /// The file to write (nil: the document is the report's `document`).
        public var output: String?
        /// Replace an existing output file.
        public var overwrite: Bool

        public init(format: SchemaFormat = .toolInfo, output: String? = nil, overwrite: Bool = false) {
            self.format = format
            self.output = output
            self.overwrite = overwrite
        }

        private enum CodingKeys: String, CodingKey { case format, output, overwrite }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            format = try container.decodeIfPresent(SchemaFormat.self, forKey: .format) ?? .toolInfo
            output = try container.decodeIfPresent(String.self, forKey: .output)
            overwrite = try container.decodeIfPresent(Bool.self, forKey: .overwrite) ?? false
        }
    }

    public struct Report: OperationReport {
        public let format: SchemaFormat
        /// The media type of the document itself.
        public let documentMediaType: String
        /// How many operations it describes.
        public let operations: Int
        /// Where it was written.
        public let output: String?
        public let bytes: Int
        /// Hex SHA-256 of the document's bytes (as written, or as printed).
        public let sha256: String
        /// The document, when it was not written to a file.
        package let document: JSONValue?

        private enum CodingKeys: String, CodingKey { case format, documentMediaType, operations, output, bytes, sha256, document }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            format = try container.decode(SchemaFormat.self, forKey: .format)
            documentMediaType = try container.decode(String.self, forKey: .documentMediaType)
            operations = try container.decode(Int.self, forKey: .operations)
            output = try container.decodeIfPresent(String.self, forKey: .output)
            bytes = try container.decode(Int.self, forKey: .bytes)
            sha256 = try container.decode(String.self, forKey: .sha256)
            document = try container.decodeIfPresent(JSONValue.self, forKey: .document)
        }

        init(format: SchemaFormat, output: String?, bytes: [UInt8], document: JSONValue?) {
            self.format = format
            documentMediaType = format.mediaType
            operations = OperationRegistry.operations.count
            self.output = output
            self.bytes = bytes.count
            sha256 = DigestAlgorithm.sha256.hash(bytes).hex
            self.document = document
        }

        /// The document's text, as printed or written.
        package var text: String? {
            document.map { SchemaExport.text($0) }
        }
    }

    public static let descriptor = OperationDescriptor(
        name: "schema.export", command: "schema",
        summary: "Export the command line, every operation's request and report JSON Schemas, or the MCP tool list.",
        reportMediaType: "application/vnd.hephaestus.schema-export+json;version=1", effect: .readOnly,
        errorCodes: FileError.Code.allCases.map(\.rawValue))

    public static func run(_ request: Request, in context: OperationContext, emit: ItemSink<Never>) async throws -> Report {
        if let output = request.output { try AtomicFileWriter.checkDestination(output, overwrite: request.overwrite) }
        let document = SchemaExport.document(request.format)
        let bytes = Array((SchemaExport.text(document) + "\n").utf8)
        guard let output = request.output else { return Report(format: request.format, output: nil, bytes: bytes, document: document) }
        try await BlockingWork.run { try AtomicFileWriter.write(bytes, to: output, overwrite: request.overwrite) }
        context.logger.info("schema.written", metadata: ["output": .string(output), "bytes": .stringConvertible(bytes.count)])
        return Report(format: request.format, output: output, bytes: bytes, document: nil)
    }
}

extension SchemaFormat {
    /// The media type of the document in this format.
    public var mediaType: String {
        switch self {
        case .toolInfo: SchemaExport.toolInfoMediaType
        case .jsonSchema: SchemaExport.jsonSchemaMediaType
        case .mcp: SchemaExport.mcpMediaType
        }
    }
}

extension SchemaExport {
    /// Pretty JSON text with sorted keys, as every document Hephaestus prints.
    package static func text(_ value: JSONValue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }
}
