import Foundation
import Synchronization

/// Decides whether a new span is sampled (recorded and exported), from its trace id and its parent, as the
/// OpenTelemetry trace SDK specification's samplers do.
public protocol Sampler: Sendable {
    func shouldSample(traceID: TraceID, parent: SpanContext?) -> Bool
    /// As the reference SDKs print it (`TraceIdRatioBased{0.01}`).
    var description: String { get }
}

/// `always_on`.
public struct AlwaysOnSampler: Sampler {
    public init() {}
    public func shouldSample(traceID: TraceID, parent: SpanContext?) -> Bool { true }
    public var description: String { "AlwaysOnSampler" }
}

/// `always_off`.
public struct AlwaysOffSampler: Sampler {
    public init() {}
    public func shouldSample(traceID: TraceID, parent: SpanContext?) -> Bool { false }
    public var description: String { "AlwaysOffSampler" }
}

/// `traceidratio`: samples when the trace id's lower 64 bits (bytes 8–15, big-endian) are below
/// `round(ratio × 2^64)`, exactly as opentelemetry-python's `TraceIdRatioBased` (the bound rounded half to even, as
/// Python's `round`), so every SDK that follows it keeps or drops the same traces.
public struct TraceIDRatioSampler: Sampler {
    public let ratio: Double
    /// nil: the bound is 2^64, every trace id is below it.
    public let bound: UInt64?

    /// `ratio` in [0, 1] (callers validate: ``TelemetryConfiguration`` warns and uses 1.0 otherwise).
    public init(ratio: Double) {
        precondition(ratio >= 0 && ratio <= 1, "ratio must be in [0, 1]")
        self.ratio = ratio
        let scaled = (ratio * 0x1p64).rounded(.toNearestOrEven)
        bound = scaled >= 0x1p64 ? nil : UInt64(scaled)
    }

    public func shouldSample(traceID: TraceID, parent: SpanContext?) -> Bool {
        guard let bound else { return true }
        return traceID.low < bound
    }

    public var description: String { "TraceIdRatioBased{\(ratio)}" }
}

/// `parentbased_*`: a span with a parent follows the parent's sampled flag (remote or local alike, the
/// specification's defaults); a root span asks `root`.
public struct ParentBasedSampler: Sampler {
    public let root: any Sampler

    public init(root: any Sampler) {
        self.root = root
    }

    public func shouldSample(traceID: TraceID, parent: SpanContext?) -> Bool {
        guard let parent else { return root.shouldSample(traceID: traceID, parent: nil) }
        return parent.isSampled
    }

    public var description: String {
        "ParentBased{root:\(root.description),remoteParentSampled:AlwaysOnSampler,remoteParentNotSampled:AlwaysOffSampler,"
            + "localParentSampled:AlwaysOnSampler,localParentNotSampled:AlwaysOffSampler}"
    }
}

/// `ratelimiting` (a Hephaestus extension, as Jaeger's rate-limiting sampler): at most `tracesPerSecond` sampled
/// traces per second, from a token bucket that holds at most one second's worth (at least one) and refills
/// continuously. Meant for the service, where requests arrive at any rate.
public final class RateLimitingSampler: Sampler {
    public let tracesPerSecond: Double
    private let capacity: Double
    private let clock: @Sendable () -> Double
    private let bucket: Mutex<(tokens: Double, last: Double)>

    /// `clock`: monotonic seconds.
    public init(tracesPerSecond: Double, clock: @escaping @Sendable () -> Double = RateLimitingSampler.monotonicSeconds) {
        self.tracesPerSecond = max(0, tracesPerSecond)
        capacity = max(1, self.tracesPerSecond)
        self.clock = clock
        bucket = Mutex((tokens: max(1, self.tracesPerSecond), last: clock()))
    }

    public func shouldSample(traceID: TraceID, parent: SpanContext?) -> Bool {
        let now = clock()
        return bucket.withLock { bucket in
            bucket.tokens = min(capacity, bucket.tokens + max(0, now - bucket.last) * tracesPerSecond)
            bucket.last = now
            guard bucket.tokens >= 1 else { return false }
            bucket.tokens -= 1
            return true
        }
    }

    public var description: String { "RateLimitingSampler{\(tracesPerSecond)}" }

    public static let monotonicSeconds: @Sendable () -> Double = {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
