import Foundation
import HephaestusCore
import HephaestusOperations
import HephaestusPlatform
import HephaestusService
import SwiftProtobuf

/// The task routes' work, for REST and gRPC alike: start, read, cancel, and follow a task's events (resuming after
/// an event id) from the store's queue, which the worker pool drains.
public struct TaskService: Sendable {
    public let queue: any TaskQueue
    let clock: @Sendable () -> Date
    /// How often a follower looks for new events while the task runs (``TaskEventFollower``).
    let pollInterval: Duration
    /// The service's trust, put into every task's request (``ServiceTrust``).
    let choices: ServiceChoices
    /// Whether the service drains: followers of unfinished tasks end then (``TaskEventFollower``).
    let isDraining: @Sendable () -> Bool

    public init(
        queue: any TaskQueue, choices: ServiceChoices = ServiceChoices(), clock: @escaping @Sendable () -> Date = Date.init,
        pollInterval: Duration = .milliseconds(100), isDraining: @escaping @Sendable () -> Bool = { false }
    ) {
        self.queue = queue
        self.choices = choices
        self.clock = clock
        self.pollInterval = pollInterval
        self.isDraining = isDraining
    }

    /// The registered operation a start request names (unknown: a bad request).
    public static func descriptor(of operation: String) throws(RequestError) -> OperationDescriptor {
        guard let found = OperationRegistry.operation(named: operation) else {
            throw RequestError("no operation \(operation) (GET /v1/operations lists them)")
        }
        return found.descriptor
    }

    public func start(_ descriptor: OperationDescriptor, request: Google_Protobuf_Struct?, account: String) async throws -> TaskRecord {
        let requestJSON = try ServiceTrust.apply(
            choices, to: try request.map { try $0.jsonUTF8Bytes() as [UInt8] } ?? Array("{}".utf8), operation: descriptor.name)
        let requestText = String(decoding: requestJSON, as: UTF8.self)
        let submission = try TaskSubmission(descriptor, request: requestText, account: account, traceparent: TraceParent.current)
        return try await queue.enqueue(submission, at: clock())
    }

    public func task(_ id: String) async throws -> TaskRecord {
        guard let task = try await queue.task(id) else { throw ServiceStoreError.taskNotFound(id) }
        return task
    }

    public func cancel(_ id: String) async throws -> TaskRecord {
        try await queue.cancel(id, at: clock())
    }

    /// The task's events after `after` (nil: from the first), as they are written, ending after the terminal event.
    public func follow(_ id: String, after: Int64?) -> TaskEventFollower {
        TaskEventFollower(queue: queue, id: id, after: after, pollInterval: pollInterval, isDraining: isDraining)
    }
}

/// A task's events after an id, read from the store as the follower consumes them: a page at a time and never ahead of
/// it, so a follower that does not read holds one page, not the task's whole log. It ends after the terminal event;
/// while the task is not finished, it throws ``ServiceLimitError/draining`` once the service drains (the follower
/// resumes after its last event id, from another replica or the restarted service), so that no follower holds a
/// draining service open.
public struct TaskEventFollower: AsyncSequence, Sendable {
    public typealias Element = TaskEvent

    let queue: any TaskQueue
    let id: String
    let after: Int64?
    /// How often it looks for new events while the task runs (the store is shared by replicas, so a follower cannot
    /// rely on this process's workers to notify it).
    let pollInterval: Duration
    let isDraining: @Sendable () -> Bool

    /// Events read from the store at once.
    static let pageSize = 100

    public func makeAsyncIterator() -> Iterator { Iterator(follower: self, last: after) }

    public struct Iterator: AsyncIteratorProtocol {
        let follower: TaskEventFollower
        var last: Int64?
        var page: ArraySlice<TaskEvent> = []
        var ended = false

        public mutating func next() async throws -> TaskEvent? {
            while !ended {
                if let event = page.popFirst() {
                    last = event.id
                    ended = event.type.isTerminal
                    return event
                }
                page = try await nextPage()
                guard page.isEmpty else { continue }
                if let task = try await follower.queue.task(follower.id), task.status.isTerminal {
                    // It finished after the read above: its terminal event, written with its status, is there now
                    // (none: this follower resumed after it, and nothing more will come).
                    page = try await nextPage()
                    if page.isEmpty { return nil }
                    continue
                }
                if follower.isDraining() { throw ServiceLimitError.draining }
                try await Task.sleep(for: follower.pollInterval)
            }
            return nil
        }

        private func nextPage() async throws -> ArraySlice<TaskEvent> {
            try await follower.queue.events(of: follower.id, after: last, limit: TaskEventFollower.pageSize)[...]
        }
    }
}

/// Tasks and events as the gRPC messages (whose proto3 JSON mapping is the REST body).
enum TaskMessages {
    static func message(_ task: TaskRecord) throws -> Hephaestus_V1_Task {
        var message = Hephaestus_V1_Task()
        message.id = task.id
        message.operation = task.operation
        message.status = task.status.rawValue
        message.account = task.account
        message.runner = task.runner ?? ""
        message.attempts = Int32(clamping: task.attempts)
        message.created = RFC3339.string(task.createdAt)
        message.updated = RFC3339.string(task.updatedAt)
        if let report = task.report {
            message.report = try Google_Protobuf_Struct(jsonUTF8Bytes: Array(report.utf8))
        }
        if let failure = task.failure {
            message.error = Hephaestus_V1_Error.with {
                $0.code = failure.code
                $0.message = failure.message
            }
        }
        return message
    }

    static func message(_ event: TaskEvent) throws -> Hephaestus_V1_TaskEvent {
        var message = Hephaestus_V1_TaskEvent()
        message.id = event.id
        message.taskID = event.taskID
        message.type = event.type.rawValue
        message.time = RFC3339.string(event.time)
        message.data = try Google_Protobuf_Struct(jsonUTF8Bytes: Array(event.data.utf8))
        return message
    }

    /// The proto3 JSON text of a message (what REST bodies and SSE `data:` lines carry).
    static func json(_ message: some SwiftProtobuf.Message) throws -> [UInt8] {
        var options = JSONEncodingOptions()
        options.preserveProtoFieldNames = false
        return try message.jsonUTF8Bytes(options: options)
    }
}
