import Foundation
import HephaestusPlatform
import HephaestusTestSupport
import Testing

/// `hephaestus verify batch` and `trust show` through the binary, with bundles minted by the virtual Sigstore.
@Suite("verify batch and trust show")
struct VerifyBatchCommandTests {
    /// Writes `count` signed artifacts, the trusted root and a list; line `tamperedLine` (1-based) gets a wrong identity.
    static func workspace(count: Int) throws -> (TemporaryDirectory, VirtualSigstore) {
        let directory = try TemporaryDirectory()
        let sigstore = try VirtualSigstore()
        try directory.write("trusted_root.json", sigstore.trustedRootJSON)
        try FileManager.default.createDirectory(atPath: directory.file("dist"), withIntermediateDirectories: true)
        for index in 0..<count {
            let artifact = Array("artifact number \(index)\n".utf8)
            try directory.write("dist/a\(index).txt", artifact)
            try directory.write("dist/a\(index).txt.sigstore.json", try sigstore.sign(artifact).json)
        }
        return (directory, sigstore)
    }

    static func request(_ index: Int, identity: String = "signer@example.com") -> String {
        #"{"bundle":"dist/a\#(index).txt.sigstore.json","artifact":"dist/a\#(index).txt","identity":"\#(identity)","issuer":"https://issuer.example.com"}"#
    }

    @Test("Verdicts come back one per line, in input order; any failure exits 1")
    func ordering() throws {
        let (directory, _) = try Self.workspace(count: 40)
        var lines = (0..<40).map { Self.request($0) }
        lines[7] = Self.request(7, identity: "mallory@example.com")
        lines[23] = #"{"bundle": "dist/a23.txt.sigstore.json"}"#
        lines.insert("", at: 30)
        try directory.write("list.jsonl", lines.joined(separator: "\n") + "\n")
        let result = try HephaestusBinary.run([
            "verify", "batch", "--jobs", "2", "--trusted-root", directory.file("trusted_root.json"), directory.file("list.jsonl"),
        ])
        #expect(result.status == 1)
        let outcomes = try result.stdoutText.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(outcomes.count == 40)
        let lineNumbers = outcomes.compactMap { $0["line"] as? Int }
        #expect(lineNumbers == lineNumbers.sorted())
        let failed = outcomes.filter { $0["verdict"] as? String == "fail" }
        #expect(failed.count == 2)
        #expect(failed.first?["code"] as? String == "verify.identity-mismatch")
        #expect((failed.last?["reason"] as? String)?.contains("malformed list line") == true)
        #expect(outcomes.allSatisfy { $0["runId"] as? String == outcomes[0]["runId"] as? String })
        #expect(result.stderrText.contains("2 of 40 bundles failed verification"))
    }

    @Test("All passing exits 0; --jobs is validated")
    func allPass() throws {
        let (directory, _) = try Self.workspace(count: 5)
        try directory.write("list.jsonl", (0..<5).map { Self.request($0) }.joined(separator: "\n"))
        let result = try HephaestusBinary.run([
            "verify", "batch", "--trusted-root", directory.file("trusted_root.json"), directory.file("list.jsonl"),
        ])
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(result.stdoutText.split(separator: "\n").count == 5)
        for jobs in ["0", "1000"] {
            #expect(try HephaestusBinary.run(["verify", "batch", "--jobs", jobs, directory.file("list.jsonl")]).status == 64)
        }
    }

    @Test("verify bundle against a custom trusted root, and a bundle from another instance")
    func customRoot() throws {
        let (directory, _) = try Self.workspace(count: 1)
        let arguments = [
            "verify", "bundle", "--bundle", "dist/a0.txt.sigstore.json", "--trusted-root", "trusted_root.json",
            "--certificate-identity", "signer@example.com", "--certificate-oidc-issuer", "https://issuer.example.com", "dist/a0.txt",
        ]
        #expect(try HephaestusBinary.run(arguments, in: directory.path).status == 0)
        let other = try VirtualSigstore(name: "other.sigstore.test")
        try directory.write("other_root.json", other.trustedRootJSON)
        var swapped = arguments
        swapped[5] = "other_root.json"
        let rejected = try HephaestusBinary.run(swapped, in: directory.path)
        #expect(rejected.status == 1)
        #expect(rejected.stderrText.contains("not in the trusted root"))
        try directory.write("broken_root.json", "{\"mediaType\": 3}")
        swapped[5] = "broken_root.json"
        #expect(try HephaestusBinary.run(swapped, in: directory.path).status == 65)
    }

    @Test("trust show lists every authority and log, as text and JSON")
    func trustShow() throws {
        let text = try HephaestusBinary.run(["trust", "show"])
        #expect(text.status == 0)
        #expect(text.stdoutText.contains("https://fulcio.sigstore.dev"))
        #expect(text.stdoutText.contains("https://rekor.sigstore.dev"))
        #expect(text.stdoutText.contains("origin: sigstore-"))
        let json = try HephaestusBinary.run(["trust", "show", "--staging", "--json"])
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout)) as? [String: Any])
        #expect(document["mediaType"] as? String == "application/vnd.hephaestus.trust-report+json;version=1")
        #expect((document["transparencyLogs"] as? [Any])?.count == 4)
        #expect((document["certificateTransparencyLogs"] as? [Any])?.count == 4)
        #expect((document["timestampAuthorities"] as? [Any])?.count == 1)
        #expect(try HephaestusBinary.run(["trust", "show", "--staging", "--trusted-root", "x.json"]).status == 64)
    }
}
