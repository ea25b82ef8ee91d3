import ArgumentParser
import Foundation
import HephaestusCore
import HephaestusOperations

extension Hephaestus {
    /// `hephaestus tasks`.
    struct Tasks: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "tasks", abstract: "Run the service's queued long-running tasks (see docs/service.md).", subcommands: [TasksWork.self])
    }

    /// `hephaestus tasks work`.
    struct TasksWork: OperationCommand {
        typealias Performed = TasksWorkOperation

        static let configuration = CommandConfiguration(
            commandName: "work", abstract: "Run queued tasks from the store with a bounded pool of workers, without serving HTTP.",
            discussion: withExitStatuses(
                """
                At start, tasks this replica's previous process left running are recovered: read-only and idempotent ones are \
                queued again, destructive ones failed as interrupted (never run twice). SIGTERM or SIGINT drains: no new \
                tasks, running ones get 20 s, then are given back to the queue.
                """))

        @OptionGroup(title: "Global options")
        var global: GlobalOptions

        @OptionGroup(title: "Store")
        var store: StoreOptions

        @Option(help: ArgumentHelp("This process's replica name, unique among those sharing the store (default: the host name).", valueName: "NAME"))
        var replica: String?

        @Option(help: ArgumentHelp("Tasks run at once (default 2).", valueName: "N"))
        var workers: Int?

        @Flag(help: "Stop once no task is queued and none runs here.")
        var untilIdle = false

        @OptionGroup(title: "Network")
        var network: NetworkOptions

        @Flag(help: "Print one JSON document on stdout.")
        var json = false

        var httpSettings: HTTPSettings? { network.http.settings }
        var cancelsOnTermination: Bool { true }

        func request(_ context: CommandContext) throws -> TasksWorkOperation.Request {
            TasksWorkOperation.Request(store: store.store, replica: replica, workers: workers, untilIdle: untilIdle)
        }

        func render(report: TasksWorkOperation.Report, _ context: CommandContext) throws {
            if json {
                try printJSON(report, context)
                return
            }
            for recovered in report.recovered {
                context.stdout.line(
                    "recovered \(recovered.task) (attempt \(recovered.attempt)): \(recovered.resolution)" + (recovered.reason.map { ": \($0)" } ?? "")
                )
            }
            context.stdout.line(
                "replica \(report.replica): \(report.succeeded) succeeded, \(report.failed) failed, \(report.cancelled) cancelled")
        }
    }
}
