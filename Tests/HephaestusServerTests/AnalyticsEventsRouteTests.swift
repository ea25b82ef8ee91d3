import Foundation
import HephaestusAnalytics
import HephaestusCore
import HephaestusTestSupport
import Logging
import NIOCore
import Testing

@testable import HephaestusServer

/// `POST /v1/analytics/events` in-process: the query, the event store's place, and a body streamed chunk by chunk.
@Suite("serve: analytics events route")
struct AnalyticsEventsRouteTests {
    static let context = OperationContext(logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))

    static func body(_ chunks: [String]) -> AsyncStream<ByteBuffer> {
        AsyncStream { continuation in
            for chunk in chunks { continuation.yield(ByteBuffer(string: chunk)) }
            continuation.finish()
        }
    }

    @Test("the query: strict, retention, nothing else")
    func query() throws {
        let request = try AnalyticsEventsRoute.request(
            query: [("strict", "true"), ("retentionDays", "30"), ("retentionBytes", "65536")], store: "/srv/analytics.sqlite")
        #expect(request.strict && request.retentionDays == 30 && request.retentionBytes == 65536)
        #expect(request.input == "request.body" && request.store == "/srv/analytics.sqlite")
        #expect(try !AnalyticsEventsRoute.request(query: [("strict", "0")], store: "e.sqlite").strict)
        for bad in [("strict", "yes"), ("retentionDays", "x"), ("retentionBytes", "5"), ("strikt", "true")] {
            #expect(throws: RequestError.self, "\(bad)") { try AnalyticsEventsRoute.request(query: [bad], store: "e.sqlite") }
        }
    }

    @Test("the event store sits beside the service's SQLite store")
    func store() throws {
        struct Attached: AttachedServiceStore { let location: String }
        #expect(try AnalyticsEventsRoute.eventStore(Attached(location: "sqlite:/var/lib/h/service.sqlite")) == "/var/lib/h/analytics.sqlite")
        #expect(try AnalyticsEventsRoute.eventStore(nil) == defaultEventStore)
    }

    @Test("a body in chunks split mid-line is ingested whole; one over the limit stores nothing")
    func streamed() async throws {
        let directory = try TemporaryDirectory()
        let store = directory.file("analytics.sqlite")
        let event = #"{"time": "2026-01-02T03:04:05Z", "file": "a.py", "kind": "defect"}"#
        let text = Array(repeating: event, count: 100).joined(separator: "\n") + "\n{oops\n"
        let chunks = stride(from: 0, to: text.utf8.count, by: 37).map { start in
            String(decoding: Array(text.utf8)[start..<min(start + 37, text.utf8.count)], as: UTF8.self)
        }
        let request = try AnalyticsEventsRoute.request(query: [], store: store)
        let report = try await AnalyticsEventsRoute.stream(Self.body(chunks), into: request, limit: 1 << 20, in: Self.context)
        #expect(report.summary.accepted == 100 && report.summary.malformedLines == [101] && report.storedEvents == 100)
        await #expect(throws: ServiceLimitError.bodyTooLarge(limit: 1000)) {
            try await AnalyticsEventsRoute.stream(Self.body(chunks), into: request, limit: 1000, in: Self.context)
        }
        let strict = try AnalyticsEventsRoute.request(query: [("strict", "true")], store: store)
        let refused = try await AnalyticsEventsRoute.stream(Self.body(chunks), into: strict, limit: 1 << 20, in: Self.context)
        #expect(refused.failure?.code == "analytics.malformed-events" && !refused.summary.stored && refused.storedEvents == 100)
    }
}
