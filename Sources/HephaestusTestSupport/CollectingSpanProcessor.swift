import HephaestusTelemetry
import Synchronization

/// A ``SpanProcessor`` that keeps every ended span, for assertions on what a tracer recorded.
public final class CollectingSpanProcessor: SpanProcessor {
    private let stored = Mutex<[FinishedSpan]>([])

    public init() {}

    public func onEnd(_ span: FinishedSpan) { stored.withLock { $0.append(span) } }
    public func flush(timeout: Double) {}

    /// The spans, in the order they ended.
    public var spans: [FinishedSpan] { stored.withLock { $0 } }
}
