import Instrumentation
import Tracing

/// The W3C `traceparent` of work handed on to later (a task a request queues, run by a worker of any replica): taken
/// from the active span when the work is handed on, stored with it, and continued when it runs.
public enum TraceParent {
    /// The active span's `traceparent`; nil when no span is active (tracing off, or not sampled and not recording).
    public static var current: String? {
        guard let context = InstrumentationContext.current else { return nil }
        var fields: [String: String] = [:]
        InstrumentationSystem.tracer.inject(context, into: &fields, using: FieldsInjector())
        return fields["traceparent"]
    }

    /// The context `traceparent` names, as `tracer` reads it: a remote parent, or the top level when it is not a
    /// valid `traceparent` (spans then start a trace of their own).
    public static func context(_ traceparent: String, tracer: any Tracer) -> InstrumentationContext {
        var context = InstrumentationContext.topLevel
        tracer.extract(["traceparent": traceparent], into: &context, using: FieldsExtractor())
        return context
    }

    private struct FieldsInjector: Injector {
        func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) { carrier[key] = value }
    }

    private struct FieldsExtractor: Extractor {
        func extract(key: String, from carrier: [String: String]) -> String? { carrier[key] }
    }
}
