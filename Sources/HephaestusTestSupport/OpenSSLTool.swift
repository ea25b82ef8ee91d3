import Foundation

/// The `openssl` command line, used by tests to make independent vectors (keys, signatures, certificates).
public struct OpenSSLTool {
    public let directory: TemporaryDirectory

    public init(directory: TemporaryDirectory) {
        self.directory = directory
    }

    public struct Failure: Error, CustomStringConvertible {
        public let arguments: [String]
        public let stderr: String
        public var description: String { "openssl \(arguments.joined(separator: " ")) failed: \(stderr)" }
    }

    /// Runs `openssl ARGUMENTS` in the directory; throws with stderr on failure.
    @discardableResult
    public func run(_ arguments: [String], stdin: [UInt8]? = nil) throws -> ProcessResult {
        let result = try ProcessResult.runTool("openssl", arguments, in: directory.path, stdin: stdin)
        guard result.status == 0 else { throw Failure(arguments: arguments, stderr: result.stderrText) }
        return result
    }

    /// Generates a private key: `ec:P-256`, `ec:P-384`, `ed25519` or `rsa:BITS`. Returns the key file name.
    @discardableResult
    public func generateKey(_ kind: String, name: String) throws -> String {
        let file = name + ".key"
        switch kind {
        case "ed25519":
            try run(["genpkey", "-algorithm", "ed25519", "-out", file])
        case let rsa where rsa.hasPrefix("rsa:"):
            try run(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:\(rsa.dropFirst(4))", "-out", file])
        case let ec where ec.hasPrefix("ec:"):
            try run(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:\(ec.dropFirst(3))", "-out", file])
        default:
            fatalError("unknown key kind \(kind)")
        }
        return file
    }

    /// The PEM public key of a private key file.
    public func publicKeyPEM(of keyFile: String) throws -> String {
        try run(["pkey", "-in", keyFile, "-pubout"]).stdoutText
    }

    /// Reads a file of the directory.
    public func read(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: directory.file(name))))
    }
}
