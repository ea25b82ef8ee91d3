import ArgumentParser
import Foundation
import HephaestusCore
import HephaestusPlatform
import HephaestusService
import Logging

extension LogFormat: ExpressibleByArgument {}

/// `hephaestus-server` (what `hephaestus serve` runs): parses the options, then runs the service until SIGTERM or
/// SIGINT drains it.
public struct ServeCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "hephaestus serve",
        abstract: "Serve every Hephaestus operation over REST and gRPC, with accounts, roles and an audit log.",
        discussion: """
            Every request but /healthz and /readyz carries `Authorization: Bearer TOKEN` (create accounts with \
            `hephaestus accounts create`). Listening on anything but loopback without TLS is refused unless \
            --insecure-listen is given. SIGTERM drains: no new requests, running tasks checkpointed, exit 0.
            """
    )

    @Option(help: "REST address, HOST:PORT (port 0: any free port).")
    var listen = "127.0.0.1:8080"

    @Option(name: .customLong("grpc-listen"), help: "gRPC address, HOST:PORT, or \"off\".")
    var grpcListen = "127.0.0.1:9090"

    @Option(help: "The service store: sqlite:PATH (default: the user's data directory) or postgres://….")
    var store: String?

    @Option(name: .customLong("tls-certificate"), help: "A PEM certificate chain: serve REST and gRPC over TLS (with --tls-key).")
    var tlsCertificate: String?

    @Option(name: .customLong("tls-key"), help: "The PEM private key of --tls-certificate.")
    var tlsKey: String?

    @Option(name: .customLong("trusted-root"), help: "The default trusted_root.json (instead of the embedded public-good root).")
    var trustedRoot: String?

    @Flag(help: "Use the embedded public-good staging root by default.")
    var staging = false

    @Option(name: .customLong("extra-trusted-root"), help: "NAME=FILE: another root that requests may name (repeatable).")
    var extraTrustedRoot: [String] = []

    @Option(help: "A TOML file: [limits], [rate_limits.role], [rate_limits.account], [tls], [store].")
    var config: String?

    @Flag(name: .customLong("insecure-listen"), help: "Allow listening beyond loopback without TLS (logged).")
    var insecureListen = false

    @Option(help: ArgumentHelp("This process's replica name, unique among those sharing the store (default: the host name).", valueName: "NAME"))
    var replica: String?

    @Option(name: .customLong("port-file"), help: "Write the bound addresses here as JSON once listening (for scripts and tests).")
    var portFile: String?

    @Option(name: .customLong("log-format"), help: "Log record format on stderr: text or json.")
    var logFormat: LogFormat = .text

    @Option(name: .customLong("log-level"), help: "Minimum log level: trace, debug, info, warning or error (default info).")
    var logLevel: String = "info"

    @Flag(name: .shortAndLong, help: "Only log errors.")
    var quiet = false

    @Flag(name: .shortAndLong, help: "Log debug records too.")
    var verbose = false

    public init() {}

    /// Parses the process's arguments and runs (what `hephaestus-server`'s entry point calls).
    public static func runAsRoot() async {
        do {
            var command = try parseAsRoot()
            if let serve = command as? ServeCommand {
                try await serve.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }

    public func run() async throws {
        let runID = RunID.generate()
        let level = quiet ? .error : verbose ? .debug : Logger.Level(rawValue: logLevel) ?? .info
        let format = logFormat
        LoggingSystem.bootstrap { _ in StructuredLogHandler(format: format, runID: runID, level: level) }
        var logger = Logger(label: "hephaestus-server")
        logger.logLevel = level
        let settings: ServiceSettings
        do {
            settings = try self.settings()
        } catch {
            Self.report(error)
            throw ExitCode(ExitStatus.usage.rawValue)
        }
        do {
            try await ServiceRunner(settings: settings, logger: logger).run()
        } catch {
            let code = (error as? any CodedError)?.code ?? GeneralError.Code.unexpected.rawValue
            let status = (error as? any CodedError)?.category.exitStatus ?? .software
            logger.error("serve.failed", metadata: ["code": .string(code), "message": .string("\(error)")])
            Self.report(error)
            throw ExitCode(status.rawValue)
        }
    }

    /// One line on standard error, as every command writes its failure (a closed standard error leaves the exit status).
    private static func report(_ error: any Error) {
        LogSink.standardError.write("hephaestus serve: \(error)")
    }

    /// The options as settings, every one checked (a bad one is a ``RequestError`` naming it).
    public func settings(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ServiceSettings {
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw RequestError("--log-level \(logLevel): expected trace, debug, info, notice, warning, error or critical")
        }
        if staging && trustedRoot != nil { throw RequestError("--staging and --trusted-root cannot be used together") }
        if (tlsCertificate == nil) != (tlsKey == nil) { throw RequestError("--tls-certificate and --tls-key go together") }
        let file = try config.map { path in
            try ConfigurationFile(text: String(decoding: try FileReader.contents(of: path, limit: 1 << 20), as: UTF8.self), name: path)
        }
        let rest = try ListenAddress(parsing: listen, option: "--listen")
        let grpc = grpcListen == "off" ? nil : try ListenAddress(parsing: grpcListen, option: "--grpc-listen")
        let certificate = try tlsCertificate ?? file?.string("tls.certificate")
        let key = try tlsKey ?? file?.string("tls.key")
        if (certificate == nil) != (key == nil) { throw RequestError("[tls] certificate and key go together") }
        let tls = certificate.flatMap { certificate in key.map { TLSFiles(certificate: certificate, key: $0) } }
        if tls == nil && !insecureListen {
            for (option, address) in [("--listen", rest), ("--grpc-listen", grpc)] {
                guard let address, !address.isLoopback else { continue }
                throw RequestError(
                    "\(option) \(address) is not loopback: serve it with TLS (--tls-certificate and --tls-key), or pass --insecure-listen "
                        + "to accept plaintext beyond this machine")
            }
        }
        var settings = ServiceSettings(
            rest: rest, grpc: grpc, store: try store ?? file?.string("store.url"), tls: tls,
            trust: try TrustChoice(trustedRoot: trustedRoot, staging: staging).resolve(environment: environment),
            extraTrustedRoots: try TrustRoots.parseExtra(extraTrustedRoot), limits: try file.map(ServiceLimits.init(file:)) ?? ServiceLimits(),
            insecureListen: insecureListen, portFile: portFile, environment: environment)
        settings.metrics = try MetricsSettings(file: file)
        if let replica {
            guard !replica.isEmpty else { throw RequestError("--replica must not be empty") }
            settings.replica = replica
        }
        if let apiURL = try file?.string("github.api_url") {
            guard let url = URL(string: apiURL), ["https", "http"].contains(url.scheme), url.host != nil else {
                throw RequestError("[github] api_url \(apiURL) is not an absolute http(s) URL")
            }
            settings.githubAPIURL = apiURL
        }
        return settings
    }
}

/// A certificate chain and its key, PEM files.
public struct TLSFiles: Sendable, Equatable {
    public let certificate: String
    public let key: String
}

/// Everything the service is started with.
public struct ServiceSettings: Sendable {
    public var rest: ListenAddress
    public var grpc: ListenAddress?
    /// `--store` (nil: the default location of `environment`).
    public var store: String?
    public var tls: TLSFiles?
    public var trust: TrustSelection
    public var extraTrustedRoots: [String: String]
    public var limits: ServiceLimits
    public var insecureListen: Bool
    public var portFile: String?
    public var environment: [String: String]
    /// `/metrics` access (`[metrics]` of the configuration file).
    public var metrics = MetricsSettings()
    /// The GitHub API operations reach when served (`[github] api_url`); nil: api.github.com.
    public var githubAPIURL: String?
    /// `--replica`: the name the task workers run under (the host name unless given).
    public var replica: String = TaskWorkerPool.Configuration.defaultReplica

    /// What the service decides for every operation it serves.
    public var choices: ServiceChoices { ServiceChoices(trust: trustChoice, githubAPIURL: githubAPIURL) }

    /// The default root as an operation's `trust` request field.
    public var trustChoice: TrustChoice {
        switch trust {
        case .production: TrustChoice()
        case .staging: TrustChoice(staging: true)
        case .file(let path): TrustChoice(trustedRoot: path)
        case .tufCache(let cache): TrustChoice(staging: cache.staging)
        }
    }
}
