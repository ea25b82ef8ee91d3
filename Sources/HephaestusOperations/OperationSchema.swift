import HephaestusCore
import HephaestusSigstore

/// The JSON Schemas (draft 2020-12) of a registered operation's request, report document and items, read from their
/// Swift types by ``SchemaProbe``: what the schema export, the service's OpenAPI document and the MCP server's tool
/// descriptions are built from.
package struct OperationSchema: Sendable {
    package static let dialect: JSONValue = "https://json-schema.org/draft/2020-12/schema"

    package let descriptor: OperationDescriptor
    /// The request, as the service's body and the MCP tool's arguments.
    package let request: JSONValue
    /// The report as its `--json` document: the report's members with `mediaType` (this operation's) and `runId`.
    package let report: JSONValue
    /// One item the operation produces while it works (a `verify batch` line); nil when it produces none.
    package let item: JSONValue?

    /// Every registered operation's schemas, in registry order.
    package static let all: [OperationSchema] = OperationRegistry.operations.map { OperationSchema($0) }

    /// The schemas of the operation called `name` (`verify.bundle`).
    package static func named(_ name: String) -> OperationSchema? {
        all.first { $0.descriptor.name == name }
    }

    /// The request schema of the operation called `name`; nil for an unknown name.
    package static func requestSchema(for name: String) -> JSONValue? { named(name)?.request }

    /// The report document schema of the operation called `name`; nil for an unknown name.
    package static func reportSchema(for name: String) -> JSONValue? { named(name)?.report }

    /// Types the probe could not read, by operation (empty: a test keeps it so).
    package static var failures: [String] {
        all.flatMap { schema in
            [schema.request, schema.report, schema.item ?? [:]].compactMap { $0.member("$comment").map { "\(schema.descriptor.name): \($0)" } }
        }
    }

    init<O: HephaestusCore.Operation>(_ operation: O.Type) {
        descriptor = O.descriptor
        request = Self.document(O.Request.self, title: "\(O.descriptor.name) request")
        report = Self.reportDocument(O.Report.self, descriptor: O.descriptor)
        item = O.Item.self == Never.self ? nil : Self.document(O.Item.self, title: "\(O.descriptor.name) item")
    }

    /// A type's schema as a top-level document; a type the probe cannot read gets the schema that accepts anything,
    /// with the reason in `$comment`.
    private static func document<T: Decodable>(_ type: T.Type, title: String) -> JSONValue {
        var schema: JSONValue
        do { schema = try SchemaProbe.schema(of: type) } catch { schema = ["$comment": .string(error.description)] }
        guard case .object(var fields) = schema else { return schema }
        fields["$schema"] = dialect
        fields["title"] = .string(title)
        return .object(fields)
    }

    /// The report's members with the result document's own: `mediaType` (exactly this operation's) and `runId`.
    private static func reportDocument<R: OperationReport>(_ type: R.Type, descriptor: OperationDescriptor) -> JSONValue {
        guard case .object(var fields) = document(type, title: "\(descriptor.name) report"),
            case .object(var properties)? = fields["properties"]
        else { return document(type, title: "\(descriptor.name) report") }
        properties["mediaType"] = ["type": "string", "const": .string(descriptor.reportMediaType)]
        properties["runId"] = ["type": "string"]
        fields["properties"] = .object(properties)
        var required: [JSONValue] = ["mediaType", "runId"]
        if case .array(let members)? = fields["required"] { required += members.filter { !required.contains($0) } }
        fields["required"] = .array(required)
        return .object(fields)
    }
}
