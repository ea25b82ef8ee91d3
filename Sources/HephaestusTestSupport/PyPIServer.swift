import Foundation
import Glibc
import HephaestusPlatform

/// A real `pypiserver` (from PyPI, in ``TestVenv``) started on 127.0.0.1 for one test, with an htpasswd file
/// (made by `openssl passwd -apr1`) guarding uploads; killed when released.
public final class PyPIServer: @unchecked Sendable {
    public static let username = "uploader"
    public static let absenceMessage = "pypiserver from PyPI is not installed (run scripts/bootstrap test): index tests skipped"

    public let directory: TemporaryDirectory
    public let password: String
    public let port: Int
    private let process: Process

    /// The folder the server stores uploads in.
    public var packages: String { directory.file("packages") }
    /// The legacy upload URL.
    public var uploadURL: String { "http://127.0.0.1:\(port)/" }
    /// The PEP 503 simple index pip installs from.
    public var simpleURL: String { "http://127.0.0.1:\(port)/simple/" }

    public init(password: String = "s3cret-" + UUID().uuidString.prefix(8).lowercased()) throws {
        guard let executable = TestVenv.tool("pypi-server") else { throw ToolLocator.Missing(name: "pypi-server (PyPI)") }
        self.password = password
        directory = try TemporaryDirectory(prefix: "pypiserver")
        try FileManager.default.createDirectory(atPath: directory.file("packages"), withIntermediateDirectories: false)
        let hash = try OpenSSLTool(directory: directory).run(["passwd", "-apr1", password]).stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        let htpasswd = try directory.write("htpasswd", "\(Self.username):\(hash)\n")
        var lastError: Error = ToolLocator.Missing(name: "a running pypiserver")
        for _ in 0..<5 {
            let port = try Self.freePort()
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = [
                "run", "-i", "127.0.0.1", "-p", "\(port)", "-P", htpasswd, "-a", "update", "--disable-fallback", directory.file("packages"),
            ]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: try directory.write("server.log", "")))
            try process.run()
            if Self.waitUntilServing(port: port, process: process) {
                self.port = port
                self.process = process
                return
            }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            lastError = ToolLocator.Missing(
                name: "a running pypiserver (log: \((try? String(contentsOfFile: directory.file("server.log"), encoding: .utf8)) ?? ""))")
        }
        throw lastError
    }

    deinit {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// The files the index holds, by name, with their SHA-256.
    public func storedFiles() throws -> [String: String] {
        var files: [String: String] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: packages) where !name.hasPrefix(".") {
            files[name] = try DigestAlgorithm.sha256.hash(fileAt: packages + "/" + name).hex
        }
        return files
    }

    private static func waitUntilServing(port: Int, process: Process) -> Bool {
        let client = HTTPClient(transport: CurlTransport(), policy: (try? RetryPolicy(maxRetries: 0))!)
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, process.isRunning {
            if let response = try? client.send(HTTPRequest(url: URL(string: "http://127.0.0.1:\(port)/simple/")!)), response.status == 200 {
                return true
            }
            usleep(100_000)
        }
        return false
    }

    /// A port nobody listens on right now (bound, read back, released).
    static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Bool in
                bind(descriptor, pointer, length) == 0 && getsockname(descriptor, pointer, &length) == 0
            }
        }
        guard bound else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EADDRINUSE) }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
