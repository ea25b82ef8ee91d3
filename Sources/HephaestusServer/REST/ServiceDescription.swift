import Foundation
import HephaestusCore
import HephaestusOperations

/// `GET /v1/operations` and `GET /v1/openapi.json`, generated from the operation registry so that neither can drift
/// from the routes (every registered operation is served at `POST /v1/<group>/<name>`).
public enum ServiceDescription {
    public static let operationsMediaType = "application/vnd.hephaestus.operations+json;version=1"

    /// The REST route of an operation (`verify.bundle` → `/v1/verify/bundle`).
    public static func route(of name: String) -> String {
        "/v1/" + name.replacingOccurrences(of: ".", with: "/")
    }

    /// The JSON Schema of an operation's request: the typed bodies of the verification routes, an object otherwise
    /// (its fields are the CLI's options in camelCase; `hephaestus <command> --help` lists them).
    static func requestSchema(of descriptor: OperationDescriptor) -> [String: Any] {
        switch descriptor.name {
        case "verify.bundle": ["$ref": "#/components/schemas/VerifyBundleRequest"]
        case "verify.batch": ["$ref": "#/components/schemas/VerifyBatchRequest"]
        default: ["type": "object", "description": "The request of `hephaestus \(descriptor.command)`: its options in camelCase."]
        }
    }

    static func reportSchema(of descriptor: OperationDescriptor) -> [String: Any] {
        switch descriptor.name {
        case "verify.bundle": ["$ref": "#/components/schemas/VerificationResult"]
        case "verify.batch": ["$ref": "#/components/schemas/VerifyBatchResponse"]
        default:
            [
                "type": "object", "required": ["mediaType", "runId"],
                "properties": ["mediaType": ["const": descriptor.reportMediaType], "runId": ["type": "string"]],
            ]
        }
    }

    /// The registry as `GET /v1/operations` answers it; `requiredRole` names the least role allowed to call each.
    public static func operationsDocument(requiredRole: (String) -> String?) throws -> [UInt8] {
        let operations: [[String: Any]] = OperationRegistry.descriptors.map { descriptor in
            var entry: [String: Any] = [
                "name": descriptor.name, "command": descriptor.command, "summary": descriptor.summary,
                "reportMediaType": descriptor.reportMediaType, "effect": descriptor.effect.rawValue, "errorCodes": descriptor.errorCodes,
                "longRunning": descriptor.longRunning, "route": route(of: descriptor.name),
                "requestSchema": requestSchema(of: descriptor), "reportSchema": reportSchema(of: descriptor),
            ]
            if let role = requiredRole(descriptor.name) { entry["requiredRole"] = role }
            return entry
        }
        return try serialise(["mediaType": operationsMediaType, "operations": operations, "components": ["schemas": schemas]])
    }

    /// The OpenAPI 3.1 document of every route.
    public static func openAPIDocument(version: String) throws -> [UInt8] {
        var paths: [String: Any] = [:]
        let errorResponses: [String: Any] = [
            "400": response("A malformed request", error: true), "401": response("No valid bearer token", error: true),
            "403": response("The account's role does not permit it", error: true),
            "413": response("The body is larger than the limit", error: true),
            "429": response("Over the account's rate limit (see Retry-After)", error: true),
            "503": response("The audit record could not be written, or the service is draining", error: true),
        ]
        func post(_ id: String, _ summary: String, request: [String: Any], report: [String: Any], tag: String) -> [String: Any] {
            [
                "post": [
                    "operationId": id, "summary": summary, "tags": [tag], "security": [["bearer": [String]()]],
                    "requestBody": ["required": true, "content": ["application/json": ["schema": request]]],
                    "responses": errorResponses.merging(["200": ["description": "The report", "content": ["application/json": ["schema": report]]]]) {
                        $1
                    },
                ]
            ]
        }
        for descriptor in OperationRegistry.descriptors {
            paths[route(of: descriptor.name)] = post(
                descriptor.name, descriptor.summary, request: requestSchema(of: descriptor), report: reportSchema(of: descriptor),
                tag: descriptor.group)
        }
        paths["/healthz"] = ["get": ["operationId": "healthz", "summary": "Liveness", "security": [], "responses": ["200": response("Alive")]]]
        paths["/readyz"] = [
            "get": [
                "operationId": "readyz", "summary": "Readiness: the store and trust roots are loaded", "security": [],
                "responses": ["200": response("Ready"), "503": response("Not ready", error: true)],
            ]
        ]
        paths["/v1/operations"] = [
            "get": [
                "operationId": "operations.list", "summary": "The registry: every operation with its schemas",
                "security": [["bearer": [String]()]], "responses": errorResponses.merging(["200": response("The registry")]) { $1 },
            ]
        ]
        paths["/v1/openapi.json"] = [
            "get": [
                "operationId": "openapi", "summary": "This document", "security": [["bearer": [String]()]],
                "responses": errorResponses.merging(["200": response("OpenAPI 3.1")]) { $1 },
            ]
        ]
        for (path, item) in TaskRoutes.openAPIPaths(errorResponses: errorResponses) { paths[path] = item }
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

    static func response(_ description: String, error: Bool = false) -> [String: Any] {
        guard error else { return ["description": description, "content": ["application/json": ["schema": ["type": "object"]]]] }
        return ["description": description, "content": ["application/json": ["schema": ["$ref": "#/components/schemas/ErrorResponse"]]]]
    }

    /// The schemas of the typed bodies (the proto3 JSON mapping of proto/hephaestus/v1's messages).
    static var schemas: [String: Any] {
        let optionalString: [String: Any] = ["type": "string"]
        return [
            "ErrorResponse": [
                "type": "object", "required": ["error"],
                "properties": [
                    "error": [
                        "type": "object", "required": ["code", "message"],
                        "properties": ["code": ["type": "string"], "message": ["type": "string"]],
                    ]
                ],
            ],
            "VerifyBundleRequest": [
                "type": "object", "required": ["artifactDigest"],
                "properties": [
                    "bundle": ["type": "object", "description": "The Sigstore bundle (or its text in bundleJson)"],
                    "bundleJson": ["type": "string"],
                    "artifactDigest": ["type": "string", "pattern": "^sha256:[0-9a-f]{64}$"],
                    "certificateIdentity": optionalString, "certificateIdentityRegexp": optionalString,
                    "certificateOidcIssuer": optionalString, "certificateOidcIssuerRegexp": optionalString,
                    "key": ["type": "string", "description": "A PEM public key (managed-key bundles)"],
                    "trustedRoot": ["type": "string", "description": "A root the service was started with (--extra-trusted-root NAME=FILE)"],
                ],
            ],
            "VerifyBatchRequest": [
                "type": "object", "required": ["items"],
                "properties": ["items": ["type": "array", "items": ["$ref": "#/components/schemas/VerifyBundleRequest"]]],
            ],
            "VerificationResult": [
                "type": "object", "required": ["mediaType", "runId", "verdict", "bundle", "artifact"],
                "properties": [
                    "mediaType": ["const": MediaType.verificationResult], "runId": ["type": "string"],
                    "verdict": ["enum": ["pass", "fail"]], "bundle": ["type": "string"], "artifact": ["type": "string"],
                    "step": optionalString, "code": optionalString, "reason": optionalString,
                ],
            ],
            "VerifyBatchResponse": [
                "type": "object", "required": ["results"],
                "properties": ["results": ["type": "array", "items": ["$ref": "#/components/schemas/VerificationResult"]]],
            ],
            "StartTaskRequest": [
                "type": "object", "required": ["operation"],
                "properties": ["operation": ["type": "string"], "request": ["type": "object"]],
            ],
            "Task": [
                "type": "object", "required": ["id", "operation", "status"],
                "properties": [
                    "id": ["type": "string"], "operation": ["type": "string"],
                    "status": ["enum": ["queued", "running", "succeeded", "failed", "cancelled"]], "account": optionalString,
                    "runner": optionalString, "attempts": ["type": "integer"], "report": ["type": "object"],
                    "error": ["type": "object"],
                ],
            ],
        ]
    }

    static func serialise(_ value: Any) throws -> [UInt8] {
        Array(try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes]))
    }
}
