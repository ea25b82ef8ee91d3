import Foundation
import Instrumentation
import Tracing

/// One HTTP attempt as an OpenTelemetry client span (semantic conventions for HTTP clients: named after the method,
/// `http.request.method`, `url.full` without credentials or query, `server.address`, `server.port`,
/// `http.request.resend_count`, `http.response.status_code`, `error.type`), whose W3C `traceparent` goes out with the
/// request. Nothing happens when no span is active (tracing off).
struct HTTPClientSpan {
    private let span: any Span

    /// The span, and the request carrying its `traceparent`; no span when tracing is off.
    static func start(_ request: HTTPRequest, attempt: Int) -> (HTTPRequest, HTTPClientSpan?) {
        guard let context = InstrumentationContext.current else { return (request, nil) }
        let tracer = InstrumentationSystem.tracer
        let span = tracer.startSpan(request.method, context: context, ofKind: .client)
        if span.isRecording {
            var attributes = SpanAttributes()
            attributes.set("http.request.method", value: .string(request.method))
            attributes.set("url.full", value: .string(HTTPClient.redacted(request.url)))
            if let host = request.url.host { attributes.set("server.address", value: .string(host)) }
            let port = request.url.port ?? (request.url.scheme?.lowercased() == "https" ? 443 : 80)
            attributes.set("server.port", value: .int64(Int64(port)))
            if attempt > 1 { attributes.set("http.request.resend_count", value: .int64(Int64(attempt - 1))) }
            span.attributes = attributes
        }
        var traced = request
        tracer.inject(span.context, into: &traced.headers, using: HTTPHeadersInjector())
        return (traced, HTTPClientSpan(span: span))
    }

    /// The response arrived: its status; 4xx and 5xx mark the span failed (`error.type` the status code).
    func end(status: Int) {
        span.attributes["http.response.status_code"] = Int64(status)
        if status >= 400 {
            span.attributes["error.type"] = String(status)
            span.setStatus(SpanStatus(code: .error))
        }
        span.end()
    }

    /// No response: the transport failed (`error.type` the failure's kind).
    func end(error: any Error) {
        let kind: String =
            if case .transport(_, let reason, _) = error as? TransportError { Self.errorType(reason) } else { String(describing: type(of: error)) }
        span.attributes["error.type"] = kind
        span.recordError(error)
        span.setStatus(SpanStatus(code: .error, message: "\(error)"))
        span.end()
    }

    /// A low-cardinality `error.type` for a transport failure message.
    static func errorType(_ reason: String) -> String {
        let lowered = reason.lowercased()
        if lowered.contains("timed out") || lowered.contains("timeout") { return "timeout" }
        if lowered.contains("connect") { return "connection_failed" }
        if lowered.contains("resolve") { return "dns_failed" }
        if lowered.contains("ssl") || lowered.contains("tls") || lowered.contains("certificate") { return "tls_failed" }
        return "transport_failed"
    }
}

/// Writes propagation fields (`traceparent`) into request headers.
struct HTTPHeadersInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout HTTPHeaders) {
        carrier.set(key, value)
    }
}

/// Counts the body bytes an attempt receives, for ``HephaestusMetric/downloadedBytes``.
final class CountingBodySink: HTTPBodySink {
    private let inner: any HTTPBodySink
    private(set) var received: Int64 = 0

    init(_ inner: any HTTPBodySink) {
        self.inner = inner
    }

    func begin(_ head: HTTPResponseHead) throws {
        try inner.begin(head)
    }

    func write(_ chunk: UnsafeRawBufferPointer) throws {
        received += Int64(chunk.count)
        try inner.write(chunk)
    }
}
