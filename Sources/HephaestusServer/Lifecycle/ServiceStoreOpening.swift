import Foundation
import HephaestusCore
import HephaestusOperations
import HephaestusService
import Logging
import ServiceLifecycle

/// Opens the service store `--store` names (the default location of `environment` when nil).
enum ServiceStoreOpening {
    static func open(_ location: String?, environment: [String: String], logger: Logger) async throws -> ServiceStore {
        let resolved = try StoreLocation.resolve(location, environment: environment)
        let store = try ServiceStore.open(resolved)
        logger.info("serve.store", metadata: ["store": .string(resolved.description)])
        return store
    }
}

/// The task workers (the service core's pool) as a service of the group: on graceful shutdown they stop claiming,
/// give running tasks the drain grace, then cancel and release them (requeued, or failed as interrupted).
struct ServiceWorkers: Service {
    let pool: TaskWorkerPool
    /// The replica name, taken when the service is set up: a second process with the name fails before it listens.
    let replicaHold: any ReplicaHold

    init(
        store: ServiceStore, replica: String, workers: Int, environment: [String: String], logger: Logger,
        instrumentation: any Instrumentation = NoInstrumentation()
    ) throws {
        replicaHold = try store.tasks.holdReplica(replica)
        pool = try TaskWorkerPool(
            queue: store.tasks, configuration: .init(replica: replica, workers: workers),
            operations: OperationRegistry.operation(named:), logger: logger
        ) { task, progress, cancellation in
            OperationContext(
                runID: RunID.generate(), logger: logger, environment: environment, progress: progress, cancellation: cancellation,
                instrumentation: instrumentation, serviceStore: store)
        }
    }

    func run() async throws {
        let pool = self.pool
        let hold = replicaHold
        try await withGracefulShutdownHandler {
            try await pool.run(holding: hold)
        } onGracefulShutdown: {
            pool.drain()
        }
    }
}
