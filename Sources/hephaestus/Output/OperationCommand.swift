import ArgumentParser
import Foundation
import HephaestusCore
import HephaestusPlatform

/// A command that is a thin adapter over one registered operation: it turns its options into the operation's request,
/// runs the operation, and renders each item and the report. The order of the work is the operation's alone.
protocol OperationCommand: HephaestusCommand, Sendable {
    associatedtype Performed: HephaestusCore.Operation

    /// The request the options describe.
    func request(_ context: CommandContext) throws -> Performed.Request

    /// The HTTP settings of the command's network options (nil: it uses no network).
    var httpSettings: HTTPSettings? { get }

    /// Prints one item as the operation produces it (default: nothing).
    func render(item: Performed.Item, _ context: CommandContext)

    /// Prints the report (stdout: a JSON document with `--json`, human lines otherwise).
    func render(report: Performed.Report, _ context: CommandContext) throws

    /// The event name under which a negative verdict is logged (default `run.failed`).
    var failureEvent: String { get }
}

extension OperationCommand {
    var httpSettings: HTTPSettings? { nil }
    var failureEvent: String { "run.failed" }
    func render(item: Performed.Item, _ context: CommandContext) {}

    func execute(_ context: CommandContext) async throws {
        let request = try request(context)
        let operationContext = context.operationContext(http: httpSettings)
        let report = try await Performed.run(request, in: operationContext, emit: ItemSink { item in render(item: item, context) })
        try render(report: report, context)
        if let failure = report.failure {
            context.stdout.flush()
            throw CommandFailure(event: failureEvent, error: failure)
        }
    }

    /// The report as the `--json` document: its media type, the run id and the report's fields.
    func printJSON(_ report: Performed.Report, _ context: CommandContext) throws {
        context.stdout.line(try ResultDocument(mediaType: Performed.descriptor.reportMediaType, runID: context.runID, payload: report).jsonText())
    }
}

/// A negative verdict to report under a command's own event name.
struct CommandFailure: Error {
    let event: String
    let error: any CodedError
}
