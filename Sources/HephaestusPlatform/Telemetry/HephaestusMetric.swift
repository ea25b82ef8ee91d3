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

    public enum Kind: String, Sendable {
        case counter, histogram
    }

    public var kind: Kind { self == .operationDuration ? .histogram : .counter }

    /// The label names, in order.
    public var labels: [String] {
        switch self {
        case .operations, .operationDuration: ["operation", "outcome"]
        case .verificationFailures: ["step", "code"]
        case .downloadedBytes, .uploadedBytes: []
        case .httpRetries: ["reason"]
        case .extractionRefusals: ["rule"]
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
        }
    }

    /// Adds `amount` to the counter with these label values (in ``labels`` order).
    public func increment(by amount: Int64 = 1, _ values: String...) {
        guard amount > 0 else { return }
        Counter(label: rawValue, dimensions: Array(zip(labels, values))).increment(by: amount)
    }

    /// Records one duration in the histogram with these label values.
    public func record(nanoseconds: Int64, _ values: String...) {
        Timer(label: rawValue, dimensions: Array(zip(labels, values))).recordNanoseconds(nanoseconds)
    }
}
