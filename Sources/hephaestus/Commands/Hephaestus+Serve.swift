import ArgumentParser
import Foundation
import HephaestusCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension Hephaestus {
    /// `hephaestus serve`: runs `hephaestus-server`, the separate executable that links the service stack (HTTP, gRPC,
    /// TLS), from the directory this binary is in, with the arguments as given. The CLI itself never links that stack,
    /// so `verify bundle` starts as fast as before.
    struct Serve: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "serve",
            abstract: "Serve every operation over REST and gRPC (runs hephaestus-server; see `hephaestus serve --help`).",
            // `--help` goes to hephaestus-server, which knows the options.
            helpNames: []
        )

        /// The server executable's file name, expected in this binary's directory.
        static let serverName = "hephaestus-server"

        @Argument(parsing: .captureForPassthrough, help: "The options of hephaestus-server.")
        var arguments: [String] = []

        func run() throws {
            let server = Self.serverPath()
            guard access(server, X_OK) == 0 else {
                LogSink.standardError.write(
                    "hephaestus: serve needs \(Self.serverName) beside this binary, and \(server) is missing or not executable "
                        + "(build it with `swift build --product \(Self.serverName)`)")
                throw ExitCode(ExitStatus.configuration.rawValue)
            }
            let argv = [server] + arguments
            var cArguments = argv.map { strdup($0) } + [nil]
            execv(server, &cArguments)
            let reason = String(cString: strerror(errno))
            LogSink.standardError.write("hephaestus: cannot run \(server): \(reason)")
            throw ExitCode(ExitStatus.unavailable.rawValue)
        }

        /// `hephaestus-server` in the directory of the running executable (`/proc/self/exe`, symbolic links resolved).
        static func serverPath() -> String {
            let executable =
                (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
            return URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent(serverName).path
        }
    }
}
