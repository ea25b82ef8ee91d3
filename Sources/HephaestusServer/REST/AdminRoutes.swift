import Foundation
import HephaestusCore
import HephaestusOperations
import Hummingbird

/// The accounts and audit routes of API.md, each the REST spelling of a registered operation (so the gate's table
/// decides who may, admins by default): `GET /v1/accounts` (`accounts.list`), `POST /v1/accounts` (`accounts.create`,
/// the token answered once), `DELETE /v1/accounts/{name}` (`accounts.revoke`), `GET /v1/audit?since=…&account=…`
/// (`audit.show`), `POST /v1/audit/verify` (`audit.verify`, also served as every operation is).
enum AdminRoutes {
    static func register(on router: Router<ServiceRequestContext>, routes: RESTRoutes) {
        router.get("/v1/accounts") { request, context in
            try await call("accounts.list", routes, request, context) { _ in [:] }
        }
        router.post("/v1/accounts") { request, context in
            try await call("accounts.create", routes, request, context) { body in
                // Not JSON, or JSON but not an object (`"AAA"`, `[]`): the same 400.
                guard let fields = (try? JSONSerialization.jsonObject(with: Data(body.isEmpty ? Array("{}".utf8) : body))) as? [String: Any] else {
                    throw RequestError("the body must be a JSON object {\"name\", \"role\", \"expires\"}")
                }
                return fields
            }
        }
        router.delete("/v1/accounts/:name") { request, context in
            let name = try context.parameters.require("name")
            return try await call("accounts.revoke", routes, request, context, target: name) { _ in ["name": name] }
        }
        router.get("/v1/audit") { request, context in
            try await call("audit.show", routes, request, context) { _ in
                var fields: [String: Any] = [:]
                for key in ["since", "account", "limit"] {
                    guard let value = request.uri.queryParameters.get(key) else { continue }
                    fields[key] = key == "limit" ? (Int(value) as Any? ?? value) : value
                }
                return fields
            }
        }
    }

    /// Runs `operation` with the request `fields` builds from the body, the path and the query.
    private static func call(
        _ operation: String, _ routes: RESTRoutes, _ request: Request, _ context: ServiceRequestContext, target: String? = nil,
        fields: @escaping @Sendable ([UInt8]) throws -> [String: Any]
    ) async throws -> Response {
        guard let found = OperationRegistry.operation(named: operation) else { return try await routes.unknownRoute(request, context) }
        let allowance = routes.limits.operationRequest
        return try await routes.gated(request, context, action: .operation(found.descriptor), target: target, allowance: allowance) { _ in
            let parse: ([UInt8]) throws -> [UInt8] = { Array(try JSONSerialization.data(withJSONObject: try fields($0), options: [.sortedKeys])) }
            return try await routes.withBody(of: request, allowance: allowance, parse: parse) { requestJSON in
                RESTRoutes.json(try await routes.core.callOperation(operation, requestJSON: requestJSON, runID: RunID.generate()).json)
            }
        }
    }
}
