import Foundation

/// The tracing of one process, made from ``TelemetryConfiguration``: a ``RecordingTracer`` exporting through a
/// ``BatchSpanProcessor`` and ``OTLPTraceExporter`` when an exporter is configured, nothing at all otherwise (the
/// callers then run without a tracer: no ids, no spans, no connection).
public final class Telemetry: Sendable {
    public let configuration: TelemetryConfiguration
    /// nil when tracing is off.
    public let tracer: RecordingTracer?
    private let processor: BatchSpanProcessor?

    /// `redact` removes the run's secrets from span data; `report` receives warnings (export failures).
    public init(
        configuration: TelemetryConfiguration, serviceVersion: String, redact: @escaping @Sendable (String) -> String,
        report: @escaping @Sendable (String) -> Void
    ) {
        self.configuration = configuration
        guard let exporter = configuration.exporter else {
            tracer = nil
            processor = nil
            return
        }
        let otlp = OTLPTraceExporter(exporter)
        let processor = BatchSpanProcessor(
            encoding: OTLPTraceEncoding(
                resource: Self.resource(configuration, serviceVersion: serviceVersion), scopeName: "hephaestus", scopeVersion: serviceVersion),
            send: { body in try otlp.export(body) }, report: report)
        self.processor = processor
        tracer = RecordingTracer(sampler: configuration.sampler.makeSampler(), processor: processor, redact: redact)
    }

    /// The resource attributes: `service.name`, the SDK's own (`telemetry.sdk.*`), `service.version` unless given,
    /// then `OTEL_RESOURCE_ATTRIBUTES`.
    static func resource(_ configuration: TelemetryConfiguration, serviceVersion: String) -> [(key: String, value: String)] {
        var attributes: [(key: String, value: String)] = [
            ("service.name", configuration.serviceName), ("telemetry.sdk.name", "hephaestus"), ("telemetry.sdk.language", "swift"),
            ("telemetry.sdk.version", serviceVersion),
        ]
        if !configuration.resourceAttributes.contains(where: { $0.key == "service.version" }) {
            attributes.append(("service.version", serviceVersion))
        }
        attributes += configuration.resourceAttributes.map { ($0.key, $0.value) }
        return attributes
    }

    /// Sends every ended span and waits for the exporter (at most the export timeout and a second): called before the
    /// process exits, on success and failure alike.
    public func flush() {
        guard let processor, let exporter = configuration.exporter else { return }
        processor.flush(timeout: exporter.timeout * 3 + 1)
    }
}
