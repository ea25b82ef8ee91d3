import Foundation
import HTTPTypes
import HephaestusCore
import HephaestusPlatform
import HephaestusService
import Hummingbird
import NIOCore

extension TaskRoutes {
    /// `POST /v1/tasks`, `GET /v1/tasks`, `GET /v1/tasks/{id}`, `DELETE /v1/tasks/{id}`, `GET /v1/tasks/{id}/events`.
    static func register(on router: Router<ServiceRequestContext>, routes: RESTRoutes) {
        let tasks = routes.tasks
        router.post("/v1/tasks") { request, context in
            // The body names the operation, whose permission the gate checks: it is read first (within the budget), once
            // the caller's token is known to be an account's, so that a caller without one never holds any of the budget.
            let unread = routes.gateRequest(request, context, action: .unknown("tasks.start"))
            _ = try await routes.calls.authenticate(unread)
            let reservation = BodyReservation(routes.core.bodyBudget)
            defer { reservation.release() }
            let body: Hephaestus_V1_StartTaskRequest
            let descriptor: OperationDescriptor
            do {
                body = try RESTRoutes.decode(
                    Hephaestus_V1_StartTaskRequest.self,
                    from: try await RESTRoutes.body(of: request, allowance: routes.limits.operationRequest, reservation: reservation))
                descriptor = try TaskService.descriptor(of: body.operation)
            } catch {
                try await routes.calls.refuse(unread, failure: error)
            }
            return try await routes.gated(
                request, context, action: .startTask(descriptor), status: .accepted, allowance: routes.limits.operationRequest
            ) { admission in
                let task = try await tasks.start(descriptor, request: body.hasRequest ? body.request : nil, account: admission.account.name)
                return RESTRoutes.json(try TaskMessages.json(try TaskMessages.message(task)), status: .accepted)
            }
        }
        router.get("/v1/tasks") { request, context in
            try await routes.gated(request, context, action: .readTasks) { _ in
                let status = try request.uri.queryParameters.get("status").map { text throws(RequestError) in
                    guard let status = TaskStatus(rawValue: text) else { throw RequestError("status \(text) is not a task status") }
                    return status
                }
                let records = try await tasks.queue.tasks(matching: TaskFilter(status: status, account: request.uri.queryParameters.get("account")))
                var list = Hephaestus_V1_TaskList()
                list.tasks = try records.map(TaskMessages.message)
                return RESTRoutes.json(try TaskMessages.json(list))
            }
        }
        router.get("/v1/tasks/:id") { request, context in
            let id = try context.parameters.require("id")
            return try await routes.gated(request, context, action: .readTasks, target: id) { _ in
                let task = try await tasks.task(id)
                return RESTRoutes.json(try TaskMessages.json(try TaskMessages.message(task)))
            }
        }
        router.delete("/v1/tasks/:id") { request, context in
            let id = try context.parameters.require("id")
            // The owner decides who may cancel (the owner or an admin); an unknown task has none.
            let owner = try await tasks.queue.task(id)?.account ?? ""
            return try await routes.gated(request, context, action: .cancelTask(owner: owner), target: id) { _ in
                let task = try await tasks.cancel(id)
                return RESTRoutes.json(try TaskMessages.json(try TaskMessages.message(task)))
            }
        }
        router.get("/v1/tasks/:id/events") { request, context in
            let id = try context.parameters.require("id")
            let gateRequest = routes.gateRequest(request, context, action: .readTasks, target: id)
            let after: Int64?
            do {
                after = try lastEventID(request.headers[.lastEventID])
            } catch let error as RequestError {
                try await routes.calls.refuseAfterAuthentication(gateRequest, error)
            }
            let admission = try await routes.calls.admit(gateRequest)
            do {
                _ = try await tasks.task(id)
            } catch {
                try await admission.finish(throwing: error)
                throw error
            }
            let events = tasks.follow(id, after: after)
            let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache"]
            return Response(
                status: .ok, headers: headers,
                body: ResponseBody { writer in
                    do {
                        for try await event in events {
                            try await writer.write(ByteBuffer(bytes: try serverSentEvent(event)))
                        }
                        try await writer.finish(nil)
                    } catch ServiceLimitError.draining {
                        // The stream ends where it is: the client reconnects with Last-Event-ID and resumes.
                        try? await writer.finish(nil)
                        try await admission.finish(throwing: ServiceLimitError.draining)
                        return
                    } catch {
                        try? await admission.finish(throwing: error)
                        throw error
                    }
                    try await admission.finish(.succeeded, status: "200")
                })
        }
    }

    /// `Last-Event-ID`: the id of the last event the client saw (absent: from the first).
    static func lastEventID(_ header: String?) throws(RequestError) -> Int64? {
        guard let header, !header.isEmpty else { return nil }
        guard let id = Int64(header.trimmingCharacters(in: .whitespaces)), id >= 0 else {
            throw RequestError("Last-Event-ID \(header) is not an event id (a non-negative integer)")
        }
        return id
    }

    /// One event in the `text/event-stream` format: `id:`, `event:` (its type) and the event as JSON in `data:`.
    static func serverSentEvent(_ event: TaskEvent) throws -> [UInt8] {
        let data = try TaskMessages.json(try TaskMessages.message(event))
        return Array("id: \(event.id)\nevent: \(event.type.rawValue)\ndata: ".utf8) + data + Array("\n\n".utf8)
    }
}
