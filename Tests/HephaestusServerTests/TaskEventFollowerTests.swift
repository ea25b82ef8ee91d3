import Foundation
import HephaestusCore
import HephaestusService
import HephaestusTestSupport
import Synchronization
import Testing

@testable import HephaestusServer

/// ``TaskEventFollower``: a task's events read a page at a time as they are consumed, ending at the terminal event, and
/// with ``ServiceLimitError/draining`` when the service drains before the task ends.
@Suite("task events: following a task")
struct TaskEventFollowerTests {
    static let epoch = Date(timeIntervalSince1970: 1_800_000_000)

    /// A store with one running task and `progress` events after its `queued` and `started` ones.
    static func runningTask(progress: Int) async throws -> (TemporaryDirectory, ServiceStore, TaskClaim) {
        let directory = try TemporaryDirectory(prefix: "task-follower")
        let store = try ServiceStore.open(.sqlite(path: directory.file("service.sqlite")))
        let submission = TaskSubmission(operation: "inventory.scan", request: "{}", account: "ci", interruption: .rerun)
        _ = try await store.tasks.enqueue(submission, at: epoch)
        let claim = try #require(try await store.tasks.claim(by: RunnerID(replica: "r", worker: 0), lease: 600, at: epoch))
        for index in 0..<progress { _ = try await store.tasks.recordProgress(#"{"item":\#(index)}"#, for: claim, at: epoch) }
        return (directory, store, claim)
    }

    @Test("every event in order, read a page at a time and never further ahead of the reader, ending after the terminal one")
    func pages() async throws {
        let (directory, store, claim) = try await Self.runningTask(progress: 250)
        _ = directory
        _ = try await store.tasks.complete(claim, with: .finished(report: "{}", failure: nil), at: Self.epoch)
        let counting = CountingEvents(base: store.tasks)
        let follower = TaskService(queue: counting).follow(claim.task.id, after: nil)
        var iterator = follower.makeAsyncIterator()
        var seen: [TaskEvent] = []
        for _ in 0..<5 { seen.append(try #require(try await iterator.next())) }
        #expect(counting.read == TaskEventFollower.pageSize, "one page read for the first five events")
        while let event = try await iterator.next() {
            seen.append(event)
            #expect(counting.read <= seen.count + TaskEventFollower.pageSize)
        }
        #expect(seen.map(\.id) == Array(1...253))
        #expect(seen.last?.type == .succeeded)
        // Resumed after the terminal event: it ends at once.
        var resumed = TaskService(queue: store.tasks).follow(claim.task.id, after: 253).makeAsyncIterator()
        #expect(try await resumed.next() == nil)
    }

    @Test("a task that finishes between the follower's read of its events and of its status: its terminal event is still given")
    func finishesBetweenReads() async throws {
        let (directory, store, claim) = try await Self.runningTask(progress: 0)
        _ = directory
        let queue = CountingEvents(base: store.tasks) {
            if try await store.tasks.task(claim.task.id)?.status == .running {
                _ = try await store.tasks.complete(claim, with: .finished(report: "{}", failure: nil), at: Self.epoch)
            }
        }
        var seen: [TaskEventType] = []
        for try await event in TaskService(queue: queue, pollInterval: .milliseconds(1)).follow(claim.task.id, after: nil) {
            seen.append(event.type)
        }
        #expect(seen == [.queued, .started, .succeeded])
    }

    @Test("a task still running when the service drains: the follower ends with service.draining after the events so far")
    func draining() async throws {
        let (directory, store, claim) = try await Self.runningTask(progress: 3)
        _ = directory
        let draining = Atomic<Bool>(false)
        let tasks = TaskService(queue: store.tasks, pollInterval: .milliseconds(1), isDraining: { draining.load(ordering: .relaxed) })
        var iterator = tasks.follow(claim.task.id, after: nil).makeAsyncIterator()
        for id in 1...5 { #expect(try await iterator.next()?.id == Int64(id)) }
        draining.store(true, ordering: .relaxed)
        await #expect(throws: ServiceLimitError.draining) { _ = try await iterator.next() }
        // Without a drain, the same follower waits for the task's next event.
        let waiting = TaskService(queue: store.tasks, pollInterval: .milliseconds(1))
        var next = waiting.follow(claim.task.id, after: 5).makeAsyncIterator()
        _ = try await store.tasks.recordProgress(#"{"item":3}"#, for: claim, at: Self.epoch)
        #expect(try await next.next()?.id == 6)
    }
}

/// A task queue that counts the events it hands out, and runs `beforeTaskRead` before each status read.
final class CountingEvents: TaskQueue {
    let base: any TaskQueue
    private let count = Mutex(0)
    var read: Int { count.withLock { $0 } }
    let beforeTaskRead: @Sendable () async throws -> Void

    init(base: any TaskQueue, beforeTaskRead: @escaping @Sendable () async throws -> Void = {}) {
        self.base = base
        self.beforeTaskRead = beforeTaskRead
    }

    func events(of id: String, after: Int64?, limit: Int?) async throws -> [TaskEvent] {
        let events = try await base.events(of: id, after: after, limit: limit)
        count.withLock { $0 += events.count }
        return events
    }

    func enqueue(_ submission: TaskSubmission, at time: Date) async throws -> TaskRecord { try await base.enqueue(submission, at: time) }
    func claim(by runner: RunnerID, lease: TimeInterval, at time: Date) async throws -> TaskClaim? {
        try await base.claim(by: runner, lease: lease, at: time)
    }
    func renew(_ claim: TaskClaim, lease: TimeInterval, at time: Date) async throws -> Bool { try await base.renew(claim, lease: lease, at: time) }
    func recordProgress(_ data: String, for claim: TaskClaim, at time: Date) async throws -> TaskEvent {
        try await base.recordProgress(data, for: claim, at: time)
    }
    func complete(_ claim: TaskClaim, with completion: TaskCompletion, at time: Date) async throws -> TaskRecord {
        try await base.complete(claim, with: completion, at: time)
    }
    func release(_ claim: TaskClaim, reason: String, at time: Date) async throws -> TaskRecovery {
        try await base.release(claim, reason: reason, at: time)
    }
    func task(_ id: String) async throws -> TaskRecord? {
        try await beforeTaskRead()
        return try await base.task(id)
    }
    func tasks(matching filter: TaskFilter) async throws -> [TaskRecord] { try await base.tasks(matching: filter) }
    func cancel(_ id: String, at time: Date) async throws -> TaskRecord { try await base.cancel(id, at: time) }
    func recover(replica: String, at time: Date) async throws -> [TaskRecovery] { try await base.recover(replica: replica, at: time) }
    func holdReplica(_ name: String) throws -> any ReplicaHold { try base.holdReplica(name) }
}
