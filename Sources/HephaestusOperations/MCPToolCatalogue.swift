import HephaestusCore
import HephaestusSigstore

/// The registered operations as MCP tools (the `tools/list` result): what `hephaestus mcp` serves and
/// `hephaestus schema --format mcp` exports, so the two cannot differ.
package enum MCPToolCatalogue {
    /// The argument a destructive tool's call carries the person's confirmation code in (`hephaestus confirm`).
    package static let confirmationArgument = "confirmationCode"

    /// The tool's name: the operation's with `_` for `.` (`verify_bundle`), as clients accept `[A-Za-z0-9_-]` only.
    package static func toolName(_ descriptor: OperationDescriptor) -> String {
        descriptor.name.replacingOccurrences(of: ".", with: "_")
    }

    /// The operation a tool runs.
    package static func operation(forTool name: String) -> (any HephaestusCore.Operation.Type)? {
        OperationRegistry.operations.first { toolName($0.descriptor) == name }
    }

    /// The operations offered: all, or only the read-only ones.
    package static func offered(readOnly: Bool) -> [OperationSchema] {
        OperationSchema.all.filter { !readOnly || $0.descriptor.effect == .readOnly }
    }

    /// Each offered operation as an MCP `Tool` object.
    package static func tools(readOnly: Bool) -> [JSONValue] {
        offered(readOnly: readOnly).map(tool)
    }

    /// One tool: the request schema as input (a destructive one also takes ``confirmationArgument``), the report
    /// document's schema as output, and the effect as annotations.
    package static func tool(_ schema: OperationSchema) -> JSONValue {
        let descriptor = schema.descriptor
        var input = SchemaExport.embedded(schema.request)
        var description = "\(descriptor.summary) (operation \(descriptor.name), CLI `hephaestus \(descriptor.command)`)"
        if descriptor.effect == .destructive, case .object(var fields) = input, case .object(var properties)? = fields["properties"] {
            properties[confirmationArgument] = [
                "type": "string",
                "description": "The one-time code the user got from running `hephaestus confirm` on a terminal for exactly this call.",
            ]
            fields["properties"] = .object(properties)
            input = .object(fields)
            description +=
                ". Destructive: a call needs a confirmation code only the user can give; a call without one is refused with"
                + " the command the user must run."
        }
        return [
            "name": .string(toolName(descriptor)), "title": .string("hephaestus \(descriptor.command)"), "description": .string(description),
            "inputSchema": input, "outputSchema": SchemaExport.embedded(schema.report),
            "annotations": [
                "readOnlyHint": .bool(descriptor.effect == .readOnly), "destructiveHint": .bool(descriptor.effect == .destructive),
                "idempotentHint": .bool(descriptor.effect != .destructive),
            ],
        ]
    }
}
