import ArgumentParser
import HephaestusOperations

extension OperationCommand {
    /// Ends the command with the exit status of the report's negative verdict, without an error line: for commands
    /// whose rendered report already says everything (audit findings, refused backfill assets).
    func exitQuietly(on report: Performed.Report, _ context: CommandContext) throws {
        guard let failure = report.failure else { return }
        context.stdout.flush()
        throw ExitCode(ExitCodeTable.status(for: failure).rawValue)
    }
}
