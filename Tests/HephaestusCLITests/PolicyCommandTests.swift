import Foundation
import HephaestusPlatform
import HephaestusTestSupport
import Synchronization
import Testing

/// `--policy FILE` driving each verifying command through the binary, the `{tag}` template of release checks, and the
/// trust source (the TUF cache) verification reads without any connection.
@Suite("--policy and trust sources through the binary")
struct PolicyCommandTests {
    static let workflow = "https://github.com/octo/app/.github/workflows/release.yml"
    static let issuer = "https://token.actions.githubusercontent.com"

    let directory: TemporaryDirectory
    let sigstore: VirtualSigstore

    /// a.txt signed by the release workflow at refs/tags/v1.2.0 (with repository and ref claims), the trusted root,
    /// and policy files.
    init() throws {
        directory = try TemporaryDirectory()
        sigstore = try VirtualSigstore()
        try directory.write("trusted_root.json", sigstore.trustedRootJSON)
        let artifact = Array("a release artifact\n".utf8)
        try directory.write("a.txt", artifact)
        var options = VirtualSigstore.Options()
        options.identity = .uri(Self.workflow + "@refs/tags/v1.2.0")
        options.issuer = Self.issuer
        options.leaf = { $0.claims = ["1.3.6.1.4.1.57264.1.12": "https://github.com/octo/app", "1.3.6.1.4.1.57264.1.14": "refs/tags/v1.2.0"] }
        try directory.write("a.txt.sigstore.json", try sigstore.sign(artifact, options: options).json)
        try directory.write("good.json", Self.policy(claims: #""githubRepository": "octo/app""#))
        try directory.write("other-repo.json", Self.policy(claims: #""githubRepository": "octo/other""#))
        try directory.write("tsa.json", Self.policy(extra: #""timestampAuthority": {"threshold": 1}"#))
        try directory.write("tag.json", Self.policy(claims: #""githubRef": "refs/tags/{tag}""#))
        try directory.write("unknown-key.json", #"{"version": 1, "identities": [], "thresholds": {}}"#)
    }

    static func policy(claims: String = "", extra: String = "") -> String {
        """
        {"version": 1, "identities": [{"san": {"glob": "\(workflow)@refs/tags/*"}, "issuer": "\(issuer)", "claims": {\(claims)}}]\
        \(extra.isEmpty ? "" : ", " + extra)}
        """
    }

    func run(_ arguments: [String], environment: [String: String]? = nil) throws -> ProcessResult {
        try HephaestusBinary.run(arguments, in: directory.path, environment: environment)
    }

    @Test("verify bundle --policy: passes, refuses a broken identity or threshold rule naming it; exclusive with identity flags; bad files")
    func verifyBundle() throws {
        func verify(_ policy: String, _ extra: [String] = []) throws -> ProcessResult {
            try run(
                ["verify", "bundle", "--bundle", "a.txt.sigstore.json", "--trusted-root", "trusted_root.json", "--policy", policy] + extra + ["a.txt"]
            )
        }
        let passed = try verify("good.json")
        #expect(passed.status == 0, "\(passed.stderrText)")
        let repository = try verify("other-repo.json")
        #expect(repository.status == 1)
        #expect(repository.stderrText.contains("certificate GitHub workflow repository is https://github.com/octo/app, expected octo/other"))
        let tsa = try verify("tsa.json")
        #expect(tsa.status == 1)
        #expect(tsa.stderrText.contains("policy rule timestampAuthority.threshold not met: 0 verified RFC 3161 timestamps, at least 1 required"))
        let both = try verify("good.json", ["--certificate-identity", "x@example.com"])
        #expect(both.status == 64)
        #expect(both.stderrText.contains("--policy replaces the identity options: give either --policy or --certificate-identity, not both"))
        let unknown = try verify("unknown-key.json")
        #expect(unknown.status == 78)
        #expect(unknown.stderrText.contains("policy unknown-key.json: unknown key thresholds"))
        let template = try verify("tag.json")
        #expect(template.status == 64)
        #expect(template.stderrText.contains("{tag} is only known to release verify and release install, not to verify bundle"))
    }

    @Test("verify FILE... --policy and verify batch --policy: every file and line judged by the policy")
    func verifyFilesAndBatch() throws {
        let files = try run(["verify", "--trusted-root", "trusted_root.json", "--policy", "good.json", "a.txt"])
        #expect(files.status == 0, "\(files.stderrText)")
        let refused = try run(["verify", "--trusted-root", "trusted_root.json", "--policy", "other-repo.json", "a.txt"])
        #expect(refused.status == 1)
        #expect(refused.stdoutText.contains("repository"))

        try directory.write(
            "list.jsonl",
            """
            {"bundle": "a.txt.sigstore.json", "artifact": "a.txt"}
            {"bundle": "a.txt.sigstore.json", "artifact": "a.txt", "identity": "x@example.com", "issuer": "https://issuer.example.com"}

            """)
        let batch = try run(["verify", "batch", "--trusted-root", "trusted_root.json", "--policy", "good.json", "list.jsonl"])
        #expect(batch.status == 1)
        let lines = batch.stdoutText.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines[0].contains(#""verdict":"pass""#))
        #expect(lines[1].contains("identity in line 2: --policy gives the signer of every line"))
        let strict = try run(["verify", "batch", "--trusted-root", "trusted_root.json", "--policy", "tsa.json", "list.jsonl"])
        #expect(strict.stdoutText.split(separator: "\n").first?.contains("timestampAuthority.threshold") == true)
    }

    /// A wheelhouse release of octo/wheels signed by its release workflow at refs/tags/v1.2.0, served as the release
    /// `tag` of a fake GitHub.
    static func release(_ factory: WheelhouseFactory, tag: String) throws -> FakeGitHubServer {
        let archive = factory.directory.file("demo-1.0.0-wheelhouse.tar.gz")
        let assets: [[String: Any]] = [archive, archive + ".sha256", archive + ".sigstore.json"].enumerated().map {
            ["id": $0.offset + 1, "name": URL(fileURLWithPath: $0.element).lastPathComponent, "file": $0.element]
        }
        return try FakeGitHubServer(
            config: FakeGitHubServer.config(releases: [
                ["id": 1, "tag_name": tag, "draft": false, "prerelease": false, "published_at": "2026-01-01T00:00:00Z", "assets": assets]
            ]))
    }

    @Test("release verify/install --policy with {tag}: a v1.3.0 release signed for refs/tags/v1.2.0 is refused; the glob flag lets it pass")
    func releaseTagTemplate() throws {
        let factory = try WheelhouseFactory()
        try factory.wheel("alpha-pkg", "1.2.0")
        let workflow = "https://github.com/octo/wheels/.github/workflows/release.yml"
        try factory.release(identity: workflow + "@refs/tags/v1.2.0")
        let policy = try factory.directory.write(
            "tag.json", #"{"version": 1, "identities": [{"san": "\#(workflow)@refs/tags/{tag}", "issuer": "\#(Self.issuer)"}]}"#)
        let server = try Self.release(factory, tag: "v1.3.0")
        func source(_ server: FakeGitHubServer, _ tag: String) -> [String] {
            ["--repository", "octo/wheels", "--tag", tag, "--api-url", server.apiURL, "--trusted-root", factory.trustedRoot]
        }
        // Today's loophole, still there for the glob flag: any tag's certificate passes.
        let glob = try run(["release", "verify", "--require-sigstore", "--sigstore-identity", workflow + "@refs/tags/*"] + source(server, "v1.3.0"))
        #expect(glob.status == 0, "\(glob.stderrText)")
        #expect(glob.stdoutText.contains("signed by \(workflow)@refs/tags/v1.2.0"))
        let verify = try run(["release", "verify", "--require-sigstore", "--policy", policy] + source(server, "v1.3.0"))
        #expect(verify.status == 1)
        #expect(
            verify.stderrText.contains("certificate SAN is \(workflow)@refs/tags/v1.2.0, expected \(workflow)@refs/tags/v1.3.0"),
            "\(verify.stderrText)")
        let venv = try TemporaryDirectory()
        let install = try run(["release", "install", "--policy", policy, "--venv", venv.file("venv")] + source(server, "v1.3.0"))
        #expect(install.status == 1)
        #expect(install.stderrText.contains("expected \(workflow)@refs/tags/v1.3.0"), "\(install.stderrText)")
        #expect(!FileManager.default.fileExists(atPath: venv.file("venv")))
        // The release the certificate was made for passes, its signer reported as pinned.
        let matching = try Self.release(factory, tag: "v1.2.0")
        let right = try run(["release", "verify", "--json", "--require-sigstore", "--policy", policy] + source(matching, "v1.2.0"))
        #expect(right.status == 0, "\(right.stderrText)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(right.stdout)) as? [String: Any])
        #expect((report["sigstore"] as? [String: Any])?["identityPinned"] as? Bool == true)
        // Exclusive with the identity flags; a local archive has no tag to fill {tag} with.
        let both = try run(["release", "verify", "--policy", policy, "--sigstore-identity", "x"] + source(server, "v1.3.0"))
        #expect(both.status == 64)
        let local = try HephaestusBinary.run(
            ["release", "verify", "--archive", "demo-1.0.0-wheelhouse.tar.gz", "--policy", "tag.json", "--trusted-root", "trusted_root.json"],
            in: factory.directory.path)
        #expect(local.status == 64)
        #expect(
            local.stderrText.contains("{tag} is only known to release verify and release install, not to a local --archive"), "\(local.stderrText)")
    }

    @Test("inventory audit --policy and backfill run --policy are exclusive with their identity options")
    func inventoryAndBackfillUsage() throws {
        let audit = try run(["inventory", "audit", "--inventory", "none.sqlite", "--policy", "good.json", "--identity", "x@*"])
        #expect(audit.status == 64)
        #expect(audit.stderrText.contains("--policy replaces --identity and --issuer"))
        let help = try run(["backfill", "run", "--help"])
        #expect(help.stdoutText.contains("--policy <FILE>"))
    }
}

/// The TUF cache as verification's trust source, through the binary.
@Suite("trust sources through the binary", .enabled(if: TUFTestRepository.isUsable, "python-tuf is not installed in the test venv"))
struct TrustSourceCommandTests {
    @Test("A cache trust update left is used with no connection at all; trust show names it; --trusted-root overrides it; damaged, it is refused")
    func cacheUsedOffline() throws {
        let work = try TemporaryDirectory()
        let cache = try TemporaryDirectory(prefix: "hephaestus-xdg-cache")
        let sigstore = try VirtualSigstore()
        let artifact = Array("artifact\n".utf8)
        try work.write("a.txt", artifact)
        try work.write("a.txt.sigstore.json", try sigstore.sign(artifact).json)
        let root = try work.write("root.json", sigstore.trustedRootJSON)
        let repository = try TUFTestRepository(case: "sigstore-root", environment: ["SIGSTORE_TRUSTED_ROOT": root])
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_CACHE_HOME"] = cache.path
        let update = try HephaestusBinary.run(
            ["trust", "update", "--json", "--tuf-url", repository.baseURL.absoluteString, "--tuf-root", repository.initialRootPath],
            environment: environment)
        #expect(update.status == 0, "\(update.stderrText)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(update.stdout)) as? [String: Any])
        // Where the production repository's cache lives: what `trust update` (no --tuf-url) fills.
        let production = cache.file("hephaestus/tuf/https%3A%2F%2Ftuf-repo-cdn.sigstore.dev")
        try FileManager.default.moveItem(atPath: try #require(report["cacheDirectory"] as? String), toPath: production)

        // Any connection would go through this proxy (libcurl reads the proxy variables); none may be made.
        let requests = Mutex(0)
        let proxy = try LoopbackHTTPServer { _ in
            requests.withLock { $0 += 1 }
            return HTTPServerResponse(status: 502)
        }
        for name in ["http_proxy", "https_proxy", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"] { environment[name] = proxy.baseURL.absoluteString }
        environment["NO_PROXY"] = nil
        environment["no_proxy"] = nil
        let verify = [
            "verify", "bundle", "--bundle", "a.txt.sigstore.json", "--certificate-identity", "signer@example.com", "--certificate-oidc-issuer",
            "https://issuer.example.com", "a.txt",
        ]
        let passed = try HephaestusBinary.run(verify, in: work.path, environment: environment)
        #expect(passed.status == 0, "only the cached root knows this instance: \(passed.stderrText)")
        #expect(passed.stderrText.isEmpty, "a fresh cache is no warning")
        #expect(requests.withLock { $0 } == 0, "verification made a connection")

        let show = try HephaestusBinary.run(["trust", "show", "--json"], environment: environment)
        #expect(show.status == 0, "\(show.stderrText)")
        let shown = try #require(try JSONSerialization.jsonObject(with: Data(show.stdout)) as? [String: Any])
        #expect(shown["sourceKind"] as? String == "tuf-cache")
        #expect(shown["path"] as? String == production + "/targets/trusted_root.json")
        #expect(shown["ageDays"] as? Int == 0 && shown["stale"] as? Bool == false)
        let text = try HephaestusBinary.run(["trust", "show"], environment: environment)
        #expect(text.stdoutText.contains("source: tuf-cache \(production)/targets/trusted_root.json\n"))
        #expect(text.stdoutText.contains("age: 0 days, timestamp metadata expires "))
        let embedded = try HephaestusBinary.run(["trust", "show", "--staging"], environment: environment)
        #expect(embedded.stdoutText.contains("source: embedded\n"))

        // --trusted-root wins: the public-good root does not know this instance.
        let other = try work.write("other.json", try VirtualSigstore(name: "other.sigstore.test").trustedRootJSON)
        let overridden = try HephaestusBinary.run(verify + ["--trusted-root", other], in: work.path, environment: environment)
        #expect(overridden.status == 1)

        // A damaged cache is refused, naming it and the fix (exit 78), never silently replaced.
        let target = production + "/targets/trusted_root.json"
        var bytes = try FileReader.contents(of: target)
        bytes[bytes.count / 2] ^= 0x01
        try AtomicFileWriter.write(bytes, to: target, overwrite: true)
        let damaged = try HephaestusBinary.run(verify, in: work.path, environment: environment)
        #expect(damaged.status == 78)
        #expect(damaged.stderrText.contains("the TUF cache \(production) does not check"))
        #expect(damaged.stderrText.contains("remove it and run `hephaestus trust update`"))
        #expect(requests.withLock { $0 } == 0)
        // The proxy does see connections: `trust update` (the one command that fetches) goes through it.
        let fetching = try HephaestusBinary.run(["trust", "update", "--max-retries", "0", "--timeout", "10"], environment: environment)
        #expect(fetching.status != 0)
        #expect(requests.withLock { $0 } > 0, "the proxy saw no connection: \(fetching.stderrText)")
    }
}
