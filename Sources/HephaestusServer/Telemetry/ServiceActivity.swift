import CoreMetrics
import Foundation
import HephaestusPlatform
import Synchronization

/// What the dashboard shows of this process's recent work, kept in memory (bounded rings): every request as the
/// telemetry middleware and interceptor saw it, and every operation and failed verification as swift-metrics reports
/// them (it is one of the factories the service's metrics are multiplexed to, so it sees exactly what `/metrics`
/// counts).
public final class ServiceActivity: MetricsFactory, Sendable {
    /// One request or call.
    public struct Request: Sendable, Equatable {
        public let time: Date
        /// `rest` or `grpc`.
        public let transport: String
        /// `GET /v1/tasks/{id}`, `hephaestus.v1.Verification/VerifyBundle`.
        public let route: String
        /// HTTP status or gRPC code name.
        public let status: String
        /// A server error (5xx, or a gRPC code other than a client's mistake).
        public let failed: Bool
        public let seconds: Double
    }

    /// One operation run (its outcome as ``HephaestusMetric/operations`` counts it).
    public struct OperationRun: Sendable, Equatable {
        public let time: Date
        public let operation: String
        /// `success`, `failure` (a negative verdict) or `error`.
        public let outcome: String
        public let seconds: Double
    }

    /// Requests kept (the newest); the rate and latency figures are over the ones within their window.
    public static let requestCapacity = 10_000
    public static let operationCapacity = 500

    struct State {
        var requests: [Request] = []
        var requestStart = 0
        var operations: [OperationRun] = []
        var operationStart = 0
        var operationTotals: [String: [String: Int]] = [:]
        var lastRun: [String: OperationRun] = [:]
        var verificationFailures: [String: [String: Int]] = [:]
    }

    private let state = Mutex(State())
    let clock: @Sendable () -> Date
    public let started: Date

    public init(clock: @escaping @Sendable () -> Date = Date.init) {
        self.clock = clock
        started = clock()
    }

    public func record(_ request: Request) {
        state.withLock { state in
            Self.append(request, to: &state.requests, start: &state.requestStart, capacity: Self.requestCapacity)
        }
    }

    func record(operation: String, outcome: String, nanoseconds: Int64) {
        let run = OperationRun(time: clock(), operation: operation, outcome: outcome, seconds: Double(nanoseconds) / 1e9)
        state.withLock { state in
            Self.append(run, to: &state.operations, start: &state.operationStart, capacity: Self.operationCapacity)
            state.operationTotals[operation, default: [:]][outcome, default: 0] += 1
            state.lastRun[operation] = run
        }
    }

    func record(verificationFailure step: String, code: String, count: Int) {
        state.withLock { $0.verificationFailures[step, default: [:]][code, default: 0] += count }
    }

    /// A ring: appended until full, then the oldest overwritten.
    private static func append<Element>(_ element: Element, to ring: inout [Element], start: inout Int, capacity: Int) {
        if ring.count < capacity {
            ring.append(element)
        } else {
            ring[start] = element
            start = (start + 1) % capacity
        }
    }

    private static func ordered<Element>(_ ring: [Element], start: Int) -> [Element] {
        Array(ring[start...] + ring[..<start])
    }

    /// The requests kept, oldest first.
    public var requests: [Request] { state.withLock { Self.ordered($0.requests, start: $0.requestStart) } }
    /// The operation runs kept, oldest first.
    public var operations: [OperationRun] { state.withLock { Self.ordered($0.operations, start: $0.operationStart) } }
    /// Runs by operation and outcome since the process started.
    public var operationTotals: [String: [String: Int]] { state.withLock(\.operationTotals) }
    /// The latest run of each operation.
    public var lastRuns: [String: OperationRun] { state.withLock(\.lastRun) }
    /// Failed bundle verifications by step and code since the process started.
    public var verificationFailures: [String: [String: Int]] { state.withLock(\.verificationFailures) }

    // MARK: - MetricsFactory: what the service's metrics report

    public func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        guard label == HephaestusMetric.verificationFailures.rawValue else { return NOOPMetricsHandler.instance }
        let labels = Dictionary(dimensions, uniquingKeysWith: { $1 })
        return VerificationFailureCounter(activity: self, step: labels["step"] ?? "", code: labels["code"] ?? "")
    }

    public func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        guard label == HephaestusMetric.operationDuration.rawValue else { return NOOPMetricsHandler.instance }
        let labels = Dictionary(dimensions, uniquingKeysWith: { $1 })
        return OperationTimer(activity: self, operation: labels["operation"] ?? "", outcome: labels["outcome"] ?? "")
    }

    public func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        NOOPMetricsHandler.instance
    }

    public func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        NOOPMetricsHandler.instance
    }

    public func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler { NOOPMetricsHandler.instance }

    public func destroyCounter(_ handler: any CounterHandler) {}
    public func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {}
    public func destroyRecorder(_ handler: any RecorderHandler) {}
    public func destroyMeter(_ handler: any MeterHandler) {}
    public func destroyTimer(_ handler: any TimerHandler) {}
}

private final class VerificationFailureCounter: CounterHandler {
    let activity: ServiceActivity
    let step: String
    let code: String

    init(activity: ServiceActivity, step: String, code: String) {
        self.activity = activity
        self.step = step
        self.code = code
    }

    func increment(by amount: Int64) { activity.record(verificationFailure: step, code: code, count: Int(amount)) }
    func reset() {}
}

private final class OperationTimer: TimerHandler {
    let activity: ServiceActivity
    let operation: String
    let outcome: String

    init(activity: ServiceActivity, operation: String, outcome: String) {
        self.activity = activity
        self.operation = operation
        self.outcome = outcome
    }

    func recordNanoseconds(_ duration: Int64) { activity.record(operation: operation, outcome: outcome, nanoseconds: duration) }
}
