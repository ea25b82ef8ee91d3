import ArgumentParser
import HephaestusCore
import Logging

extension LogFormat: ExpressibleByArgument {}

/// Log verbosity as users name it.
enum LogLevelOption: String, ExpressibleByArgument, CaseIterable {
    case trace, debug, info, warning, error

    var level: Logger.Level {
        switch self {
        case .trace: .trace
        case .debug: .debug
        case .info: .info
        case .warning: .warning
        case .error: .error
        }
    }
}

/// The options every command accepts.
struct GlobalOptions: ParsableArguments {
    @Option(help: "Log record format on stderr: text or json (one JSON object per line).")
    var logFormat: LogFormat = .text

    @Option(help: "Minimum log level: trace, debug, info, warning or error. Default: warning for text, info for json.")
    var logLevel: LogLevelOption?

    @Flag(name: .shortAndLong, help: "Only log errors.")
    var quiet = false

    @Flag(name: .shortAndLong, help: "Log debug records too.")
    var verbose = false

    @Option(
        help: ArgumentHelp(
            "Write the run's metrics to FILE in the Prometheus text format when the command ends (replaced atomically, for node_exporter's textfile collector).",
            valueName: "file"))
    var metricsFile: String?

    func validate() throws {
        if quiet && verbose {
            throw ValidationError("--quiet and --verbose cannot be used together")
        }
    }

    /// The effective level: an explicit --log-level wins, then -q / -v, then the format's default.
    var effectiveLevel: Logger.Level {
        if let logLevel { return logLevel.level }
        if quiet { return .error }
        if verbose { return .debug }
        return logFormat == .json ? .info : .warning
    }
}
