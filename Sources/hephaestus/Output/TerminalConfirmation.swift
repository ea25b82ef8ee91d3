import Foundation
import Glibc
import HephaestusCore
import HephaestusPlatform

/// Typed confirmations asked of the user: the prompt on stderr, the answer one line of stdin (a terminal, or what a
/// script pipes in); nil at the end of input.
struct TerminalConfirmation: Confirming {
    /// What follows the prompt, telling the user what to type (by default `Type EXPECTED to confirm: `).
    var instruction: @Sendable (String) -> String = { "Type \($0) to confirm: " }
    /// Whether only a terminal may answer: piped standard input counts as nobody to ask (nil).
    var requiresTerminal = false

    func answer(_ request: ConfirmationRequest) async -> String? {
        if requiresTerminal && isatty(STDIN_FILENO) == 0 { return nil }
        _ = DescriptorWriter.writeAll(STDERR_FILENO, Array("\(request.prompt) \(instruction(request.expected))".utf8))
        return readLine(strippingNewline: true)?.trimmingCharacters(in: .whitespaces)
    }
}
