import Dispatch
import Synchronization

/// Collects ended spans and exports them in batches on a serial queue of its own, so the work being traced never
/// waits on the network. At most `maximumQueued` spans wait; beyond that new spans are dropped and counted (memory does
/// not grow with the length of a run), as the specification's batch processor does.
public final class BatchSpanProcessor: SpanProcessor {
    public static let batchSize = 512
    public static let maximumQueued = 8192

    private let encoding: OTLPTraceEncoding
    private let send: @Sendable ([UInt8]) throws -> Void
    private let report: @Sendable (String) -> Void
    private let queue = DispatchQueue(label: "hephaestus.telemetry.export")
    private let state = Mutex(State())

    private struct State {
        var pending: [FinishedSpan] = []
        /// Spans handed to the queue and not yet sent.
        var inFlight = 0
        var dropped = 0
        var failed = 0
        var reportedFailure = false
    }

    /// `send` exports one encoded request (throws when it was not accepted); `report` receives one line per
    /// problem worth a warning (the first failed export, and at flush how many spans were lost).
    public init(encoding: OTLPTraceEncoding, send: @escaping @Sendable ([UInt8]) throws -> Void, report: @escaping @Sendable (String) -> Void) {
        self.encoding = encoding
        self.send = send
        self.report = report
    }

    public func onEnd(_ span: FinishedSpan) {
        let batch: [FinishedSpan]? = state.withLock { state in
            guard state.pending.count + state.inFlight < Self.maximumQueued else {
                state.dropped += 1
                return nil
            }
            state.pending.append(span)
            guard state.pending.count >= Self.batchSize else { return nil }
            defer { state.pending.removeAll(keepingCapacity: true) }
            state.inFlight += state.pending.count
            return state.pending
        }
        if let batch { enqueue(batch) }
    }

    private func enqueue(_ batch: [FinishedSpan]) {
        queue.async { [self] in
            let body = encoding.encode(batch)
            var failure: String?
            do { try send(body) } catch { failure = "\(error)" }
            let first = state.withLock { state -> Bool in
                state.inFlight -= batch.count
                guard failure != nil else { return false }
                state.failed += batch.count
                defer { state.reportedFailure = true }
                return !state.reportedFailure
            }
            if first, let failure { report("traces not exported: \(failure)") }
        }
    }

    public func flush(timeout: Double) {
        let batch = state.withLock { state -> [FinishedSpan] in
            defer { state.pending.removeAll() }
            state.inFlight += state.pending.count
            return state.pending
        }
        if !batch.isEmpty { enqueue(batch) }
        let done = DispatchSemaphore(value: 0)
        queue.async { done.signal() }
        if done.wait(timeout: .now() + timeout) == .timedOut {
            report("traces not exported: the exporter did not finish within \(timeout) s")
            return
        }
        let (dropped, failed) = state.withLock { state in
            defer {
                state.dropped = 0
                state.failed = 0
            }
            return (state.dropped, state.failed)
        }
        if dropped + failed > 0 {
            report("\(failed + dropped) spans were not exported (\(failed) failed to send, \(dropped) dropped from a full queue)")
        }
    }
}
