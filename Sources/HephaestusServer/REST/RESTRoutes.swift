import Foundation
import HTTPTypes
import HephaestusCore
import HephaestusOperations
import HephaestusService
import Hummingbird
import NIOCore
import SwiftProtobuf

/// The REST routes (API.md): health, the registry, the typed verification routes, every operation at
/// `POST /v1/<group>/<name>`, tasks with server-sent events. Each `/v1` route goes through the ``CallGate``; every
/// refusal and every unknown `/v1` route is audited too.
public struct RESTRoutes: Sendable {
    public let calls: CallGate
    public let tasks: TaskService
    let operationsDocument: [UInt8]
    let openAPIDocument: [UInt8]

    public init(calls: CallGate, tasks: TaskService) throws {
        self.calls = calls
        self.tasks = tasks
        let permissions = calls.gate.permissions
        operationsDocument = try ServiceDescription.operationsDocument { name in
            OperationRegistry.operation(named: name).flatMap { permissions.minimumRole(for: $0.descriptor)?.rawValue }
        }
        openAPIDocument = try ServiceDescription.openAPIDocument(version: HephaestusVersion.current)
    }

    var core: ServiceCore { calls.core }
    var limits: ServiceLimits { calls.core.limits }

    /// The router with every route.
    public func router() -> Router<ServiceRequestContext> {
        let router = Router(context: ServiceRequestContext.self)
        router.add(middleware: ServiceErrorMiddleware(calls: calls))
        router.get("/healthz") { _, _ in Self.json(Array(#"{"status":"ok"}"#.utf8)) }
        router.get("/readyz") { _, _ in
            core.isDraining
                ? Self.failure(ServiceFailure(ServiceLimitError.draining))
                : Self.json(Array(#"{"status":"ready"}"#.utf8))
        }
        router.get("/v1/operations") { request, context in
            try await gated(request, context, action: .readSchema) { _ in Self.json(operationsDocument) }
        }
        router.get("/v1/openapi.json") { request, context in
            try await gated(request, context, action: .readSchema) { _ in Self.json(openAPIDocument) }
        }
        router.post("/v1/verify/bundle") { request, context in
            try await gated(request, context, action: .operation(VerifyBundleOperation.descriptor)) { _ in
                try await withBody(of: request, parse: VerifyBundleBody.request) { input in
                    Self.json(try await core.verifyBundle(input, runID: RunID.generate()).json())
                }
            }
        }
        router.post("/v1/verify/batch") { request, context in
            try await gated(request, context, action: .operation(VerifyBatchOperation.descriptor)) { _ in
                try await withBody(of: request, parse: VerifyBundleBody.items) { items in
                    let results = try await core.verifyBatch(items, runID: RunID.generate()) { try $0.json() }
                    // Written once, into a buffer of its exact size.
                    var output = ByteBuffer()
                    output.reserveCapacity(results.reduce(#"{"results":[]}"#.utf8.count) { $0 + $1.count + 1 })
                    output.writeString(#"{"results":["#)
                    for (index, result) in results.enumerated() {
                        if index > 0 { output.writeInteger(UInt8(ascii: ",")) }
                        output.writeBytes(result)
                    }
                    output.writeString("]}")
                    return Self.json(output)
                }
            }
        }
        TaskRoutes.register(on: router, routes: self)
        AdminRoutes.register(on: router, routes: self)
        AnalyticsEventsRoute.register(on: router, routes: self)
        router.post("/v1/:group/:name") { request, context in
            try await operation("\(context.parameters.get("group") ?? "").\(context.parameters.get("name") ?? "")", request, context)
        }
        // Groups that also have routes of their own (`/v1/accounts/{name}`, `/v1/tasks/{id}`): the router prefers those
        // paths, so their operations are routed here too.
        router.post("/v1/accounts/:name") { request, context in
            try await operation("accounts.\(context.parameters.get("name") ?? "")", request, context)
        }
        router.post("/v1/tasks/:id") { request, context in
            try await operation("tasks.\(context.parameters.get("id") ?? "")", request, context)
        }
        return router
    }

    /// `POST /v1/<group>/<name>`: the registered operation `group.name` with the body as its request.
    func operation(_ name: String, _ request: Request, _ context: ServiceRequestContext) async throws -> Response {
        guard let operation = OperationRegistry.operation(named: name) else {
            return try await unknownRoute(request, context)
        }
        return try await gated(request, context, action: .operation(operation.descriptor), allowance: limits.operationRequest) { _ in
            try await withBody(of: request, allowance: limits.operationRequest, parse: { $0.isEmpty ? Array("{}".utf8) : $0 }) { requestJSON in
                Self.json(try await core.callOperation(name, requestJSON: requestJSON, runID: RunID.generate()).json)
            }
        }
    }

    // MARK: - Gate

    /// The gate's view of a request; `target` is what it acts on when its path names one thing (an account, a task).
    func gateRequest(_ request: Request, _ context: ServiceRequestContext, action: GatedAction, target: String? = nil) -> GateRequest {
        GateRequest(
            requestID: context.requestID, transport: .rest, authorization: request.headers[.authorization], action: action, source: context.peer,
            target: target)
    }

    /// Runs `body` through the gate; its response's status is the one recorded. A body declared larger than `allowance`
    /// (a REST body's unless given) allows is refused before anything else (413), and audited.
    func gated(
        _ request: Request, _ context: ServiceRequestContext, action: GatedAction, target: String? = nil, status: HTTPResponse.Status = .ok,
        allowance: BodyAllowance? = nil, _ body: (Admission) async throws -> Response
    ) async throws -> Response {
        let gateRequest = gateRequest(request, context, action: action, target: target)
        let limit = (allowance ?? limits.body).maxBytes
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            try await calls.refuseAfterAuthentication(gateRequest, ServiceLimitError.bodyTooLarge(limit: limit))
        }
        return try await calls.call(gateRequest, status: String(status.code), body)
    }

    /// An unknown `/v1` route: 404, audited with the account its token names, if any.
    func unknownRoute(_ request: Request, _ context: ServiceRequestContext) async throws -> Response {
        let path = request.uri.path
        let action = GatedAction.unknown("\(request.method.rawValue) \(path)")
        try await calls.refuseAfterAuthentication(
            gateRequest(request, context, action: action), ServiceLimitError.routeNotFound(method: request.method.rawValue, path: path))
    }

    // MARK: - Bodies

    /// Reads the request's body, parses it with `parse` and runs `work` on what it parsed. The body's bytes are reserved
    /// in the service's ``BodyBudget`` as they are read (503 `service.busy` when it is spent) and given back when
    /// `work` returns, since the parsed body lives until then; the bytes themselves are freed once parsed.
    func withBody<Parsed, Result>(
        of request: Request, allowance: BodyAllowance? = nil, parse: (consuming [UInt8]) throws -> Parsed,
        _ work: (Parsed) async throws -> Result
    ) async throws -> Result {
        let reservation = BodyReservation(core.bodyBudget)
        defer { reservation.release() }
        let result: Result
        do {
            let body = try await Self.body(of: request, allowance: allowance ?? limits.body, reservation: reservation)
            let parsed = try parse(body)
            result = try await work(parsed)
        }  // What the body was parsed into is freed here, before the reservation is given back.
        return result
    }

    /// The request body, at most `allowance.maxBytes` (413 beyond), collected into one array without a second copy: its
    /// declared `Content-Length` (times `allowance.cost`, for what its parse will take) is reserved in `reservation`
    /// before a byte is read, a chunked body's bytes as they arrive (503 `service.busy` when the budget cannot cover them).
    static func body(of request: Request, allowance: BodyAllowance, reservation: BodyReservation) async throws -> [UInt8] {
        let (limit, cost) = (allowance.maxBytes, allowance.cost)
        var bytes: [UInt8] = []
        if let declared = request.headers[.contentLength].flatMap(Int.init) {
            guard declared <= limit else { throw ServiceLimitError.bodyTooLarge(limit: limit) }
            try reservation.grow(to: declared * cost)
            bytes.reserveCapacity(declared)
        }
        for try await chunk in request.body {
            guard chunk.readableBytes <= limit - bytes.count else { throw ServiceLimitError.bodyTooLarge(limit: limit) }
            if bytes.count + chunk.readableBytes > bytes.capacity {
                // Growing reallocates: the array's new capacity is reserved (the old one is freed as it is copied).
                bytes.reserveCapacity(max(bytes.count + chunk.readableBytes, min(bytes.capacity * 2, limit)))
                try reservation.grow(to: bytes.capacity * cost)
            }
            bytes.append(contentsOf: chunk.readableBytesView)
        }
        return bytes
    }

    /// A body as a message of the gRPC contract, from its proto3 JSON mapping (unknown fields refused).
    static func decode<Message: SwiftProtobuf.Message>(_ type: Message.Type, from bytes: [UInt8]) throws -> Message {
        do {
            return try Message(jsonUTF8Bytes: bytes)
        } catch {
            throw RequestError("the body is not a \(Message.protoMessageName) in JSON: \(error)")
        }
    }

    // MARK: - Responses

    static func json(_ bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
        json(ByteBuffer(bytes: bytes), status: status)
    }

    static func json(_ buffer: ByteBuffer, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json", .contentLength: String(buffer.readableBytes)],
            body: ResponseBody(byteBuffer: buffer))
    }

    static func failure(_ failure: ServiceFailure) -> Response {
        var response = json(failure.jsonBody, status: HTTPResponse.Status(code: failure.httpStatus))
        if let retryAfter = failure.retryAfter { response.headers[.retryAfter] = String(retryAfter) }
        return response
    }
}

/// Turns every error a route throws into `{"error": {"code", "message"}}` with its category's status, adds
/// `X-Request-ID`, and audits requests to `/v1` paths no route has (unknown paths and methods).
struct ServiceErrorMiddleware: RouterMiddleware {
    typealias Context = ServiceRequestContext
    let calls: CallGate

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound || error.status == .methodNotAllowed {
            response = await notFound(request, context)
        } catch {
            let failure = ServiceFailure(error)
            if failure.category == .internalError {
                context.logger.error(
                    "request.failed",
                    metadata: ["request_id": .string(context.requestID), "path": .string(request.uri.path), "error": .string("\(error)")])
            }
            response = RESTRoutes.failure(failure)
        }
        response.headers[.requestID] = context.requestID
        return response
    }

    private func notFound(_ request: Request, _ context: Context) async -> Response {
        let error = ServiceLimitError.routeNotFound(method: request.method.rawValue, path: request.uri.path)
        guard request.uri.path.hasPrefix("/v1/") || request.uri.path == "/v1" else { return RESTRoutes.failure(ServiceFailure(error)) }
        let gateRequest = GateRequest(
            requestID: context.requestID, transport: .rest, authorization: request.headers[.authorization],
            action: .unknown("\(request.method.rawValue) \(request.uri.path)"), source: context.peer)
        do {
            try await calls.refuseAfterAuthentication(gateRequest, error)
        } catch {
            return RESTRoutes.failure(ServiceFailure(error))
        }
    }
}

extension HTTPField.Name {
    static let requestID = HTTPField.Name("X-Request-ID")!
    static let lastEventID = HTTPField.Name("Last-Event-ID")!
}
