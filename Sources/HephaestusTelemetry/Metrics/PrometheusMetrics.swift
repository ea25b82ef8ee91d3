import CoreMetrics
import HephaestusPlatform
import Prometheus

/// swift-metrics recorded into a swift-prometheus registry, each metric of ``HephaestusMetric`` with its help text,
/// durations in histograms with buckets from 5 ms to 10 min (operations run from milliseconds to minutes).
public struct PrometheusMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    public let factory: CataloguedMetricsFactory

    public init() {
        registry = PrometheusCollectorRegistry()
        factory = CataloguedMetricsFactory(registry: registry)
    }

    /// The Prometheus text exposition format (0.0.4): what `/metrics` serves and the textfile collector reads.
    public func text() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }

    /// Writes ``text()`` to `path` for node_exporter's textfile collector: written beside it and renamed into place, so
    /// the collector never reads a half-written file.
    public func writeTextfile(to path: String) throws(FileError) {
        try AtomicFileWriter.write(text(), to: path, overwrite: true)
    }
}

/// The `MetricsFactory` behind ``PrometheusMetrics``.
public struct CataloguedMetricsFactory: MetricsFactory {
    let registry: PrometheusCollectorRegistry

    public static let durationBuckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
        .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(120),
        .seconds(300), .seconds(600),
    ]

    /// The buckets of request durations (``HephaestusMetric/measuresRequests``): 1 ms to 60 s.
    public static let requestBuckets: [Duration] = [
        .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
        .seconds(30), .seconds(60),
    ]

    private func help(_ label: String) -> String {
        HephaestusMetric(rawValue: label)?.help ?? ""
    }

    public func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        registry.makeCounter(name: label, labels: dimensions, help: help(label))
    }

    public func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        registry.makeCounter(name: label, labels: dimensions, help: help(label))
    }

    public func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        registry.makeGauge(name: label, labels: dimensions, help: help(label))
    }

    public func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        registry.makeGauge(name: label, labels: dimensions, help: help(label))
    }

    public func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        let buckets = HephaestusMetric(rawValue: label)?.measuresRequests == true ? Self.requestBuckets : Self.durationBuckets
        return registry.makeDurationHistogram(name: label, labels: dimensions, buckets: buckets, help: help(label))
    }

    public func destroyCounter(_ handler: any CounterHandler) {}
    public func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {}
    public func destroyRecorder(_ handler: any RecorderHandler) {}
    public func destroyMeter(_ handler: any MeterHandler) {}
    public func destroyTimer(_ handler: any TimerHandler) {}
}
