import CoreMetrics
import Foundation
import HephaestusPlatform
import HephaestusTestSupport
import Synchronization
import Testing
import Tracing

@testable import HephaestusTelemetry

@Suite struct RecordingTracerTests {
    @Test func childrenShareTheTraceAndNameTheirParent() async throws {
        let processor = CollectingSpanProcessor()
        let tracer = RecordingTracer(sampler: AlwaysOnSampler(), processor: processor)
        let root = tracer.startSpan("root", context: .topLevel)
        let child = tracer.startSpan("child", context: root.context)
        child.end()
        root.end()
        let spans = processor.spans
        #expect(spans.map(\.name) == ["child", "root"])
        #expect(spans[0].context.traceID == spans[1].context.traceID)
        #expect(spans[0].parentSpanID == spans[1].context.spanID)
        #expect(spans[1].parentSpanID == nil)
        #expect(spans[1].endNanoseconds >= spans[1].startNanoseconds)
    }

    @Test func unsampledSpansPropagateButRecordNothing() throws {
        let processor = CollectingSpanProcessor()
        let tracer = RecordingTracer(sampler: ParentBasedSampler(root: AlwaysOffSampler()), processor: processor)
        let root = tracer.startSpan("root", context: .topLevel)
        #expect(!root.isRecording)
        root.attributes["ignored"] = "x"
        var headers = HTTPHeaders()
        tracer.inject(root.context, into: &headers, using: HeaderInjector())
        let traceparent = try #require(headers["traceparent"])
        #expect(traceparent == "00-\(root.spanContext.traceID)-\(root.spanContext.spanID)-00")
        root.end()
        #expect(processor.spans.isEmpty)
    }

    @Test func anIncomingTraceparentIsContinued() throws {
        let processor = CollectingSpanProcessor()
        let tracer = RecordingTracer(sampler: ParentBasedSampler(root: AlwaysOffSampler()), processor: processor)
        var context = InstrumentationContext.topLevel
        tracer.extract(["traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"], into: &context, using: DictionaryExtractor())
        let span = tracer.startSpan("server", context: context, ofKind: .server)
        span.end()
        let finished = try #require(processor.spans.first)
        #expect(finished.context.traceID.description == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(finished.parentSpanID?.description == "00f067aa0ba902b7")
    }

    @Test func secretsAreRedactedFromAttributesEventsAndStatus() throws {
        let processor = CollectingSpanProcessor()
        let secret = "ghp_" + String(repeating: "S3cr", count: 9)
        let tracer = RecordingTracer(sampler: AlwaysOnSampler(), processor: processor, redact: { $0.replacingOccurrences(of: secret, with: "***") })
        let span = tracer.startSpan("work", context: .topLevel)
        span.attributes["token"] = "Bearer \(secret)"
        span.attributes["list"] = SpanAttribute.stringArray([secret])
        span.attributes["count"] = 3
        span.recordError(TransportError.invalidURL("https://x/?token=\(secret)"))
        span.setStatus(SpanStatus(code: .error, message: "failed with \(secret)"))
        span.end()
        span.end()  // a second end records nothing more
        let finished = try #require(processor.spans.first)
        #expect(processor.spans.count == 1)
        #expect(finished.attributes.get("token") == .string("Bearer ***"))
        #expect(finished.attributes.get("list") == .stringArray(["***"]))
        #expect(finished.attributes.get("count") == .int64(3))
        #expect(finished.status?.message == "failed with ***")
        let event = try #require(finished.events.first)
        #expect(event.name == "exception")
        #expect(event.attributes.get("exception.message").map { "\($0)" }?.contains(secret) == false)
    }
}

struct HeaderInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout HTTPHeaders) { carrier.set(key, value) }
}

struct DictionaryExtractor: Extractor {
    func extract(key: String, from carrier: [String: String]) -> String? { carrier[key] }
}

/// The encoder and exporter against the reference receiver: what opentelemetry-proto's classes decode.
@Suite(.serialized, .enabled(if: TestVenv.isUsable("python"), "needs the test venv's python with grpcio and opentelemetry-proto"))
struct OTLPExportTests {
    static func export(
        _ otlpProtocol: TelemetryConfiguration.OTLPProtocol, receiver: OTLPReceiver, headers: [TelemetryConfiguration.Attribute] = []
    )
        throws
    {
        let endpoint = otlpProtocol == .grpc ? receiver.grpcEndpoint : receiver.httpEndpoint + "/v1/traces"
        let configuration = TelemetryConfiguration.Exporter(
            otlpProtocol: otlpProtocol, endpoint: URL(string: endpoint)!, headers: headers, timeout: 5)
        let failures = Mutex<[String]>([])
        let processor = BatchSpanProcessor(
            encoding: OTLPTraceEncoding(
                resource: [("service.name", "tests"), ("deployment.environment", "ci")], scopeName: "hephaestus", scopeVersion: "1.2.3"),
            send: { try OTLPTraceExporter(configuration).export($0) }, report: { message in failures.withLock { $0.append(message) } })
        let tracer = RecordingTracer(sampler: AlwaysOnSampler(), processor: processor)
        let root = tracer.startSpan("release.install", context: .topLevel)
        root.attributes["hephaestus.operation"] = "release.install"
        root.attributes["flags"] = SpanAttribute.boolArray([true, false])
        let child = tracer.startSpan("GET", context: root.context, ofKind: .client)
        child.attributes["http.response.status_code"] = 503
        child.attributes["ratio"] = 0.25
        child.attributes["empty"] = ""
        child.setStatus(SpanStatus(code: .error, message: "unavailable"))
        child.addEvent(SpanEvent(name: "retry", attributes: ["delay": 0.5]))
        child.end()
        root.setStatus(SpanStatus(code: .ok))
        root.end()
        processor.flush(timeout: 10)
        #expect(failures.withLock { $0 }.isEmpty)
    }

    @Test(arguments: [TelemetryConfiguration.OTLPProtocol.grpc, .httpProtobuf])
    func spansArriveAsTheyWereRecorded(_ otlpProtocol: TelemetryConfiguration.OTLPProtocol) throws {
        let receiver = try OTLPReceiver()
        try Self.export(otlpProtocol, receiver: receiver, headers: [.init("x-api-key", "k123")])
        let spans = try receiver.spans()
        try #require(spans.count == 2)
        let child = spans[0]
        let root = spans[1]
        #expect(root["protocol"] as? String == otlpProtocol.rawValue)
        #expect(root["name"] as? String == "release.install")
        #expect(root["kind"] as? String == "SPAN_KIND_INTERNAL")
        #expect(root["parent_span_id"] as? String == "")
        #expect((root["status"] as? [String: Any])?["code"] as? String == "STATUS_CODE_OK")
        #expect((root["attributes"] as? [String: Any])?["flags"] as? [Bool] == [true, false])
        #expect((root["resource"] as? [String: String]) == ["service.name": "tests", "deployment.environment": "ci"])
        #expect((root["scope"] as? [String: String]) == ["name": "hephaestus", "version": "1.2.3"])
        #expect(child["name"] as? String == "GET")
        #expect(child["kind"] as? String == "SPAN_KIND_CLIENT")
        #expect(child["trace_id"] as? String == root["trace_id"] as? String)
        #expect(child["parent_span_id"] as? String == root["span_id"] as? String)
        let attributes = try #require(child["attributes"] as? [String: Any])
        #expect(attributes["http.response.status_code"] as? Int == 503)
        #expect(attributes["ratio"] as? Double == 0.25)
        #expect(attributes["empty"] as? String == "")
        #expect((child["status"] as? [String: Any])?["message"] as? String == "unavailable")
        #expect((child["status"] as? [String: Any])?["code"] as? String == "STATUS_CODE_ERROR")
        let events = try #require(child["events"] as? [[String: Any]])
        #expect(events.first?["name"] as? String == "retry")
        #expect((events.first?["attributes"] as? [String: Any])?["delay"] as? Double == 0.5)
        #expect(child["flags"] as? Int == 0x101)
        #expect(((child["end"] as? Int) ?? 0) >= ((child["start"] as? Int) ?? .max))
        let headers = try #require(
            child[otlpProtocol == .grpc ? "metadata" : "headers"] as? [String: String] ?? child["headers"] as? [String: String])
        #expect(headers["x-api-key"] == "k123")
    }

    @Test func aReceiverThatIsNotThereIsReportedOnceAndDoesNotHang() throws {
        let closed = try ClosedLoopbackPort()
        let configuration = TelemetryConfiguration.Exporter(
            otlpProtocol: .httpProtobuf, endpoint: URL(string: "http://127.0.0.1:\(closed.port)/v1/traces")!, headers: [], timeout: 2)
        let failures = Mutex<[String]>([])
        let processor = BatchSpanProcessor(
            encoding: OTLPTraceEncoding(resource: [], scopeName: "hephaestus", scopeVersion: "0"),
            send: { try OTLPTraceExporter(configuration).export($0) },
            report: { message in failures.withLock { $0.append(message) } })
        let tracer = RecordingTracer(sampler: AlwaysOnSampler(), processor: processor)
        let started = Date()
        for _ in 0..<3 { tracer.startSpan("work", context: .topLevel).end() }
        processor.flush(timeout: 10)
        #expect(Date().timeIntervalSince(started) < 5)
        let reported = failures.withLock { $0 }
        #expect(reported.count == 2, "\(reported)")
        #expect(reported.first?.hasPrefix("traces not exported:") == true)
        #expect(reported.last == "3 spans were not exported (3 failed to send, 0 dropped from a full queue)")
    }
}
