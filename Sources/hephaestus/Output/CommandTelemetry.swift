import CoreMetrics
import HephaestusCore
import HephaestusPlatform
import HephaestusTelemetry
import Logging

/// The telemetry of one command run: traces when the OpenTelemetry variables configure an exporter (otherwise no
/// tracer at all), and metrics when `--metrics-file` is given (otherwise swift-metrics stays a no-op).
struct CommandTelemetry {
    let telemetry: Telemetry
    let metrics: PrometheusMetrics?
    let metricsFile: String?

    init(environment: [String: String], metricsFile: String?, logger: Logger, redactor: SecretRedactor) {
        let configuration = TelemetryConfiguration(environment: environment)
        // Exporter headers carry credentials (API keys, bearer tokens).
        for header in configuration.exporter?.headers ?? [] { redactor.register(header.value) }
        telemetry = Telemetry(
            configuration: configuration, serviceVersion: HephaestusVersion.current, redact: { redactor.redact($0) },
            report: { message in logger.warning("telemetry.export-failed", metadata: ["message": .string(message)]) })
        self.metricsFile = metricsFile
        if metricsFile != nil {
            let metrics = PrometheusMetrics()
            MetricsSystem.bootstrap(metrics.factory)
            self.metrics = metrics
        } else {
            metrics = nil
        }
    }

    var warnings: [TelemetryConfiguration.Warning] { telemetry.configuration.warnings }

    var instrumentation: any Instrumentation {
        telemetry.tracer.map { TracingInstrumentation(tracer: $0) } ?? NoInstrumentation()
    }

    /// Exports the run's spans and writes the metrics file; the write error, reported, when the file could not be
    /// written.
    func finish(_ context: CommandContext) -> FileError? {
        telemetry.flush()
        guard let metrics, let metricsFile else { return nil }
        do {
            try metrics.writeTextfile(to: metricsFile)
            return nil
        } catch {
            context.report(.error, event: "metrics.not-written", message: "\(error)", metadata: ["code": .string(error.code)])
            return error
        }
    }
}
