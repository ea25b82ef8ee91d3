import HephaestusPlatform

extension Operation {
    /// Runs the operation as every front end does: in one span named after it (`verify.bundle`), a negative verdict
    /// marking the span failed, and counted and timed in ``HephaestusMetric/operations`` and
    /// ``HephaestusMetric/operationDuration`` by outcome (`success`, `failure`: a negative verdict, `error`: thrown).
    public static func runInstrumented(_ request: Request, in context: OperationContext, emit: ItemSink<Item>) async throws -> Report {
        let name = descriptor.name
        let started = ContinuousClock.now
        var outcome = "error"
        defer {
            let elapsed = (ContinuousClock.now - started).components
            HephaestusMetric.operations.increment(name, outcome)
            HephaestusMetric.operationDuration.record(
                nanoseconds: elapsed.seconds * 1_000_000_000 + elapsed.attoseconds / 1_000_000_000, name, outcome)
        }
        let report = try await context.instrumentation.withSpan(
            name, attributes: ["hephaestus.operation": name, "hephaestus.run_id": context.runID.value]
        ) { (span: ActiveSpan) in
            let report = try await run(request, in: context, emit: emit)
            if let failure = report.failure { span.fail(failure) }
            return report
        }
        outcome = report.failure == nil ? "success" : "failure"
        return report
    }
}
