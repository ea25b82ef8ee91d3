import Foundation
import Glibc
import HephaestusPlatform
import HephaestusTestSupport
import Testing

/// Issue 14, "Inputs": what users hand the commands (artifacts, file names, numbers, lists, state directories) fails
/// closed, with one line naming the problem and a distinct exit status.
@Suite("Inputs fail closed")
struct InputEdgeTests {
    static let signer = ["--certificate-identity", "signer@example.com", "--certificate-oidc-issuer", "https://issuer.example.com"]
    static let artifact = Array("an artifact\n".utf8)

    /// `a.txt`, its bundle `a.txt.sigstore.json` from the virtual Sigstore, and `trusted_root.json`.
    static func signedArtifact() throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory()
        let sigstore = try VirtualSigstore()
        try directory.write("trusted_root.json", sigstore.trustedRootJSON)
        try directory.write("a.txt", artifact)
        try directory.write("a.txt.sigstore.json", try sigstore.sign(artifact).json)
        return directory
    }

    static func verify(_ artifact: String, in directory: TemporaryDirectory, signer: [String] = signer) throws -> ProcessResult {
        try HephaestusBinary.run(
            ["verify", "bundle", "--bundle", "a.txt.sigstore.json", "--trusted-root", "trusted_root.json"] + signer + [artifact],
            in: directory.path)
    }

    /// `directory/name` as the NUL-terminated bytes a system call takes (`name` need not be UTF-8).
    static func rawPath(_ directory: String, _ name: [UInt8]) -> [CChar] {
        (Array(directory.utf8) + [UInt8(ascii: "/")] + name + [0]).map { CChar(bitPattern: $0) }
    }

    /// Renames `directory/from` to the raw name `to`.
    static func rename(_ directory: TemporaryDirectory, _ from: String, to name: [UInt8]) throws {
        guard Glibc.rename(directory.file(from), rawPath(directory.path, name)) == 0 else { throw POSIXError(.EIO) }
    }

    // MARK: - verify bundle: the artifact and the request (item 5)

    @Test("verify bundle: a missing or directory artifact is 'cannot read artifact' (66), never a digest mismatch")
    func unreadableArtifact() throws {
        let directory = try Self.signedArtifact()
        #expect(try Self.verify("a.txt", in: directory).status == 0)
        try FileManager.default.createDirectory(atPath: directory.file("folder"), withIntermediateDirectories: false)
        for artifact in ["missing.txt", "folder"] {
            let result = try Self.verify(artifact, in: directory)
            #expect(result.status == 66, "\(artifact): \(result.stderrText)")
            #expect(result.stderrText.contains("cannot read artifact \(artifact)"), "\(result.stderrText)")
            #expect(!result.stderrText.contains("mismatch"))
            #expect(result.stderrText.split(separator: "\n").count == 1, "one line: \(result.stderrText)")
        }
    }

    @Test("verify bundle: an artifact that cannot be opened for lack of permission is 77", .enabled(if: geteuid() != 0, "root reads any file"))
    func unreadableForPermission() throws {
        let directory = try Self.signedArtifact()
        chmod(directory.file("a.txt"), 0)
        let result = try Self.verify("a.txt", in: directory)
        #expect(result.status == 77, "\(result.stderrText)")
        #expect(result.stderrText.contains("cannot read artifact a.txt"))
    }

    @Test("verify bundle: a malformed sha256: digest and an empty identity or issuer are usage errors (64)")
    func malformedRequest() throws {
        let directory = try Self.signedArtifact()
        let digest = DigestAlgorithm.sha256.hash(Self.artifact)
        #expect(try Self.verify(digest.description, in: directory).status == 0, "a well-formed digest verifies")
        for artifact in ["sha256:abc", "sha256:" + String(repeating: "g", count: 64), digest.description + "0"] {
            let result = try Self.verify(artifact, in: directory)
            #expect(result.status == 64, "\(artifact): \(result.stderrText)")
            #expect(result.stderrText.contains("is neither a file nor a sha256 digest"), "\(result.stderrText)")
        }
        for (flag, signer) in [
            ("--certificate-identity", ["--certificate-identity", "", "--certificate-oidc-issuer", "https://issuer.example.com"]),
            ("--certificate-oidc-issuer", ["--certificate-identity", "signer@example.com", "--certificate-oidc-issuer", ""]),
        ] {
            let result = try Self.verify("a.txt", in: directory, signer: signer)
            #expect(result.status == 64, "\(flag): \(result.stderrText)")
            #expect(result.stderrText.contains("\(flag) must not be empty"), "\(result.stderrText)")
        }
    }

    // MARK: - File names that are not UTF-8 (item 6)

    @Test("A file name with byte 0xFF works as with sha256sum: digest, digest --check, verify and --bundle")
    func nonUTF8Names() throws {
        let directory = try Self.signedArtifact()
        let name: [UInt8] = [UInt8(ascii: "f"), 0xFF] + Array(".txt".utf8)
        try Self.rename(directory, "a.txt", to: name)
        try Self.rename(directory, "a.txt.sigstore.json", to: name + Array(".sigstore.json".utf8))
        let expectedLine = Array("\(DigestAlgorithm.sha256.hash(Self.artifact).hex)  ".utf8) + name + [0x0A]

        let digest = try HephaestusBinary.run(byteArguments: [Array("digest".utf8), name], in: directory.path)
        #expect(digest.status == 0, "\(digest.stderrText)")
        #expect(digest.stdout == expectedLine, "the name printed as given")
        if let sha256sum = ToolLocator.find("sha256sum") {
            #expect(digest.stdout == (try ProcessResult.run(sha256sum, byteArguments: [name], in: directory.path)).stdout)
        }

        try directory.write("manifest.sha256", expectedLine)
        let check = try HephaestusBinary.run(byteArguments: ["digest", "--check", "manifest.sha256"].map { Array($0.utf8) }, in: directory.path)
        #expect(check.status == 0, "\(check.stderrText)")
        #expect(check.stdout == name + Array(": OK\n".utf8))

        let verify = try HephaestusBinary.run(
            byteArguments: ["verify", "bundle", "--bundle"].map { Array($0.utf8) } + [name + Array(".sigstore.json".utf8)]
                + (["--trusted-root", "trusted_root.json"] + Self.signer).map { Array($0.utf8) } + [name],
            in: directory.path)
        #expect(verify.status == 0, "\(verify.stderrText)")
        #expect(verify.stdout.starts(with: Array("OK: ".utf8) + name + [0x0A]))
    }

    @Test("wheelhouse extract: an archive and a destination whose names are not UTF-8")
    func nonUTF8Extraction() throws {
        let factory = try WheelhouseFactory()
        let wheel = URL(fileURLWithPath: try factory.wheel("alpha-pkg", "1.0.0")).lastPathComponent
        try factory.release("w.tar.gz", sign: false)
        let archive: [UInt8] = [0xFF] + Array(".tar.gz".utf8)
        try Self.rename(factory.directory, "w.tar.gz", to: archive)
        let destination = Array("out-".utf8) + [0xFE]
        let result = try HephaestusBinary.run(
            byteArguments: [Array("wheelhouse".utf8), Array("extract".utf8), archive, Array("--dest".utf8), destination],
            in: factory.directory.path)
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(access(Self.rawPath(factory.directory.path, destination + [UInt8(ascii: "/")] + Array(wheel.utf8)), F_OK) == 0)
        #expect(result.stdout.suffix(destination.count + 1) == ArraySlice(destination + [0x0A]))
    }

    // MARK: - Numbers (item 7)

    @Test("A negative number is an option's value: dev sigstore token --lifetime -60 mints an expired token")
    func negativeValues() throws {
        let directory = try TemporaryDirectory()
        for name in ["keys", "certs"] { try FileManager.default.createDirectory(atPath: directory.file(name), withIntermediateDirectories: false) }
        try directory.write("instance.json", #"{"port": 1, "validFrom": "2025-01-01T00:00:00Z"}"#)
        for lifetime in [["--lifetime", "-60"], ["--lifetime=-60"]] {
            let result = try HephaestusBinary.run(
                ["dev", "sigstore", "token", "--dir", directory.path, "--identity", "dev@example.com"] + lifetime)
            #expect(result.status == 0, "\(lifetime): \(result.stderrText)")
            let payload = try #require(result.stdoutText.split(separator: ".").dropFirst().first)
            var base64 = payload.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
            let json = try #require(Data(base64Encoded: base64))
            let claims = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
            let issued = try #require(claims["iat"] as? Int)
            #expect(claims["exp"] as? Int == issued - 60)
        }
    }

    @Test("Out-of-range numbers get a range error naming the option (64)")
    func rangeErrors() throws {
        let directory = try TemporaryDirectory()
        try directory.write("list.jsonl", "{}\n")
        for (arguments, message) in [
            (
                ["dev", "sigstore", "token", "--dir", directory.path, "--identity", "a@example.com", "--lifetime", "99999999999"],
                "--lifetime must be between"
            ),
            (["dev", "sigstore", "--dir", directory.file("dev"), "--port", "70000"], "--port must be between 0 and 65535, not 70000"),
            (["dev", "sigstore", "--dir", directory.file("dev"), "--port", "-1"], "--port must be between 0 and 65535, not -1"),
            (["verify", "batch", "--jobs", "-1", directory.file("list.jsonl")], "--jobs must be between 1 and 256, not -1"),
            (["wheelhouse", "extract", "a.tar.gz", "--dest", "out", "--max-entries", "-5"], "--max-entries must be positive, not -5"),
            (["release", "verify", "--archive", "a.tar.gz", "--max-size", "-1"], "--max-size must be positive, not -1"),
            (["release", "download", "--repository", "o/r", "--tag", "v1", "--retry-base-delay", "-1"], "--retry-base-delay: must be at least 0"),
        ] {
            let result = try HephaestusBinary.run(arguments, in: directory.path)
            #expect(result.status == 64, "\(arguments): \(result.stderrText)")
            #expect(result.stderrText.contains(message), "\(arguments): \(result.stderrText)")
        }
        #expect(!FileManager.default.fileExists(atPath: directory.file("dev")), "nothing created for a refused request")
    }

    // MARK: - release verify/install --archive --max-size (item 8)

    @Test("release verify and install honour --max-size for --archive, before reading it")
    func localArchiveMaximumSize() throws {
        let factory = try WheelhouseFactory()
        try factory.wheel("alpha-pkg", "1.0.0")
        let size = try FileStatus.size(of: try factory.release())
        let workdir = try TemporaryDirectory()
        let options = [
            "--archive", "demo-1.0.0-wheelhouse.tar.gz", "--workdir", workdir.path, "--require-sigstore", "--sigstore-identity",
            WheelhouseFactory.identity, "--trusted-root", "trusted_root.json",
        ]
        for command in [["release", "verify"], ["release", "install", "--venv", workdir.file("venv"), "--dry-run"]] {
            let refused = try HephaestusBinary.run(command + options + ["--max-size", "\(size - 1)"], in: factory.directory.path)
            #expect(refused.status == 1, "\(command): \(refused.stderrText)")
            #expect(refused.stderrText.contains("is \(size) bytes, more than --max-size \(size - 1)"), "\(refused.stderrText)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: workdir.path).isEmpty, "no staging directory left")
        }
        let accepted = try HephaestusBinary.run(["release", "verify"] + options + ["--max-size", "\(size)"], in: factory.directory.path)
        #expect(accepted.status == 0, "\(accepted.stderrText)")
        let zero = try HephaestusBinary.run(["release", "verify"] + options + ["--max-size", "0"], in: factory.directory.path)
        #expect(zero.status == 64)
        #expect(zero.stderrText.contains("--max-size must be positive, not 0"))
    }

    // MARK: - verify batch lists (item 9)

    @Test("verify batch: an empty list is an error (65), whether from a file or stdin")
    func emptyBatch() throws {
        let directory = try Self.signedArtifact()
        for contents in ["", "\n  \n\t\n"] {
            try directory.write("list.jsonl", contents)
            let result = try HephaestusBinary.run(["verify", "batch", "--trusted-root", "trusted_root.json", "list.jsonl"], in: directory.path)
            #expect(result.status == 65, "\(contents.debugDescription): \(result.stderrText)")
            #expect(result.stderrText.contains("list.jsonl holds no request"), "\(result.stderrText)")
            #expect(result.stdout.isEmpty)
        }
        let stdin = try HephaestusBinary.run(["verify", "batch", "--trusted-root", "trusted_root.json", "-"], in: directory.path, stdin: [])
        #expect(stdin.status == 65)
    }

    @Test("verify batch: an unknown key fails its line, naming the key and the line; every line carries its mediaType")
    func batchKeysAndMediaType() throws {
        let directory = try Self.signedArtifact()
        let request = #"{"bundle":"a.txt.sigstore.json","artifact":"a.txt","identity":"signer@example.com","issuer":"https://issuer.example.com""#
        try directory.write("list.jsonl", request + "}\n" + request + #","github_repo":"o/r"}"# + "\n")
        let result = try HephaestusBinary.run(["verify", "batch", "--trusted-root", "trusted_root.json", "list.jsonl"], in: directory.path)
        #expect(result.status == 1, "\(result.stderrText)")
        let lines = try result.stdoutText.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(lines.count == 2)
        #expect(lines.allSatisfy { $0["mediaType"] as? String == "application/vnd.hephaestus.verification-batch-line+json;version=1" })
        #expect(lines.first?["verdict"] as? String == "pass")
        #expect(lines.last?["verdict"] as? String == "fail")
        #expect((lines.last?["reason"] as? String)?.contains(#"unknown key "github_repo" in line 2"#) == true, "\(lines.last ?? [:])")
    }

    // MARK: - dev sigstore state and port (item 10)

    @Test("dev sigstore: a damaged state directory is exit 65 in one line, without Foundation's error dump")
    func damagedState() throws {
        let instance = #"{"port": 1, "validFrom": "2025-01-01T00:00:00Z"}"#
        let cases: [(String, [String], (TemporaryDirectory) throws -> Void)] = [
            ("instance.json is not JSON", ["token"], { try $0.write("instance.json", "garbage") }),
            (
                "instance.json is a directory", ["serve"],
                { try FileManager.default.createDirectory(atPath: $0.file("instance.json"), withIntermediateDirectories: false) }
            ),
            (
                "a key is not PEM", ["token"],
                {
                    try $0.write("instance.json", instance)
                    try FileManager.default.createDirectory(atPath: $0.file("keys"), withIntermediateDirectories: false)
                    try FileManager.default.createDirectory(atPath: $0.file("certs"), withIntermediateDirectories: false)
                    try $0.write("keys/oidc.pem", [0xFF, 0xFE, 0x00])
                }
            ),
            (
                "keys is a file", ["serve"],
                {
                    try $0.write("instance.json", instance)
                    try $0.write("keys", "not a directory")
                }
            ),
            (
                "the log is not SQLite", ["serve"],
                {
                    try $0.write("instance.json", instance)
                    try $0.write("log.sqlite", String(repeating: "garbage ", count: 100))
                }
            ),
        ]
        for (name, command, damage) in cases {
            let directory = try TemporaryDirectory()
            try damage(directory)
            let identity = command == ["token"] ? ["--identity", "a@example.com"] : []
            let result = try HephaestusBinary.run(["dev", "sigstore"] + command + ["--dir", directory.path] + identity)
            #expect(result.status == 65, "\(name): \(result.stderrText)")
            #expect(result.stderrText.split(separator: "\n").count == 1, "\(name): \(result.stderrText)")
            #expect(result.stderrText.contains("local Sigstore instance state is damaged"), "\(name): \(result.stderrText)")
            #expect(!result.stderrText.contains("NSCocoaErrorDomain") && !result.stderrText.contains("Error Domain"), "\(name)")
        }
    }

    @Test("dev sigstore: a port in use is one line naming the port")
    func portInUse() throws {
        let server = try LoopbackHTTPServer(port: 0) { _ in HTTPServerResponse(status: 503) }
        defer { server.stop() }
        let directory = try TemporaryDirectory()
        let result = try HephaestusBinary.run(["dev", "sigstore", "--dir", directory.path, "--port", "\(server.port)"])
        #expect(result.status == 69, "\(result.stderrText)")
        #expect(result.stderrText.split(separator: "\n").count == 1, "\(result.stderrText)")
        #expect(result.stderrText.contains("port \(server.port) on 127.0.0.1 is already in use"), "\(result.stderrText)")
    }
}
