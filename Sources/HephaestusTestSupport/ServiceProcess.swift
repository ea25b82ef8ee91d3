import Foundation

/// A `hephaestus serve` process on loopback ephemeral ports, with its own SQLite store, for tests driving it with real
/// clients. Started through the CLI (`hephaestus serve`, which runs `hephaestus-server`); ready once its port file
/// exists; stopped with SIGTERM (draining) unless killed.
public final class ServiceProcess: @unchecked Sendable {
    public let directory: TemporaryDirectory
    public let process: Process
    /// `http://127.0.0.1:PORT`.
    public let restURL: String
    /// `127.0.0.1:PORT`, or nil when started with `--grpc-listen off`.
    public let grpcAddress: String?
    public let logPath: String

    /// The `--store` URL of this service.
    public var store: String { "sqlite:\(directory.file("service.sqlite"))" }

    /// Starts the service in `directory` (a fresh one by default) with `arguments` added, and waits up to `timeout`
    /// seconds for it to listen.
    public init(arguments: [String] = [], directory: TemporaryDirectory? = nil, environment: [String: String] = [:], timeout: Double = 60) throws {
        let directory = try directory ?? TemporaryDirectory(prefix: "hephaestus-serve")
        self.directory = directory
        let portFile = directory.file("ports.json")
        try? FileManager.default.removeItem(atPath: portFile)
        logPath = directory.file("serve.log")
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: HephaestusBinary.path)
        process.arguments =
            [
                "serve", "--listen", "127.0.0.1:0", "--store", "sqlite:\(directory.file("service.sqlite"))", "--port-file", portFile, "--log-format",
                "json",
            ]
            + (arguments.contains("--grpc-listen") ? [] : ["--grpc-listen", "127.0.0.1:0"]) + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory.path)
        var variables = ProcessInfo.processInfo.environment
        for (key, value) in environment { variables[key] = value }
        process.environment = variables
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardError = log
        process.standardOutput = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        self.process = process
        let deadline = Date().addingTimeInterval(timeout)
        var ports: [String: String]?
        while ports == nil {
            if let data = FileManager.default.contents(atPath: portFile),
                let parsed = try? JSONSerialization.jsonObject(with: data) as? [String: String]
            {
                ports = parsed
                break
            }
            guard process.isRunning else {
                throw Failure("hephaestus serve exited with status \(process.terminationStatus) before listening: \(Self.tail(logPath))")
            }
            guard Date() < deadline else {
                process.terminate()
                throw Failure("hephaestus serve did not listen within \(timeout) s: \(Self.tail(logPath))")
            }
            // The service writes its port file once listening: poll for it (a file, not a time, is the signal).
            usleep(20_000)
        }
        restURL = "http://\(ports?["rest"] ?? "")"
        grpcAddress = ports?["grpc"]
    }

    /// Creates an account with `role` in this service's store through the CLI and returns its token.
    public func createAccount(_ name: String, role: String, expires: String? = nil) throws -> String {
        let result = try HephaestusBinary.run(
            ["accounts", "create", name, "--role", role, "--store", store, "--json"] + (expires.map { ["--expires", $0] } ?? []))
        guard result.status == 0, let document = try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [String: Any],
            let token = document["token"] as? String
        else { throw Failure("accounts create \(name) failed (\(result.status)): \(result.stderrText)") }
        return token
    }

    /// SIGTERM, then waits for the exit status (drained).
    @discardableResult
    public func stop() -> Int32 {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// SIGKILL: no draining, no checkpoint.
    public func kill() {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    deinit {
        if process.isRunning {
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    static func tail(_ path: String) -> String {
        String(((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").suffix(2000))
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(_ description: String) { self.description = description }
    }
}
