import ArgumentParser
import HephaestusCore
import HephaestusOperations
import HephaestusPlatform
import Logging

/// A subcommand whose `execute` gets a ready ``CommandContext`` and whose errors become exit codes in one place.
protocol HephaestusCommand: AsyncParsableCommand {
    var global: GlobalOptions { get }
    func execute(_ context: CommandContext) async throws
}

extension HephaestusCommand {
    func run() async throws {
        let runID = RunID.generate()
        let format = global.logFormat
        let level = global.effectiveLevel
        let redactor = SecretRedactor()
        LoggingSystem.bootstrap { _ in StructuredLogHandler(format: format, runID: runID, level: level, redactor: redactor) }
        var logger = Logger(label: "hephaestus")
        logger.logLevel = level
        let context = CommandContext(
            runID: runID, logger: logger, logFormat: format, stdout: StandardOutput(), quiet: global.quiet, redactor: redactor)
        logger.debug("run.started", metadata: ["command": .string(Self._commandName), "version": .string(HephaestusVersion.current)])
        do {
            try await execute(context)
            context.stdout.flush()
        } catch let exit as ExitCode {
            // Already reported by the command (e.g. per-file errors before a summary status).
            context.stdout.flush()
            throw exit
        } catch let failure as CommandFailure {
            // A negative verdict the operation established (its report is already rendered).
            let status = ExitCodeTable.status(for: failure.error)
            context.report(
                .error, event: failure.event, message: "\(failure.error)",
                metadata: ["code": .string(failure.error.code), "exit_status": .stringConvertible(status.rawValue)])
            throw ExitCode(status.rawValue)
        } catch {
            context.stdout.flush()
            let status = ExitCodeTable.status(for: error)
            let code = (error as? any CodedError)?.code ?? ExitCodeTable.internalCode
            context.report(
                .error, event: "run.failed", message: "\(error)",
                metadata: ["code": .string(code), "exit_status": .stringConvertible(status.rawValue)])
            throw ExitCode(status.rawValue)
        }
    }
}
