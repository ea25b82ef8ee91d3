import Foundation
import HephaestusCore
import HephaestusPlatform
import HephaestusTelemetry
import HephaestusTestSupport
import Logging
import Testing
import Tracing

/// `Operation.runInstrumented` with a real tracer: the span tree of a release check, a negative verdict on the
/// operation's span, and trace ids in the JSON log records written inside it.
@Suite struct OperationTracingTests {
    static let hasPython = ToolLocator.find("python3") != nil

    static func context(_ tracer: RecordingTracer, logs: ReleaseOperationTests.Recorder<String>? = nil) -> OperationContext {
        let sink = LogSink { line in logs?.append(line) }
        let logger = Logger(label: "test") { _ in StructuredLogHandler(format: .json, runID: RunID.generate(), level: .debug, sink: sink) }
        return OperationContext(logger: logger, instrumentation: TracingInstrumentation(tracer: tracer))
    }

    static func request(_ factory: WheelhouseFactory, workdir: TemporaryDirectory, identity: String) -> ReleaseCheckRequest {
        ReleaseCheckRequest(
            source: ReleaseSourceChoice(archive: factory.directory.file("demo-1.0.0-wheelhouse.tar.gz")),
            sigstore: SigstoreChoice(requireSigstore: true, sigstoreIdentity: [identity], trust: TrustChoice(trustedRoot: factory.trustedRoot)),
            workdir: workdir.path)
    }

    @Test(.enabled(if: hasPython, "needs python3 (fixtures/wheels/make_wheel.py)"))
    func aReleaseCheckIsOneTraceOfStagesAndSteps() async throws {
        let factory = try WheelhouseFactory()
        try factory.wheel("alpha-pkg", "1.2.0")
        try factory.release()
        let processor = CollectingSpanProcessor()
        let tracer = RecordingTracer(sampler: AlwaysOnSampler(), processor: processor)
        let report = try await ReleaseVerifyOperation.runInstrumented(
            Self.request(
                factory, workdir: try TemporaryDirectory(), identity: "https://github.com/octo/wheels/.github/workflows/release.yml@refs/tags/*"),
            in: Self.context(tracer), emit: ItemSink { _ in })
        #expect(report.failure == nil)
        let spans = Dictionary(processor.spans.map { ($0.name, $0) }) { first, _ in first }
        let root = try #require(spans["release.verify"])
        #expect(root.parentSpanID == nil)
        #expect(root.attributes.get("hephaestus.operation") == .string("release.verify"))
        for stage in ["fetch", "checksum", "sigstore", "extract", "wheels"] {
            #expect(spans["release.stage.\(stage)"]?.parentSpanID == root.context.spanID, "\(stage)")
        }
        let verify = try #require(spans["sigstore.verify"])
        #expect(verify.parentSpanID == spans["release.stage.sigstore"]?.context.spanID)
        #expect(spans["sigstore.verify.identity"]?.parentSpanID == verify.context.spanID)
        #expect(Set(processor.spans.map(\.context.traceID)) == [root.context.traceID])
    }

    @Test(.enabled(if: hasPython, "needs python3 (fixtures/wheels/make_wheel.py)"))
    func aNegativeVerdictMarksTheOperationSpan() async throws {
        let factory = try WheelhouseFactory()
        try factory.wheel("alpha-pkg", "1.2.0")
        try factory.release()
        let processor = CollectingSpanProcessor()
        let tracer = RecordingTracer(sampler: AlwaysOnSampler(), processor: processor)
        let report = try await ReleaseVerifyOperation.runInstrumented(
            Self.request(factory, workdir: try TemporaryDirectory(), identity: "https://example.com/not-the-signer"), in: Self.context(tracer),
            emit: ItemSink { _ in })
        let failure = try #require(report.failure)
        let root = try #require(processor.spans.first { $0.name == "release.verify" })
        #expect(root.status?.code == .error)
        #expect(root.attributes.get("error.type") == .string(failure.code))
        #expect(root.events.map(\.name) == ["hephaestus.failure"])
        let step = try #require(processor.spans.first { $0.name == "sigstore.verify.identity" })
        #expect(step.status?.code == .error && step.attributes.get("error.type") == .string("verify.identity-mismatch"))
    }

    @Test func logRecordsInsideASpanCarryItsIds() async throws {
        let processor = CollectingSpanProcessor()
        let tracer = RecordingTracer(sampler: AlwaysOnSampler(), processor: processor)
        let logs = ReleaseOperationTests.Recorder<String>()
        let context = Self.context(tracer, logs: logs)
        context.logger.info("before.span")
        try await context.instrumentation.withSpan("work") {
            context.logger.info("inside.span")
            _ = try await BlockingWork.run { context.logger.info("inside.blocking") }
        }
        let span = try #require(processor.spans.first)
        let lines = logs.values
        try #require(lines.count == 3)
        #expect(!lines[0].contains("trace_id"))
        for line in lines.dropFirst() {
            #expect(line.contains(",\"trace_id\":\"\(span.context.traceID)\",\"span_id\":\"\(span.context.spanID)\",\"event\":"), "\(line)")
        }
    }

    @Test func aThrownErrorMarksTheSpanWithItsCode() async throws {
        let processor = CollectingSpanProcessor()
        let instrumentation = TracingInstrumentation(tracer: RecordingTracer(sampler: AlwaysOnSampler(), processor: processor))
        await #expect(throws: TransportError.self) {
            try await instrumentation.withSpan("work") { throw TransportError.invalidURL("x") }
        }
        let span = try #require(processor.spans.first)
        #expect(span.status?.code == .error)
        #expect(span.attributes.get("error.type") == .string(TransportError.invalidURL("x").code))
        #expect(span.events.map(\.name) == ["exception"])
    }
}
