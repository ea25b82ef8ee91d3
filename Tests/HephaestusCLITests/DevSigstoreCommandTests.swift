import Foundation
import HephaestusPlatform
import HephaestusSigstore
import HephaestusTestSupport
import Testing

/// `hephaestus dev sigstore` as users run it (a separate process), with `hephaestus sign`, our verifier and
/// sigstore-python from PyPI as the independent verifier — and as an independent *signer* against the instance.
@Suite("dev sigstore instance", .serialized)
struct DevSigstoreCommandTests {
    /// A running `hephaestus dev sigstore --dir DIR --port-file FILE`.
    final class RunningInstance {
        let process = Process()
        let directory: String
        let portDocument: [String: Any]

        init(directory: String, portFile: String) throws {
            self.directory = directory
            try? FileManager.default.removeItem(atPath: portFile)
            process.executableURL = URL(fileURLWithPath: HephaestusBinary.path)
            process.arguments = ["dev", "sigstore", "--dir", directory, "--port-file", portFile]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let deadline = Date().addingTimeInterval(20)
            while !FileManager.default.fileExists(atPath: portFile) {
                guard Date() < deadline, process.isRunning else { throw POSIXError(.ETIMEDOUT) }
                usleep(20_000)
            }
            portDocument = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: portFile))) as? [String: Any] ?? [:]
        }

        var issuer: String { portDocument["oidcIssuer"] as? String ?? "" }

        func stop() {
            process.terminate()
            process.waitUntilExit()
        }

        func token(_ identity: String, issuer: String? = nil) throws -> String {
            let result = try HephaestusBinary.run(
                ["dev", "sigstore", "token", "--dir", directory, "--identity", identity] + (issuer.map { ["--issuer", $0] } ?? []))
            #expect(result.status == 0, "\(result.stderrText)")
            return result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    @Test("serves on 127.0.0.1, writes its trust documents and port file, mints verifiable tokens, and stops on SIGTERM")
    func serves() throws {
        let work = try TemporaryDirectory()
        let instance = try RunningInstance(directory: work.file("instance"), portFile: work.file("port.json"))
        defer {
            instance.stop()
            #expect(instance.process.terminationReason == .exit && instance.process.terminationStatus == 0, "SIGTERM ends the instance cleanly")
            #expect(!FileManager.default.fileExists(atPath: work.file("port.json")), "the port file goes with the instance")
        }
        let url = try #require(instance.portDocument["url"] as? String)
        #expect(url.hasPrefix("http://127.0.0.1:"))
        #expect((instance.portDocument["label"] as? String)?.contains("TEST") == true)
        for name in ["trusted_root.json", "signing_config.json", "signing_config.rekor-v1.json", "trust_config.json", "log.sqlite", "keys/oidc.pem"] {
            #expect(FileManager.default.fileExists(atPath: "\(instance.directory)/\(name)"), "\(name)")
        }
        let keyAttributes = try FileManager.default.attributesOfItem(atPath: "\(instance.directory)/keys/ca-root.pem")
        #expect((keyAttributes[.posixPermissions] as? Int) == 0o600)
        #expect(
            try TrustedRoot(json: Array(Data(contentsOf: URL(fileURLWithPath: "\(instance.directory)/trusted_root.json")))).certificateAuthorities
                .count == 1)
        let token = try instance.token("dev@example.com")
        let decoded = try IdentityToken(token)
        #expect(decoded.issuer == instance.issuer)
        #expect(decoded.email == "dev@example.com")
        // The issuer's discovery document and JWKS are served.
        let http = HTTPClient(
            transport: CurlTransport(caBundle: nil, userAgent: "test"),
            policy: try RetryPolicy(maxRetries: 0, baseDelay: 0.01, maxDelay: 0.01, timeout: 5, deadline: 5))
        let discovery = try http.send(HTTPRequest(url: URL(string: instance.issuer + "/.well-known/openid-configuration")!))
        #expect(discovery.status == 200)
        #expect(String(decoding: discovery.body, as: UTF8.self).contains("\"jwks_uri\":\"\(instance.issuer)/jwks\""))
        let jwks = try http.send(HTTPRequest(url: URL(string: instance.issuer + "/jwks")!))
        #expect(String(decoding: jwks.body, as: UTF8.self).contains("\"crv\":\"P-256\""))
        let missing = try HephaestusBinary.run(["dev", "sigstore", "token", "--dir", work.file("nothing-here"), "--identity", "x@example.com"])
        #expect(missing.status == 66)
        #expect(missing.stderrText.contains("holds no local Sigstore instance"))
    }

    @Test(
        "sign → verify with hephaestus and sigstore-python; tampering detected by both; the log survives a restart",
        .enabled(if: SigstorePythonPeer.isUsable, Comment(rawValue: SigstorePythonPeer.absenceMessage)))
    func crossCheckedSigning() throws {
        let work = try TemporaryDirectory()
        let directory = work.file("instance")
        var instance = try RunningInstance(directory: directory, portFile: work.file("port.json"))
        let trustedRoot = "\(directory)/trusted_root.json"
        let trustConfig = "\(directory)/trust_config.json"
        let rekorV1TrustConfig = try work.write(
            "trust-v1.json",
            SigstorePythonPeer.trustConfig(
                trustedRoot: try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: trustedRoot))) as! [String: Any],
                signingConfig: try JSONSerialization.jsonObject(
                    with: Data(contentsOf: URL(fileURLWithPath: "\(directory)/signing_config.rekor-v1.json"))) as! [String: Any]))
        try work.write("artifact.bin", "artifact bytes\n")
        try work.write("tampered.bin", "artifact bytes!\n")
        let email = "release@example.com"
        let workflow = "https://github.com/acme/widgets/.github/workflows/release.yml@refs/tags/v1.2.0"
        struct Case {
            let name: String
            let config: String
            let identity: String
            let issuer: String?
            let extra: [String]
        }
        let cases = [
            Case(name: "email-v2-tsa", config: "\(directory)/signing_config.json", identity: email, issuer: nil, extra: []),
            Case(
                name: "github-v1-tsa", config: "\(directory)/signing_config.rekor-v1.json", identity: workflow,
                issuer: IdentityToken.githubActionsIssuer, extra: []),
        ]
        for item in cases {
            let token = try instance.token(item.identity, issuer: item.issuer)
            let bundle = "\(item.name).sigstore.json"
            let signed = try HephaestusBinary.run(
                [
                    "sign", "--identity-token", token, "--signing-config", item.config, "--trusted-root", trustedRoot, "--bundle", bundle,
                    "artifact.bin",
                ],
                in: work.path)
            #expect(signed.status == 0, "\(item.name): \(signed.stderrText)")
            let issuer = item.issuer ?? instance.issuer
            let peer = try SigstorePythonPeer.verifyIdentity(
                trustConfig: trustConfig, bundle: work.file(bundle), artifact: work.file("artifact.bin"), identity: item.identity, issuer: issuer)
            #expect(peer.status == 0, "\(item.name): sigstore-python rejected our bundle: \(peer.stderrText)")
            let peerTampered = try SigstorePythonPeer.verifyIdentity(
                trustConfig: trustConfig, bundle: work.file(bundle), artifact: work.file("tampered.bin"), identity: item.identity, issuer: issuer)
            #expect(peerTampered.status != 0, "\(item.name): sigstore-python accepted a tampered artifact")
            let oursTampered = try HephaestusBinary.run(
                [
                    "verify", "bundle", "--bundle", bundle, "--certificate-identity", item.identity, "--certificate-oidc-issuer", issuer,
                    "--trusted-root", trustedRoot, "tampered.bin",
                ], in: work.path)
            #expect(oursTampered.status == 1, "\(item.name)")
            let peerOtherIdentity = try SigstorePythonPeer.verifyIdentity(
                trustConfig: trustConfig, bundle: work.file(bundle), artifact: work.file("artifact.bin"), identity: "mallory@example.com",
                issuer: issuer)
            #expect(peerOtherIdentity.status != 0, "\(item.name)")
        }

        // In-toto statement (DSSE, Rekor v1 dsse entry): sigstore-python verifies it against the subject.
        let digest = DigestAlgorithm.sha256.hash(Array("artifact bytes\n".utf8)).hex
        try work.write(
            "statement.json",
            #"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"artifact.bin","digest":{"sha256":"\#(digest)"}}],"predicateType":"https://slsa.dev/provenance/v1","predicate":{"buildDefinition":{}}}"#
        )
        let attested = try HephaestusBinary.run(
            [
                "sign", "--identity-token", try instance.token(email), "--in-toto", "--signing-config", "\(directory)/signing_config.rekor-v1.json",
                "--trusted-root", trustedRoot, "--bundle", "statement.sigstore.json", "statement.json",
            ], in: work.path)
        #expect(attested.status == 0, "\(attested.stderrText)")
        let peerDSSE = try SigstorePythonPeer.verifyIdentity(
            trustConfig: rekorV1TrustConfig, bundle: work.file("statement.sigstore.json"), artifact: work.file("artifact.bin"), identity: email,
            issuer: instance.issuer)
        #expect(peerDSSE.status == 0, "sigstore-python rejected our DSSE bundle: \(peerDSSE.stderrText)")

        // sigstore-python can sign against the instance too; we verify its bundle.
        if let executable = SigstorePythonPeer.executable {
            try work.write("peer.bin", "signed by sigstore-python\n")
            let peerSigned = try ProcessResult.run(
                executable,
                [
                    "--trust-config", rekorV1TrustConfig, "sign", "--identity-token", try instance.token(email), "--bundle",
                    work.file("peer.bin.sigstore.json"), work.file("peer.bin"),
                ],
                in: work.path)
            #expect(peerSigned.status == 0, "sigstore sign against the local instance: \(peerSigned.stderrText)")
            let oursOnPeer = try HephaestusBinary.run(
                [
                    "verify", "bundle", "--bundle", "peer.bin.sigstore.json", "--certificate-identity", email, "--certificate-oidc-issuer",
                    instance.issuer,
                    "--trusted-root", trustedRoot, "peer.bin",
                ], in: work.path)
            #expect(oursOnPeer.status == 0, "\(oursOnPeer.stderrText)")
        }

        // Restart: same keys and trust root, the Rekor v1 log continues where it stopped.
        let rootBefore = try Data(contentsOf: URL(fileURLWithPath: trustedRoot))
        let sizeBefore = try logSize(instance)
        instance.stop()
        instance = try RunningInstance(directory: directory, portFile: work.file("port.json"))
        defer { instance.stop() }
        #expect(try Data(contentsOf: URL(fileURLWithPath: trustedRoot)) == rootBefore)
        #expect(try logSize(instance) == sizeBefore)
        let again = try HephaestusBinary.run(
            [
                "sign", "--identity-token", try instance.token(email), "--signing-config", "\(directory)/signing_config.rekor-v1.json",
                "--trusted-root", trustedRoot, "--bundle", "after-restart.sigstore.json", "--json", "artifact.bin",
            ], in: work.path)
        #expect(again.status == 0, "\(again.stderrText)")
        #expect(
            again.stdoutText.contains("\"logIndex\":\(sizeBefore)") || again.stdoutText.contains("\"logIndex\" : \(sizeBefore)"),
            "\(again.stdoutText)")
        let earlier = try SigstorePythonPeer.verifyIdentity(
            trustConfig: trustConfig, bundle: work.file("email-v2-tsa.sigstore.json"), artifact: work.file("artifact.bin"), identity: email,
            issuer: instance.issuer)
        #expect(earlier.status == 0, "a bundle from before the restart still verifies: \(earlier.stderrText)")
    }

    private func logSize(_ instance: RunningInstance) throws -> Int {
        let http = HTTPClient(
            transport: CurlTransport(caBundle: nil, userAgent: "test"),
            policy: try RetryPolicy(maxRetries: 0, baseDelay: 0.01, maxDelay: 0.01, timeout: 5, deadline: 5))
        let url = URL(string: (instance.portDocument["url"] as? String ?? "") + "/api/v1/log")!
        let info = try JSONSerialization.jsonObject(with: Data(try http.send(HTTPRequest(url: url)).body)) as? [String: Any]
        return (info?["treeSize"] as? NSNumber)?.intValue ?? -1
    }
}
