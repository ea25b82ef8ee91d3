import Dispatch
import Synchronization

/// Runs blocking work (OpenSSL verification, libcurl transfers, file I/O) on many items, at most `jobs` at a time, on
/// Dispatch's threads — never on Swift's cooperative pool — and gives the results back in input order.
public enum ParallelMap {
    /// What became of one item.
    public enum Outcome<Value> {
        case success(Value)
        case failure(any Error)
        /// Not started: an earlier item failed and the map was asked to stop at the first failure.
        case notStarted

        public var value: Value? {
            if case .success(let value) = self { return value }
            return nil
        }
    }

    /// `transform` over `items`, results in input order. Items are claimed in input order, so with
    /// `stopAtFirstFailure` no item starts after one has failed (those already running finish).
    public static func map<Element, Value>(
        _ items: [Element], jobs: Int, stopAtFirstFailure: Bool = false, _ transform: (Element) throws -> Value
    ) -> [Outcome<Value>] {
        guard !items.isEmpty else { return [] }
        let slots = UnsafeMutableBufferPointer<Outcome<Value>>.allocate(capacity: items.count)
        slots.initialize(repeating: .notStarted)
        defer { slots.deinitialize().deallocate() }
        let next = Atomic<Int>(0)
        let failed = Atomic<Bool>(false)
        let tracing = TraceContextPropagation.capture()
        withoutActuallyEscaping(transform) { transform in
            let work = UncheckedWork(items: items, slots: slots, transform: transform)
            DispatchQueue.concurrentPerform(iterations: max(1, min(jobs, items.count))) { _ in
                tracing.run {
                    while true {
                        if stopAtFirstFailure && failed.load(ordering: .acquiring) { return }
                        let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
                        guard index < work.items.count else { return }
                        let outcome: Outcome<Value>
                        do { outcome = .success(try work.transform(work.items[index])) } catch {
                            outcome = .failure(error)
                            failed.store(true, ordering: .releasing)
                        }
                        work.slots[index] = outcome
                    }
                }
            }
        }
        return Array(slots)
    }

    /// Like ``map(_:jobs:stopAtFirstFailure:_:)`` but throws the first failure in input order, after every started
    /// item has finished.
    public static func mapThrowing<Element, Value>(
        _ items: [Element], jobs: Int, stopAtFirstFailure: Bool = true, _ transform: (Element) throws -> Value
    ) throws -> [Value] {
        var values: [Value] = []
        values.reserveCapacity(items.count)
        for outcome in map(items, jobs: jobs, stopAtFirstFailure: stopAtFirstFailure, transform) {
            switch outcome {
            case .success(let value): values.append(value)
            case .failure(let error): throw error
            case .notStarted: continue
            }
        }
        return values
    }
}

/// What the workers of one ``ParallelMap/map(_:jobs:stopAtFirstFailure:_:)`` call share. Unchecked, and safe because:
/// `items` is only read while they run; each slot of `slots` is written by exactly one worker — the one whose atomic
/// claim returned its index — and read only after `concurrentPerform` returned (which orders every write before it);
/// `transform` is handed over by the caller for this concurrent use, within the call.
private struct UncheckedWork<Element, Value>: @unchecked Sendable {
    let items: [Element]
    let slots: UnsafeMutableBufferPointer<ParallelMap.Outcome<Value>>
    let transform: (Element) throws -> Value
}

/// Runs blocking work on a Dispatch thread and awaits it, so an `async` caller (a server's event loop, Swift's
/// cooperative pool) is never stalled by libcurl, OpenSSL or file I/O.
public enum BlockingWork {
    /// Runs `work` on a Dispatch thread. `work`, and everything it captured, is released before the caller resumes: what
    /// a verification read (a large request body's parse) is freed by the time its request is answered, not whenever
    /// Dispatch lets go of the block.
    public static func run<Value: Sendable>(_ work: @escaping @Sendable () throws -> Value) async throws -> Value {
        let tracing = TraceContextPropagation.capture()
        let pending = PendingWork(work)
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                let result = Result { try tracing.run(pending.take()) }
                continuation.resume(with: result)
            }
        }
    }
}

/// A closure handed over once: ``take()`` returns it and drops the box's reference.
private final class PendingWork<Value>: Sendable {
    private let work: Mutex<(@Sendable () throws -> Value)?>

    init(_ work: @escaping @Sendable () throws -> Value) {
        self.work = Mutex(work)
    }

    /// The closure; a second call gets one that throws (the one block that runs it takes it once).
    func take() -> @Sendable () throws -> Value {
        work.withLock { work in
            defer { work = nil }
            return work ?? { throw CancellationError() }
        }
    }
}
