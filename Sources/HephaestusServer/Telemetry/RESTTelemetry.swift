import Foundation
import HTTPTypes
import HephaestusPlatform
import HephaestusTelemetry
import Hummingbird
import Instrumentation
import NIOCore
import Tracing

/// Wraps the REST router: each request is one server span (continuing an incoming W3C `traceparent`, named
/// `METHOD route`, with the HTTP semantic-convention attributes), the task's tracer and active span while the route
/// runs (so operation spans nest under it), and one sample of ``HephaestusMetric/httpServerRequests`` and
/// ``HephaestusMetric/httpServerRequestDuration`` by method, route template and status. A streamed body (server-sent
/// events) is measured to its last byte.
struct RESTTelemetryResponder<Inner: HTTPResponder>: HTTPResponder where Inner.Context == ServiceRequestContext {
    typealias Context = ServiceRequestContext
    let inner: Inner
    let telemetry: ServiceTelemetry

    func respond(to request: Request, context: Context) async throws -> Response {
        let started = ContinuousClock.now
        let span = telemetry.tracer.map { tracer in Self.startSpan(request, context: context, tracer: tracer) }
        var response: Response
        do {
            if let span, let tracer = telemetry.tracer {
                response = try await withTracer(tracer) {
                    try await InstrumentationContext.$current.withValue(span.context) { try await inner.respond(to: request, context: context) }
                }
            } else {
                response = try await inner.respond(to: request, context: context)
            }
        } catch {
            // The router's error middleware answers every error; what still escapes is a 500.
            finish(span, request, context, status: 500, started: started, error: error)
            throw error
        }
        let status = Int(response.status.code)
        if response.body.contentLength == nil {
            let body = response.body
            let finish = { @Sendable in self.finish(span, request, context, status: status, started: started, error: nil) }
            response.body = ResponseBody { writer in
                do {
                    try await body.write(writer)
                    finish()
                } catch {
                    finish()
                    throw error
                }
            }
        } else {
            finish(span, request, context, status: status, started: started, error: nil)
        }
        return response
    }

    static func startSpan(_ request: Request, context: Context, tracer: RecordingTracer) -> RecordedSpan {
        var parent = InstrumentationContext.topLevel
        tracer.extract(request.headers, into: &parent, using: HTTPFieldsExtractor())
        let span = tracer.startSpan(request.method.rawValue, context: parent, ofKind: .server)
        guard span.isRecording else { return span }
        var attributes = SpanAttributes()
        attributes.set("http.request.method", value: .string(request.method.rawValue))
        attributes.set("url.path", value: .string(request.uri.path))
        attributes.set("url.scheme", value: .string(request.uri.scheme?.rawValue ?? "http"))
        if let agent = request.headers[.userAgent] { attributes.set("user_agent.original", value: .string(agent)) }
        if let peer = context.peer, let colon = peer.lastIndex(of: ":") {
            attributes.set("client.address", value: .string(String(peer[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))))
            if let port = Int64(peer[peer.index(after: colon)...]) { attributes.set("client.port", value: .int64(port)) }
        }
        attributes.set("hephaestus.request_id", value: .string(context.requestID))
        span.attributes = attributes
        return span
    }

    /// The route the router matched, as a template (`/v1/tasks/{id}`); nil when none did.
    static func route(_ context: Context) -> String? {
        guard let path = context.endpointPath, path != "NotFound", path.hasPrefix("/") else { return nil }
        return path
    }

    private func finish(
        _ span: RecordedSpan?, _ request: Request, _ context: Context, status: Int, started: ContinuousClock.Instant, error: (any Error)?
    ) {
        let route = Self.route(context)
        let method = request.method.rawValue
        HephaestusMetric.httpServerRequests.increment(method, route ?? "unmatched", String(status))
        HephaestusMetric.httpServerRequestDuration.record(since: started, method, route ?? "unmatched", String(status))
        let elapsed = (ContinuousClock.now - started).components
        telemetry.activity.record(
            ServiceActivity.Request(
                time: telemetry.activity.clock(), transport: "rest", route: "\(method) \(route ?? "unmatched")", status: String(status),
                failed: status >= 500, seconds: Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18))
        guard let span else { return }
        if let route {
            span.operationName = "\(method) \(route)"
            span.attributes["http.route"] = route
        }
        span.attributes["http.response.status_code"] = Int64(status)
        // HTTP server semantic conventions: 5xx is an error of the server; 4xx is the client's (status unset).
        if status >= 500 {
            span.attributes["error.type"] = error.map { String(reflecting: type(of: $0)) } ?? String(status)
            span.setStatus(SpanStatus(code: .error, message: error.map { "\($0)" }))
        } else if status >= 400 {
            span.attributes["error.type"] = String(status)
        }
        span.end()
    }
}

/// Reads `traceparent` from request headers.
struct HTTPFieldsExtractor: Extractor {
    func extract(key: String, from carrier: HTTPFields) -> String? {
        HTTPField.Name(key).flatMap { carrier[$0] }
    }
}
