import Foundation
import HephaestusCore
import HephaestusOperations
import HephaestusSigstore

/// `GET /v1/operations` and `GET /v1/openapi.json`, generated from the operation registry so that neither can drift
/// from the routes (every registered operation is served at `POST /v1/<group>/<name>`).
public enum ServiceDescription {
    public static let operationsMediaType = "application/vnd.hephaestus.operations+json;version=1"

    /// The REST route of an operation (`verify.bundle` → `/v1/verify/bundle`).
    public static func route(of name: String) -> String {
        "/v1/" + name.replacingOccurrences(of: ".", with: "/")
    }

    /// The JSON Schema of what `POST <route>` takes: the operation's request as ``OperationSchema`` reads it from its
    /// Swift type (what `hephaestus schema` exports), or, for the two typed verification routes, the proto3 JSON mapping
    /// of their message.
    static func requestSchema(of descriptor: OperationDescriptor) -> [String: Any] {
        switch descriptor.name {
        case "verify.bundle": reference("VerifyBundleRequest")
        case "verify.batch": reference("VerifyBatchRequest")
        default: reference(operationComponent(descriptor.name, .request))
        }
    }

    /// The JSON Schema of what `POST <route>` answers: the operation's report document (``OperationSchema``); the typed
    /// batch route answers its results in order.
    static func reportSchema(of descriptor: OperationDescriptor) -> [String: Any] {
        descriptor.name == "verify.batch" ? reference("VerifyBatchResponse") : reference(operationComponent(descriptor.name, .report))
    }

    enum OperationPart: String { case request, report }

    /// The component holding an operation's request or report schema: `digest.files.request`.
    static func operationComponent(_ name: String, _ part: OperationPart) -> String { "\(name).\(part.rawValue)" }

    static func reference(_ component: String) -> [String: Any] { ["$ref": "#/components/schemas/\(component)"] }

    /// The registry as `GET /v1/operations` answers it; `requiredRole` names the least role allowed to call each.
    public static func operationsDocument(requiredRole: (String) -> String?) throws -> [UInt8] {
        let operations: [[String: Any]] = OperationRegistry.descriptors.map { descriptor in
            let request = reference(operationComponent(descriptor.name, .request))
            let report = reference(operationComponent(descriptor.name, .report))
            var entry: [String: Any] = [
                "name": descriptor.name, "command": descriptor.command, "summary": descriptor.summary,
                "reportMediaType": descriptor.reportMediaType, "effect": descriptor.effect.rawValue, "errorCodes": descriptor.errorCodes,
                "longRunning": descriptor.longRunning, "route": route(of: descriptor.name), "requestSchema": request, "reportSchema": report,
            ]
            // The typed verification routes take and answer their proto messages (Operations.Call and tasks take the
            // operation's request).
            let routeRequest = requestSchema(of: descriptor)
            if routeRequest["$ref"] as? String != request["$ref"] as? String { entry["routeRequestSchema"] = routeRequest }
            let routeReport = reportSchema(of: descriptor)
            if routeReport["$ref"] as? String != report["$ref"] as? String { entry["routeReportSchema"] = routeReport }
            if let role = requiredRole(descriptor.name) { entry["requiredRole"] = role }
            return entry
        }
        return try serialise(["mediaType": operationsMediaType, "operations": operations, "components": ["schemas": schemas]])
    }

    /// The OpenAPI 3.1 document of every route: each operation's request body and report from ``OperationSchema``, and
    /// the error statuses its codes can lead to (from the one category table).
    public static func openAPIDocument(version: String) throws -> [UInt8] {
        var paths: [String: Any] = [:]
        for descriptor in OperationRegistry.descriptors {
            paths[route(of: descriptor.name)] = [
                "post": [
                    "operationId": descriptor.name, "summary": descriptor.summary, "tags": [descriptor.group], "security": bearer,
                    "requestBody": ["required": true, "content": ["application/json": ["schema": requestSchema(of: descriptor)]]],
                    "responses": errorResponses(codes: descriptor.errorCodes).merging([
                        "200": response("The report", schema: reportSchema(of: descriptor))
                    ]) {
                        $1
                    },
                ]
            ]
        }
        paths["/healthz"] = [
            "get": [
                "operationId": "healthz", "summary": "Liveness", "security": [], "responses": ["200": response("Alive", schema: reference("Health"))],
            ]
        ]
        paths["/readyz"] = [
            "get": [
                "operationId": "readyz", "summary": "Readiness: the store and trust roots are loaded", "security": [],
                "responses": ["200": response("Ready", schema: reference("Health")), "503": response("Not ready", schema: errorSchema)],
            ]
        ]
        paths["/v1/operations"] = [
            "get": [
                "operationId": "operations.list", "summary": "The registry: every operation with its schemas", "security": bearer,
                "responses": errorResponses().merging(["200": response("The registry", schema: reference("OperationList"))]) { $1 },
            ]
        ]
        paths["/v1/openapi.json"] = [
            "get": [
                "operationId": "openapi", "summary": "This document", "security": bearer,
                "responses": errorResponses().merging(["200": response("OpenAPI 3.1", schema: ["type": "object", "required": ["openapi", "paths"]])])
                {
                    $1
                },
            ]
        ]
        for (path, item) in TaskRoutes.openAPIPaths(errorResponses: errorResponses()) { paths[path] = item }
        for (path, item) in AdminRoutes.openAPIPaths() { paths[path] = item }
        let document: [String: Any] = [
            "openapi": "3.1.0",
            "info": [
                "title": "Hephaestus", "version": version,
                "description":
                    "Every Hephaestus operation over REST; the same over gRPC (proto/hephaestus/v1). Bodies are the proto3 JSON mapping of the gRPC messages.",
            ],
            "paths": paths,
            "components": [
                "schemas": schemas, "securitySchemes": ["bearer": ["type": "http", "scheme": "bearer"]],
            ],
        ]
        return try serialise(document)
    }

    static let bearer: [[String: [String]]] = [["bearer": []]]

    static var errorSchema: [String: Any] { reference("ErrorResponse") }

    /// The refusals every `/v1` route can answer with, and the statuses `codes` lead to (each naming its codes).
    static func errorResponses(codes: [String] = []) -> [String: Any] {
        var responses: [String: Any] = [
            "400": response("A malformed request", schema: errorSchema), "401": response("No valid bearer token", schema: errorSchema),
            "403": response("The account's role does not permit it", schema: errorSchema),
            "413": response("The body is larger than the limit", schema: errorSchema),
            "429": response("Over the account's rate limit (see Retry-After)", schema: errorSchema),
            "503": response("The audit record could not be written, or the service is draining", schema: errorSchema),
        ]
        var byStatus: [Int: [String]] = [:]
        for code in codes {
            guard let row = ExitCodeTable.rows.first(where: { $0.code == code }) else { continue }
            byStatus[row.category.httpStatus, default: []].append(code)
        }
        for (status, codes) in byStatus {
            let meaning = (responses[String(status)] as? [String: Any])?["description"] as? String
            let named = "Error codes: " + codes.joined(separator: ", ")
            responses[String(status)] = response(meaning.map { "\($0). \(named)" } ?? named, schema: errorSchema)
        }
        return responses
    }

    static func response(_ description: String, schema: [String: Any]) -> [String: Any] {
        ["description": description, "content": ["application/json": ["schema": schema]]]
    }

    /// Every component: each operation's request and report (``OperationSchema``, the types' own decoding read back),
    /// the typed bodies of the verification routes (the proto3 JSON mapping of proto/hephaestus/v1's messages), and the
    /// service's own documents.
    static var schemas: [String: Any] {
        var schemas: [String: Any] = [:]
        for schema in OperationSchema.all {
            schemas[operationComponent(schema.descriptor.name, .request)] = foundation(SchemaExport.embedded(schema.request))
            schemas[operationComponent(schema.descriptor.name, .report)] = foundation(SchemaExport.embedded(schema.report))
        }
        return schemas.merging(messageSchemas) { $1 }
    }

    /// A schema as JSONSerialization writes it.
    static func foundation(_ value: JSONValue) -> Any {
        switch value {
        case .object(let fields): fields.mapValues(foundation)
        case .array(let items): items.map(foundation)
        case .string(let text): text
        case .integer(let number): number
        case .number(let number): number
        case .bool(let flag): flag
        case .null: NSNull()
        }
    }

    /// The proto3 JSON mapping of the messages the typed routes take and answer, and the service's documents.
    static var messageSchemas: [String: Any] {
        let string: [String: Any] = ["type": "string"]
        return [
            "ErrorResponse": [
                "type": "object", "required": ["error"],
                "properties": [
                    "error": [
                        "type": "object", "required": ["code", "message"],
                        "properties": ["code": string, "message": string],
                    ]
                ],
            ],
            "Health": ["type": "object", "required": ["status"], "properties": ["status": string]],
            "VerifyBundleRequest": [
                "type": "object", "required": ["artifactDigest"],
                "properties": [
                    "bundle": ["type": "object", "description": "The Sigstore bundle (or its text in bundleJson)"],
                    "bundleJson": string,
                    "artifactDigest": ["type": "string", "pattern": "^sha256:[0-9a-f]{64}$"],
                    "certificateIdentity": string, "certificateIdentityRegexp": string,
                    "certificateOidcIssuer": string, "certificateOidcIssuerRegexp": string,
                    "key": ["type": "string", "description": "A PEM public key (managed-key bundles)"],
                    "trustedRoot": ["type": "string", "description": "A root the service was started with (--extra-trusted-root NAME=FILE)"],
                ],
                "additionalProperties": false,
            ],
            "VerifyBatchRequest": [
                "type": "object", "required": ["items"],
                "properties": ["items": ["type": "array", "items": reference("VerifyBundleRequest")]],
                "additionalProperties": false,
            ],
            "VerifyBatchResponse": [
                "type": "object", "required": ["results"],
                "properties": ["results": ["type": "array", "items": reference(operationComponent("verify.bundle", .report))]],
            ],
            "StartTaskRequest": [
                "type": "object", "required": ["operation"],
                "properties": [
                    "operation": ["type": "string", "description": "A long-running operation's name (GET /v1/operations: longRunning)"],
                    "request": ["type": "object", "description": "The operation's request (GET /v1/operations: requestSchema)"],
                ],
                "additionalProperties": false,
            ],
            "Task": [
                "type": "object", "required": ["id", "operation", "status"],
                "properties": [
                    "id": string, "operation": string,
                    "status": ["enum": ["queued", "running", "succeeded", "failed", "cancelled"]], "account": string,
                    "runner": string, "attempts": ["type": "integer"], "created": string, "updated": string,
                    "report": ["type": "object", "description": "The operation's report document (its reportSchema), once done"],
                    "error": reference("Error"),
                ],
            ],
            "TaskList": ["type": "object", "properties": ["tasks": ["type": "array", "items": reference("Task")]]],
            "Error": ["type": "object", "required": ["code", "message"], "properties": ["code": string, "message": string]],
            "OperationList": [
                "type": "object", "required": ["mediaType", "operations"],
                "properties": [
                    "mediaType": ["const": operationsMediaType],
                    "operations": [
                        "type": "array",
                        "items": [
                            "type": "object",
                            "required": ["name", "command", "route", "effect", "longRunning", "reportMediaType", "requestSchema", "reportSchema"],
                        ],
                    ],
                    "components": ["type": "object"],
                ],
            ],
        ]
    }

    static func serialise(_ value: Any) throws -> [UInt8] {
        Array(try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes]))
    }
}
