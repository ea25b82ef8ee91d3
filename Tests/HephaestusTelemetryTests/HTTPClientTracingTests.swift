import CoreMetrics
import Foundation
import HephaestusTestSupport
import Testing
import Tracing

@testable import HephaestusPlatform
@testable import HephaestusTelemetry

/// The HTTP client under an active span: one client span per attempt, `traceparent` on the wire, the semantic
/// conventions' attributes, and the transfer, retry and refusal counters.
@Suite(.serialized) struct HTTPClientTracingTests {
    /// swift-metrics' backend for this test process (bootstrapped once: the API allows no second bootstrap).
    static let metrics: PrometheusMetrics = {
        let metrics = PrometheusMetrics()
        MetricsSystem.bootstrap(metrics.factory)
        return metrics
    }()

    static func metricValue(_ line: String) -> Double {
        let text = String(decoding: metrics.text(), as: UTF8.self)
        return text.split(separator: "\n").first { $0.hasPrefix(line + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
    }

    @Test func eachAttemptIsAClientSpanWhoseTraceparentGoesOut() async throws {
        _ = Self.metrics
        let downloadedBefore = Self.metricValue("hephaestus_http_downloaded_bytes_total")
        let retriesBefore = Self.metricValue("hephaestus_http_retries_total{reason=\"status\"}")
        let processor = CollectingSpanProcessor()
        let tracer = RecordingTracer(sampler: AlwaysOnSampler(), processor: processor)
        let transport = ScriptedTransport([.response(status: 503), .response(status: 200, body: Array("hello".utf8))])
        let sleeper = RecordingSleeper()
        let client = HTTPClient(transport: transport, policy: try RetryPolicy(maxRetries: 2), sleeper: sleeper, clock: sleeper.clock)
        let root = tracer.startSpan("operation", context: .topLevel)
        let response = try await withTracer(tracer) {
            try await InstrumentationContext.$current.withValue(root.context) {
                try await BlockingWork.run { try client.send(HTTPRequest(url: URL(string: "https://user:pw@example.com:8443/path?token=secret")!)) }
            }
        }
        root.end()
        #expect(response.head.status == 200)
        let spans = processor.spans.filter { $0.kind == .client }
        try #require(spans.count == 2)
        for (span, request) in zip(spans, transport.requests) {
            #expect(span.name == "GET")
            #expect(span.parentSpanID == root.spanContext.spanID, "the blocking thread saw the operation's span")
            #expect(request.headers["traceparent"] == "00-\(span.context.traceID)-\(span.context.spanID)-01")
            #expect(span.attributes.get("url.full") == .string("https://example.com:8443/path?…"))
            #expect(span.attributes.get("server.address") == .string("example.com"))
            #expect(span.attributes.get("server.port") == .int64(8443))
            #expect(span.attributes.get("http.request.method") == .string("GET"))
        }
        #expect(spans[0].attributes.get("http.response.status_code") == .int64(503))
        #expect(spans[0].attributes.get("error.type") == .string("503"))
        #expect(spans[0].status?.code == .error)
        #expect(spans[1].attributes.get("http.request.resend_count") == .int64(1))
        #expect(spans[1].status == nil)
        // The counters are the process's: suites running alongside may add to them, never take away.
        #expect(Self.metricValue("hephaestus_http_downloaded_bytes_total") - downloadedBefore >= 5)
        #expect(Self.metricValue("hephaestus_http_retries_total{reason=\"status\"}") - retriesBefore >= 1)
    }

    @Test func aTransportFailureEndsTheSpanWithItsKind() async throws {
        let processor = CollectingSpanProcessor()
        let tracer = RecordingTracer(sampler: AlwaysOnSampler(), processor: processor)
        let client = HTTPClient(
            transport: ScriptedTransport([.failure("Connection timed out after 5000 ms", retryable: false)]), policy: try RetryPolicy(maxRetries: 0))
        let root = tracer.startSpan("operation", context: .topLevel)
        await withTracer(tracer) {
            await InstrumentationContext.$current.withValue(root.context) {
                #expect(throws: TransportError.self) { try client.send(HTTPRequest(url: URL(string: "https://example.com/")!)) }
            }
        }
        let span = try #require(processor.spans.first)
        #expect(span.attributes.get("error.type") == .string("timeout"))
        #expect(span.status?.code == .error)
        #expect(span.events.map(\.name) == ["exception"])
        #expect(HTTPClientSpan.errorType("Could not resolve host: x") == "dns_failed")
        #expect(HTTPClientSpan.errorType("Failed to connect to 127.0.0.1 port 1") == "connection_failed")
        #expect(HTTPClientSpan.errorType("SSL certificate problem") == "tls_failed")
        #expect(HTTPClientSpan.errorType("Recv failure") == "transport_failed")
    }

    @Test func withoutAnActiveSpanNothingIsTracedOrSent() throws {
        let transport = ScriptedTransport([.response(status: 200)])
        let client = HTTPClient(transport: transport, policy: try RetryPolicy(maxRetries: 0))
        _ = try client.send(HTTPRequest(url: URL(string: "https://example.com/")!))
        #expect(transport.requests.first?.headers["traceparent"] == nil)
    }

    @Test func refusedExtractionsAreCountedByRule() {
        _ = Self.metrics
        let before = Self.metricValue("hephaestus_extraction_refusals_total{rule=\"parent-component\"}")
        HephaestusMetric.extractionRefusals.increment(ArchiveError.unsafeEntry(entry: "../x", rule: "'..' path component").refusalRule ?? "")
        #expect(Self.metricValue("hephaestus_extraction_refusals_total{rule=\"parent-component\"}") - before >= 1)
        #expect(ArchiveError.limitExceeded(entry: "x", limit: "more than 10 entries").refusalRule == "entry-count")
        #expect(ArchiveError.limitExceeded(entry: "x", limit: "more than 10 bytes in one entry").refusalRule == "entry-size")
        #expect(ArchiveError.limitExceeded(entry: "x", limit: "more than 10 bytes in all").refusalRule == "total-size")
        #expect(ArchiveError.unsafeEntry(entry: "x", rule: "path passes through the symbolic link a").refusalRule == "path-through-link")
        #expect(ArchiveError.unsafeEntry(entry: "x", rule: "symbolic link to an absolute path \"/etc\"").refusalRule == "absolute-path")
        #expect(ArchiveError.corrupt(path: "x", reason: "y").refusalRule == nil)
    }
}
