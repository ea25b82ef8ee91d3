import Foundation
import HephaestusCore
import HephaestusPlatform

/// A task's state: `queued` → `running` → exactly one of `succeeded`, `failed`, `cancelled` (a running task whose
/// process died goes back to `queued` when it may run again, see ``TaskQueue/recover(replica:at:)``).
public enum TaskStatus: String, Codable, Sendable, CaseIterable {
    case queued, running, succeeded, failed, cancelled

    public var isTerminal: Bool { self == .succeeded || self == .failed || self == .cancelled }
}

/// What may happen to a task whose process died while running it.
public enum InterruptionPolicy: String, Codable, Sendable {
    /// Run it again (attempts + 1): its operation is read-only or idempotent, so running it twice changes nothing more.
    case rerun
    /// Fail it with `task.interrupted`: its operation is destructive, and whether the interrupted attempt did its work
    /// is unknown — never run twice.
    case fail

    /// The policy an operation's effect calls for.
    public init(_ effect: OperationEffect) {
        self = effect == .destructive ? .fail : .rerun
    }
}

/// Which worker of which process runs a task: `replica/worker` (`api-0/2`). The replica name must be unique among the
/// processes sharing a store (a host name, a pod name): at start, a replica recovers the tasks its previous
/// incarnation left running.
public struct RunnerID: Codable, Sendable, Hashable, CustomStringConvertible {
    public let replica: String
    public let worker: Int

    public init(replica: String, worker: Int) {
        self.replica = replica
        self.worker = worker
    }

    public var description: String { "\(replica)/\(worker)" }

    /// `replica/worker` as stored; nil for anything else.
    public init?(_ text: String) {
        guard let slash = text.lastIndex(of: "/"), let worker = Int(text[text.index(after: slash)...]) else { return nil }
        self.init(replica: String(text[..<slash]), worker: worker)
    }
}

/// A task to start: a registered operation, its request as JSON, who asked.
public struct TaskSubmission: Sendable, Equatable {
    public let operation: String
    /// The request, as the JSON text the operation decodes (`Operation.runJSON`).
    public let request: String
    public let account: String
    public let interruption: InterruptionPolicy
    /// The W3C `traceparent` of the request that queued it (nil without tracing): the task's spans continue that trace.
    public let traceparent: String?

    public init(operation: String, request: String, account: String, interruption: InterruptionPolicy, traceparent: String? = nil) {
        self.operation = operation
        self.request = request
        self.account = account
        self.interruption = interruption
        self.traceparent = traceparent
    }

    /// A submission for a registered operation: only long-running operations may be tasks.
    public init(_ descriptor: OperationDescriptor, request: String, account: String, traceparent: String? = nil) throws(TaskError) {
        guard descriptor.longRunning else { throw .notTaskable(operation: descriptor.name, reason: "it is not long-running; call it directly") }
        self.init(
            operation: descriptor.name, request: request, account: account, interruption: InterruptionPolicy(descriptor.effect),
            traceparent: traceparent)
    }
}

/// Why a task failed: an error code and one line.
public struct TaskFailure: Codable, Sendable, Equatable {
    public let code: String
    public let message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public init(_ error: any CodedError) {
        self.init(code: error.code, message: error.description)
    }
}

/// A task as stored (`GET /v1/tasks/{id}`).
public struct TaskRecord: Codable, Sendable, Equatable {
    public let id: String
    public let operation: String
    /// The request, as the JSON text the operation decodes.
    public let request: String
    /// The account that started it (the only one, with admins, that may cancel it).
    public let account: String
    public let status: TaskStatus
    /// Runs started so far (0 while first queued).
    public let attempts: Int
    /// The runner of the latest attempt (nil while never started).
    public let runner: String?
    public let interruption: InterruptionPolicy
    public let createdAt: Date
    public let updatedAt: Date
    /// Whether a cancellation was asked for while it ran (the worker stops it at the next check).
    public let cancelRequested: Bool
    /// The report's result document (JSON text) once `succeeded` — or `failed` with a negative verdict.
    public let report: String?
    /// Why it failed (a thrown error, a negative verdict, an interruption).
    public let failure: TaskFailure?

    public init(
        id: String, operation: String, request: String, account: String, status: TaskStatus, attempts: Int, runner: String?,
        interruption: InterruptionPolicy,
        createdAt: Date, updatedAt: Date, cancelRequested: Bool, report: String?, failure: TaskFailure?
    ) {
        self.id = id
        self.operation = operation
        self.request = request
        self.account = account
        self.status = status
        self.attempts = attempts
        self.runner = runner
        self.interruption = interruption
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.cancelRequested = cancelRequested
        self.report = report
        self.failure = failure
    }
}

/// What a task event is.
public enum TaskEventType: String, Codable, Sendable, CaseIterable {
    case queued, started, progress, succeeded, failed, cancelled

    public var isTerminal: Bool { self == .succeeded || self == .failed || self == .cancelled }
}

/// One event of a task: ids increase by one per task from 1, so a client resumes after the last id it saw
/// (SSE `Last-Event-ID`). Every task has `queued` first and exactly one terminal event last.
public struct TaskEvent: Codable, Sendable, Equatable {
    public let taskID: String
    public let id: Int64
    public let type: TaskEventType
    public let time: Date
    /// A JSON object (text): `{"runner": "api-0/1", "attempt": 1}` for `started`, the progress step for `progress`,
    /// `{"code", "message"}` for `failed`, `{"reason"}` for a `queued` after an interruption.
    public let data: String

    public init(taskID: String, id: Int64, type: TaskEventType, time: Date, data: String) {
        self.taskID = taskID
        self.id = id
        self.type = type
        self.time = time
        self.data = data
    }
}

/// A worker's hold on a running task: the task as claimed, and the attempt that fences later writes (a worker whose
/// task was recovered by another process can no longer record events or a result: ``TaskError/claimLost(task:attempt:)``).
public struct TaskClaim: Sendable, Equatable {
    public let task: TaskRecord
    public let runner: RunnerID
    public let attempt: Int
    /// The `traceparent` it was queued with (``TaskSubmission/traceparent``).
    public let traceparent: String?

    public init(task: TaskRecord, runner: RunnerID, attempt: Int, traceparent: String? = nil) {
        self.task = task
        self.runner = runner
        self.attempt = attempt
        self.traceparent = traceparent
    }
}

/// How an attempt ended.
public enum TaskCompletion: Sendable, Equatable {
    /// The operation returned a report (its result document); `failure` is its negative verdict, if any (the task
    /// is then `failed`, with the report kept).
    case finished(report: String, failure: TaskFailure?)
    /// The operation threw.
    case failed(TaskFailure)
    /// It stopped because a cancellation was asked for.
    case cancelled
}

/// What ``TaskQueue/recover(replica:at:)`` did with one interrupted task.
public struct TaskRecovery: Sendable, Equatable {
    public enum Resolution: Sendable, Equatable {
        /// Queued again to run another attempt.
        case requeued
        /// Failed with `task.interrupted` and this reason.
        case failed(reason: String)
    }

    public let taskID: String
    /// The attempt that was interrupted.
    public let attempt: Int
    public let runner: String?
    public let resolution: Resolution

    public init(taskID: String, attempt: Int, runner: String?, resolution: Resolution) {
        self.taskID = taskID
        self.attempt = attempt
        self.runner = runner
        self.resolution = resolution
    }
}

/// Which tasks to list.
public struct TaskFilter: Sendable, Equatable {
    public var status: TaskStatus?
    public var account: String?
    /// At most this many, the most recent first.
    public var limit: Int

    public init(status: TaskStatus? = nil, account: String? = nil, limit: Int = 100) {
        self.status = status
        self.account = account
        self.limit = limit
    }
}

/// The durable queue of long-running operations, shared by every process and replica of a service.
///
/// **Claims.** ``claim(by:lease:at:)`` moves the oldest queued task to `running` in one transaction that excludes
/// other claimers (SQLite `BEGIN IMMEDIATE`; PostgreSQL `SELECT … FOR UPDATE SKIP LOCKED`): two processes never claim
/// the same task. A claim holds a lease the worker renews (``renew(_:lease:at:)``) while it runs.
///
/// **Fencing.** Events and results are written only while the task is still `running` under the same attempt and
/// runner; otherwise ``TaskError/claimLost(task:attempt:)``.
///
/// **Recovery: never lost, never run twice.** A task is `running` in the store only while some process works on it.
/// When that process dies (kill -9, power loss), ``recover(replica:at:)`` — called by each replica at start, and by
/// any replica from time to time — takes the running tasks of its own replica name (its previous incarnation) and
/// those whose lease expired (of any replica), and for each:
/// - ``InterruptionPolicy/rerun`` (read-only and idempotent operations): back to `queued` with a `queued` event
///   giving the reason; the next claim runs attempt + 1. After ``TaskRules/maxAttempts`` interrupted attempts it fails instead.
/// - ``InterruptionPolicy/fail`` (destructive operations): `failed` with `task.interrupted` naming the runner and
///   attempt; it is not run again, since whether the interrupted attempt did its work is unknown.
/// A destructive task therefore runs at most once; a rerunnable one runs until one attempt completes.
///
/// **Events.** Each task's events have ids 1, 2, 3, … (``events(of:after:limit:)`` resumes after an id); `queued` first, then
/// `started` per attempt, `progress` steps, and exactly one terminal event, written in the same transaction as the
/// terminal status.
public protocol TaskQueue: Sendable {
    /// Stores a queued task (and its `queued` event) and returns it.
    func enqueue(_ submission: TaskSubmission, at time: Date) async throws -> TaskRecord

    /// Claims the oldest queued task for `runner` (attempt + 1, `started` event, lease until `time + lease`); nil
    /// when none is queued.
    func claim(by runner: RunnerID, lease: TimeInterval, at time: Date) async throws -> TaskClaim?

    /// Extends the claim's lease; returns whether a cancellation was asked for. ``TaskError/claimLost(task:attempt:)``
    /// when the claim is gone.
    func renew(_ claim: TaskClaim, lease: TimeInterval, at time: Date) async throws -> Bool

    /// Records a `progress` event (`data`: a JSON object) for the claimed task.
    func recordProgress(_ data: String, for claim: TaskClaim, at time: Date) async throws -> TaskEvent

    /// Ends the claimed attempt: the terminal status and event, in one transaction.
    func complete(_ claim: TaskClaim, with completion: TaskCompletion, at time: Date) async throws -> TaskRecord

    /// Gives a claimed task back without finishing it (a draining process): the same rules as recovery (rerun:
    /// queued again with the attempt counted; fail: `task.interrupted`).
    func release(_ claim: TaskClaim, reason: String, at time: Date) async throws -> TaskRecovery

    func task(_ id: String) async throws -> TaskRecord?

    func tasks(matching filter: TaskFilter) async throws -> [TaskRecord]

    /// The task's events with an id above `after` (nil: from the first), in id order, at most `limit` of them (nil: all).
    /// ``ServiceStoreError/taskNotFound(_:)`` for an unknown task.
    func events(of id: String, after: Int64?, limit: Int?) async throws -> [TaskEvent]

    /// Cancels a task: a queued one at once (`cancelled`), a running one at its worker's next check (the flag is set);
    /// a finished one is returned unchanged.
    func cancel(_ id: String, at time: Date) async throws -> TaskRecord

    /// Resolves the tasks left running by a dead process (see the type's documentation): those of `replica` and those
    /// whose lease expired before `time`. The caller holds `replica` (``holdReplica(_:)``), so no live process runs them.
    func recover(replica: String, at time: Date) async throws -> [TaskRecovery]

    /// Takes the replica name `name` for this process until the hold is released or the process ends, however it ends
    /// (SQLite: a `flock` on a file beside the store; PostgreSQL: a session advisory lock). A replica's running tasks
    /// are recovered as a dead process's only by the process that holds its name, so a second process started with the
    /// same name cannot take over a live one's tasks. ``ServiceStoreError/replicaInUse(_:)`` while another holds it.
    func holdReplica(_ name: String) throws -> any ReplicaHold
}

/// A replica name held by this process (``TaskQueue/holdReplica(_:)``).
public protocol ReplicaHold: Sendable {
    /// Gives the name up (at most once; also when the process ends).
    func release()
}

extension ProcessFileLock: ReplicaHold {}

extension TaskQueue {
    /// All of the task's events with an id above `after` (nil: from the first), in id order.
    public func events(of id: String, after: Int64?) async throws -> [TaskEvent] {
        try await events(of: id, after: after, limit: nil)
    }
}

/// Rules every ``TaskQueue`` implementation follows.
public enum TaskRules {
    /// Interrupted attempts after which a rerunnable task fails instead of running again.
    public static let maxAttempts = 3

    /// What becomes of a running task whose attempt was interrupted (its process died, or released it while
    /// draining).
    public enum Interrupted: Sendable, Equatable {
        /// Queued again; the next claim runs the next attempt.
        case requeue(reason: String)
        /// Failed with `task.interrupted`.
        case fail(TaskFailure)
        /// Cancelled: a cancellation was asked for before it stopped.
        case cancel
    }

    /// The one decision of recovery: a cancellation asked for wins; a destructive task fails (it may have done its
    /// work); a rerunnable one runs again unless it was interrupted ``maxAttempts`` times.
    public static func resolve(
        id: String, interruption: InterruptionPolicy, attempts: Int, runner: String?, cancelRequested: Bool, cause: String
    ) -> Interrupted {
        if cancelRequested { return .cancel }
        let who = "attempt \(attempts) on \(runner ?? "an unknown runner") \(cause)"
        switch interruption {
        case .fail:
            let reason = "\(who); its operation is destructive, so it is not run again (check what it did before retrying by hand)"
            return .fail(TaskFailure(TaskError.interrupted(task: id, reason: reason)))
        case .rerun where attempts >= maxAttempts:
            let reason = "\(who); \(attempts) attempts were interrupted, so it is not run again"
            return .fail(TaskFailure(TaskError.interrupted(task: id, reason: reason)))
        case .rerun:
            return .requeue(reason: "\(who); queued again (its operation may safely run again)")
        }
    }
}
