import Foundation
import HephaestusCore
import HephaestusPlatform
import HephaestusService

/// `tasks.work`: a worker replica without HTTP — runs the store's queued tasks with a bounded pool until stopped
/// (SIGTERM or SIGINT drain it), or until nothing is queued or running with `untilIdle`. Start-up recovers the tasks
/// this replica's previous process left running. Not served over the network (no role may run it there).
public enum TasksWorkOperation: HephaestusCore.Operation {
    public struct Request: Codable, Sendable, Equatable {
        public var store: String?
        /// This process's replica name (default: the host name), unique among the processes sharing the store.
        public var replica: String?
        /// Tasks run at once (default 2).
        public var workers: Int?
        /// Stop once no task is queued and none runs here.
        public var untilIdle: Bool?

        public init(store: String? = nil, replica: String? = nil, workers: Int? = nil, untilIdle: Bool? = nil) {
            self.store = store
            self.replica = replica
            self.workers = workers
            self.untilIdle = untilIdle
        }
    }

    /// What the worker did until it stopped.
    public struct Report: OperationReport, Equatable {
        public let replica: String
        /// Interrupted tasks found at start-up (and leases that expired since): queued again or failed.
        public let recovered: [Recovered]
        public let succeeded: Int
        public let failed: Int
        public let cancelled: Int

        public struct Recovered: Codable, Sendable, Equatable {
            public let task: String
            public let attempt: Int
            public let runner: String?
            /// `requeued` or `failed`.
            public let resolution: String
            public let reason: String?
        }
    }

    public static let descriptor = OperationDescriptor(
        name: "tasks.work", command: "tasks work",
        summary: "Run the service store's queued tasks with a bounded pool of workers until stopped (a worker replica without HTTP).",
        reportMediaType: "application/vnd.hephaestus.tasks-work+json;version=1", effect: .idempotent,
        errorCodes: [
            ServiceStoreError.Code.missing.rawValue, ServiceStoreError.Code.unavailable.rawValue, ServiceStoreError.Code.unsupported.rawValue,
            ServiceStoreError.Code.replicaInUse.rawValue,
        ],
        longRunning: true)

    public static func run(_ request: Request, in context: OperationContext, emit: ItemSink<Never>) async throws -> Report {
        let replica = request.replica ?? TaskWorkerPool.Configuration.defaultReplica
        let store = try ServiceStore.forOperation(request.store, in: context, mustExist: true)
        let network = context.network.settings
        let pool = try TaskWorkerPool(
            queue: store.tasks, configuration: .init(replica: replica, workers: request.workers ?? 2),
            operations: OperationRegistry.operation(named:),
            logger: context.logger, clock: context.clock
        ) { task, progress, cancellation in
            var logger = context.logger
            logger[metadataKey: "task"] = .string(task.id)
            return OperationContext(
                runID: RunID(task.id), logger: logger, clock: context.clock, environment: context.environment,
                network: NetworkAccess(settings: network, logger: logger), progress: progress, cancellation: cancellation,
                instrumentation: context.instrumentation, serviceStore: store)
        }
        let running = Task { try await pool.run() }
        while !context.cancellation.isCancelled {
            try? await Task.sleep(for: .milliseconds(100))
            if request.untilIdle == true, pool.runningTasks.isEmpty,
                try await store.tasks.tasks(matching: TaskFilter(status: .queued, limit: 1)).isEmpty,
                pool.runningTasks.isEmpty
            {
                break
            }
        }
        pool.drain()
        try await running.value
        let finished = pool.finished
        return Report(
            replica: replica,
            recovered: pool.recoveries.map { recovery in
                switch recovery.resolution {
                case .requeued:
                    Report.Recovered(task: recovery.taskID, attempt: recovery.attempt, runner: recovery.runner, resolution: "requeued", reason: nil)
                case .failed(let reason):
                    Report.Recovered(task: recovery.taskID, attempt: recovery.attempt, runner: recovery.runner, resolution: "failed", reason: reason)
                }
            }, succeeded: finished[.succeeded] ?? 0, failed: finished[.failed] ?? 0, cancelled: finished[.cancelled] ?? 0)
    }
}
