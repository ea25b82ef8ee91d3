import ArgumentParser
import Foundation
import HephaestusCore
import HephaestusOperations
import HephaestusPlatform
import Logging

/// The `hephaestus` command: release supply-chain verification and publication.
@main
struct Hephaestus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hephaestus",
        abstract: "Verify, install, sign and publish Python release wheelhouses with Sigstore.",
        discussion: """
            Global options (--log-format, --log-level, -q, -v, --metrics-file) are accepted before or after the subcommand. \
            Results go to stdout, logs to stderr. Every run has a run id, printed on every log record and in every \
            JSON result. Exit codes: 0 success, 1 a check failed, 64 usage error; see `hephaestus exit-codes`.
            """,
        version: VersionText.description,
        subcommands: [
            Digest.self, Verify.self, Sign.self, Trust.self, Release.self, Wheelhouse.self, Publish.self, Inventory.self, Backfill.self, Token.self,
            Accounts.self, Audit.self, Tasks.self, Cleanup.self, GuardRails.self, Analytics.self, Tools.self, Dev.self, ExitCodes.self,
            Schema.self, MCP.self, Confirm.self, Conformance.self, Serve.self,
        ]
    )

    static func main() async {
        StandardDescriptors.reserve()
        ExitStatusHelp.isDescribing = ExitStatusHelp.describes(Array(CommandLine.arguments.dropFirst()))
        // Read from argv losslessly: a file name that is not UTF-8 still names its file.
        let arguments = GlobalOptionPlacement.movingGlobalOptions(
            in: GlobalOptionPlacement.attachingNegativeNumbers(in: Array(NativePath.arguments.dropFirst())), root: Hephaestus.self)
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let exit as ExitCode {
            // The command has already reported its failure.
            Foundation.exit(exit.rawValue)
        } catch {
            // An option the command does not know is named first, whatever else is wrong with the command line.
            let unknown = UnknownOption.find(in: arguments, root: Hephaestus.self, failing: error)
            let status = unknown == nil ? exitCode(for: error) : .validationFailure
            if GlobalOptionPlacement.requestsJSONLogs(arguments), status != .success {
                // Usage errors become one JSON record too, so that stderr holds only JSON lines.
                let handler = StructuredLogHandler(format: .json, runID: .generate(), level: .error)
                handler.log(
                    event: LogEvent(
                        level: .error, message: "run.failed",
                        metadata: [
                            "code": .string(ExitCodeTable.usageCode), "message": .string(unknown?.fullMessage ?? fullMessage(for: error)),
                            "exit_status": .stringConvertible(status.rawValue),
                        ], source: "hephaestus", file: #fileID, function: #function, line: #line))
                Foundation.exit(status.rawValue)
            }
            guard let unknown else { finish(status: status, message: fullMessage(for: error)) }
            LogSink.standardError.write(unknown.fullMessage)
            Foundation.exit(status.rawValue)
        }
    }

    /// What the parser has to say (help, `--version`, a completion script on stdout; a usage error on stderr), written
    /// as every result is: a closed pipe ends quietly, any other write error is one line on stderr and exit 74.
    static func finish(status: ExitCode, message: String) -> Never {
        guard status == .success else {
            LogSink.standardError.write(message)
            Foundation.exit(status.rawValue)
        }
        let output = StandardOutput()
        if !message.isEmpty { output.line(message) }
        output.flush()
        if let failure = output.failure {
            LogSink.standardError.write("hephaestus: \(failure)")
            Foundation.exit(ExitStatus.ioError.rawValue)
        }
        Foundation.exit(0)
    }
}
