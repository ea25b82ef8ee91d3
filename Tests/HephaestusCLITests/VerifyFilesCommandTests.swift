import Foundation
import HephaestusTestSupport
import Testing

/// `hephaestus verify FILE...`: each file with its bundle found by the client specification's discovery order.
@Suite("verify FILE...", .enabled(if: SharedFixtures.isAvailable, Comment(rawValue: SharedFixtures.absenceMessage)))
struct VerifyFilesCommandTests {
    static let identity = "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2"
    static let issuer = "https://token.actions.githubusercontent.com"
    static let signer = ["--certificate-identity", identity, "--certificate-oidc-issuer", issuer]

    /// A directory holding the genuine wheel and its bundle (`.sigstore`, the second name of the discovery order).
    static func workspace() throws -> TemporaryDirectory {
        let work = try TemporaryDirectory()
        for name in ["bundle_v3_github.whl", "bundle_v3_github.whl.sigstore"] {
            try FileManager.default.copyItem(atPath: SharedFixtures.sigstorePython.path + "/" + name, toPath: work.file(name))
        }
        return work
    }

    @Test("a file beside its bundle verifies: OK line, exit 0; `verify files` is the same command")
    func passes() throws {
        let work = try Self.workspace()
        let result = try HephaestusBinary.run(["verify"] + Self.signer + ["bundle_v3_github.whl"], in: work.path)
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(result.stdoutText == "OK: bundle_v3_github.whl\n")
        let explicit = try HephaestusBinary.run(["verify", "files"] + Self.signer + ["bundle_v3_github.whl"], in: work.path)
        #expect(explicit.status == 0 && explicit.stdoutText == result.stdoutText)
    }

    @Test("one verdict per file in order; a missing bundle, another signer and tampered bytes fail; exit 1 with a count")
    func failures() throws {
        let work = try Self.workspace()
        try work.write("unsigned.whl", "no bundle here")
        try work.write("tampered.whl", "other bytes")
        try FileManager.default.copyItem(atPath: work.file("bundle_v3_github.whl.sigstore"), toPath: work.file("tampered.whl.sigstore"))
        let result = try HephaestusBinary.run(["verify"] + Self.signer + ["bundle_v3_github.whl", "unsigned.whl", "tampered.whl"], in: work.path)
        #expect(result.status == 1, "\(result.stderrText)")
        let lines = result.stdoutText.split(separator: "\n").map(String.init)
        #expect(lines.count == 3, "\(lines)")
        #expect(lines.first == "OK: bundle_v3_github.whl")
        #expect(
            lines.count > 1
                && lines[1].hasPrefix(
                    "FAIL: unsigned.whl: no bundle for unsigned.whl: looked for unsigned.whl.sigstore.json and unsigned.whl.sigstore")
        )
        #expect(lines.count > 2 && lines[2].hasPrefix("FAIL: tampered.whl: verification failed at "), "\(lines)")
        #expect(result.stderrText == "hephaestus: 2 of 3 files failed verification\n", "\(result.stderrText)")

        let other = try HephaestusBinary.run(
            ["verify", "--certificate-identity", "someone@example.com", "--certificate-oidc-issuer", Self.issuer, "bundle_v3_github.whl"],
            in: work.path)
        #expect(other.status == 1)
        #expect(other.stdoutText.hasPrefix("FAIL: bundle_v3_github.whl: verification failed at "), "\(other.stdoutText)")
        #expect(other.stdoutText.contains("someone@example.com"))
    }

    @Test("--bundle-dir finds bundles by the file's name; FILE.sigstore.json is preferred over FILE.sigstore")
    func bundleDirectoryAndOrder() throws {
        let work = try Self.workspace()
        try FileManager.default.createDirectory(atPath: work.file("bundles"), withIntermediateDirectories: true)
        try FileManager.default.moveItem(
            atPath: work.file("bundle_v3_github.whl.sigstore"), toPath: work.file("bundles/bundle_v3_github.whl.sigstore.json"))
        let found = try HephaestusBinary.run(["verify", "--bundle-dir", "bundles"] + Self.signer + ["bundle_v3_github.whl"], in: work.path)
        #expect(found.status == 0, "\(found.stderrText)")
        // A .sigstore.json that is not a bundle wins over a good .sigstore: the first name of the order is the one used.
        try FileManager.default.copyItem(
            atPath: work.file("bundles/bundle_v3_github.whl.sigstore.json"), toPath: work.file("bundles/bundle_v3_github.whl.sigstore"))
        try work.write("bundles/bundle_v3_github.whl.sigstore.json", "{}")
        let first = try HephaestusBinary.run(["verify", "--bundle-dir", "bundles"] + Self.signer + ["bundle_v3_github.whl"], in: work.path)
        #expect(first.status == 1, "\(first.stdoutText)")
    }

    @Test("--json: one document with every verdict; a usage error without FILE or with one twice")
    func jsonAndUsage() throws {
        let work = try Self.workspace()
        try work.write("unsigned.whl", "x")
        let result = try HephaestusBinary.run(["verify", "--json"] + Self.signer + ["bundle_v3_github.whl", "unsigned.whl"], in: work.path)
        #expect(result.status == 1)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [String: Any])
        #expect(document["mediaType"] as? String == "application/vnd.hephaestus.verification-files+json;version=1")
        let files = try #require(document["files"] as? [[String: Any]])
        #expect(files.map { $0["verdict"] as? String } == ["pass", "fail"])
        #expect(files.last?["code"] as? String == "file.not-found")
        #expect(files.first?["identity"] as? String == Self.identity)
        let twice = try HephaestusBinary.run(["verify"] + Self.signer + ["bundle_v3_github.whl", "bundle_v3_github.whl"], in: work.path)
        #expect(twice.status == 64, "\(twice.stderrText)")
        let none = try HephaestusBinary.run(["verify"] + Self.signer, in: work.path)
        #expect(none.status == 64, "\(none.stderrText)")
    }
}
