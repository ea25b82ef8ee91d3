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
        let derived = operationDescriptors.flatMap(\.errorCodes).map { ExitCodeTable.status(forCode: $0) }
        return Set(derived + ExitStatusHelp.everyCommand).sorted { $0.rawValue < $1.rawValue }
    }

    /// `text` followed by the list of ``exitStatuses``: the discussion of the command's help and manual page.
    static func withExitStatuses(_ text: String) -> String {
        let list = ExitStatusHelp.lines(exitStatuses).joined(separator: "\n")
        return text.isEmpty ? list : text + "\n\n" + list
    }
}

/// The exit-status paragraph of a command's help.
enum ExitStatusHelp {
    /// What any command can end with: success, a wrong command line (the parser's), a failed write of its results
    /// (stdout on a full disk) and an internal error.
    static let everyCommand: [ExitStatus] = [.success, .usage, .ioError, .software]

    /// `Exit status:` and one indented line per status with its meaning.
    static func lines(_ statuses: [ExitStatus]) -> [String] {
        ["Exit status:"] + statuses.map { "  " + "\($0.rawValue)".padding(toLength: 4, withPad: " ", startingAt: 0) + $0.meaning }
    }
}
