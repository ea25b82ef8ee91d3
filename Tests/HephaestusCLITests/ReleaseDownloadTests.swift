import Foundation
import HephaestusPlatform
import HephaestusTestSupport
import Testing

/// `release download` and `token validate` against the local GitHub-Releases-shaped server with scripted faults.
@Suite("release download against a faulty GitHub")
struct ReleaseDownloadTests {
    static let token = "ghp_" + String(repeating: "A1b2", count: 9)
    static let wheel = String(repeating: "wheel bytes ", count: 20_000)
    static let environment: [String: String] = {
        var environment = ProcessInfo.processInfo.environment
        environment["GITHUB_TOKEN"] = token
        environment.removeValue(forKey: "GH_TOKEN")
        environment.removeValue(forKey: "GITHUB_API_URL")
        return environment
    }()

    static func release(
        tag: String = "v1.0.0", id: Int = 1, assets: [[String: Any]]? = nil, draft: Bool = false, prerelease: Bool = false,
        published: String = "2026-01-01T00:00:00Z"
    ) -> [String: Any] {
        [
            "id": id, "tag_name": tag, "draft": draft, "prerelease": prerelease, "published_at": published,
            "assets": assets ?? [
                ["id": id * 10 + 1, "name": "demo-1.0.0-wheelhouse.tar.gz", "text": wheel],
                ["id": id * 10 + 2, "name": "demo-1.0.0-wheelhouse.tar.gz.sha256", "text": "abc  demo\n", "digest": false],
            ],
        ]
    }

    /// Runs `hephaestus release download` with fast retries against `server`.
    static func download(
        _ server: FakeGitHubServer, _ extra: [String], into directory: TemporaryDirectory, environment: [String: String] = environment
    ) throws -> ProcessResult {
        try HephaestusBinary.run(
            [
                "--log-format", "json", "release", "download", "--repository", "octo/wheels", "--api-url", server.apiURL, "--dest", directory.path,
                "--retry-base-delay", "0.01", "--retry-max-delay", "0.05", "--timeout", "5",
            ] + extra,
            environment: environment)
    }

    static func logEvents(_ result: ProcessResult) -> [[String: Any]] {
        result.stderrText.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    static func files(_ directory: TemporaryDirectory) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
    }

    @Test("A destination name that is a symbolic link is refused before any download (exit 73), not followed; a regular file is replaced")
    func destinationNotRegular() throws {
        let server = try FakeGitHubServer(config: FakeGitHubServer.config(releases: [Self.release()]))
        let directory = try TemporaryDirectory()
        let outside = try TemporaryDirectory()
        try outside.write("target", "not yours\n")
        try FileManager.default.createSymbolicLink(
            atPath: directory.file("demo-1.0.0-wheelhouse.tar.gz.sha256"), withDestinationPath: outside.file("target"))
        let linked = try Self.download(server, ["--tag", "v1.0.0"], into: directory)
        #expect(linked.status == 73, "\(linked.stderrText)")
        #expect(linked.stderrText.contains("demo-1.0.0-wheelhouse.tar.gz.sha256 is a symbolic link: refusing to write over it"))
        #expect(try Self.files(directory) == ["demo-1.0.0-wheelhouse.tar.gz.sha256"], "nothing downloaded")
        #expect(
            try FileManager.default.destinationOfSymbolicLink(atPath: directory.file("demo-1.0.0-wheelhouse.tar.gz.sha256")) == outside.file("target")
        )
        #expect(try String(contentsOfFile: outside.file("target"), encoding: .utf8) == "not yours\n")

        try FileManager.default.removeItem(atPath: directory.file("demo-1.0.0-wheelhouse.tar.gz.sha256"))
        try directory.write("demo-1.0.0-wheelhouse.tar.gz.sha256", "an earlier download\n")
        let replaced = try Self.download(server, ["--tag", "v1.0.0"], into: directory)
        #expect(replaced.status == 0, "\(replaced.stderrText)")
        #expect(try String(contentsOfFile: directory.file("demo-1.0.0-wheelhouse.tar.gz.sha256"), encoding: .utf8) == "abc  demo\n")
    }

    @Test("Happy path: assets land with their SHA-256, sha256sum-style lines; the token never reaches storage")
    func happyPath() throws {
        let server = try FakeGitHubServer(config: FakeGitHubServer.config(releases: [Self.release()]))
        let directory = try TemporaryDirectory()
        let result = try Self.download(server, ["--tag", "v1.0.0"], into: directory)
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(try Self.files(directory) == ["demo-1.0.0-wheelhouse.tar.gz", "demo-1.0.0-wheelhouse.tar.gz.sha256"])
        let expected = DigestAlgorithm.sha256.hash(Array(Self.wheel.utf8)).hex
        #expect(result.stdoutText.contains("\(expected)  \(directory.path)/demo-1.0.0-wheelhouse.tar.gz"))
        let requests = try server.requests()
        let storage = requests.filter { $0["listener"] as? String == "storage" }
        let api = requests.filter { $0["listener"] as? String == "api" }
        #expect(!storage.isEmpty)
        #expect(storage.allSatisfy { ($0["headers"] as? [String: String])?.keys.contains { $0.lowercased() == "authorization" } == false })
        #expect(api.allSatisfy { ($0["headers"] as? [String: String])?["Authorization"] == "Bearer \(Self.token)" })
        #expect(!result.stderrText.contains(Self.token))
        #expect(!result.stderrText.contains("signed-url-secret"))
    }

    @Test("On a terminal each download draws a progress bar; piped output has none")
    func progressBar() throws {
        let server = try FakeGitHubServer(config: FakeGitHubServer.config(releases: [Self.release()]))
        let arguments = ["release", "download", "--repository", "octo/wheels", "--api-url", server.apiURL, "--tag", "v1.0.0", "--timeout", "5"]
        let terminal = try TemporaryDirectory()
        let shown = try HephaestusBinary.runInTerminal(arguments + ["--dest", terminal.path], environment: Self.environment)
        #expect(shown.status == 0, "\(shown.stdoutText)")
        #expect(shown.stdoutText.contains("\rdemo-1.0.0-wheelhouse.tar.gz  0.2 MB / 0.2 MB [########################] 100%"), "\(shown.stdoutText)")
        let piped = try TemporaryDirectory()
        let quiet = try HephaestusBinary.run(arguments + ["--dest", piped.path], environment: Self.environment)
        #expect(quiet.status == 0)
        #expect(!quiet.stderrText.contains("MB/s") && !quiet.stdoutText.contains("MB/s"))
    }

    @Test("--pattern, --json and --latest with pagination (drafts and prereleases skipped)")
    func latestWithPagination() throws {
        let releases = [
            Self.release(tag: "v3.0.0-rc1", id: 4, prerelease: true, published: "2026-04-01T00:00:00Z"),
            Self.release(tag: "v2.1.0", id: 3, draft: true, published: "2026-03-01T00:00:00Z"),
            Self.release(tag: "v2.0.0", id: 2, published: "2026-02-01T00:00:00Z"),
            Self.release(tag: "v1.0.0", id: 1, published: "2026-01-01T00:00:00Z"),
        ]
        let server = try FakeGitHubServer(config: FakeGitHubServer.config(releases: releases, extra: ["per_page": 1]))
        let directory = try TemporaryDirectory()
        let result = try Self.download(server, ["--latest", "--pattern", "*.tar.gz", "--json"], into: directory)
        #expect(result.status == 0, "\(result.stderrText)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [String: Any])
        #expect(document["tag"] as? String == "v2.0.0")
        #expect((document["files"] as? [[String: Any]])?.count == 1)
        #expect(try server.requests().filter { ($0["path"] as? String)?.contains("page=") == true }.count >= 3)
        let pre = try Self.download(server, ["--latest", "--include-prereleases", "--pattern", "*.tar.gz", "--json"], into: try TemporaryDirectory())
        #expect((try JSONSerialization.jsonObject(with: Data(pre.stdout)) as? [String: Any])?["tag"] as? String == "v3.0.0-rc1")
    }

    /// Faults as JSON text (test arguments must be Sendable).
    static func faults(_ json: String) -> [[String: Any]] {
        (try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]]) ?? []
    }

    static func fault(_ json: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]) ?? [:]
    }

    @Test(
        "Transient faults are retried until success",
        arguments: [
            ("blob:11", #"[{"status": 503}, {"status": 503}, {"status": 503}]"#),
            ("asset:11", #"[{"retry_after": "1", "status": 429}]"#),
            ("asset:11", #"[{"retry_after": "date+1", "status": 503}]"#),
            ("blob:11", #"[{"reset_after": 5000}]"#),
            ("blob:11", #"[{"truncate_after": 1000}]"#),
            ("blob:11", #"[{"drip": 0.2, "chunk": 4}]"#),
            ("tag:v1.0.0", #"[{"status": 502}, {"status": 500}]"#),
        ])
    func transientFaults(route: String, faultsJSON: String) throws {
        let faults = Self.faults(faultsJSON)
        let server = try FakeGitHubServer(config: FakeGitHubServer.config(releases: [Self.release()], faults: [route: faults]))
        let directory = try TemporaryDirectory()
        let result = try Self.download(server, ["--tag", "v1.0.0", "--pattern", "*.tar.gz", "--timeout", "1"], into: directory)
        #expect(result.status == 0, "\(route) \(faults): \(result.stderrText)")
        let saved = try Data(contentsOf: URL(fileURLWithPath: directory.file("demo-1.0.0-wheelhouse.tar.gz")))
        #expect(Array(saved) == Array(Self.wheel.utf8))
        #expect(Self.logEvents(result).contains { $0["event"] as? String == "http.retry" })
        #expect(try Self.files(directory) == ["demo-1.0.0-wheelhouse.tar.gz"])
    }

    @Test("A reset mid-body resumes with Range")
    func resumeUsesRange() throws {
        let server = try FakeGitHubServer(
            config: FakeGitHubServer.config(releases: [Self.release()], faults: ["blob:11": [["reset_after": 100_000]]]))
        let directory = try TemporaryDirectory()
        let result = try Self.download(server, ["--tag", "v1.0.0", "--pattern", "*.tar.gz"], into: directory)
        #expect(result.status == 0, "\(result.stderrText)")
        let ranges = try server.requests().compactMap { ($0["headers"] as? [String: String])?["Range"] }
        #expect(ranges.contains { $0.hasPrefix("bytes=") && $0 != "bytes=0-" })
    }

    @Test("500 forever gives up with the last status; nothing is left in --dest")
    func serverErrorForever() throws {
        let server = try FakeGitHubServer(
            config: FakeGitHubServer.config(releases: [Self.release()], faults: ["blob:11": [["status": 500, "repeat": true]]]))
        let directory = try TemporaryDirectory()
        let result = try Self.download(server, ["--tag", "v1.0.0", "--pattern", "*.tar.gz", "--max-retries", "2"], into: directory)
        #expect(result.status == 69)
        #expect(result.stderrText.contains("giving up after 3 attempts: last HTTP 500"))
        #expect(try Self.files(directory).isEmpty)
    }

    @Test(
        "Wrong sizes, HTML instead of the asset, endless bodies: refused, not saved",
        arguments: [
            #"{"content_length": 50, "repeat": true}"#,
            #"{"html": "<html>captive portal login</html>", "repeat": true}"#,
            #"{"content_length": 10000000, "repeat": true}"#,
        ])
    func integrityRefusals(faultJSON: String) throws {
        let fault = Self.fault(faultJSON)
        let server = try FakeGitHubServer(config: FakeGitHubServer.config(releases: [Self.release()], faults: ["blob:11": [fault]]))
        let directory = try TemporaryDirectory()
        let result = try Self.download(server, ["--tag", "v1.0.0", "--pattern", "*.tar.gz", "--max-retries", "1"], into: directory)
        #expect(result.status != 0)
        #expect(try Self.files(directory).isEmpty, "\(fault)")
    }

    @Test("A body over --max-size is cut off")
    func maximumSize() throws {
        let server = try FakeGitHubServer(config: FakeGitHubServer.config(releases: [Self.release()]))
        let directory = try TemporaryDirectory()
        let result = try Self.download(server, ["--tag", "v1.0.0", "--pattern", "*.tar.gz", "--max-size", "1000"], into: directory)
        #expect(result.status == 1)
        #expect(result.stderrText.contains("exceeds the maximum of 1000 bytes"))
        #expect(try Self.files(directory).isEmpty)
    }

    @Test(
        "Redirect loops and redirects to other schemes are refused",
        arguments: [
            (#"{"redirect_loop": true, "repeat": true}"#, "more than 10 redirects"),
            (#"{"redirect": "file:///etc/passwd"}"#, "refused"),
            (#"{"redirect": "ftp://files.example/x"}"#, "refused"),
            (#"{"redirect": "http://example.com/x"}"#, "refused"),
        ])
    func redirects(faultJSON: String, message: String) throws {
        let fault = Self.fault(faultJSON)
        let server = try FakeGitHubServer(config: FakeGitHubServer.config(releases: [Self.release()], faults: ["asset:11": [fault]]))
        let directory = try TemporaryDirectory()
        let result = try Self.download(server, ["--tag", "v1.0.0", "--pattern", "*.tar.gz"], into: directory)
        #expect(result.status != 0)
        #expect(result.stderrText.contains(message), "\(result.stderrText)")
        #expect(try Self.files(directory).isEmpty)
    }

    @Test("401 says the token was rejected, with its expiry, and never prints it")
    func unauthorized() throws {
        let server = try FakeGitHubServer(
            config: FakeGitHubServer.config(
                releases: [Self.release()], faults: ["tag:v1.0.0": [["unauthorized": true, "expiry": "2026-10-01 00:00:00 UTC"]]]))
        let result = try Self.download(server, ["--tag", "v1.0.0"], into: try TemporaryDirectory())
        #expect(result.status == 77)
        #expect(result.stderrText.contains("token rejected (expired or revoked)"))
        #expect(result.stderrText.contains("2026-10-01 00:00:00 UTC"))
        #expect(!result.stderrText.contains(Self.token))
    }

    @Test("403 with an exhausted rate limit waits for the reset and logs it")
    func rateLimit() throws {
        let server = try FakeGitHubServer(
            config: FakeGitHubServer.config(releases: [Self.release()], faults: ["tag:v1.0.0": [["rate_limit_reset_in": 1]]]))
        let result = try Self.download(server, ["--tag", "v1.0.0", "--pattern", "*.tar.gz"], into: try TemporaryDirectory())
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(Self.logEvents(result).contains { $0["event"] as? String == "http.rate-limited" })
    }

    @Test("Hostile asset names are sanitised into --dest, or refused")
    func hostileNames() throws {
        let names = ["../../escape.whl", "%2e%2e%2fencoded.whl", "\u{FF0E}\u{FF0E}\u{FF0F}fullwidth.whl", "dir\\win.whl", "a\u{2215}b.whl"]
        let assets: [[String: Any]] = names.enumerated().map { ["id": 100 + $0.offset, "name": $0.element, "text": "x\($0.offset)"] }
        let server = try FakeGitHubServer(config: FakeGitHubServer.config(releases: [Self.release(assets: assets)]))
        let parent = try TemporaryDirectory()
        let directory = parent.file("dest")
        let result = try HephaestusBinary.run(
            [
                "--log-format", "json", "release", "download", "--repository", "octo/wheels", "--tag", "v1.0.0", "--api-url", server.apiURL, "--dest",
                directory,
            ],
            environment: Self.environment)
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == [
                "b.whl", "encoded.whl", "escape.whl", "fullwidth.whl", "win.whl",
            ])
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent.path).sorted() == ["dest"])
        #expect(Self.logEvents(result).filter { $0["event"] as? String == "asset.renamed" }.count == 5)

        for bad in ["..", "ok\u{0007}.whl", "%00.whl", String(repeating: "a", count: 300)] {
            let server = try FakeGitHubServer(
                config: FakeGitHubServer.config(releases: [Self.release(assets: [["id": 9, "name": bad, "text": "x"]])]))
            let rejected = try Self.download(server, ["--tag", "v1.0.0"], into: try TemporaryDirectory())
            #expect(rejected.status == 1, "\(bad.debugDescription)")
            #expect(rejected.stderrText.contains("refusing asset name"))
        }
    }

    @Test(
        "Malformed tokens are refused before any request, without printing them",
        arguments: [
            "ghp_short", "ghp_" + String(repeating: "a", count: 36) + "\n", "xyz_" + String(repeating: "a", count: 36), "github_pat_abc",
        ])
    func malformedTokens(token: String) throws {
        let server = try FakeGitHubServer(config: FakeGitHubServer.config(releases: [Self.release()]))
        var environment = Self.environment
        environment["GITHUB_TOKEN"] = token
        let result = try Self.download(server, ["--tag", "v1.0.0"], into: try TemporaryDirectory(), environment: environment)
        #expect(result.status == 78)
        #expect(!result.stderrText.contains(token.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(try server.requests().isEmpty)
    }

    @Test("token validate reports kind, scopes, expiry and rate limit; --token-env picks the variable")
    func tokenValidate() throws {
        let server = try FakeGitHubServer(
            config: FakeGitHubServer.config(releases: [], extra: ["scopes": "repo, workflow", "expiry": "2027-01-01 00:00:00 UTC"]))
        var environment = Self.environment
        environment.removeValue(forKey: "GITHUB_TOKEN")
        environment["RELEASE_TOKEN"] = Self.token
        let result = try HephaestusBinary.run(
            ["token", "validate", "--api-url", server.apiURL, "--token-env", "RELEASE_TOKEN", "--json"], environment: environment)
        #expect(result.status == 0, "\(result.stderrText)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [String: Any])
        #expect(document["kind"] as? String == "personal access token (classic)")
        #expect(document["scopes"] as? [String] == ["repo", "workflow"])
        #expect(document["expiresAt"] as? String == "2027-01-01 00:00:00 UTC")
        #expect((document["rateLimit"] as? [String: Any])?["remaining"] as? Int == 4990)
        #expect(!result.stdoutText.contains(Self.token))
        let missing = try HephaestusBinary.run(["token", "validate", "--api-url", server.apiURL], environment: environment)
        #expect(missing.status == 78)
        #expect(missing.stderrText.contains("no GitHub token"))
    }

    @Test("Network options are validated, naming the flag")
    func optionValidation() throws {
        for (arguments, flag) in [
            (["--timeout", "0"], "--timeout"), (["--max-retries", "21"], "--max-retries"), (["--max-retries", "-1"], "--max-retries"),
        ] {
            let result = try HephaestusBinary.run(
                ["release", "download", "--repository", "octo/wheels", "--tag", "v1"] + arguments, environment: Self.environment)
            #expect(result.status == 64)
            #expect(result.stderrText.contains(flag), "\(result.stderrText)")
        }
        let insecure = try HephaestusBinary.run(
            ["release", "download", "--repository", "octo/wheels", "--tag", "v1", "--api-url", "http://api.example.com"],
            environment: Self.environment)
        #expect(insecure.status == 64)
    }
}
