import HephaestusPlatform
import Instrumentation
import Tracing

/// The spans of one bundle verification: `sigstore.verify`, with one child per client-specification step
/// (`sigstore.verify.transparency-log`, …); a failed step carries the error's code as `error.type`, the error as an
/// `exception` event and an error status. Failures are counted in ``HephaestusMetric/verificationFailures`` by step
/// and code. Without an active span (tracing off) only the counter is touched.
struct VerificationTrace {
    private let span: (any Span)?

    static func start(mediaType: String) -> VerificationTrace {
        guard let context = InstrumentationContext.current else { return VerificationTrace(span: nil) }
        let span = InstrumentationSystem.tracer.startSpan("sigstore.verify", context: context)
        span.attributes["sigstore.bundle.media_type"] = mediaType
        return VerificationTrace(span: span)
    }

    /// Runs one step in its span.
    @discardableResult
    func step<Value>(_ name: String, _ body: () throws(VerificationError) -> Value) throws(VerificationError) -> Value {
        guard let span else { return try body() }
        let step = InstrumentationSystem.tracer.startSpan("sigstore.verify.\(name)", context: span.context)
        defer { step.end() }
        do {
            return try body()
        } catch {
            Self.mark(step, error)
            throw error
        }
    }

    /// Ends the verification span, failed with `error` when given.
    func end(_ error: VerificationError?) {
        if let error {
            HephaestusMetric.verificationFailures.increment(error.step, error.code)
            if let span { Self.mark(span, error) }
        }
        span?.end()
    }

    private static func mark(_ span: any Span, _ error: VerificationError) {
        guard span.isRecording else { return }
        span.attributes["error.type"] = error.code
        span.attributes["sigstore.verify.step"] = error.step
        span.recordError(error)
        span.setStatus(SpanStatus(code: .error, message: error.description))
    }
}
