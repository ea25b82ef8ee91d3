import Foundation
import HephaestusCore
import HephaestusPlatform
import Logging
import Synchronization

/// A bounded pool of workers running queued tasks: each worker claims the oldest queued task, runs its operation
/// through the registry's JSON runner (`Operation.runJSON`), persists its progress and items as `progress` events,
/// renews its lease while it runs (and learns of cancellations then), and records the outcome.
///
/// Start-up recovers the tasks a previous incarnation of this replica left running (``TaskQueue/recover(replica:at:)``);
/// then, every lease period, tasks whose lease expired elsewhere (a replica that died and did not come back).
///
/// Draining (``drain()``, or cancelling the task that awaits ``run()``): no new claims; running tasks get
/// ``Configuration/drainGrace`` to finish, then their operations are cancelled and their claims released (rerunnable
/// tasks queued again for another replica, destructive ones failed as interrupted).
public final class TaskWorkerPool: Sendable {
    public struct Configuration: Sendable {
        /// This process's replica name, unique among the processes sharing the store.
        public var replica: String
        /// Workers, hence tasks running at once.
        public var workers: Int
        /// How long a claim holds without renewal.
        public var lease: TimeInterval
        /// How often a running task's lease is renewed (and a cancellation asked through the store noticed); a third
        /// of the lease unless set shorter.
        public var renewal: TimeInterval
        /// How often an idle worker looks for queued tasks.
        public var pollInterval: TimeInterval
        /// At most one persisted transfer event per transfer per this many seconds (stages and items are all kept).
        public var transferEventInterval: TimeInterval
        /// How long running tasks may go on once draining starts.
        public var drainGrace: TimeInterval

        public init(
            replica: String, workers: Int = 2, lease: TimeInterval = 30, renewal: TimeInterval? = nil, pollInterval: TimeInterval = 0.5,
            transferEventInterval: TimeInterval = 1, drainGrace: TimeInterval = 20
        ) {
            self.replica = replica
            self.workers = workers
            self.lease = lease
            self.renewal = min(renewal ?? lease / 3, lease / 3)
            self.pollInterval = pollInterval
            self.transferEventInterval = transferEventInterval
            self.drainGrace = drainGrace
        }

        /// Workers must lie between 1 and 64.
        public static let workerRange = 1...64

        /// The replica name of a process not given one (`--replica`): the host name, `hephaestus` when it has none.
        public static var defaultReplica: String {
            let host = ProcessInfo.processInfo.hostName
            return host.isEmpty ? "hephaestus" : host
        }
    }

    /// The operation a task names (the registry's lookup).
    public typealias OperationLookup = @Sendable (String) -> (any HephaestusCore.Operation.Type)?
    /// The context a task's operation runs in: the front end's (logger, environment, network settings, service
    /// store), with the pool's progress sink and cancellation.
    public typealias ContextMaker = @Sendable (TaskRecord, ProgressSink, Cancellation) -> OperationContext

    public let queue: any TaskQueue
    public let configuration: Configuration
    private let operations: OperationLookup
    private let makeContext: ContextMaker
    private let logger: Logger
    private let clock: @Sendable () -> Date
    private let state = Mutex(State())

    private struct State {
        var draining = false
        var running: [String: Cancellation] = [:]
        var recoveries: [TaskRecovery] = []
        var finished: [TaskStatus: Int] = [:]
    }

    public init(
        queue: any TaskQueue, configuration: Configuration, operations: @escaping OperationLookup, logger: Logger,
        clock: @escaping @Sendable () -> Date = Date.init, makeContext: @escaping ContextMaker
    ) throws(RequestError) {
        try RequestError.checkRange(configuration.workers, Configuration.workerRange, option: "--workers")
        guard !configuration.replica.isEmpty else { throw RequestError("the replica name must not be empty") }
        self.queue = queue
        self.configuration = configuration
        self.operations = operations
        self.makeContext = makeContext
        self.logger = logger
        self.clock = clock
    }

    /// Takes the replica name (``TaskQueue/holdReplica(_:)``: ``ServiceStoreError/replicaInUse(_:)`` when another
    /// live process has it) unless the caller holds it already (`holding`, taken before it started anything else),
    /// recovers this replica's interrupted tasks, then runs the workers until ``drain()`` is called or the calling task
    /// is cancelled, and returns once every worker has stopped. The name is given up when it returns.
    public func run(holding: (any ReplicaHold)? = nil) async throws {
        let hold = try holding ?? queue.holdReplica(configuration.replica)
        defer { hold.release() }
        let recovered = try await queue.recover(replica: configuration.replica, at: clock())
        for recovery in recovered { log(recovery) }
        state.withLock { $0.recoveries += recovered }
        let workers = (0..<configuration.workers).map { index in
            // Unstructured: a drain must still write results and release claims after the caller was cancelled.
            Task { await self.work(as: RunnerID(replica: configuration.replica, worker: index)) }
        }
        let reaper = Task { await self.recoverExpiredLeases() }
        await withTaskCancellationHandler {
            for worker in workers { await worker.value }
        } onCancel: {
            self.drain()
        }
        reaper.cancel()
    }

    /// Stops claiming; running tasks get the drain grace, then are cancelled and released.
    public func drain() {
        let first = state.withLock { state in
            defer { state.draining = true }
            return !state.draining
        }
        guard first else { return }
        logger.info("tasks.draining", metadata: ["grace_seconds": .stringConvertible(configuration.drainGrace)])
        let grace = configuration.drainGrace
        Task {
            try? await Task.sleep(for: .seconds(grace))
            for cancellation in self.state.withLock({ Array($0.running.values) }) { cancellation.cancel() }
        }
    }

    /// Tasks running now, by id.
    public var runningTasks: [String] { state.withLock { Array($0.running.keys).sorted() } }

    /// What the start-up recovery (and lease renewals since) did with interrupted tasks.
    public var recoveries: [TaskRecovery] { state.withLock { $0.recoveries } }

    /// Tasks this pool finished, by terminal status.
    public var finished: [TaskStatus: Int] { state.withLock { $0.finished } }

    private var isDraining: Bool { state.withLock { $0.draining } }

    private func work(as runner: RunnerID) async {
        while !isDraining {
            do {
                if let claim = try await queue.claim(by: runner, lease: configuration.lease, at: clock()) {
                    await execute(claim)
                    continue
                }
            } catch {
                logger.error("tasks.claim-failed", metadata: ["runner": .string(runner.description), "reason": .string("\(error)")])
            }
            try? await Task.sleep(for: .seconds(configuration.pollInterval))
        }
    }

    // MARK: One task

    private func execute(_ claim: TaskClaim) async {
        let task = claim.task
        let started = ContinuousClock.now
        let cancellation = Cancellation()
        state.withLock { $0.running[task.id] = cancellation }
        defer { state.withLock { _ = $0.running.removeValue(forKey: task.id) } }
        logger.info(
            "task.started", metadata: ["task": .string(task.id), "operation": .string(task.operation), "attempt": .stringConvertible(claim.attempt)])

        let events = ProgressRecorder(queue: queue, claim: claim, interval: configuration.transferEventInterval, clock: clock, logger: logger)
        let heartbeat = Task { await keepLease(claim, cancellation: cancellation) }
        let completion = await outcome(of: claim, cancellation: cancellation, events: events)
        heartbeat.cancel()
        await events.finish()

        guard let completion else {
            // Stopped by the drain, not by a cancellation: give the task back.
            do {
                log(try await queue.release(claim, reason: "was stopped by a draining process", at: clock()))
            } catch {
                logger.error("task.release-failed", metadata: ["task": .string(task.id), "reason": .string("\(error)")])
            }
            return
        }
        do {
            let record = try await queue.complete(claim, with: completion, at: clock())
            state.withLock { $0.finished[record.status, default: 0] += 1 }
            HephaestusMetric.taskDuration.record(since: started, task.operation, record.status.rawValue)
            logger.info("task.finished", metadata: ["task": .string(task.id), "status": .string(record.status.rawValue)])
        } catch {
            logger.error("task.complete-failed", metadata: ["task": .string(task.id), "reason": .string("\(error)")])
        }
    }

    /// Runs the operation; nil when it stopped for a drain.
    private func outcome(of claim: TaskClaim, cancellation: Cancellation, events: ProgressRecorder) async -> TaskCompletion? {
        let task = claim.task
        guard let operation = operations(task.operation) else {
            return .failed(TaskFailure(TaskError.notTaskable(operation: task.operation, reason: "no such operation in this build")))
        }
        let progress = ProgressSink { event in events.record(event) }
        let context = makeContext(task, progress, cancellation)
        do {
            // The operation's spans continue the trace of the request that queued the task, whichever replica runs it.
            let document = try await context.instrumentation.continuing(claim.traceparent) {
                try await operation.runJSON(Array(task.request.utf8), in: context) { item in events.record(item: item) }
            }
            return .finished(report: String(decoding: document.json, as: UTF8.self), failure: document.failure.map(TaskFailure.init))
        } catch {
            // Cancelled for a drain (not on request): no outcome, the claim is released.
            if cancellation.isCancelled, isDraining, !(await cancelRequested(claim)) { return nil }
            if error is CancellationError { return .cancelled }
            return .failed(TaskFailure((error as? any CodedError) ?? GeneralError.unexpected("\(error)")))
        }
    }

    private func cancelRequested(_ claim: TaskClaim) async -> Bool {
        (try? await queue.task(claim.task.id))?.cancelRequested ?? false
    }

    /// Renews the lease every ``Configuration/renewal``; a cancellation asked for, or a lost claim, cancels the operation.
    private func keepLease(_ claim: TaskClaim, cancellation: Cancellation) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(configuration.renewal))
            guard !Task.isCancelled else { return }
            do {
                if try await queue.renew(claim, lease: configuration.lease, at: clock()) { cancellation.cancel() }
            } catch let error as TaskError {
                logger.error("task.claim-lost", metadata: ["task": .string(claim.task.id), "reason": .string(error.description)])
                cancellation.cancel()
                return
            } catch {
                logger.warning("task.renew-failed", metadata: ["task": .string(claim.task.id), "reason": .string("\(error)")])
            }
        }
    }

    /// Every lease period, recovers tasks whose lease expired (their process died and its replica did not come back).
    private func recoverExpiredLeases() async {
        while !Task.isCancelled && !isDraining {
            try? await Task.sleep(for: .seconds(configuration.lease))
            guard !Task.isCancelled, !isDraining else { return }
            do {
                // No replica is named "" (see init): this recovers expired leases only.
                let recovered = try await queue.recover(replica: "", at: clock())
                for recovery in recovered { log(recovery) }
                state.withLock { $0.recoveries += recovered }
            } catch {
                logger.warning("tasks.recovery-failed", metadata: ["reason": .string("\(error)")])
            }
        }
    }

    private func log(_ recovery: TaskRecovery) {
        switch recovery.resolution {
        case .requeued:
            logger.warning("task.requeued", metadata: ["task": .string(recovery.taskID), "attempt": .stringConvertible(recovery.attempt)])
        case .failed(let reason):
            logger.warning("task.interrupted", metadata: ["task": .string(recovery.taskID), "reason": .string(reason)])
        }
    }
}

/// Persists a task's progress events in order, one writer per task; transfer byte counts are thinned to one per
/// transfer per interval (and the last one), stages and items all kept.
final class ProgressRecorder: Sendable {
    private let continuation: AsyncStream<String>.Continuation
    private let writer: Task<Void, Never>
    private let interval: TimeInterval
    private let clock: @Sendable () -> Date
    private let lastTransfer = Mutex<[String: Date]>([:])

    init(queue: any TaskQueue, claim: TaskClaim, interval: TimeInterval, clock: @escaping @Sendable () -> Date, logger: Logger) {
        let (stream, continuation) = AsyncStream<String>.makeStream()
        self.continuation = continuation
        self.interval = interval
        self.clock = clock
        writer = Task {
            for await data in stream {
                do {
                    _ = try await queue.recordProgress(data, for: claim, at: clock())
                } catch {
                    logger.warning("task.progress-lost", metadata: ["task": .string(claim.task.id), "reason": .string("\(error)")])
                }
            }
        }
    }

    func record(_ event: ProgressSink.Event) {
        switch event {
        case .stage(let name):
            continuation.yield(Self.json(ProgressData(stage: name)))
        case .transfer(let label, let done, let total):
            let now = clock()
            let due = lastTransfer.withLock { last in
                guard done == total || last[label].map({ now.timeIntervalSince($0) >= interval }) ?? true else { return false }
                last[label] = now
                return true
            }
            if due { continuation.yield(Self.json(ProgressData(transfer: .init(label: label, done: done, total: total)))) }
        }
    }

    /// An item the operation produced (its JSON), as `{"item": …}`.
    func record(item: [UInt8]) {
        continuation.yield("{\"item\":" + String(decoding: item, as: UTF8.self) + "}")
    }

    /// Waits until every event recorded so far is written.
    func finish() async {
        continuation.finish()
        await writer.value
    }

    private struct ProgressData: Encodable {
        struct Transfer: Encodable {
            let label: String
            let done: Int64
            let total: Int64?
        }
        var stage: String?
        var transfer: Transfer?
    }

    private static func json(_ data: ProgressData) -> String {
        (try? CompactJSONEncoder().encode(data)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
