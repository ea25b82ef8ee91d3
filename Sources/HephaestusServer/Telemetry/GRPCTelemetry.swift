import Foundation
import GRPCCore
import HephaestusPlatform
import HephaestusTelemetry
import Instrumentation
import Tracing

/// The gRPC side of ``RESTTelemetryResponder``: each call is one server span continuing the `traceparent` metadata
/// (named `hephaestus.v1.Verification/VerifyBundle`, `rpc.system` `grpc`, `rpc.service`, `rpc.method`,
/// `rpc.grpc.status_code`), the handler and its response stream run under it, and one sample of
/// ``HephaestusMetric/grpcServerCalls`` and ``HephaestusMetric/grpcServerCallDuration`` when the call ends.
struct GRPCTelemetryInterceptor: ServerInterceptor {
    let telemetry: ServiceTelemetry

    func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingServerRequest<Input>, context: ServerContext,
        next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
    ) async throws -> StreamingServerResponse<Output> {
        let started = ContinuousClock.now
        let call = Call(telemetry: telemetry, service: context.descriptor.service.fullyQualifiedService, method: context.descriptor.method)
        guard let tracer = telemetry.tracer else {
            return try await call.measure(started: started, span: nil) { try await next(request, context) }
        }
        var parent = InstrumentationContext.topLevel
        tracer.extract(request.metadata, into: &parent, using: MetadataExtractor())
        let span = tracer.startSpan("\(call.service)/\(call.method)", context: parent, ofKind: .server)
        if span.isRecording {
            var attributes = SpanAttributes()
            attributes.set("rpc.system", value: .string("grpc"))
            attributes.set("rpc.service", value: .string(call.service))
            attributes.set("rpc.method", value: .string(call.method))
            span.attributes = attributes
        }
        return try await withTracer(tracer) {
            try await InstrumentationContext.$current.withValue(span.context) {
                try await call.measure(started: started, span: span) { try await next(request, context) }
            }
        }
    }

    /// One call: its outcome recorded once, when the response is rejected or its stream ends.
    struct Call: Sendable {
        let telemetry: ServiceTelemetry
        let service: String
        let method: String

        func measure<Output: Sendable>(
            started: ContinuousClock.Instant, span: RecordedSpan?, _ handle: () async throws -> StreamingServerResponse<Output>
        ) async throws -> StreamingServerResponse<Output> {
            var response: StreamingServerResponse<Output>
            do {
                response = try await handle()
            } catch {
                finish(span, started: started, error: (error as? RPCError) ?? RPCError(code: .unknown, message: "\(error)"))
                throw error
            }
            switch response.accepted {
            case .failure(let error):
                finish(span, started: started, error: error)
            case .success(var contents):
                let producer = contents.producer
                let context = InstrumentationContext.current
                let tracer = telemetry.tracer
                contents.producer = { writer in
                    do {
                        let trailers: Metadata
                        if let context, let tracer {
                            trailers = try await withTracer(tracer) {
                                try await InstrumentationContext.$current.withValue(context) { try await producer(writer) }
                            }
                        } else {
                            trailers = try await producer(writer)
                        }
                        finish(span, started: started, error: nil)
                        return trailers
                    } catch {
                        finish(span, started: started, error: (error as? RPCError) ?? RPCError(code: .unknown, message: "\(error)"))
                        throw error
                    }
                }
                response.accepted = .success(contents)
            }
            return response
        }

        /// Codes that are the server's failure (the RPC semantic conventions' list for server spans); the others
        /// (invalid argument, unauthenticated, …) are the client's and leave the span's status unset.
        static let serverErrors: Set<RPCError.Code> = [.unknown, .deadlineExceeded, .unimplemented, .internalError, .unavailable, .dataLoss]

        func finish(_ span: RecordedSpan?, started: ContinuousClock.Instant, error: RPCError?) {
            let code = error.map { Status.Code($0.code) } ?? .ok
            let name = GRPCStatusCode(rawValue: code.rawValue)?.name ?? "UNKNOWN"
            HephaestusMetric.grpcServerCalls.increment(service, method, name)
            HephaestusMetric.grpcServerCallDuration.record(since: started, service, method, name)
            let elapsed = (ContinuousClock.now - started).components
            telemetry.activity.record(
                ServiceActivity.Request(
                    time: telemetry.activity.clock(), transport: "grpc", route: "\(service)/\(method)", status: name,
                    failed: error.map { Self.serverErrors.contains($0.code) } ?? false,
                    seconds: Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18))
            guard let span else { return }
            span.attributes["rpc.grpc.status_code"] = Int64(code.rawValue)
            if let error {
                span.attributes["error.type"] = name
                if Self.serverErrors.contains(error.code) { span.setStatus(SpanStatus(code: .error, message: error.message)) }
            }
            span.end()
        }
    }
}

/// Reads `traceparent` from call metadata.
struct MetadataExtractor: Extractor {
    func extract(key: String, from carrier: Metadata) -> String? {
        carrier[stringValues: key].first(where: { _ in true })
    }
}
