import Foundation
import HephaestusPlatform
import HephaestusTestSupport
import Testing

/// The one line a user reads when something is off: it names the actual problem, and JSON documents are what their
/// media type says.
@Suite("messages")
struct MessageTests {
    @Test("wheelhouse extract --dest that is a symbolic link says so; nothing is written through it")
    func extractIntoSymlink() throws {
        let work = try TemporaryDirectory()
        try work.write("file.txt", "bytes\n")
        #expect(try ProcessResult.runTool("tar", ["czf", "a.tar.gz", "file.txt"], in: work.path).status == 0)
        try FileManager.default.createDirectory(atPath: work.file("real"), withIntermediateDirectories: false)
        try FileManager.default.createSymbolicLink(atPath: work.file("link"), withDestinationPath: "real")
        let result = try HephaestusBinary.run(["wheelhouse", "extract", "a.tar.gz", "--dest", "link"], in: work.path)
        #expect(result.status == 73)
        #expect(result.stderrText.hasPrefix("hephaestus: link is a symbolic link, not a directory"), "\(result.stderrText)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: work.file("real")).isEmpty)
    }

    @Test("wheelhouse pack given a file says it is not a directory")
    func packAFile() throws {
        let work = try TemporaryDirectory()
        try work.write("wheels", "not a directory\n")
        let result = try HephaestusBinary.run(["wheelhouse", "pack", "wheels", "--output", "demo-1.0-wheelhouse.tar.gz"], in: work.path)
        #expect(result.status == 66)
        #expect(result.stderrText == "hephaestus: wheels: not a directory\n")
        #expect(!FileManager.default.fileExists(atPath: work.file("demo-1.0-wheelhouse.tar.gz")))
    }

    @Test("sign --key with a public key says so; an encrypted key is a signing-key problem, not a signing-config one")
    func signingKeyMessages() throws {
        let work = try TemporaryDirectory()
        try work.write("artifact.bin", "bytes\n")
        #expect(
            try ProcessResult.runTool("openssl", ["ecparam", "-genkey", "-name", "prime256v1", "-noout", "-out", "key.pem"], in: work.path).status
                == 0)
        #expect(try ProcessResult.runTool("openssl", ["ec", "-in", "key.pem", "-pubout", "-out", "key.pub"], in: work.path).status == 0)
        #expect(
            try ProcessResult.runTool("openssl", ["ec", "-in", "key.pem", "-aes256", "-passout", "pass:secret", "-out", "enc.pem"], in: work.path)
                .status == 0)
        let publicKey = try HephaestusBinary.run(["sign", "--key", "key.pub", "artifact.bin"], in: work.path)
        #expect(publicKey.status == 65)
        #expect(publicKey.stderrText.hasPrefix("hephaestus: signing key: key.pub is a public key;"), "\(publicKey.stderrText)")
        let encrypted = try HephaestusBinary.run(["sign", "--key", "enc.pem", "artifact.bin"], in: work.path)
        #expect(encrypted.status == 65)
        #expect(encrypted.stderrText.hasPrefix("hephaestus: signing key: enc.pem is an encrypted private key"), "\(encrypted.stderrText)")
        #expect(!encrypted.stderrText.contains("signing config"))
        #expect(!FileManager.default.fileExists(atPath: work.file("artifact.bin.sigstore.json")))
    }

    @Test("a timestamp authority the trusted root lists without a URI is printed as its source alone")
    func timestampAuthorityWithoutURI() throws {
        let server = try SigstoreTestServer()
        let work = try TemporaryDirectory()
        try work.write("artifact.bin", "release bytes\n")
        let signed = try SignCommandTests.sign(
            [
                "--identity-token", try server.token(), "--signing-config", server.signingConfigPath, "--trusted-root", server.trustedRootPath,
                "artifact.bin",
            ], in: work.path)
        #expect(signed.status == 0, "\(signed.stderrText)")
        var root = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: server.trustedRootPath))) as? [String: Any])
        var authorities = try #require(root["timestampAuthorities"] as? [[String: Any]])
        for index in authorities.indices { authorities[index]["uri"] = nil }
        root["timestampAuthorities"] = authorities
        try work.write("root.json", Array(try JSONSerialization.data(withJSONObject: root)))
        let verified = try HephaestusBinary.run(
            [
                "verify", "bundle", "--bundle", "artifact.bin.sigstore.json", "--certificate-identity", "signer@example.com",
                "--certificate-oidc-issuer", server.issuer, "--trusted-root", "root.json", "artifact.bin",
            ], in: work.path)
        #expect(verified.status == 0, "\(verified.stderrText)")
        #expect(verified.stdoutText.contains(" (timestamp-authority)\n"), "\(verified.stdoutText)")
        #expect(!verified.stdoutText.contains("timestamp-authority: )"))
    }

    @Test("every warning line starts with warning:")
    func warningsSaySo() throws {
        let work = try TemporaryDirectory()
        let wheel = try PublishPyPITests.makeWheel(work, "plain", "1.0")
        let result = try HephaestusBinary.run(["publish", "pypi", "--dry-run", wheel], in: work.path)
        #expect(result.status == 0, "\(result.stderrText)")
        let lines = result.stderrText.split(separator: "\n")
        #expect(lines.contains { $0.contains("no long description") }, "\(result.stderrText)")
        for line in lines {
            #expect(line.hasPrefix("hephaestus: warning: "), "\(line)")
        }
    }

    @Test("wheelhouse pack --json holds the archive's fields at its top level, not under result")
    func packJSON() throws {
        let work = try TemporaryDirectory()
        _ = try PublishPyPITests.makeWheel(work, "alpha", "1.0", folder: "wheels")
        let result = try HephaestusBinary.run(["wheelhouse", "pack", "wheels", "--output", "demo-1.0-wheelhouse.tar.gz", "--json"], in: work.path)
        #expect(result.status == 0, "\(result.stderrText)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [String: Any])
        #expect(document["result"] == nil)
        #expect(document["mediaType"] as? String == "application/vnd.hephaestus.wheelhouse-pack+json;version=1")
        let digest = DigestAlgorithm.sha256.hash(Array(try Data(contentsOf: URL(fileURLWithPath: work.file("demo-1.0-wheelhouse.tar.gz"))))).hex
        #expect(document["sha256"] as? String == digest)
        #expect(document["archive"] as? String == "demo-1.0-wheelhouse.tar.gz")
        #expect((document["wheels"] as? [[String: Any]])?.count == 1)
    }

    @Test("publish pypi refuses a DIST given twice, or two with the same file name; nothing is contacted")
    func duplicateDistributions() throws {
        let work = try TemporaryDirectory()
        let wheel = try PublishPyPITests.makeWheel(work, "alpha", "1.0")
        try FileManager.default.createDirectory(atPath: work.file("copy"), withIntermediateDirectories: false)
        try FileManager.default.copyItem(atPath: wheel, toPath: work.file("copy/alpha-1.0-py3-none-any.whl"))
        let twice = try HephaestusBinary.run(["publish", "pypi", "--dry-run", wheel, wheel], in: work.path)
        #expect(twice.status == 64)
        #expect(twice.stderrText.hasPrefix("Error: DIST \(wheel) is given twice\n"), "\(twice.stderrText)")
        let sameName = try HephaestusBinary.run(["publish", "pypi", "--dry-run", wheel, "copy/alpha-1.0-py3-none-any.whl"], in: work.path)
        #expect(sameName.status == 64)
        #expect(sameName.stderrText.contains("have the same file name"), "\(sameName.stderrText)")
        let github = try HephaestusBinary.run(
            ["publish", "github", "--repository", "o/r", "--tag", "v1", wheel, "copy/alpha-1.0-py3-none-any.whl"], in: work.path)
        #expect(github.status == 64)
        #expect(github.stderrText.contains("have the same file name"), "\(github.stderrText)")
    }
}
