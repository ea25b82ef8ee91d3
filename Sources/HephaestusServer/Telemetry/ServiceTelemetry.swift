import CoreMetrics
import Foundation
import HephaestusCore
import HephaestusPlatform
import HephaestusTelemetry
import Logging
import ServiceLifecycle
import Tracing

/// The telemetry of `hephaestus serve`: traces of every REST request and gRPC call (continuing an incoming
/// `traceparent`, with the operations they run as child spans), exported over OTLP as the serve process's OTEL_*
/// variables configure (the CLI's tracer, sampler and exporter); the metrics `GET /metrics` serves (swift-metrics into
/// the CLI's Prometheus registry, the same metric names); the in-memory activity the dashboard reads.
public final class ServiceTelemetry: Sendable {
    public let telemetry: Telemetry
    /// nil when tracing is off (no exporter configured).
    public let tracer: RecordingTracer?
    public let metrics: PrometheusMetrics
    public let activity: ServiceActivity
    public let settings: MetricsSettings
    /// How often finished spans are sent (`OTEL_BSP_SCHEDULE_DELAY`, milliseconds; default 5000).
    public let scheduleDelay: Duration

    public static let defaultScheduleDelayMilliseconds = 5000

    /// `environment`: the serve process's (OTEL_* variables); warnings about unusable values are logged.
    public convenience init(environment: [String: String], settings: MetricsSettings, logger: Logger) {
        let configuration = TelemetryConfiguration(environment: environment)
        for warning in configuration.warnings {
            logger.warning(
                "telemetry.setting-ignored", metadata: ["variable": .string(warning.variable), "message": .string(warning.message)])
        }
        let redactor = SecretRedactor()
        for header in configuration.exporter?.headers ?? [] { redactor.register(header.value) }
        let telemetry = Telemetry(
            configuration: configuration, serviceVersion: HephaestusVersion.current, redact: { redactor.redact($0) },
            report: { message in logger.warning("telemetry.export-failed", metadata: ["message": .string(message)]) })
        var delay = Self.defaultScheduleDelayMilliseconds
        if let text = environment["OTEL_BSP_SCHEDULE_DELAY"], !text.isEmpty {
            if let value = Int(text), value > 0 {
                delay = value
            } else {
                logger.warning(
                    "telemetry.setting-ignored",
                    metadata: [
                        "variable": "OTEL_BSP_SCHEDULE_DELAY",
                        "message": .string("\"\(text)\" is not a positive number of milliseconds; using the default \(delay)"),
                    ])
            }
        }
        self.init(telemetry: telemetry, tracer: telemetry.tracer, settings: settings, scheduleDelay: .milliseconds(delay))
    }

    /// `tracer`: the one requests are traced with (tests pass one recording into a collector).
    init(
        telemetry: Telemetry, tracer: RecordingTracer?, settings: MetricsSettings, scheduleDelay: Duration,
        activity: ServiceActivity = ServiceActivity()
    ) {
        self.telemetry = telemetry
        self.tracer = tracer
        metrics = PrometheusMetrics()
        self.activity = activity
        self.settings = settings
        self.scheduleDelay = scheduleDelay
    }

    /// The process's swift-metrics backend: the Prometheus registry and the dashboard's activity. Once per process.
    public var metricsFactory: any MetricsFactory { MultiplexMetricsHandler(factories: [metrics.factory, activity]) }

    /// What operations run in: spans under the request's when tracing, nothing otherwise.
    public var instrumentation: any Instrumentation {
        tracer.map { TracingInstrumentation(tracer: $0) } ?? NoInstrumentation()
    }

    /// Sends the spans still waiting (on shutdown; and every ``scheduleDelay`` from ``SpanExportSchedule``).
    public func flush() {
        telemetry.flush()
    }
}

/// `/metrics` access (`[metrics]` of the configuration file). API.md leaves `/metrics` without an account, as
/// Prometheus scrapes it; `token_file` makes it require `Authorization: Bearer` with that file's content (what
/// Prometheus's `authorization: credentials_file:` sends), compared in constant time.
public struct MetricsSettings: Sendable, Equatable {
    /// nil: `/metrics` is open (to whoever reaches the listener).
    public var scrapeToken: String?

    public init(scrapeToken: String? = nil) {
        self.scrapeToken = scrapeToken
    }

    /// `[metrics] token_file` of `file`, read and checked (at least 16 characters, one line).
    public init(file: ConfigurationFile?) throws {
        guard let path = try file?.string("metrics.token_file") else { return }
        let text: String
        do {
            text = String(decoding: try FileReader.contents(of: path, limit: 4096), as: UTF8.self)
        } catch {
            throw RequestError("[metrics] token_file \(path): \(error)")
        }
        let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard token.count >= 16, !token.contains(where: \.isNewline), token.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
            throw RequestError("[metrics] token_file \(path): expected one line of at least 16 printable characters")
        }
        scrapeToken = token
    }

    /// Whether a request with this `Authorization` header value may read `/metrics`.
    public func allows(authorization: String?) -> Bool {
        guard let scrapeToken else { return true }
        guard let authorization, authorization.hasPrefix("Bearer ") else { return false }
        return ConstantTime.equal(Array(authorization.dropFirst("Bearer ".count).utf8), Array(scrapeToken.utf8))
    }
}

/// Comparison whose time does not depend on where two secrets differ.
enum ConstantTime {
    static func equal(_ left: [UInt8], _ right: [UInt8]) -> Bool {
        var difference = UInt8(left.count == right.count ? 0 : 1)
        for index in 0..<max(left.count, right.count) {
            difference |= (index < left.count ? left[index] : 0) ^ (index < right.count ? right[index] : 0)
        }
        return difference == 0
    }
}

/// Sends finished spans every ``ServiceTelemetry/scheduleDelay`` while the service runs (the specification's batch
/// processor schedule), and the rest when it stops.
struct SpanExportSchedule: Service {
    let telemetry: ServiceTelemetry

    func run() async throws {
        guard telemetry.tracer != nil else { return }
        let telemetry = self.telemetry
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: telemetry.scheduleDelay)
                _ = try? await BlockingWork.run { telemetry.flush() }
            }
        }
    }
}
