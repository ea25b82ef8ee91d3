import Foundation
import HephaestusTestSupport
import Testing

@testable import HephaestusTelemetry

@Suite struct SamplerTests {
    static let parityScript = TestVenv.projectRoot.appendingPathComponent("fixtures/telemetry/sampler_parity.py").path

    @Test func theRatioBoundIsPythonsRoundedBound() {
        #expect(TraceIDRatioSampler(ratio: 0).bound == 0)
        #expect(TraceIDRatioSampler(ratio: 1).bound == nil)
        #expect(TraceIDRatioSampler(ratio: 0.5).bound == 1 << 63)
        // The double nearest 0.1 times 2^64, as Python computes `round(0.1 * 2**64)` (not the exact 2^64 / 10).
        #expect(TraceIDRatioSampler(ratio: 0.1).bound == 1_844_674_407_370_955_264)
        let sampler = TraceIDRatioSampler(ratio: 0.5)
        #expect(sampler.shouldSample(traceID: TraceID(high: .max, low: (1 << 63) - 1), parent: nil))
        #expect(!sampler.shouldSample(traceID: TraceID(high: 0, low: 1 << 63), parent: nil))
    }

    @Test func parentBasedSamplersFollowTheParentsFlag() {
        let id = TraceID(high: 1, low: 0)  // below every ratio's bound: the root sampler would sample it
        let sampled = SpanContext(traceID: id, spanID: SpanID(7), isSampled: true, isRemote: true)
        let unsampled = SpanContext(traceID: id, spanID: SpanID(7), isSampled: false, isRemote: false)
        for root in [AlwaysOnSampler() as any Sampler, AlwaysOffSampler(), TraceIDRatioSampler(ratio: 0.5)] {
            let sampler = ParentBasedSampler(root: root)
            #expect(sampler.shouldSample(traceID: id, parent: sampled))
            #expect(!sampler.shouldSample(traceID: id, parent: unsampled))
            #expect(sampler.shouldSample(traceID: id, parent: nil) == root.shouldSample(traceID: id, parent: nil))
        }
    }

    @Test func theRateLimitingSamplerAllowsAtMostItsRate() {
        final class FakeClock: @unchecked Sendable {
            var now = 100.0
        }
        let clock = FakeClock()
        let sampler = RateLimitingSampler(tracesPerSecond: 3, clock: { clock.now })
        let id = TraceID(high: 1, low: 1)
        #expect((0..<5).map { _ in sampler.shouldSample(traceID: id, parent: nil) } == [true, true, true, false, false])
        clock.now += 0.5  // 1.5 tokens
        #expect((0..<2).map { _ in sampler.shouldSample(traceID: id, parent: nil) } == [true, false])
        clock.now += 10  // refills to the capacity (one second's worth), no more
        #expect((0..<4).map { _ in sampler.shouldSample(traceID: id, parent: nil) } == [true, true, true, false])
        let slow = RateLimitingSampler(tracesPerSecond: 0.5, clock: { clock.now })
        #expect(slow.shouldSample(traceID: id, parent: nil) && !slow.shouldSample(traceID: id, parent: nil))
        clock.now += 2
        #expect(slow.shouldSample(traceID: id, parent: nil))
    }

    /// 10,000 random trace ids (and the ids either side of each bound) through every ratio sampler, and every parent
    /// combination through the parent-based ones: the decisions of PyPI's opentelemetry-sdk.
    @Test(.enabled(if: TestVenv.isUsable("python"), "needs the test venv's python with opentelemetry-sdk"))
    func decisionsEqualTheReferenceSDK() throws {
        let python = try #require(TestVenv.tool("python"))
        var generator = SystemRandomNumberGenerator()
        let ratios = [0, 0.0001, 0.01, 1.0 / 3, 0.5, 0.999, 1]
        var cases: [(sampler: String, ratio: Double, id: TraceID, parent: String?, remote: Bool)] = []
        for _ in 0..<10_000 {
            let id = TraceID.random(using: &generator)
            for ratio in ratios { cases.append(("traceidratio", ratio, id, nil, false)) }
        }
        for ratio in ratios {
            guard let bound = TraceIDRatioSampler(ratio: ratio).bound, bound > 0 else { continue }
            for low in [bound - 1, bound, bound &+ 1] { cases.append(("traceidratio", ratio, TraceID(high: 42, low: low), nil, false)) }
        }
        for _ in 0..<200 {
            let id = TraceID.random(using: &generator)
            for name in ["parentbased_always_on", "parentbased_always_off", "parentbased_traceidratio", "always_on", "always_off"] {
                for parent in [nil, "sampled", "unsampled"] as [String?] {
                    for remote in [true, false] { cases.append((name, 0.25, id, parent, remote)) }
                }
            }
        }
        let input =
            cases.map { item in
                let parent = item.parent.map { "\"\($0)\"" } ?? "null"
                return
                    "{\"sampler\":\"\(item.sampler)\",\"ratio\":\(item.ratio),\"trace_id\":\"\(item.id)\",\"parent\":\(parent),\"remote\":\(item.remote)}"
            }.joined(separator: "\n") + "\n"
        let result = try ProcessResult.run(python, [Self.parityScript], stdin: Array(input.utf8))
        try #require(result.status == 0, "\(result.stderrText)")
        let reference = result.stdoutText.split(separator: "\n").map { $0.contains("true") }
        try #require(reference.count == cases.count)
        var mismatches: [String] = []
        for (item, expected) in zip(cases, reference) {
            let choice: TelemetryConfiguration.SamplerChoice =
                switch item.sampler {
                case "traceidratio": .traceIDRatio(item.ratio)
                case "parentbased_traceidratio": .parentBased(.traceIDRatio(item.ratio))
                case "parentbased_always_on": .parentBased(.alwaysOn)
                case "parentbased_always_off": .parentBased(.alwaysOff)
                case "always_on": .alwaysOn
                default: .alwaysOff
                }
            let parent = item.parent.map { SpanContext(traceID: item.id, spanID: SpanID(0x1234), isSampled: $0 == "sampled", isRemote: item.remote) }
            if choice.makeSampler().shouldSample(traceID: item.id, parent: parent) != expected {
                mismatches.append("\(item.sampler)(\(item.ratio)) \(item.id) parent=\(item.parent ?? "none"): reference says \(expected)")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(10))")
        // The random ids exercise both outcomes of every ratio strictly between 0 and 1.
        #expect(reference.contains(true) && reference.contains(false))
    }
}
