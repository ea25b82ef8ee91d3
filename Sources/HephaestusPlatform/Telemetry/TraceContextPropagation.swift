import Instrumentation
import Tracing

/// Carries the tracing of the calling task (its active span's context and its task-local tracer) onto the Dispatch
/// threads that run blocking work, where task-locals do not follow by themselves: spans started there (HTTP
/// requests, verification steps) are children of the right span, and log records carry its ids.
public struct TraceContextPropagation: Sendable {
    private let context: InstrumentationContext?
    private let tracer: (any Tracer)?

    /// The caller's tracing, or nothing when no span is active (tracing off: nothing to carry, nothing to pay).
    public static func capture() -> TraceContextPropagation {
        guard let context = InstrumentationContext.current else { return TraceContextPropagation(context: nil, tracer: nil) }
        return TraceContextPropagation(context: context, tracer: InstrumentationSystem.tracer)
    }

    /// Runs `work` with the captured tracing bound.
    public func run<Value>(_ work: () throws -> Value) rethrows -> Value {
        guard let context, let tracer else { return try work() }
        return try withTracer(tracer) {
            try InstrumentationContext.$current.withValue(context) { try work() }
        }
    }
}
