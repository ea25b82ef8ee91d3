import ArgumentParser
import HephaestusCore
import HephaestusOperations

extension Hephaestus {
    /// `hephaestus exit-codes`: the exit-code table, as docs/reference/exit-codes.md shows it.
    struct ExitCodes: HephaestusCommand {
        static let configuration = CommandConfiguration(
            commandName: "exit-codes",
            abstract: "Print the table of exit statuses and the error codes that lead to them (Markdown)."
        )

        @OptionGroup(title: "Global options")
        var global: GlobalOptions

        func execute(_ context: CommandContext) async throws {
            context.stdout.line(ExitCodeTable.markdown(), terminator: false)
        }
    }
}
