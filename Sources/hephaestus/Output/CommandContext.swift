import Foundation
import Glibc
import HephaestusCore
import HephaestusPlatform
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
    /// Tracing of the run's operation (``NoInstrumentation`` unless an OTLP exporter is configured).
    let instrumentation: any Instrumentation

    /// The context the command's operation runs in: this run's id, logger and redactor, the process environment,
    /// HTTP with the command's settings, progress bars on a terminal, typed confirmations at the terminal.
    func operationContext(http: HTTPSettings?, confirmation: TerminalConfirmation = TerminalConfirmation()) -> OperationContext {
        OperationContext(
            runID: runID, logger: logger, environment: ProcessInfo.processInfo.environment,
            network: http.map { NetworkAccess(settings: $0, logger: logger) }, progress: ProgressBar.sink(context: self, quiet: quiet),
            confirmation: confirmation, redactor: redactor, instrumentation: instrumentation)
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

/// Buffered standard output for results; flushed when the command ends (and every 64 KiB, and when a command wants
/// a line seen at once).
///
/// Writes never crash the process. A reader that went away (a closed pipe, `EPIPE`) ends the process quietly as
/// coreutils end: killed by `SIGPIPE` (a shell reports status 141). Any other failure (a full disk, a closed or
/// read-only descriptor, an I/O error) is kept as ``failure``: later output is discarded, and the command reports the
/// failure on stderr when it ends and exits with status 74. Unchecked: `buffer` and `lost` are only touched under `lock`.
final class StandardOutput: @unchecked Sendable {
    private var buffer: [UInt8] = []
    private var lost: OutputStreamError?
    private let lock = NSLock()
    private let descriptor: Int32

    init(descriptor: Int32 = STDOUT_FILENO) {
        self.descriptor = descriptor
    }

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
        defer { buffer.removeAll(keepingCapacity: true) }
        guard lost == nil, let code = DescriptorWriter.writeAll(descriptor, buffer) else { return }
        if code == EPIPE { Self.endAsClosedPipe() }
        lost = .writeFailed(stream: "standard output", reason: DescriptorWriter.reason(code))
    }

    /// The write error that made results be discarded, if any.
    var failure: OutputStreamError? {
        lock.lock()
        defer { lock.unlock() }
        return lost
    }

    /// Ends the process as a program that did not ignore `SIGPIPE` ends when its reader goes away: killed by the
    /// signal, with nothing said. (`_exit(128 + SIGPIPE)` only if the signal is blocked.)
    static func endAsClosedPipe() -> Never {
        signal(SIGPIPE, SIG_DFL)
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGPIPE)
        sigprocmask(SIG_UNBLOCK, &signals, nil)
        raise(SIGPIPE)
        _exit(128 + SIGPIPE)
    }
}

/// The standard descriptors a process was started without.
enum StandardDescriptors {
    /// Opens `/dev/null` read-only on standard input, output and error where they are closed (`hephaestus … >&-`), before
    /// anything else opens a file: a file the command opens later can then never take descriptor 1 and receive its
    /// results, and writing results fails (`EBADF`) and is reported like any other write error, as coreutils do.
    static func reserve() {
        for descriptor in [STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO] where fcntl(descriptor, F_GETFD) == -1 {
            let opened = open("/dev/null", O_RDONLY | O_CLOEXEC)
            guard opened >= 0 else { continue }
            if opened != descriptor {
                dup2(opened, descriptor)
                close(opened)
            } else {
                _ = fcntl(descriptor, F_SETFD, 0)
            }
        }
    }
}
