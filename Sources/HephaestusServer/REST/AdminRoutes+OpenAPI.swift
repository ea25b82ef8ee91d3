import HephaestusOperations

/// The accounts and audit routes' part of the OpenAPI document: each is the REST spelling of a registered operation,
/// so its body and answer are that operation's schemas (``ServiceDescription/operationComponent(_:_:)``).
extension AdminRoutes {
    static func openAPIPaths() -> [String: Any] {
        func operation(_ name: String, _ summary: String, parameters: [[String: Any]] = [], body: Bool = false) -> [String: Any] {
            let descriptor = OperationRegistry.operation(named: name)?.descriptor
            var item: [String: Any] = [
                "operationId": "\(name).route", "summary": summary, "tags": [descriptor?.group ?? "accounts"], "security": ServiceDescription.bearer,
                "responses": ServiceDescription.errorResponses(codes: descriptor?.errorCodes ?? []).merging([
                    "200": ServiceDescription.response(
                        "The report", schema: ServiceDescription.reference(ServiceDescription.operationComponent(name, .report)))
                ]) { $1 },
            ]
            if !parameters.isEmpty { item["parameters"] = parameters }
            if body {
                item["requestBody"] = [
                    "required": true,
                    "content": [
                        "application/json": ["schema": ServiceDescription.reference(ServiceDescription.operationComponent(name, .request))]
                    ],
                ]
            }
            return item
        }
        func query(_ name: String, _ schema: [String: Any]) -> [String: Any] { ["name": name, "in": "query", "required": false, "schema": schema] }
        return [
            "/v1/accounts": [
                "get": operation("accounts.list", "The service accounts (admin)"),
                "post": operation("accounts.create", "Create an account; the answer holds its token, once (admin)", body: true),
            ],
            "/v1/accounts/{name}": [
                "delete": operation(
                    "accounts.revoke", "Revoke an account (admin)",
                    parameters: [["name": "name", "in": "path", "required": true, "schema": ["type": "string"]]])
            ],
            "/v1/audit": [
                "get": operation(
                    "audit.show", "Audit records, filtered by time and account (admin)",
                    parameters: [
                        query("since", ["type": "string"]), query("account", ["type": "string"]),
                        query("limit", ["type": "integer", "minimum": 1, "maximum": 1_000_000]),
                    ])
            ],
        ]
    }
}
