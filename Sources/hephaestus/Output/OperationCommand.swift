import ArgumentParser
import Dispatch
import Foundation
import Glibc
import HephaestusCore
import HephaestusOperations
import HephaestusPlatform

/// A command that is a thin adapter over one registered operation: it turns its options into the operation's request,
/// runs the operation, and renders each item and the report. The order of the work is the operation's alone.
protocol OperationCommand: HephaestusCommand, OperationAdapter, Sendable {
    associatedtype Performed: HephaestusCore.Operation

    /// The request the options describe.
    func request(_ context: CommandContext) throws -> Performed.Request

    /// The HTTP settings of the command's network options (nil: it uses no network).
    var httpSettings: HTTPSettings? { get }

    /// How typed confirmations are asked (default: `Type EXPECTED to confirm: ` on stderr, the answer from stdin).
    var confirmation: TerminalConfirmation { get }

    /// Whether SIGINT and SIGTERM cancel the run (which then ends as the operation decides) instead of ending the
    /// process (default: no).
    var cancelsOnTermination: Bool { get }

    /// Prints one item as the operation produces it (default: nothing).
    func render(item: Performed.Item, _ context: CommandContext)

    /// Prints the report (stdout: a JSON document with `--json`, human lines otherwise).
    func render(report: Performed.Report, _ context: CommandContext) throws

    /// The event under which a negative verdict is reported on stderr (default `run.failed`); nil when the rendered
    /// report already says everything (audit findings, refused assets) and the exit status alone follows.
    var failureEvent: String? { get }
}

extension OperationCommand {
    var httpSettings: HTTPSettings? { nil }
    var confirmation: TerminalConfirmation { TerminalConfirmation() }
    var cancelsOnTermination: Bool { false }
    var failureEvent: String? { "run.failed" }
    func render(item: Performed.Item, _ context: CommandContext) {}

    func execute(_ context: CommandContext) async throws {
        let request = try request(context)
        let operationContext = context.operationContext(http: httpSettings, confirmation: confirmation)
        let signals = cancelsOnTermination ? TerminationSignals(cancelling: operationContext.cancellation) : nil
        defer { signals?.stop() }
        let report = try await Performed.runInstrumented(request, in: operationContext, emit: ItemSink { item in render(item: item, context) })
        try render(report: report, context)
        guard let failure = report.failure else { return }
        context.stdout.flush()
        guard let failureEvent else { throw ExitCode(ExitCodeTable.status(for: failure).rawValue) }
        throw CommandFailure(event: failureEvent, error: failure)
    }

    /// The report as the `--json` document: its media type, the run id and the report's fields.
    func printJSON(_ report: Performed.Report, _ context: CommandContext) throws {
        context.stdout.line(try ResultDocument(mediaType: Performed.descriptor.reportMediaType, runID: context.runID, payload: report).jsonText())
    }

    /// The operations the command runs, for the registry's coverage test.
    static var operationDescriptors: [OperationDescriptor] { [Performed.descriptor] }
}

/// A negative verdict to report under a command's own event name.
struct CommandFailure: Error {
    let event: String
    let error: any CodedError
}

/// SIGINT and SIGTERM cancel a run instead of ending the process, until stopped.
final class TerminationSignals {
    private let sources: [any DispatchSourceSignal]

    init(cancelling cancellation: Cancellation) {
        sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { cancellation.cancel() }
            source.resume()
            return source
        }
    }

    func stop() {
        for source in sources { source.cancel() }
    }
}
