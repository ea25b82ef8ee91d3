import Foundation
import HephaestusCore
import Logging

/// What every command run gets: its run id, a logger that stamps it, and stdout.
struct CommandContext: Sendable {
    let runID: RunID
    let logger: Logger
    let logFormat: LogFormat
    let stdout: StandardOutput
    /// `--quiet`: no progress bars either.
    let quiet: Bool
    /// The secrets of this run, kept out of every log line and message.
    let redactor: SecretRedactor

    /// The context the command's operation runs in: this run's id, logger and redactor, the process environment,
    /// HTTP with the command's settings, progress bars on a terminal, typed confirmations at the terminal.
    func operationContext(http: HTTPSettings?, confirmation: TerminalConfirmation = TerminalConfirmation()) -> OperationContext {
        OperationContext(
            runID: runID, logger: logger, environment: ProcessInfo.processInfo.environment,
            network: http.map { NetworkAccess(settings: $0, logger: logger) }, progress: ProgressBar.sink(context: self, quiet: quiet),
            confirmation: confirmation, redactor: redactor)
    }

    /// Reports an error or warning line the way the chosen log format wants it on stderr:
    /// `hephaestus: MESSAGE` in text (`hephaestus: warning: MESSAGE` for a warning), a JSON record in json.
    func report(_ level: Logger.Level, event: String, message: String, metadata: Logger.Metadata = [:]) {
        let message = redactor.redact(level == .warning ? Self.warning(message) : message)
        switch logFormat {
        case .text:
            if level >= logger.logLevel || level >= .error {
                LogSink.standardError.write("hephaestus: \(message)")
            }
        case .json:
            var fields = metadata
            fields["message"] = .string(message)
            logger.log(level: level, "\(event)", metadata: fields)
        }
    }
}

extension CommandContext {
    /// A warning's text: `warning: MESSAGE`, or MESSAGE when it already says so (sha256sum's `WARNING: …` lines).
    static func warning(_ message: String) -> String {
        message.lowercased().hasPrefix("warning:") ? message : "warning: " + message
    }
}

/// Buffered standard output for results; flushed when the command ends.
final class StandardOutput: @unchecked Sendable {
    private var buffer: [UInt8] = []
    private let lock = NSLock()

    func line(_ text: String, terminator: Bool = true) {
        line(bytes: text.utf8, terminator: terminator)
    }

    /// One line of bytes already encoded (UTF-8).
    func line(bytes: some Collection<UInt8>, terminator: Bool = true) {
        lock.lock()
        buffer.append(contentsOf: bytes)
        if terminator { buffer.append(0x0A) }
        let shouldFlush = buffer.count >= 1 << 16
        lock.unlock()
        if shouldFlush { flush() }
    }

    func flush() {
        lock.lock()
        defer { lock.unlock() }
        guard !buffer.isEmpty else { return }
        FileHandle.standardOutput.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }
}
