import Foundation
import Glibc

/// The OTLP trace receiver of the tests (`fixtures/telemetry/otlp_receiver.py`, on grpcio and opentelemetry-proto from
/// the test venv): gRPC and HTTP/protobuf listeners on 127.0.0.1, every received span kept as a JSON object. Killed
/// when released.
public final class OTLPReceiver: @unchecked Sendable {
    public let directory: TemporaryDirectory
    public let grpcPort: Int
    public let httpPort: Int
    /// A plain TCP listener that only counts the connections it accepts.
    public let listenPort: Int
    private let process: Process

    public var grpcEndpoint: String { "http://127.0.0.1:\(grpcPort)" }
    public var httpEndpoint: String { "http://127.0.0.1:\(httpPort)" }

    /// The venv's python with grpcio and opentelemetry-proto, or nil.
    public static var python: String? { TestVenv.tool("python") }

    public init() throws {
        guard let python = Self.python else { throw ToolLocator.Missing(name: "the test venv's python (scripts/python-test-tools.txt)") }
        directory = try TemporaryDirectory(prefix: "otlp-receiver")
        let portFile = directory.file("ports.json")
        process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [
            TestVenv.projectRoot.appendingPathComponent("fixtures/telemetry/otlp_receiver.py").path, "--port-file", portFile, "--spans",
            directory.file("spans.jsonl"), "--connections", directory.file("connections.txt"),
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let ports = PortFile.wait(portFile, process: process, seconds: 30)
        guard let ports, let grpc = ports["grpc"], let http = ports["http"], let listen = ports["listen"] else {
            kill(process.processIdentifier, SIGKILL)
            throw ToolLocator.Missing(name: "a running fixtures/telemetry/otlp_receiver.py")
        }
        grpcPort = grpc
        httpPort = http
        listenPort = listen
    }

    deinit {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Every span received so far, in arrival order.
    public func spans() throws -> [[String: Any]] {
        let text = try String(contentsOfFile: directory.file("spans.jsonl"), encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw ToolLocator.Missing(name: "a JSON span line")
            }
            return object
        }
    }

    /// How many TCP connections the counting listener accepted.
    public func connections() throws -> Int {
        try String(contentsOfFile: directory.file("connections.txt"), encoding: .utf8).split(separator: "\n").count
    }
}
