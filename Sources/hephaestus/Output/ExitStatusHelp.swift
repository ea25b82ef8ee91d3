import ArgumentParser
import Foundation
import HephaestusCore
import HephaestusOperations

/// A command that runs registered operations: every leaf command but `exit-codes`.
protocol OperationAdapter: ParsableCommand {
    /// The operations it runs, whose error codes decide the exit statuses it can end with.
    static var operationDescriptors: [OperationDescriptor] { get }
}

extension OperationAdapter {
    /// Every exit status the command can end with: those of its operations' error codes (through their categories)
    /// and those any command can end with.
    static var exitStatuses: [ExitStatus] {
        let derived = operationDescriptors.flatMap(\.errorCodes).map { ExitStatusHelp.statusByCode[$0] ?? .software }
        return Set(derived + ExitStatusHelp.everyCommand).sorted { $0.rawValue < $1.rawValue }
    }

    /// `text` followed by the list of ``exitStatuses``: the discussion of the command's help and manual page (just
    /// `text` in a run that does not describe its commands, see ``ExitStatusHelp/isDescribing``).
    static func withExitStatuses(_ text: String) -> String {
        guard ExitStatusHelp.isDescribing else { return text }
        let list = ExitStatusHelp.lines(exitStatuses).joined(separator: "\n")
        return text.isEmpty ? list : text + "\n\n" + list
    }
}

/// The exit-status paragraph of a command's help.
enum ExitStatusHelp {
    /// What any command can end with: success, a wrong command line (the parser's), a failed write of its results
    /// (stdout on a full disk) and an internal error.
    static let everyCommand: [ExitStatus] = [.success, .usage, .ioError, .software]

    /// Whether the commands' descriptions list their exit statuses.
    ///
    /// ArgumentParser builds every command's configuration at every start, and the lists walk the whole error
    /// catalogue (about 1 ms of a debug build's start-up): `main` turns them off for a run that only parses and runs a
    /// command, before any configuration is built. Help (`-h`, `--help`, `help`) and the description the manual page
    /// is generated from (`--experimental-dump-help`) keep them, as does any other process (the tests).
    nonisolated(unsafe) static var isDescribing = true

    /// Whether a command line (the words after the program name) asks for a description of a command.
    static func describes(_ arguments: [String]) -> Bool {
        arguments.contains { ["-h", "--help", "--help-hidden", "help", "--experimental-dump-help", "schema"].contains($0) }
    }

    /// ``ExitCodeTable``'s statuses by code, looked up once per code of every command.
    static let statusByCode = Dictionary(ExitCodeTable.rows.map { ($0.code, $0.status) }) { first, _ in first }

    /// `Exit status:` and one indented line per status with its meaning.
    static func lines(_ statuses: [ExitStatus]) -> [String] {
        ["Exit status:"] + statuses.map { "  " + "\($0.rawValue)".padding(toLength: 4, withPad: " ", startingAt: 0) + $0.meaning }
    }
}
