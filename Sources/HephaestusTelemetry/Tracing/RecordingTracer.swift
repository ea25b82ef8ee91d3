import Foundation
import Instrumentation
import Synchronization
import Tracing

/// Hephaestus's tracer, over the swift-distributed-tracing API: it makes W3C ids, asks the configured ``Sampler`` for
/// each new span (which is how samplers decide exactly as the reference SDKs do), propagates `traceparent`, and hands
/// each sampled span to a ``SpanProcessor`` when it ends. Unsampled spans carry their context (so logs and outgoing
/// `traceparent` headers stay correct) and record nothing.
///
/// Every string an attribute, event or status holds passes through `redact` (the run's secret redactor) when the span
/// ends, so no token reaches an exporter.
public final class RecordingTracer: Tracer, Sendable {
    public typealias Span = RecordedSpan

    public let sampler: any Sampler
    let processor: any SpanProcessor
    let redact: @Sendable (String) -> String
    private let clock: @Sendable () -> UInt64
    private let random = Mutex(IDGenerator())

    public init(
        sampler: any Sampler, processor: any SpanProcessor, redact: @escaping @Sendable (String) -> String = { $0 },
        clock: @escaping @Sendable () -> UInt64 = RecordingTracer.nanosecondsSinceEpoch
    ) {
        self.sampler = sampler
        self.processor = processor
        self.redact = redact
        self.clock = clock
    }

    public func startSpan<Instant: TracerInstant>(
        _ operationName: String, context: @autoclosure () -> InstrumentationContext, ofKind kind: SpanKind,
        at instant: @autoclosure () -> Instant, function: String, file fileID: String, line: UInt
    ) -> RecordedSpan {
        var context = context()
        let parent = context.spanContext.flatMap { $0.traceID.isValid ? $0 : nil }
        let (traceID, spanID) = random.withLock { generator in
            (parent?.traceID ?? TraceID.random(using: &generator), SpanID.random(using: &generator))
        }
        let sampled = sampler.shouldSample(traceID: traceID, parent: parent)
        let spanContext = SpanContext(traceID: traceID, spanID: spanID, isSampled: sampled)
        context.spanContext = spanContext
        return RecordedSpan(
            name: operationName, kind: kind, context: context, spanContext: spanContext, parentSpanID: parent?.spanID,
            start: sampled ? instant().nanosecondsSinceEpoch : 0, tracer: sampled ? self : nil)
    }

    public func forceFlush() {
        processor.flush(timeout: 10)
    }

    public func inject<Carrier, Inject>(_ context: InstrumentationContext, into carrier: inout Carrier, using injector: Inject)
    where Inject: Injector, Carrier == Inject.Carrier {
        guard let spanContext = context.spanContext else { return }
        injector.inject(spanContext.traceparent, forKey: "traceparent", into: &carrier)
    }

    public func extract<Carrier, Extract>(_ carrier: Carrier, into context: inout InstrumentationContext, using extractor: Extract)
    where Extract: Extractor, Carrier == Extract.Carrier {
        guard let value = extractor.extract(key: "traceparent", from: carrier), let remote = SpanContext(traceparent: value) else { return }
        context.spanContext = remote
    }

    func finish(_ span: FinishedSpan) {
        processor.onEnd(span)
    }

    func now() -> UInt64 { clock() }

    public static let nanosecondsSinceEpoch: @Sendable () -> UInt64 = {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}

/// A span of ``RecordingTracer``: recording when sampled (its tracer set), otherwise only a context.
public final class RecordedSpan: Tracing.Span, Sendable {
    public let context: InstrumentationContext
    public let spanContext: SpanContext
    public let parentSpanID: SpanID?
    public let kind: SpanKind
    private let tracer: RecordingTracer?
    private let start: UInt64
    private let state: Mutex<State>

    struct State {
        var name: String
        var attributes = SpanAttributes()
        var events: [SpanEvent] = []
        var status: SpanStatus?
        var ended = false
    }

    init(
        name: String, kind: SpanKind, context: InstrumentationContext, spanContext: SpanContext, parentSpanID: SpanID?, start: UInt64,
        tracer: RecordingTracer?
    ) {
        self.context = context
        self.spanContext = spanContext
        self.parentSpanID = parentSpanID
        self.kind = kind
        self.tracer = tracer
        self.start = start
        state = Mutex(State(name: name))
    }

    public var isRecording: Bool { tracer != nil && !state.withLock { $0.ended } }

    public var operationName: String {
        get { state.withLock { $0.name } }
        set {
            guard tracer != nil else { return }
            state.withLock { $0.name = newValue }
        }
    }

    public var attributes: SpanAttributes {
        get { state.withLock { $0.attributes } }
        set {
            guard tracer != nil else { return }
            state.withLock { if !$0.ended { $0.attributes = newValue } }
        }
    }

    public func setStatus(_ status: SpanStatus) {
        guard tracer != nil else { return }
        state.withLock { state in
            // Spec: Ok is final; Error may replace Unset.
            guard !state.ended, state.status?.code != .ok else { return }
            state.status = status
        }
    }

    public func addEvent(_ event: SpanEvent) {
        guard tracer != nil else { return }
        state.withLock { if !$0.ended { $0.events.append(event) } }
    }

    /// Records an `exception` event (semantic conventions: `exception.type`, `exception.message`); the status is the
    /// caller's to set.
    public func recordError<Instant: TracerInstant>(_ error: any Error, attributes: SpanAttributes, at instant: @autoclosure () -> Instant) {
        guard tracer != nil else { return }
        var attributes = attributes
        attributes.set("exception.type", value: .string(String(reflecting: type(of: error))))
        attributes.set("exception.message", value: .string("\(error)"))
        addEvent(SpanEvent(name: "exception", at: instant(), attributes: attributes))
    }

    public func addLink(_ link: SpanLink) {}

    public func end<Instant: TracerInstant>(at instant: @autoclosure () -> Instant) {
        guard let tracer else { return }
        let end = instant().nanosecondsSinceEpoch
        guard
            let finished = state.withLock({ state -> State? in
                guard !state.ended else { return nil }
                state.ended = true
                return state
            })
        else { return }
        let redact = tracer.redact
        tracer.finish(
            FinishedSpan(
                context: spanContext, parentSpanID: parentSpanID, name: finished.name, kind: kind, startNanoseconds: start,
                endNanoseconds: max(end, start), attributes: Self.redacted(finished.attributes, redact),
                events: finished.events.map {
                    SpanEvent(name: $0.name, at: $0.nanosecondsSinceEpoch, attributes: Self.redacted($0.attributes, redact))
                },
                status: finished.status.map { SpanStatus(code: $0.code, message: $0.message.map(redact)) }))
    }

    static func redacted(_ attributes: SpanAttributes, _ redact: (String) -> String) -> SpanAttributes {
        var result = SpanAttributes()
        for (key, value) in attributes.pairs {
            switch value {
            case .string(let text): result.set(key, value: .string(redact(text)))
            case .stringArray(let texts): result.set(key, value: .stringArray(texts.map(redact)))
            case .stringConvertible(let convertible): result.set(key, value: .string(redact(convertible.description)))
            case .stringConvertibleArray(let values): result.set(key, value: .stringArray(values.map { redact($0.description) }))
            default: result.set(key, value: value)
            }
        }
        return result
    }
}

extension SpanEvent {
    /// An event at a time given in nanoseconds since the epoch.
    init(name: String, at nanoseconds: UInt64, attributes: SpanAttributes) {
        self.init(name: name, at: DefaultTracerClock.Timestamp(nanosecondsSinceEpoch: nanoseconds), attributes: attributes)
    }
}

extension SpanAttributes {
    /// The attributes as key-value pairs (`SpanAttributes` is not a `Sequence`).
    var pairs: [(key: String, value: SpanAttribute)] {
        var pairs: [(key: String, value: SpanAttribute)] = []
        pairs.reserveCapacity(count)
        func add(_ key: String, _ value: SpanAttribute) { pairs.append((key, value)) }
        forEach(add)
        return pairs
    }
}
