import Foundation
import HTTPTypes
import HephaestusAnalytics
import HephaestusCore
import HephaestusPlatform
import HephaestusService
import Hummingbird
import NIOCore

/// `POST /v1/analytics/events`: an NDJSON body streamed into the service's event store by the code `analytics ingest`
/// runs (``AnalyticsIngestOperation/run(_:reading:in:)``), as it arrives: the body is never collected, so memory stays
/// bounded whatever its size. The answer is the report `analytics ingest --json` prints (malformed lines counted, the
/// first line numbers listed); `?strict=true` refuses the whole body when any line is malformed (422 with the report,
/// nothing stored); `retentionDays` and `retentionBytes` apply retention afterwards.
///
/// The permission is `analytics.ingest`'s (operator), the call is audited as every `/v1` request is, and the body may be
/// up to `[limits] max_event_body_bytes` (default 4 GiB) instead of the 32 MiB other routes collect — still within the
/// request timeout. The event store is the service's own, beside its store (`analytics.sqlite` in the directory of the
/// service's SQLite file): a client cannot name another.
enum AnalyticsEventsRoute {
    /// Bytes the ingestion may lag behind the body before the body is read further.
    static let channelCapacity = 1 << 20
    static let queryParameters: Set<String> = ["strict", "retentionDays", "retentionBytes"]

    static func register(on router: Router<ServiceRequestContext>, routes: RESTRoutes) {
        router.post("/v1/analytics/events") { request, context in
            try await ingest(request, context, routes: routes)
        }
    }

    static func ingest(_ request: Request, _ context: ServiceRequestContext, routes: RESTRoutes) async throws -> Response {
        let gateRequest = routes.gateRequest(request, context, action: .operation(AnalyticsIngestOperation.descriptor))
        let limit = routes.limits.maxEventBodyBytes
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            try await routes.calls.refuseAfterAuthentication(gateRequest, ServiceLimitError.bodyTooLarge(limit: limit))
        }
        let admission = try await routes.calls.admit(gateRequest)
        let report: AnalyticsIngestOperation.Report
        let runID = RunID.generate()
        do {
            let ingestRequest = try Self.request(
                query: request.uri.queryParameters.map { (String($0.key), String($0.value)) }, store: eventStore(routes.core.serviceStore))
            let instrumentation = routes.core.instrumentation
            let operationContext = OperationContext(
                runID: runID, logger: routes.core.logger.with(runID: runID), instrumentation: instrumentation,
                serviceStore: routes.core.serviceStore)
            // Measured as the operation it runs: its span, `hephaestus_operations_total` and the dashboard's ingestion row.
            report = try await OperationMeasurement.measure(
                AnalyticsIngestOperation.descriptor.name, runID: runID, instrumentation: instrumentation, failure: \.failure,
                body: { try await stream(request.body, into: ingestRequest, limit: limit, in: operationContext) })
        } catch {
            try await admission.finish(throwing: error)
            throw error
        }
        let document = Array(
            try ResultDocument(mediaType: AnalyticsIngestOperation.descriptor.reportMediaType, runID: runID, payload: report).jsonText().utf8)
        guard let failure = report.failure else {
            try await admission.finish(.succeeded, status: AuditStatus.ok(.rest))
            return RESTRoutes.json(document)
        }
        // `strict` refused the body: the report (with the malformed line numbers) and the failure's status.
        try await admission.finish(.failed, status: AuditStatus.of(failure.category, .rest), code: failure.code)
        return RESTRoutes.json(document, status: HTTPResponse.Status(code: failure.category.httpStatus))
    }

    /// Feeds `body` to the ingestion chunk by chunk, waiting while it is behind; a body over `limit`, or one that ends
    /// early (the client gone), ends the stream with that error, so the ingestion stores nothing.
    static func stream<Body: AsyncSequence & Sendable>(
        _ body: Body, into request: AnalyticsIngestOperation.Request, limit: Int, in context: OperationContext
    ) async throws -> AnalyticsIngestOperation.Report where Body.Element == ByteBuffer {
        let channel = ByteChannel(capacity: channelCapacity)
        async let report = AnalyticsIngestOperation.run(request, reading: channel, in: context)
        // Nothing below throws before `report` is awaited: a thrown error would wait for an ingestion that waits for
        // bytes.
        do {
            var received = 0
            for try await var buffer in body {
                received += buffer.readableBytes
                if received > limit { throw ServiceLimitError.bodyTooLarge(limit: limit) }
                try await channel.send(buffer.readBytes(length: buffer.readableBytes) ?? [])
            }
            channel.finish()
        } catch is ByteChannel.Closed {
            // The ingestion stopped reading: its own error is thrown below.
        } catch {
            channel.finish(throwing: error)
        }
        return try await report
    }

    /// The ingestion `query` asks for: `strict` (`true`/`false`), `retentionDays`, `retentionBytes`; any other
    /// parameter is refused (a misspelt `strict` must not ingest leniently).
    static func request(query: [(String, String)], store: String) throws -> AnalyticsIngestOperation.Request {
        var request = AnalyticsIngestOperation.Request(input: "request.body", store: store)
        for (name, value) in query {
            switch name {
            case "strict":
                guard let flag = ["true": true, "false": false, "1": true, "0": false][value] else {
                    throw RequestError("strict=\(value): expected true or false")
                }
                request.strict = flag
            case "retentionDays": request.retentionDays = try integer(name, value)
            case "retentionBytes": request.retentionBytes = try integer(name, value)
            default:
                throw RequestError("unknown query parameter \(name) (\(queryParameters.sorted().joined(separator: ", ")) are known)")
            }
        }
        try request.validate()
        return request
    }

    private static func integer(_ name: String, _ value: String) throws -> Int {
        guard let number = Int(value) else { throw RequestError("\(name)=\(value): expected an integer") }
        return number
    }

    /// The service's event store: `analytics.sqlite` beside its SQLite store (the CLI's default,
    /// `.hephaestus/analytics.sqlite` of the working directory, when the service has no store file).
    static func eventStore(_ serviceStore: (any AttachedServiceStore)?) throws -> String {
        guard let location = serviceStore?.location else { return defaultEventStore }
        let file = try StoreLocation(parsing: location).sqliteFile()
        return URL(fileURLWithPath: file).deletingLastPathComponent().appendingPathComponent("analytics.sqlite").path
    }
}
