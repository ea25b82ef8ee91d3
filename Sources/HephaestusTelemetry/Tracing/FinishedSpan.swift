import Tracing

/// A sampled span once ended: what the exporter sends.
public struct FinishedSpan: Sendable {
    public let context: SpanContext
    public let parentSpanID: SpanID?
    public let name: String
    public let kind: SpanKind
    public let startNanoseconds: UInt64
    public let endNanoseconds: UInt64
    public let attributes: SpanAttributes
    public let events: [SpanEvent]
    public let status: SpanStatus?

    public init(
        context: SpanContext, parentSpanID: SpanID?, name: String, kind: SpanKind, startNanoseconds: UInt64, endNanoseconds: UInt64,
        attributes: SpanAttributes, events: [SpanEvent], status: SpanStatus?
    ) {
        self.context = context
        self.parentSpanID = parentSpanID
        self.name = name
        self.kind = kind
        self.startNanoseconds = startNanoseconds
        self.endNanoseconds = endNanoseconds
        self.attributes = attributes
        self.events = events
        self.status = status
    }
}

/// Receives every sampled span as it ends (the batch exporter; a collecting array in tests).
public protocol SpanProcessor: Sendable {
    func onEnd(_ span: FinishedSpan)
    /// Exports what is pending and waits until it is sent or `timeout` seconds passed.
    func flush(timeout: Double)
}
