import CoreMetrics
import Foundation
import HephaestusPlatform
import HephaestusTestSupport
import Testing

@testable import HephaestusTelemetry

@Suite struct PrometheusMetricsTests {
    static func recorded() -> PrometheusMetrics {
        let metrics = PrometheusMetrics()
        let factory = metrics.factory
        Counter(label: HephaestusMetric.operations.rawValue, dimensions: [("operation", "verify.bundle"), ("outcome", "success")], factory: factory)
            .increment(by: 2)
        Counter(label: HephaestusMetric.operations.rawValue, dimensions: [("operation", "verify.bundle"), ("outcome", "failure")], factory: factory)
            .increment()
        Timer(
            label: HephaestusMetric.operationDuration.rawValue, dimensions: [("operation", "verify.bundle"), ("outcome", "success")], factory: factory
        )
        .recordMilliseconds(30)
        Counter(label: HephaestusMetric.downloadedBytes.rawValue, dimensions: [], factory: factory).increment(by: 4096)
        Counter(
            label: HephaestusMetric.verificationFailures.rawValue, dimensions: [("step", "inclusion proof"), ("code", "verify.inclusion-proof")],
            factory: factory
        )
        .increment()
        return metrics
    }

    @Test func theTextFormatNamesUnitsAndHelpFollowPrometheus() {
        let text = String(decoding: Self.recorded().text(), as: UTF8.self)
        #expect(text.contains("# HELP hephaestus_operations_total Operations run, by operation and outcome"))
        #expect(text.contains("# TYPE hephaestus_operations_total counter"))
        #expect(text.contains("hephaestus_operations_total{operation=\"verify.bundle\",outcome=\"success\"} 2"))
        #expect(text.contains("hephaestus_operations_total{operation=\"verify.bundle\",outcome=\"failure\"} 1"))
        #expect(text.contains("# TYPE hephaestus_operation_duration_seconds histogram"))
        #expect(text.contains("hephaestus_operation_duration_seconds_bucket{operation=\"verify.bundle\",outcome=\"success\",le=\"0.05\"} 1"))
        #expect(text.contains("hephaestus_operation_duration_seconds_bucket{operation=\"verify.bundle\",outcome=\"success\",le=\"0.025\"} 0"))
        #expect(text.contains("hephaestus_http_downloaded_bytes_total 4096"))
    }

    @Test(.enabled(if: ToolLocator.find("promtool") != nil, "needs promtool (Debian package prometheus)"))
    func promtoolFindsNothingToSay() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("hephaestus.prom")
        try Self.recorded().writeTextfile(to: path)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let lint = try ProcessResult.run(try #require(ToolLocator.find("promtool")), ["check", "metrics"], stdin: Array(text.utf8))
        #expect(lint.status == 0 && lint.stdoutText.isEmpty && lint.stderrText.isEmpty, "\(lint.stdoutText)\(lint.stderrText)")
    }

    @Test func theTextfileIsReplacedAtomically() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("hephaestus.prom", "old contents\n")
        try Self.recorded().writeTextfile(to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8).hasPrefix("# HELP"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["hephaestus.prom"], "no temporary file left")
        #expect(throws: FileError.self) { try Self.recorded().writeTextfile(to: directory.file("missing/hephaestus.prom")) }
    }

    @Test func requestHistogramsMeasureMillisecondsAndOperationsMinutes() {
        let metrics = PrometheusMetrics()
        Timer(
            label: HephaestusMetric.httpServerRequestDuration.rawValue,
            dimensions: [("method", "GET"), ("route", "/healthz"), ("status", "200")], factory: metrics.factory
        )
        .recordMicroseconds(1500)
        Timer(
            label: HephaestusMetric.taskDuration.rawValue, dimensions: [("operation", "verify.batch"), ("status", "succeeded")],
            factory: metrics.factory
        )
        .recordSeconds(400)
        Gauge(label: HephaestusMetric.tasks.rawValue, dimensions: [("status", "queued")], factory: metrics.factory).record(3)
        let text = String(decoding: metrics.text(), as: UTF8.self)
        #expect(text.contains(#"hephaestus_http_server_request_duration_seconds_bucket{method="GET",route="/healthz",status="200",le="0.001"} 0"#))
        #expect(text.contains(#"hephaestus_http_server_request_duration_seconds_bucket{method="GET",route="/healthz",status="200",le="0.0025"} 1"#))
        #expect(text.contains(#"hephaestus_task_duration_seconds_bucket{operation="verify.batch",status="succeeded",le="600.0"} 1"#))
        #expect(text.contains("# TYPE hephaestus_tasks gauge"))
        #expect(text.contains(#"hephaestus_tasks{status="queued"} 3"#))
    }

    @Test func everyMetricIsNamedAsPrometheusWants() {
        for metric in HephaestusMetric.allCases {
            #expect(metric.rawValue.hasPrefix("hephaestus_"))
            switch metric.kind {
            case .counter: #expect(metric.rawValue.hasSuffix("_total"))
            case .histogram: #expect(metric.rawValue.hasSuffix("_seconds"))
            case .gauge: #expect(!metric.rawValue.hasSuffix("_total") && !metric.rawValue.hasSuffix("_seconds"))
            }
            #expect(!metric.help.isEmpty)
        }
    }
}
