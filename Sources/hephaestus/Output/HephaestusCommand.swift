import ArgumentParser
import Foundation
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
        try await runReporting()
    }

    /// Runs the command, reporting a failure on stderr and ending with its exit status (what `run()` does; a command
    /// with its own exit-status convention, as `conformance tuf-client`, wraps it).
    func runReporting() async throws {
        let runID = RunID.generate()
        let format = global.logFormat
        let level = global.effectiveLevel
        let redactor = SecretRedactor()
        LoggingSystem.bootstrap { _ in StructuredLogHandler(format: format, runID: runID, level: level, redactor: redactor) }
        var logger = Logger(label: "hephaestus")
        logger.logLevel = level
        let telemetry = CommandTelemetry(
            environment: ProcessInfo.processInfo.environment, metricsFile: global.metricsFile, logger: logger, redactor: redactor)
        let context = CommandContext(
            runID: runID, logger: logger, logFormat: format, stdout: StandardOutput(), quiet: global.quiet, redactor: redactor,
            instrumentation: telemetry.instrumentation)
        for warning in telemetry.warnings {
            context.report(.warning, event: "telemetry.setting-ignored", message: "\(warning)", metadata: ["variable": .string(warning.variable)])
        }
        logger.debug("run.started", metadata: ["command": .string(Self._commandName), "version": .string(HephaestusVersion.current)])
        do {
            try await runReported(context)
        } catch {
            // Spans and metrics of a failed run are kept too; the run's own failure decides the exit status.
            _ = telemetry.finish(context)
            throw error
        }
        if let failure = telemetry.finish(context) { throw ExitCode(ExitCodeTable.status(for: failure).rawValue) }
    }

    /// Runs the command and reports its failure (the exit status thrown as `ExitCode`).
    private func runReported(_ context: CommandContext) async throws {
        do {
            try await execute(context)
            context.stdout.flush()
            // Results that could not be written are a failure of the run, whatever the command did.
            if let lost = context.stdout.failure { throw lost }
        } catch let exit as ExitCode {
            // Already reported by the command (e.g. per-file errors before a summary status).
            context.stdout.flush()
            reportLostOutput(context)
            throw exit
        } catch let failure as CommandFailure {
            // A negative verdict the operation established (its report is already rendered).
            reportLostOutput(context)
            let status = ExitCodeTable.status(for: failure.error)
            context.report(
                .error, event: failure.event, message: "\(failure.error)",
                metadata: ["code": .string(failure.error.code), "exit_status": .stringConvertible(status.rawValue)])
            throw ExitCode(status.rawValue)
        } catch {
            context.stdout.flush()
            if !(error is OutputStreamError) { reportLostOutput(context) }
            let status = ExitCodeTable.status(for: error)
            let code = (error as? any CodedError)?.code ?? ExitCodeTable.internalCode
            context.report(
                .error, event: "run.failed", message: "\(error)",
                metadata: ["code": .string(code), "exit_status": .stringConvertible(status.rawValue)])
            throw ExitCode(status.rawValue)
        }
    }

    /// When the run failed anyway, results lost to a write error are said too (the run's own failure decides the exit
    /// status: a failed check stays 1).
    private func reportLostOutput(_ context: CommandContext) {
        guard let lost = context.stdout.failure else { return }
        context.report(.error, event: "output.lost", message: "\(lost)", metadata: ["code": .string(lost.code)])
    }
}
