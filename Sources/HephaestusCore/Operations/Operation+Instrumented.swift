import HephaestusPlatform

extension Operation {
    /// Runs the operation as every front end does: in one span named after it (`verify.bundle`), a negative verdict
    /// marking the span failed, and counted and timed in ``HephaestusMetric/operations`` and
    /// ``HephaestusMetric/operationDuration`` by outcome (`success`, `failure`: a negative verdict, `error`: thrown).
    public static func runInstrumented(_ request: Request, in context: OperationContext, emit: ItemSink<Item>) async throws -> Report {
        try await OperationMeasurement.measure(
            descriptor.name, runID: context.runID, instrumentation: context.instrumentation, failure: \.failure,
            body: { try await run(request, in: context, emit: emit) })
    }
}

/// The span, count and duration of one operation run (``Operation/runInstrumented(_:in:emit:)``), for front ends that
/// run an operation's work without the registry's runner (the service's typed verification routes).
public enum OperationMeasurement {
    /// Runs `body` in a span named `name`; `failure` tells a negative verdict in its result (outcome `failure`, the
    /// span marked failed); a thrown error is outcome `error`.
    public static func measure<Value>(
        _ name: String, runID: RunID, instrumentation: any Instrumentation, failure: (Value) -> (any CodedError)?,
        body: () async throws -> Value
    ) async throws -> Value {
        let started = ContinuousClock.now
        var outcome = "error"
        defer {
            HephaestusMetric.operations.increment(name, outcome)
            HephaestusMetric.operationDuration.record(since: started, name, outcome)
        }
        let value = try await instrumentation.withSpan(
            name, attributes: ["hephaestus.operation": name, "hephaestus.run_id": runID.value]
        ) { (span: ActiveSpan) in
            let value = try await body()
            if let failed = failure(value) { span.fail(failed) }
            return value
        }
        outcome = failure(value) == nil ? "success" : "failure"
        return value
    }
}
