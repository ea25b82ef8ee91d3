import Foundation
import GRPCCore
import HephaestusCore
import HephaestusOperations
import HephaestusPlatform
import HephaestusService
import SwiftProtobuf
import Synchronization

/// What the three gRPC services share: the gate request of a call (its `authorization` metadata, a fresh request
/// id) and errors as statuses from the one category table, the error code in `hephaestus-error-code` metadata.
struct GRPCCalls: Sendable {
    let calls: CallGate

    static let errorCodeKey = "hephaestus-error-code"
    /// The request id of the call's audit records (REST's `X-Request-ID`).
    static let requestIDKey = "x-request-id"

    /// The gate's view of a call; `target` is what it acts on when its message names one thing (a task).
    func gateRequest(_ metadata: Metadata, _ context: ServerContext, action: GatedAction, target: String? = nil) -> GateRequest {
        let authorization = metadata[stringValues: "authorization"].first(where: { _ in true })
        return GateRequest(
            requestID: UUID.randomLowercased(), transport: .grpc, authorization: authorization, action: action, source: context.remotePeer,
            target: target)
    }

    /// A unary call through the gate; its errors as `RPCError`s.
    func unary<Output: Sendable>(
        _ metadata: Metadata, _ context: ServerContext, action: GatedAction, target: String? = nil,
        _ body: @Sendable (Admission) async throws -> Output
    ) async throws -> ServerResponse<Output> {
        let request = gateRequest(metadata, context, action: action, target: target)
        do {
            let output = try await calls.call(request, status: GRPCStatusCode.ok.name, body)
            var trailing: Metadata = [:]
            trailing.addString(request.requestID, forKey: Self.requestIDKey)
            return ServerResponse(message: output, trailingMetadata: trailing)
        } catch {
            return ServerResponse(error: Self.rpcError(error, requestID: request.requestID))
        }
    }

    /// A server-streaming response whose messages `produce` writes; the admitted call's outcome is audited when the
    /// stream ends (an error ends it with its status).
    static func stream<Output: Sendable>(
        _ admission: Admission, _ produce: @escaping @Sendable (RPCWriter<Output>) async throws -> Void
    ) -> StreamingServerResponse<Output> {
        StreamingServerResponse { writer in
            do {
                try await produce(writer)
            } catch {
                try? await admission.finish(throwing: error)
                throw rpcError(error, requestID: admission.request.requestID)
            }
            do {
                try await admission.finish(.succeeded, status: GRPCStatusCode.ok.name)
            } catch {
                throw rpcError(error, requestID: admission.request.requestID)
            }
            return [:]
        }
    }

    /// A thrown error as the status the category table gives it.
    static func rpcError(_ error: any Error, requestID: String? = nil) -> RPCError {
        let failure = ServiceFailure(error)
        let code = Status.Code(rawValue: failure.grpcStatus.rawValue).flatMap(RPCError.Code.init) ?? .internalError
        var metadata: Metadata = [:]
        metadata.addString(failure.code, forKey: errorCodeKey)
        if let requestID { metadata.addString(requestID, forKey: requestIDKey) }
        if let retryAfter = failure.retryAfter { metadata.addString(String(retryAfter), forKey: "retry-after") }
        return RPCError(code: code, message: failure.message, metadata: metadata)
    }

    /// The gate action of a message that names an operation (unknown: refused as an unknown action).
    static func operation(named name: String) throws(RequestError) -> any HephaestusCore.Operation.Type {
        guard let operation = OperationRegistry.operation(named: name) else {
            throw RequestError("no operation \(name) (GET /v1/operations lists them)")
        }
        return operation
    }
}

/// `hephaestus.v1.Verification`: the same verifications as `POST /v1/verify/bundle` and `/v1/verify/batch`.
struct VerificationGRPCService: Hephaestus_V1_Verification.ServiceProtocol {
    let grpc: GRPCCalls
    var core: ServiceCore { grpc.calls.core }

    func verifyBundle(
        request: ServerRequest<Hephaestus_V1_VerifyBundleRequest>, context: ServerContext
    ) async throws -> ServerResponse<Hephaestus_V1_VerificationResult> {
        let core = self.core
        let message = request.message
        return try await grpc.unary(request.metadata, context, action: .operation(VerifyBundleOperation.descriptor)) { _ in
            try await core.verifyBundle(VerifyBundleInput(message), runID: RunID.generate()).message()
        }
    }

    /// One result per request message, in order, as each arrives; the call is one audited request.
    func verifyBatch(
        request: StreamingServerRequest<Hephaestus_V1_VerifyBundleRequest>, context: ServerContext
    ) async throws -> StreamingServerResponse<Hephaestus_V1_VerificationResult> {
        let gateRequest = grpc.gateRequest(request.metadata, context, action: .operation(VerifyBatchOperation.descriptor))
        let admission: Admission
        do {
            admission = try await grpc.calls.admit(gateRequest)
        } catch {
            return StreamingServerResponse(error: GRPCCalls.rpcError(error))
        }
        let core = self.core
        let runID = RunID.generate()
        return GRPCCalls.stream(admission) { (writer: RPCWriter<Hephaestus_V1_VerificationResult>) in
            var index = 0
            for try await item in request.messages {
                let verification = core.verification
                let source = "request.items[\(index)].bundle"
                let document = try await BlockingWork.run { try verification.verify(VerifyBundleInput(item), source: source, runID: runID) }
                try await writer.write(document.message())
                index += 1
            }
        }
    }
}

/// `hephaestus.v1.Operations`: any registered operation, as `POST /v1/<group>/<name>` runs it.
struct OperationsGRPCService: Hephaestus_V1_Operations.ServiceProtocol {
    let grpc: GRPCCalls

    func call(
        request: ServerRequest<Hephaestus_V1_OperationRequest>, context: ServerContext
    ) async throws -> ServerResponse<Hephaestus_V1_OperationReport> {
        let message = request.message
        let operation: any HephaestusCore.Operation.Type
        do {
            operation = try GRPCCalls.operation(named: message.operation)
        } catch {
            let refused = grpc.gateRequest(request.metadata, context, action: .unknown("operations.call:\(message.operation)"))
            do {
                try await grpc.calls.refuseAfterAuthentication(refused, error)
            } catch {
                return ServerResponse(error: GRPCCalls.rpcError(error, requestID: refused.requestID))
            }
        }
        let core = grpc.calls.core
        return try await grpc.unary(request.metadata, context, action: .operation(operation.descriptor)) { _ in
            let requestJSON: [UInt8] = message.hasRequest ? try message.request.jsonUTF8Bytes() : Array("{}".utf8)
            let items = ItemCollector()
            let document = try await core.callOperation(message.operation, requestJSON: requestJSON, runID: RunID.generate()) { item in
                items.append(item)
            }
            var report = Hephaestus_V1_OperationReport()
            report.operation = message.operation
            report.report = try Google_Protobuf_Struct(jsonUTF8Bytes: document.json)
            report.items = try items.all.map { try Google_Protobuf_Struct(jsonUTF8Bytes: $0) }
            if let failure = document.failure {
                report.failure = Hephaestus_V1_Error.with {
                    $0.code = failure.code
                    $0.message = failure.description
                }
            }
            return report
        }
    }
}

/// `hephaestus.v1.Tasks`: the task routes over gRPC; `Watch` streams the same events as the SSE route.
struct TasksGRPCService: Hephaestus_V1_Tasks.ServiceProtocol {
    let grpc: GRPCCalls
    let tasks: TaskService

    func start(request: ServerRequest<Hephaestus_V1_StartTaskRequest>, context: ServerContext) async throws -> ServerResponse<Hephaestus_V1_Task> {
        let message = request.message
        let descriptor: OperationDescriptor
        do {
            descriptor = try TaskService.descriptor(of: message.operation)
        } catch {
            do {
                try await grpc.calls.refuseAfterAuthentication(grpc.gateRequest(request.metadata, context, action: .unknown("tasks.start")), error)
            } catch {
                return ServerResponse(error: GRPCCalls.rpcError(error))
            }
        }
        let tasks = self.tasks
        return try await grpc.unary(request.metadata, context, action: .startTask(descriptor)) { admission in
            try TaskMessages.message(
                try await tasks.start(descriptor, request: message.hasRequest ? message.request : nil, account: admission.account.name))
        }
    }

    func get(request: ServerRequest<Hephaestus_V1_GetTaskRequest>, context: ServerContext) async throws -> ServerResponse<Hephaestus_V1_Task> {
        let tasks = self.tasks
        let id = request.message.id
        return try await grpc.unary(request.metadata, context, action: .readTasks, target: id) { _ in
            try TaskMessages.message(try await tasks.task(id))
        }
    }

    func cancel(request: ServerRequest<Hephaestus_V1_CancelTaskRequest>, context: ServerContext) async throws -> ServerResponse<Hephaestus_V1_Task> {
        let tasks = self.tasks
        let id = request.message.id
        let owner: String
        do {
            owner = try await tasks.queue.task(id)?.account ?? ""
        } catch {
            return ServerResponse(error: GRPCCalls.rpcError(error))
        }
        return try await grpc.unary(request.metadata, context, action: .cancelTask(owner: owner), target: id) { _ in
            try TaskMessages.message(try await tasks.cancel(id))
        }
    }

    func watch(
        request: ServerRequest<Hephaestus_V1_WatchTaskRequest>, context: ServerContext
    ) async throws -> StreamingServerResponse<Hephaestus_V1_TaskEvent> {
        let message = request.message
        let admission: Admission
        do {
            admission = try await grpc.calls.admit(grpc.gateRequest(request.metadata, context, action: .readTasks, target: message.id))
            do {
                _ = try await tasks.task(message.id)
            } catch {
                try await admission.finish(throwing: error)
                throw error
            }
        } catch {
            return StreamingServerResponse(error: GRPCCalls.rpcError(error))
        }
        let events = tasks.follow(message.id, after: message.afterEventID > 0 ? message.afterEventID : nil)
        return GRPCCalls.stream(admission) { (writer: RPCWriter<Hephaestus_V1_TaskEvent>) in
            for try await event in events {
                try await writer.write(try TaskMessages.message(event))
            }
        }
    }
}

/// Items an operation emits while it runs, kept in order for the report message.
final class ItemCollector: Sendable {
    private let items = Mutex<[[UInt8]]>([])

    func append(_ item: [UInt8]) {
        items.withLock { $0.append(item) }
    }

    var all: [[UInt8]] { items.withLock { $0 } }
}
