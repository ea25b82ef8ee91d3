import Foundation
import HephaestusPlatform
import HephaestusSigstore
import HephaestusTestSupport
import Testing

/// `hephaestus sign` against a local Sigstore instance over real HTTP, verified by our verifier (and, in
/// SigstorePythonSigningTests, by sigstore-python).
@Suite("sign command")
struct SignCommandTests {
    /// Runs `hephaestus sign` with fast retries.
    static func sign(_ arguments: [String], in directory: String, environment: [String: String]? = nil) throws -> ProcessResult {
        try HephaestusBinary.run(
            ["sign", "--retry-base-delay", "0.01", "--retry-max-delay", "0.05"] + arguments, in: directory, environment: environment)
    }

    static func verify(_ server: SigstoreTestServer, bundle: String, file: String, identity: String, in directory: String) throws -> ProcessResult {
        try HephaestusBinary.run(
            [
                "verify", "bundle", "--bundle", bundle, "--certificate-identity", identity, "--certificate-oidc-issuer", server.issuer,
                "--trusted-root", server.trustedRootPath, file,
            ], in: directory)
    }

    @Test("keyless, e-mail identity, Rekor v2 + TSA: bundle written, verifies, names identity, log and time")
    func keylessRekorV2() throws {
        let server = try SigstoreTestServer()
        let work = try TemporaryDirectory()
        try work.write("artifact.bin", "release bytes\n")
        let result = try Self.sign(
            [
                "--identity-token", try server.token(), "--signing-config", server.signingConfigPath, "--trusted-root", server.trustedRootPath,
                "artifact.bin",
            ], in: work.path)
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(result.stdoutText.contains("bundle:   artifact.bin.sigstore.json"))
        #expect(result.stdoutText.contains("identity: signer@example.com"))
        #expect(result.stdoutText.contains("(hashedrekord 0.0.2)"))
        #expect(result.stdoutText.contains("(timestamp-authority)"))
        let bundle = try SigstoreBundle(json: Array(Data(contentsOf: URL(fileURLWithPath: work.file("artifact.bin.sigstore.json")))))
        #expect(bundle.mediaType == "application/vnd.dev.sigstore.bundle.v0.3+json")
        #expect(server.requestLog.contains("POST /api/v2/signingCert"))
        #expect(server.requestLog.contains("POST /api/v2/log/entries"))
        #expect(server.requestLog.contains("POST /api/v1/timestamp"))
        let verified = try Self.verify(
            server, bundle: "artifact.bin.sigstore.json", file: "artifact.bin", identity: "signer@example.com", in: work.path)
        #expect(verified.status == 0, "\(verified.stderrText)")
        // Another file's bytes do not verify with this bundle.
        try work.write("other.bin", "other bytes\n")
        let wrong = try Self.verify(server, bundle: "artifact.bin.sigstore.json", file: "other.bin", identity: "signer@example.com", in: work.path)
        #expect(wrong.status == 1)
    }

    @Test("keyless, GitHub workflow identity, Rekor v1 + TSA: certificate carries the workflow claims")
    func keylessGitHubRekorV1() throws {
        let server = try SigstoreTestServer()
        let work = try TemporaryDirectory()
        try work.write("wheelhouse.tar.gz", "archive\n")
        let identity = "https://github.com/acme/widgets/.github/workflows/release.yml@refs/tags/v2.0.0"
        let token = try server.token(identity: identity, issuer: IdentityToken.githubActionsIssuer)
        let result = try Self.sign(
            [
                "--identity-token", token, "--signing-config", server.rekorV1SigningConfigPath, "--trusted-root", server.trustedRootPath,
                "--json", "wheelhouse.tar.gz",
            ], in: work.path)
        #expect(result.status == 0, "\(result.stderrText)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [String: Any])
        #expect(document["mediaType"] as? String == "application/vnd.hephaestus.signing-result+json;version=1")
        let signed = try #require((document["signed"] as? [[String: Any]])?.first)
        let verification = try #require(signed["verification"] as? [String: Any])
        #expect(verification["identity"] as? String == identity)
        #expect(verification["issuer"] as? String == IdentityToken.githubActionsIssuer)
        let entries = try #require(verification["logEntries"] as? [[String: Any]])
        #expect(entries.first?["kindVersion"] as? String == "0.0.1")
        let verified = try HephaestusBinary.run(
            [
                "verify", "bundle", "--bundle", "wheelhouse.tar.gz.sigstore.json", "--certificate-identity", identity,
                "--certificate-oidc-issuer", IdentityToken.githubActionsIssuer, "--trusted-root", server.trustedRootPath,
                "--github-repository", "acme/widgets", "--github-ref", "refs/tags/v2.0.0", "--github-trigger", "push", "wheelhouse.tar.gz",
            ],
            in: work.path)
        #expect(verified.status == 0, "\(verified.stderrText)")
        let otherRepository = try HephaestusBinary.run(
            [
                "verify", "bundle", "--bundle", "wheelhouse.tar.gz.sigstore.json", "--certificate-identity", identity,
                "--certificate-oidc-issuer", IdentityToken.githubActionsIssuer, "--trusted-root", server.trustedRootPath,
                "--github-repository", "acme/gadgets", "wheelhouse.tar.gz",
            ], in: work.path)
        #expect(otherRepository.status == 1)
        #expect(otherRepository.stderrText.contains("acme/widgets"))
    }

    @Test("keyless with Rekor v1 and no TSA: the SET gives the time")
    func keylessWithoutTimestampAuthority() throws {
        let server = try SigstoreTestServer()
        let work = try TemporaryDirectory()
        try work.write("a.txt", "a\n")
        let config = try server.signingConfig(rekorVersions: [1], timestamps: false)
        let result = try Self.sign(
            ["--identity-token", try server.token(), "--signing-config", config, "--trusted-root", server.trustedRootPath, "a.txt"], in: work.path)
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(!server.requestLog.contains("POST /api/v1/timestamp"))
        #expect(result.stdoutText.contains("(transparency-log)"))
        #expect(try Self.verify(server, bundle: "a.txt.sigstore.json", file: "a.txt", identity: "signer@example.com", in: work.path).status == 0)
    }

    @Test("Rekor v2 without a TSA is refused before anything is requested")
    func rekorV2NeedsTimestampAuthority() throws {
        let server = try SigstoreTestServer()
        let work = try TemporaryDirectory()
        try work.write("a.txt", "a\n")
        let config = try server.signingConfig(rekorVersions: [2], timestamps: false)
        let result = try Self.sign(
            ["--identity-token", try server.token(), "--signing-config", config, "--trusted-root", server.trustedRootPath, "a.txt"], in: work.path)
        #expect(result.status == 65)
        #expect(result.stderrText.contains("timestamp authority is required"))
        #expect(server.requestLog.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: work.file("a.txt.sigstore.json")))
    }

    @Test("in-toto statement signed as DSSE (Rekor v1 dsse entry) verifies against its subject")
    func inTotoStatement() throws {
        let server = try SigstoreTestServer()
        let work = try TemporaryDirectory()
        let artifact = Array("the artifact\n".utf8)
        try work.write("artifact.bin", artifact)
        let digest = DigestAlgorithm.sha256.hash(artifact).hex
        try work.write(
            "statement.json",
            #"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"artifact.bin","digest":{"sha256":"\#(digest)"}}],"predicateType":"https://slsa.dev/provenance/v1","predicate":{}}"#
        )
        let result = try Self.sign(
            [
                "--identity-token", try server.token(), "--signing-config", server.rekorV1SigningConfigPath, "--trusted-root", server.trustedRootPath,
                "--in-toto", "--bundle", "artifact.intoto.sigstore.json", "statement.json",
            ], in: work.path)
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(result.stdoutText.contains("(dsse 0.0.1)"))
        #expect(
            try Self.verify(server, bundle: "artifact.intoto.sigstore.json", file: "artifact.bin", identity: "signer@example.com", in: work.path)
                .status == 0)
        // Not a statement: a clear data error, nothing requested.
        try work.write("plain.json", #"{"hello": "world"}"#)
        let before = server.requestLog.count
        let bad = try Self.sign(
            [
                "--identity-token", try server.token(), "--signing-config", server.rekorV1SigningConfigPath, "--trusted-root", server.trustedRootPath,
                "--in-toto", "plain.json",
            ], in: work.path)
        #expect(bad.status == 65)
        #expect(bad.stderrText.contains("in-toto statement"))
        #expect(!FileManager.default.fileExists(atPath: work.file("plain.json.sigstore.json")))
        #expect(server.requestLog.count - before <= 1, "at most the certificate request precedes the statement check")
    }

    @Test("managed keys (P-256, P-384) logged to Rekor v1: public-key hint, verifies with --key")
    func managedKeys() throws {
        let server = try SigstoreTestServer()
        let work = try TemporaryDirectory()
        try work.write("a.txt", "managed\n")
        for curve in ["prime256v1", "secp384r1"] {
            let keyPath = work.file("\(curve).pem")
            #expect(
                try ProcessResult.runTool("openssl", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:\(curve)", "-out", keyPath])
                    .status == 0)
            #expect(try ProcessResult.runTool("openssl", ["pkey", "-in", keyPath, "-pubout", "-out", work.file("\(curve).pub")]).status == 0)
            let result = try Self.sign(
                [
                    "--key", keyPath, "--signing-config", server.rekorV1SigningConfigPath, "--trusted-root", server.trustedRootPath,
                    "--bundle", "a.\(curve).json", "a.txt",
                ], in: work.path)
            #expect(result.status == 0, "\(curve): \(result.stderrText)")
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: work.file("a.\(curve).json")))) as? [String: Any])
            let material = try #require(object["verificationMaterial"] as? [String: Any])
            #expect(material["publicKey"] != nil && material["certificate"] == nil)
            let verified = try HephaestusBinary.run(
                ["verify", "bundle", "--bundle", "a.\(curve).json", "--key", "\(curve).pub", "--trusted-root", server.trustedRootPath, "a.txt"],
                in: work.path)
            #expect(verified.status == 0, "\(curve): \(verified.stderrText)")
        }
        // An encrypted key is refused with advice, before any request.
        #expect(
            try ProcessResult.runTool(
                "openssl", ["pkey", "-in", work.file("prime256v1.pem"), "-aes256", "-passout", "pass:secret", "-out", work.file("encrypted.pem")]
            ).status == 0)
        let encrypted = try Self.sign(
            [
                "--key", "encrypted.pem", "--signing-config", server.rekorV1SigningConfigPath, "--trusted-root", server.trustedRootPath, "--bundle",
                "e.json", "a.txt",
            ], in: work.path)
        #expect(encrypted.status == 65)
        #expect(encrypted.stderrText.contains("encrypted private key"))
    }

    @Test("an existing bundle is kept without --overwrite (exit 73) and replaced with it")
    func overwriteProtection() throws {
        let server = try SigstoreTestServer()
        let work = try TemporaryDirectory()
        try work.write("a.txt", "a\n")
        try work.write("a.txt.sigstore.json", "keep me")
        let arguments = [
            "--identity-token", try server.token(), "--signing-config", server.signingConfigPath, "--trusted-root", server.trustedRootPath, "a.txt",
        ]
        let refused = try Self.sign(arguments, in: work.path)
        #expect(refused.status == 73)
        #expect(refused.stderrText.contains("a.txt.sigstore.json already exists (pass --overwrite to replace it)"))
        #expect(try String(contentsOfFile: work.file("a.txt.sigstore.json"), encoding: .utf8) == "keep me")
        #expect(server.requestLog.isEmpty, "refused before any service was asked")
        let replaced = try Self.sign(arguments + ["--overwrite"], in: work.path)
        #expect(replaced.status == 0, "\(replaced.stderrText)")
        #expect(try Self.verify(server, bundle: "a.txt.sigstore.json", file: "a.txt", identity: "signer@example.com", in: work.path).status == 0)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: work.path).filter { $0.hasPrefix(".hephaestus-tmp") }
        #expect(leftovers.isEmpty)
    }

    @Test("token problems: expired (77), malformed (65), from another issuer's key (rejected by the CA, 77), none at all (78)")
    func tokenProblems() throws {
        let server = try SigstoreTestServer()
        let work = try TemporaryDirectory()
        try work.write("a.txt", "a\n")
        let base = ["--signing-config", server.signingConfigPath, "--trusted-root", server.trustedRootPath, "a.txt"]
        let expired = try Self.sign(["--identity-token", try server.token(lifetime: -120)] + base, in: work.path)
        #expect(expired.status == 77)
        #expect(expired.stderrText.contains("expired at"))
        let malformed = try Self.sign(["--identity-token", "not-a-jwt"] + base, in: work.path)
        #expect(malformed.status == 65)
        #expect(malformed.stderrText.contains("malformed OIDC identity token"))
        let forged = TestIdentityToken.make(issuer: server.issuer)
        let rejected = try Self.sign(["--identity-token", forged] + base, in: work.path)
        #expect(rejected.status == 77, "\(rejected.stderrText)")
        #expect(!rejected.stderrText.contains(forged), "the token is never printed")
        let none = try Self.sign(base, in: work.path, environment: ["PATH": "/usr/bin:/bin"])
        #expect(none.status == 78)
        #expect(none.stderrText.contains("SIGSTORE_ID_TOKEN"))
        #expect(!FileManager.default.fileExists(atPath: work.file("a.txt.sigstore.json")))
        // SIGSTORE_ID_TOKEN is used when no option is given.
        let fromEnvironment = try Self.sign(base, in: work.path, environment: ["PATH": "/usr/bin:/bin", "SIGSTORE_ID_TOKEN": try server.token()])
        #expect(fromEnvironment.status == 0, "\(fromEnvironment.stderrText)")
    }

    @Test("GitHub Actions ambient token: requested with the runtime bearer and audience=sigstore")
    func githubActionsAmbientToken() throws {
        let server = try SigstoreTestServer()
        let work = try TemporaryDirectory()
        try work.write("a.txt", "a\n")
        let identity = "https://github.com/acme/widgets/.github/workflows/ci.yml@refs/heads/main"
        let token = try server.token(identity: identity, issuer: IdentityToken.githubActionsIssuer)
        let seen = RequestRecorder()
        let actions = try LoopbackHTTPServer { request in
            seen.add(
                "\(request.headers["authorization"] ?? "") audience=\(request.query["audience"] ?? "") api=\(request.query["api-version"] ?? "")")
            return HTTPServerResponse(status: 200, contentType: "application/json", body: Array(#"{"count":1,"value":"\#(token)"}"#.utf8))
        }
        defer { actions.stop() }
        let result = try Self.sign(
            ["--signing-config", server.signingConfigPath, "--trusted-root", server.trustedRootPath, "a.txt"], in: work.path,
            environment: [
                "PATH": "/usr/bin:/bin", "GITHUB_ACTIONS": "true",
                "ACTIONS_ID_TOKEN_REQUEST_URL": actions.baseURL.absoluteString + "/token?api-version=2.0",
                "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "runtime-bearer-secret",
            ])
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(seen.items == ["bearer runtime-bearer-secret audience=sigstore api=2.0"])
        #expect(result.stdoutText.contains("identity: \(identity)"))
        // In Actions without id-token permission: a clear configuration error.
        let denied = try Self.sign(
            ["--signing-config", server.signingConfigPath, "--trusted-root", server.trustedRootPath, "--overwrite", "a.txt"], in: work.path,
            environment: ["PATH": "/usr/bin:/bin", "GITHUB_ACTIONS": "true"])
        #expect(denied.status == 78)
        #expect(denied.stderrText.contains("id-token: write"))
    }

    @Test("Fulcio 503 is retried and signing succeeds; Fulcio 400 is not retried and nothing is written")
    func certificateAuthorityFailures() throws {
        let server = try SigstoreTestServer()
        let work = try TemporaryDirectory()
        try work.write("a.txt", "a\n")
        let failures = Counter()
        server.setFault { request, _ in
            guard request.path == "/api/v2/signingCert", failures.next() <= 2 else { return nil }
            return HTTPServerResponse(status: 503, contentType: "application/json", body: Array(#"{"code":503,"message":"overloaded"}"#.utf8))
        }
        let arguments = [
            "--identity-token", try server.token(), "--signing-config", server.signingConfigPath, "--trusted-root", server.trustedRootPath, "a.txt",
        ]
        let retried = try Self.sign(arguments, in: work.path)
        #expect(retried.status == 0, "\(retried.stderrText)")
        #expect(server.requestLog.filter { $0 == "POST /api/v2/signingCert" }.count == 3)

        server.setFault { request, _ in
            guard request.path == "/api/v2/signingCert" else { return nil }
            return HTTPServerResponse(status: 400, contentType: "application/json", body: Array(#"{"code":400,"message":"unsupported key"}"#.utf8))
        }
        try work.write("b.txt", "b\n")
        let before = server.requestLog.filter { $0 == "POST /api/v2/signingCert" }.count
        let refused = try Self.sign(
            [
                "--identity-token", try server.token(), "--signing-config", server.signingConfigPath, "--trusted-root", server.trustedRootPath,
                "b.txt",
            ], in: work.path)
        #expect(refused.status == 69)
        #expect(refused.stderrText.contains("400") && refused.stderrText.contains("unsupported key"))
        #expect(server.requestLog.filter { $0 == "POST /api/v2/signingCert" }.count == before + 1, "a 4xx is not retried")
        #expect(!FileManager.default.fileExists(atPath: work.file("b.txt.sigstore.json")))
    }

    @Test("Rekor or TSA unreachable: exit 69, no bundle")
    func servicesUnavailable() throws {
        let server = try SigstoreTestServer()
        let work = try TemporaryDirectory()
        try work.write("a.txt", "a\n")
        let closed = try SigstoreTestServer.closedPortURL()
        let base = server.instance.baseURL
        let noRekor = try server.signingConfig(rekorVersions: [1], timestamps: true, replacing: ["\"url\" : \"\(base)\"": "\"url\" : \"\(base)\""])
        // Move only the log: rewrite its URL in the document.
        var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: noRekor))) as? [String: Any])
        var logs = try #require(object["rekorTlogUrls"] as? [[String: Any]])
        logs[0]["url"] = closed
        object["rekorTlogUrls"] = logs
        try work.write("no-rekor.json", BundleEncoder.data(object))
        var noTSA = object
        noTSA["rekorTlogUrls"] = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: noRekor))) as? [String: Any])["rekorTlogUrls"]
        noTSA["tsaUrls"] = [["url": closed + "/api/v1/timestamp", "majorApiVersion": 1, "validFor": ["start": "2020-01-01T00:00:00Z"]]]
        try work.write("no-tsa.json", BundleEncoder.data(noTSA))
        for config in ["no-rekor.json", "no-tsa.json"] {
            let result = try Self.sign(
                [
                    "--identity-token", try server.token(), "--signing-config", config, "--trusted-root", server.trustedRootPath, "--max-retries",
                    "1", "a.txt",
                ],
                in: work.path)
            #expect(result.status == 69, "\(config): \(result.stderrText)")
            #expect(!FileManager.default.fileExists(atPath: work.file("a.txt.sigstore.json")), "\(config)")
        }
    }

    @Test("a CA certifying another identity, or a log answering a bad inclusion proof, is caught by self-verification: nothing written")
    func lyingInstance() throws {
        let server = try SigstoreTestServer()
        let work = try TemporaryDirectory()
        try work.write("a.txt", "a\n")
        let ca = server.instance.certificateAuthority
        server.setFault { request, honest in
            guard request.path == "/api/v2/signingCert",
                let object = try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any],
                let keyRequest = object["publicKeyRequest"] as? [String: Any], let key = keyRequest["publicKey"] as? [String: Any],
                let pem = key["content"] as? String, let publicKey = try? PublicKey(pem: pem),
                let leaf = try? ca.issueLeaf(
                    .init(
                        publicKey: publicKey, identity: .email("mallory@example.com"), issuer: server.issuer, notBefore: Date().addingTimeInterval(-1)
                    ))
            else { return nil }
            let body = try? JSONSerialization.data(withJSONObject: [
                "signedCertificateEmbeddedSct": ["chain": ["certificates": [leaf.pem, ca.intermediate.pem]]]
            ])
            return HTTPServerResponse(status: 201, contentType: "application/json", body: Array(body ?? Data()))
        }
        let arguments = [
            "--identity-token", try server.token(), "--signing-config", server.rekorV1SigningConfigPath, "--trusted-root", server.trustedRootPath,
            "a.txt",
        ]
        let wrongIdentity = try Self.sign(arguments, in: work.path)
        #expect(wrongIdentity.status == 1, "\(wrongIdentity.stderrText)")
        #expect(wrongIdentity.stderrText.contains("mallory@example.com"))
        #expect(!FileManager.default.fileExists(atPath: work.file("a.txt.sigstore.json")))

        server.setFault { request, honest in
            guard request.path == "/api/v1/log/entries", request.method == "POST", honest.status == 201,
                var object = try? JSONSerialization.jsonObject(with: Data(honest.body)) as? [String: Any],
                let uuid = object.keys.first, var entry = object[uuid] as? [String: Any],
                var verification = entry["verification"] as? [String: Any], var proof = verification["inclusionProof"] as? [String: Any]
            else { return nil }
            proof["rootHash"] = String(repeating: "ab", count: 32)
            verification["inclusionProof"] = proof
            entry["verification"] = verification
            object[uuid] = entry
            let body = try? JSONSerialization.data(withJSONObject: object)
            return HTTPServerResponse(status: 201, contentType: "application/json", body: Array(body ?? Data()))
        }
        let badProof = try Self.sign(
            [
                "--identity-token", try server.token(), "--signing-config", server.rekorV1SigningConfigPath, "--trusted-root", server.trustedRootPath,
                "a.txt",
            ], in: work.path)
        #expect(badProof.status == 1, "\(badProof.stderrText)")
        #expect(badProof.stderrText.contains("does not verify"))
        #expect(!FileManager.default.fileExists(atPath: work.file("a.txt.sigstore.json")))
    }

    @Test("a Rekor v1 log that records another body than proposed: exit 69 naming the field, one entry asked for, nothing written")
    func logRecordsAnotherBody() throws {
        let server = try SigstoreTestServer()
        let work = try TemporaryDirectory()
        try work.write("a.txt", "a\n")
        try work.write("b.txt", "b\n")
        server.setFault { request, honest in
            guard request.path == "/api/v1/log/entries", request.method == "POST", honest.status == 201,
                var object = try? JSONSerialization.jsonObject(with: Data(honest.body)) as? [String: Any],
                let uuid = object.keys.first, var entry = object[uuid] as? [String: Any],
                let bodyText = entry["body"] as? String, let bodyBytes = Data(base64Encoded: bodyText),
                var body = try? JSONSerialization.jsonObject(with: bodyBytes) as? [String: Any],
                var spec = body["spec"] as? [String: Any], var signature = spec["signature"] as? [String: Any]
            else { return nil }
            signature["content"] = Data("not our signature".utf8).base64EncodedString()
            spec["signature"] = signature
            body["spec"] = spec
            entry["body"] = (try? JSONSerialization.data(withJSONObject: body))?.base64EncodedString()
            object[uuid] = entry
            let answer = try? JSONSerialization.data(withJSONObject: object)
            return HTTPServerResponse(status: 201, contentType: "application/json", body: Array(answer ?? Data()))
        }
        let result = try Self.sign(
            [
                "--identity-token", try server.token(), "--signing-config", server.rekorV1SigningConfigPath, "--trusted-root", server.trustedRootPath,
                "a.txt", "b.txt",
            ], in: work.path)
        #expect(result.status == 69, "\(result.stderrText)")
        #expect(result.stderrText.contains("the logged body differs from the proposed entry at $.spec.signature.content"), "\(result.stderrText)")
        #expect(server.requestLog.filter { $0.hasSuffix("/api/v1/log/entries") }.count == 1, "\(server.requestLog)")
        #expect(!FileManager.default.fileExists(atPath: work.file("a.txt.sigstore.json")))
        #expect(!FileManager.default.fileExists(atPath: work.file("b.txt.sigstore.json")))
    }

    @Test("several files with one certificate; --bundle with several files is a usage error")
    func severalFiles() throws {
        let server = try SigstoreTestServer()
        let work = try TemporaryDirectory()
        for name in ["one", "two", "three"] { try work.write("\(name).whl", name) }
        let result = try Self.sign(
            [
                "--identity-token", try server.token(), "--signing-config", server.signingConfigPath, "--trusted-root", server.trustedRootPath,
                "one.whl", "two.whl", "three.whl",
            ], in: work.path)
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(server.requestLog.filter { $0 == "POST /api/v2/signingCert" }.count == 1)
        #expect(server.requestLog.filter { $0 == "POST /api/v2/log/entries" }.count == 3)
        for name in ["one", "two", "three"] {
            #expect(
                try Self.verify(server, bundle: "\(name).whl.sigstore.json", file: "\(name).whl", identity: "signer@example.com", in: work.path)
                    .status == 0)
        }
        let usage = try Self.sign(["--identity-token", try server.token(), "--bundle", "x.json", "one.whl", "two.whl"], in: work.path)
        #expect(usage.status == 64)
    }
}

/// Thread-safe list of strings seen by a test server.
final class RequestRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var seen: [String] = []
    func add(_ item: String) {
        lock.lock()
        seen.append(item)
        lock.unlock()
    }
    var items: [String] {
        lock.lock()
        defer { lock.unlock() }
        return seen
    }
}

/// Thread-safe counter.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func next() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value
    }
}

@Suite("conformance sign-bundle")
struct ConformanceSignBundleTests {
    @Test("sign-bundle then verify-bundle, per the sigstore-conformance CLI protocol")
    func signThenVerify() throws {
        let server = try SigstoreTestServer()
        let work = try TemporaryDirectory()
        try work.write("a.txt", "conformance\n")
        let signed = try HephaestusBinary.run(
            [
                "conformance", "sign-bundle", "--identity-token", try server.token(), "--bundle", "out.json", "--trusted-root",
                server.trustedRootPath,
                "--signing-config", server.signingConfigPath, "a.txt",
            ], in: work.path)
        #expect(signed.status == 0, "\(signed.stderrText)")
        #expect(signed.stdoutText.isEmpty)
        let verified = try HephaestusBinary.run(
            [
                "conformance", "verify-bundle", "--bundle", "out.json", "--certificate-identity", "signer@example.com",
                "--certificate-oidc-issuer", server.issuer, "--trusted-root", server.trustedRootPath, "a.txt",
            ], in: work.path)
        #expect(verified.status == 0, "\(verified.stderrText)")
        let wrong = try HephaestusBinary.run(
            [
                "conformance", "verify-bundle", "--bundle", "out.json", "--certificate-identity", "other@example.com",
                "--certificate-oidc-issuer", server.issuer, "--trusted-root", server.trustedRootPath, "a.txt",
            ], in: work.path)
        #expect(wrong.status == 1)
    }
}
