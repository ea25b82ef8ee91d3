import Foundation
import HephaestusCore

/// Typed confirmations asked of the user: the prompt on stderr, the answer one line of stdin (a terminal, or what a
/// script pipes in); nil at the end of input.
struct TerminalConfirmation: Confirming {
    func answer(_ request: ConfirmationRequest) async -> String? {
        FileHandle.standardError.write(Data("\(request.prompt) Type \(request.expected) to confirm: ".utf8))
        return readLine(strippingNewline: true)?.trimmingCharacters(in: .whitespaces)
    }
}
