import Foundation
import Glibc
import HephaestusPlatform

/// The GitHub-Releases-shaped test server (`fixtures/github-server/server.py`), started on 127.0.0.1 for one test
/// and killed when released.
public final class FakeGitHubServer: @unchecked Sendable {
    public let directory: TemporaryDirectory
    public let apiPort: Int
    public let storagePort: Int
    private let process: Process

    public var apiURL: String { "http://127.0.0.1:\(apiPort)" }
    public var storageURL: String { "http://127.0.0.1:\(storagePort)" }

    /// The repository root (for fixtures/), from this source file's location.
    public static var projectRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// Starts the server with `config` (the JSON object the script documents).
    public init(config: [String: Any]) throws {
        directory = try TemporaryDirectory(prefix: "github-server")
        let configPath = try directory.write("config.json", Array(try JSONSerialization.data(withJSONObject: config)))
        let portFile = directory.file("ports.json")
        process = Process()
        process.executableURL = URL(fileURLWithPath: ToolLocator.find("python3") ?? "/usr/bin/python3")
        process.arguments = [
            Self.projectRoot.appendingPathComponent("fixtures/github-server/server.py").path, "--config", configPath, "--port-file", portFile,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let ports = PortFile.wait(portFile, process: process, seconds: 15)
        guard let ports, let api = ports["api"], let storage = ports["storage"] else {
            kill(process.processIdentifier, SIGKILL)
            throw ToolLocator.Missing(name: "a running fixtures/github-server/server.py")
        }
        apiPort = api
        storagePort = storage
    }

    deinit {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Every request the server saw: listener ("api" or "storage"), method, path, headers.
    public func requests() throws -> [[String: Any]] {
        let client = HTTPClient(transport: CurlTransport(), policy: try RetryPolicy(maxRetries: 0))
        let response = try client.send(HTTPRequest(url: URL(string: "\(apiURL)/_requests")!))
        return (try JSONSerialization.jsonObject(with: Data(response.body)) as? [[String: Any]]) ?? []
    }

    /// A config with one repository `octo/wheels` and the given releases.
    public static func config(releases: [[String: Any]], faults: [String: [[String: Any]]] = [:], extra: [String: Any] = [:]) -> [String: Any] {
        var config: [String: Any] = ["repos": ["octo/wheels": ["releases": releases]], "faults": faults]
        config.merge(extra) { _, new in new }
        return config
    }
}

extension FakeGitHubServer {
    /// The server's current releases per repository: `[repo: [{tag_name, id, assets: [{id, name, sha256}]}]]`.
    public func state() throws -> [String: [[String: Any]]] {
        let client = HTTPClient(transport: CurlTransport(), policy: try RetryPolicy(maxRetries: 0))
        let response = try client.send(HTTPRequest(url: URL(string: "\(apiURL)/_state")!))
        return (try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: [[String: Any]]]) ?? [:]
    }

    /// Asset names per release tag of `repository`.
    public func assetNames(_ repository: String = "octo/wheels") throws -> [String: [String]] {
        var names: [String: [String]] = [:]
        for release in try state()[repository] ?? [] {
            names[release["tag_name"] as? String ?? ""] = ((release["assets"] as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String }
                .sorted()
        }
        return names
    }
}

/// The `{"name": port}` file a test server writes once it listens.
enum PortFile {
    /// The ports, once the file holds them; nil when `process` ended or `seconds` passed first.
    static func wait(_ path: String, process: Process, seconds: Double) -> [String: Int]? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline, process.isRunning {
            if let data = FileManager.default.contents(atPath: path), let ports = try? JSONSerialization.jsonObject(with: data) as? [String: Int] {
                return ports
            }
            usleep(20_000)
        }
        return nil
    }
}
