import Foundation
import HephaestusCore
import HephaestusOperations
import HephaestusPlatform
import HephaestusService
import Synchronization
import Testing

@testable import HephaestusServer

/// The registry as the service describes it, the error body and statuses, and the rate limiter.
@Suite("serve: descriptions, errors and rate limits")
struct ServiceDescriptionTests {
    static func object(_ bytes: [UInt8]) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    @Test("GET /v1/operations lists every registered operation with its route and least role; OpenAPI 3.1 has a path for each")
    func registryDocuments() throws {
        let permissions = PermissionTable.standard
        let operations = try Self.object(
            ServiceDescription.operationsDocument { name in
                OperationRegistry.operation(named: name).flatMap { permissions.minimumRole(for: $0.descriptor)?.rawValue }
            })
        let listed = try #require(operations["operations"] as? [[String: Any]])
        #expect(listed.map { $0["name"] as? String } == OperationRegistry.descriptors.map(\.name))
        let bundle = try #require(listed.first { $0["name"] as? String == "verify.bundle" })
        #expect(bundle["route"] as? String == "/v1/verify/bundle" && bundle["requiredRole"] as? String == "verifier")
        #expect(listed.first { $0["name"] as? String == "dev.sigstore" }?["requiredRole"] == nil, "dev.* is served to nobody")

        let openAPI = try Self.object(ServiceDescription.openAPIDocument(version: "1.2.3"))
        #expect(openAPI["openapi"] as? String == "3.1.0")
        let paths = try #require(openAPI["paths"] as? [String: Any])
        for descriptor in OperationRegistry.descriptors {
            #expect(paths[ServiceDescription.route(of: descriptor.name)] != nil, "\(descriptor.name) has no path")
        }
        for path in ["/healthz", "/readyz", "/v1/operations", "/v1/openapi.json", "/v1/tasks", "/v1/tasks/{id}", "/v1/tasks/{id}/events"] {
            #expect(paths[path] != nil, "\(path)")
        }
        // Every $ref points at a schema the document defines.
        let text = String(decoding: try ServiceDescription.openAPIDocument(version: "1"), as: UTF8.self)
        let schemas = try #require((openAPI["components"] as? [String: Any])?["schemas"] as? [String: Any])
        for match in text.matches(of: /"#\/components\/schemas\/([A-Za-z]+)"/) {
            #expect(schemas[String(match.1)] != nil, "\(match.1)")
        }
    }

    @Test("errors become the error body with the status of their category; internal errors say nothing more")
    func failures() throws {
        let unauthenticated = ServiceFailure(AccessError.missingCredentials)
        #expect(unauthenticated.httpStatus == 401 && unauthenticated.grpcStatus == .unauthenticated && unauthenticated.code == "auth.missing")
        let body = try Self.object(unauthenticated.jsonBody)
        #expect((body["error"] as? [String: String]) == ["code": "auth.missing", "message": AccessError.missingCredentials.description])
        let limited = ServiceFailure(ServiceLimitError.rateLimited(account: "ops", perMinute: 60, retryAfterSeconds: 17))
        #expect(limited.httpStatus == 429 && limited.retryAfter == 17 && limited.grpcStatus == .resourceExhausted)
        #expect(ServiceFailure(ServiceLimitError.bodyTooLarge(limit: 10)).httpStatus == 413)
        #expect(ServiceFailure(RequestError("bad")).httpStatus == 400)
        #expect(ServiceFailure(ServiceLimitError.draining).httpStatus == 503)
        struct Secret: Error {}
        let hidden = ServiceFailure(Secret())
        #expect(hidden.httpStatus == 500 && hidden.message == "internal error" && hidden.code == "internal.unexpected")
    }

    @Test("the rate limiter admits perMinute calls per account and window, then says how long to wait")
    func rateLimiter() throws {
        let now = Mutex(Date(timeIntervalSince1970: 1_000_000))
        let limiter = RateLimiter(clock: { now.withLock { $0 } })
        try limiter.admit(account: "a", perMinute: 2)
        try limiter.admit(account: "a", perMinute: 2)
        try limiter.admit(account: "b", perMinute: 2)
        now.withLock { $0 += 15 }
        let refusal = #expect(throws: ServiceLimitError.self) { try limiter.admit(account: "a", perMinute: 2) }
        #expect(refusal?.retryAfterSeconds == 45)
        now.withLock { $0 += 45 }
        try limiter.admit(account: "a", perMinute: 2)
    }

    @Test("Last-Event-ID must be an event id; events are written with id, event and data lines")
    func serverSentEvents() throws {
        #expect(try TaskRoutes.lastEventID(nil) == nil)
        #expect(try TaskRoutes.lastEventID("7") == 7)
        #expect(throws: RequestError.self) { try TaskRoutes.lastEventID("x") }
        #expect(throws: RequestError.self) { try TaskRoutes.lastEventID("-1") }
        let event = TaskEvent(taskID: "t1", id: 3, type: .progress, time: Date(timeIntervalSince1970: 0), data: #"{"stage":"fetch"}"#)
        let text = String(decoding: try TaskRoutes.serverSentEvent(event), as: UTF8.self)
        #expect(text.hasPrefix("id: 3\nevent: progress\ndata: {") && text.hasSuffix("}\n\n"))
        #expect(text.contains(#""taskId":"t1""#) && text.contains(#""type":"progress""#) && text.contains(#""stage":"fetch""#))
    }
}
