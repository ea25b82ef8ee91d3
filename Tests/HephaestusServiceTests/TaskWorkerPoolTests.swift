import Foundation
import HephaestusCore
import HephaestusOperations
import HephaestusPlatform
import HephaestusTestSupport
import Logging
import Synchronization
import Testing

@testable import HephaestusService

/// An operation that reports a stage, then waits until its run is cancelled (or 30 s pass, as a guard).
enum WaitingOperation: HephaestusCore.Operation {
    struct Request: Codable, Sendable {}
    struct Report: OperationReport {}

    static let descriptor = OperationDescriptor(
        name: "test.wait", command: "test wait", summary: "", reportMediaType: "x", effect: .idempotent, errorCodes: [], longRunning: true)

    static func run(_ request: Request, in context: OperationContext, emit: ItemSink<Never>) async throws -> Report {
        context.progress.send(.stage("waiting"))
        for _ in 0..<3000 {
            try context.checkCancellation()
            try await Task.sleep(for: .milliseconds(10))
        }
        return Report()
    }
}

@Suite("Task worker pool", .serialized)
struct TaskWorkerPoolTests {
    static func lookup(_ name: String) -> (any HephaestusCore.Operation.Type)? {
        name == WaitingOperation.descriptor.name ? WaitingOperation.self : OperationRegistry.operation(named: name)
    }

    /// The lease is long enough that a busy machine (the whole suite on two cores, where the cooperative threads can be
    /// held for many seconds) never lets a live task's lease expire; renewals come often, so a cancellation asked through
    /// the store is seen within a fraction of a second.
    static func pool(_ store: ServiceStore, replica: String = "r1", workers: Int = 2, drainGrace: TimeInterval = 20) throws -> TaskWorkerPool {
        try TaskWorkerPool(
            queue: store.tasks,
            configuration: .init(replica: replica, workers: workers, lease: 120, renewal: 0.25, pollInterval: 0.05, drainGrace: drainGrace),
            operations: lookup(_:), logger: Logger(label: "test")
        ) { task, progress, cancellation in
            OperationContext(
                runID: RunID(task.id), logger: Logger(label: "test"), progress: progress, cancellation: cancellation, serviceStore: store)
        }
    }

    static func waitFor(_ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(60)
        while try await !condition() {
            guard Date() < deadline else {
                Issue.record("timed out waiting for \(what)")
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    @Test("Runs a registered operation from its JSON request: items become progress events, the report is kept")
    func runsOperation() async throws {
        let fixture = try StoreKind.sqlite.make()
        let store = fixture.first
        let file = try fixture.directory.write("a.txt", "abc")
        let task = try await store.tasks.enqueue(
            TaskSubmission(operation: "digest.files", request: #"{"files":["\#(file)"]}"#, account: "ci", interruption: .rerun), at: Date())
        let missing = try await store.tasks.enqueue(
            TaskSubmission(operation: "digest.files", request: #"{"files":[]}"#, account: "ci", interruption: .rerun), at: Date())
        let unknown = try await store.tasks.enqueue(
            TaskSubmission(operation: "no.such", request: "{}", account: "ci", interruption: .rerun), at: Date())
        let pool = try Self.pool(store)
        let running = Task { try await pool.run() }
        try await Self.waitFor("three tasks done") {
            try await store.tasks.tasks(matching: TaskFilter()).allSatisfy(\.status.isTerminal)
        }
        pool.drain()
        try await running.value

        let done = try #require(try await store.tasks.task(task.id))
        #expect(done.status == .succeeded)
        #expect(done.attempts == 1)
        let report = try #require(done.report)
        #expect(report.contains("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"))
        #expect(report.contains("\"runId\" : \"\(task.id)\""))
        let events = try await store.tasks.events(of: task.id, after: nil)
        #expect(events.map(\.type) == [.queued, .started, .progress, .succeeded])
        #expect(events[2].data.hasPrefix("{\"item\":{"))
        #expect(events[2].data.contains("ba7816bf"))

        let refused = try #require(try await store.tasks.task(missing.id))
        #expect(refused.status == .failed)
        #expect(refused.failure?.code == "usage.invalid-argument")
        let failed = try #require(try await store.tasks.task(unknown.id))
        #expect(failed.failure?.code == "task.not-taskable")
        #expect(pool.finished == [.succeeded: 1, .failed: 2])
    }

    @Test("A cancellation asked through the store stops the running operation at its lease renewal: cancelled, once")
    func cancelsRunningTask() async throws {
        let fixture = try StoreKind.sqlite.make()  // kept: its directory holds the store (and the replica's lock file)
        let store = fixture.first
        let task = try await store.tasks.enqueue(
            TaskSubmission(operation: "test.wait", request: "{}", account: "ci", interruption: .rerun), at: Date())
        let pool = try Self.pool(store)
        let running = Task { try await pool.run() }
        try await Self.waitFor("the stage event") { try await store.tasks.events(of: task.id, after: nil).contains { $0.type == .progress } }
        #expect(pool.runningTasks == [task.id])
        _ = try await store.tasks.cancel(task.id, at: Date())
        try await Self.waitFor("the task cancelled") { try await store.tasks.task(task.id)?.status == .cancelled }
        pool.drain()
        try await running.value
        let events = try await store.tasks.events(of: task.id, after: nil)
        #expect(events.map(\.type) == [.queued, .started, .progress, .cancelled])
        #expect(events[2].data == #"{"stage":"waiting"}"#)
    }

    @Test("Draining gives a running task back to the queue after the grace; another replica runs it as the next attempt")
    func drainReleases() async throws {
        let fixture = try StoreKind.sqlite.make()  // kept: its directory holds the store (and the replica's lock file)
        let store = fixture.first
        let task = try await store.tasks.enqueue(
            TaskSubmission(operation: "test.wait", request: "{}", account: "ci", interruption: .rerun), at: Date())
        let pool = try Self.pool(store, drainGrace: 0)
        let running = Task { try await pool.run() }
        try await Self.waitFor("the task running") { try await store.tasks.task(task.id)?.status == .running }
        running.cancel()
        try await running.value
        let released = try #require(try await store.tasks.task(task.id))
        #expect(released.status == .queued)
        #expect(released.attempts == 1)
        let events = try await store.tasks.events(of: task.id, after: nil)
        #expect(events.map(\.type) == [.queued, .started, .progress, .queued])
        #expect(events.last?.data.contains("was stopped by a draining process") == true)
        // Another replica runs it as attempt 2.
        let next = try #require(try await store.tasks.claim(by: RunnerID(replica: "r2", worker: 0), lease: 30, at: Date()))
        #expect(next.attempt == 2)
    }

    @Test("Start-up recovers this replica's interrupted tasks; the pool's settings are checked")
    func startupRecovery() async throws {
        let fixture = try StoreKind.sqlite.make()  // kept: its directory holds the store (and the replica's lock file)
        let store = fixture.first
        let task = try await store.tasks.enqueue(
            TaskSubmission(operation: "digest.files", request: #"{"files":["/nonexistent"]}"#, account: "ci", interruption: .fail), at: Date())
        _ = try #require(try await store.tasks.claim(by: RunnerID(replica: "r1", worker: 0), lease: 30, at: Date()))
        let pool = try Self.pool(store)
        let running = Task { try await pool.run() }
        try await Self.waitFor("the recovery") { try await store.tasks.task(task.id)?.status == .failed }
        pool.drain()
        try await running.value
        #expect(pool.recoveries.map(\.taskID) == [task.id])
        #expect(try await store.tasks.task(task.id)?.failure?.code == "task.interrupted")
        #expect(throws: RequestError.self) { try Self.pool(store, workers: 0) }
        #expect(throws: RequestError.self) { try Self.pool(store, replica: "") }
    }
}

@Suite("tasks.work operation")
struct TasksWorkOperationTests {
    @Test("Until idle: recovers, runs what is queued, reports what it did; a cancelled run drains")
    func untilIdle() async throws {
        let fixture = try StoreKind.sqlite.make()
        let store = fixture.first
        let file = try fixture.directory.write("b.txt", "abc")
        let stranded = try await store.tasks.enqueue(
            TaskSubmission(operation: "backfill.run", request: "{}", account: "ci", interruption: .fail), at: Date())
        _ = try #require(try await store.tasks.claim(by: RunnerID(replica: "w1", worker: 0), lease: 30, at: Date()))
        let queued = try await store.tasks.enqueue(
            TaskSubmission(operation: "digest.files", request: #"{"files":["\#(file)"]}"#, account: "ci", interruption: .rerun), at: Date())
        let context = OperationContext(logger: Logger(label: "test"), environment: ["HOME": fixture.directory.path])
        let report = try await TasksWorkOperation.run(
            .init(store: "sqlite:" + (fixture.path ?? ""), replica: "w1", workers: 1, untilIdle: true), in: context)
        #expect(report.replica == "w1")
        #expect(report.recovered.map(\.task) == [stranded.id])
        #expect(report.recovered.first?.resolution == "failed")
        #expect(report.succeeded == 1)
        #expect(try await store.tasks.task(queued.id)?.status == .succeeded)

        // Not until idle: runs until its context is cancelled (SIGTERM on the command line), then drains.
        let cancelling = OperationContext(logger: Logger(label: "test"), environment: ["HOME": fixture.directory.path])
        let running = Task {
            try await TasksWorkOperation.run(.init(store: "sqlite:" + (fixture.path ?? ""), replica: "w2"), in: cancelling)
        }
        cancelling.cancellation.cancel()
        let stopped = try await running.value
        #expect(stopped.succeeded == 0)
        #expect(stopped.recovered.isEmpty)
    }
}
