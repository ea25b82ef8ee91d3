import CoreMetrics

/// Every metric Hephaestus records, through swift-metrics (a no-op until a front end bootstraps a backend: the CLI's
/// `--metrics-file`, the service's `/metrics`), named as Prometheus wants: `hephaestus_` prefix, base units,
/// `_total` on counters, `_seconds` and `_bytes` suffixes.
public enum HephaestusMetric: String, CaseIterable, Sendable {
    case operations = "hephaestus_operations_total"
    case operationDuration = "hephaestus_operation_duration_seconds"
    case verificationFailures = "hephaestus_verification_failures_total"
    case downloadedBytes = "hephaestus_http_downloaded_bytes_total"
    case uploadedBytes = "hephaestus_http_uploaded_bytes_total"
    case httpRetries = "hephaestus_http_retries_total"
    case extractionRefusals = "hephaestus_extraction_refusals_total"
    // The service (`serve`): requests by transport, the task queue.
    case httpServerRequests = "hephaestus_http_server_requests_total"
    case httpServerRequestDuration = "hephaestus_http_server_request_duration_seconds"
    case grpcServerCalls = "hephaestus_grpc_server_calls_total"
    case grpcServerCallDuration = "hephaestus_grpc_server_call_duration_seconds"
    case tasks = "hephaestus_tasks"
    case taskDuration = "hephaestus_task_duration_seconds"
    case requestBodyBytes = "hephaestus_server_request_body_bytes"

    public enum Kind: String, Sendable {
        case counter, histogram, gauge
    }

    public var kind: Kind {
        switch self {
        case .operationDuration, .httpServerRequestDuration, .grpcServerCallDuration, .taskDuration: .histogram
        case .tasks, .requestBodyBytes: .gauge
        default: .counter
        }
    }

    /// Histograms of service requests measure milliseconds (buckets from 1 ms to 60 s); the others, operations that
    /// take milliseconds to minutes (5 ms to 600 s).
    public var measuresRequests: Bool { self == .httpServerRequestDuration || self == .grpcServerCallDuration }

    /// The label names, in order.
    public var labels: [String] {
        switch self {
        case .operations, .operationDuration: ["operation", "outcome"]
        case .verificationFailures: ["step", "code"]
        case .downloadedBytes, .uploadedBytes, .requestBodyBytes: []
        case .httpRetries: ["reason"]
        case .extractionRefusals: ["rule"]
        case .httpServerRequests, .httpServerRequestDuration: ["method", "route", "status"]
        case .grpcServerCalls, .grpcServerCallDuration: ["service", "method", "code"]
        case .tasks: ["status"]
        case .taskDuration: ["operation", "status"]
        }
    }

    /// The `# HELP` text.
    public var help: String {
        switch self {
        case .operations: "Operations run, by operation and outcome (success, failure: a negative verdict, error: no verdict)."
        case .operationDuration: "Wall-clock duration of operations, by operation and outcome."
        case .verificationFailures: "Sigstore bundle verifications that failed, by client-specification step and error code."
        case .downloadedBytes: "Response body bytes received over HTTP."
        case .uploadedBytes: "Request body bytes sent over HTTP."
        case .httpRetries: "HTTP attempts retried, by reason (status: a retryable status, transport: a connection failure, rate-limit)."
        case .extractionRefusals: "Archive extractions refused, by the safety rule the archive broke."
        case .httpServerRequests: "REST requests served, by method, route template and HTTP status."
        case .httpServerRequestDuration: "Duration of REST requests, first byte in to last byte out, by method, route template and HTTP status."
        case .grpcServerCalls: "gRPC calls served, by service, method and status code."
        case .grpcServerCallDuration: "Duration of gRPC calls, by service, method and status code."
        case .tasks: "Tasks in the service store's queue, by status (queued, running), as of the scrape."
        case .taskDuration: "Duration of tasks run by this process's workers, claim to completion, by operation and final status."
        case .requestBodyBytes:
            "Request body bytes this process's REST requests and gRPC calls hold, as of the scrape ([limits] max_body_bytes_in_flight bounds them)."
        }
    }

    /// Adds `amount` to the counter with these label values (in ``labels`` order).
    public func increment(by amount: Int64 = 1, _ values: String...) {
        guard amount > 0 else { return }
        Counter(label: rawValue, dimensions: Array(zip(labels, values))).increment(by: amount)
    }

    /// Sets the gauge with these label values.
    public func set(_ value: Double, _ values: String...) {
        Gauge(label: rawValue, dimensions: Array(zip(labels, values))).record(value)
    }

    /// Records one duration in the histogram with these label values.
    public func record(nanoseconds: Int64, _ values: String...) {
        Timer(label: rawValue, dimensions: Array(zip(labels, values))).recordNanoseconds(nanoseconds)
    }

    /// Records the time since `start` in the histogram with these label values.
    public func record(since start: ContinuousClock.Instant, _ values: String...) {
        let elapsed = (ContinuousClock.now - start).components
        Timer(label: rawValue, dimensions: Array(zip(labels, values)))
            .recordNanoseconds(elapsed.seconds * 1_000_000_000 + elapsed.attoseconds / 1_000_000_000)
    }
}
