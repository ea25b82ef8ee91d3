import Foundation
import HephaestusCore
import HephaestusPlatform
import HephaestusTestSupport
import Logging
import Synchronization
import Testing

/// `release.download`, `release.verify` and `release.install` run in process, as a service would run them: what they
/// stream, the progress they report, the stages they trace, and the reports they return.
@Suite("release operations", .serialized)
struct ReleaseOperationTests {
    static let token = "ghp_" + String(repeating: "Q7r6", count: 9)
    static let hasPython = ToolLocator.find("python3") != nil
    static let pythonMissing: Comment = "needs python3 on PATH (the GitHub-shaped test server, fixtures/wheels/make_wheel.py)"

    /// Values collected from callbacks that may come from other threads.
    final class Recorder<Value: Sendable>: Sendable {
        private let stored = Mutex<[Value]>([])
        func append(_ value: Value) { stored.withLock { $0.append(value) } }
        var values: [Value] { stored.withLock { $0 } }
    }

    /// Records the name of every span.
    struct SpanRecorder: Instrumentation {
        let names = Recorder<String>()
        func withSpan<T>(_ name: String, attributes: [String: String], _ body: (ActiveSpan) async throws -> T) async throws -> T {
            names.append(name)
            return try await body(.none)
        }
    }

    static func context(progress: ProgressSink = .none, instrumentation: any Instrumentation = NoInstrumentation()) -> OperationContext {
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        return OperationContext(
            logger: logger, environment: ["GITHUB_TOKEN": token, "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"],
            network: NetworkAccess(settings: HTTPSettings(timeout: 5, retryBaseDelay: 0.01, retryMaxDelay: 0.05), logger: logger),
            progress: progress, instrumentation: instrumentation)
    }

    static func sha256(_ text: String) -> String { DigestAlgorithm.sha256.hash(Array(text.utf8)).hex }

    // MARK: - release.download

    @Test(
        "release.download: each file is streamed as it lands, in release order, with its SHA-256; a byte feed per asset",
        .enabled(if: hasPython, pythonMissing))
    func download() async throws {
        let wheel = String(repeating: "wheel bytes ", count: 10_000)
        let server = try FakeGitHubServer(
            config: FakeGitHubServer.config(releases: [
                [
                    "id": 1, "tag_name": "v1.0.0", "draft": false, "prerelease": false, "published_at": "2026-01-01T00:00:00Z",
                    "assets": [
                        ["id": 11, "name": "demo-1.0.0-py3-none-any.whl", "text": wheel],
                        ["id": 12, "name": "demo-1.0.0.tar.gz", "text": "sdist\n"],
                        ["id": 13, "name": "notes.txt", "text": "notes\n"],
                    ],
                ]
            ]))
        let dest = try TemporaryDirectory()
        let events = Recorder<ProgressSink.Event>()
        let items = Recorder<ReleaseDownload.File>()
        let request = ReleaseDownloadOperation.Request(
            release: ReleaseChoice(repository: "octo/wheels", tag: "v1.0.0"), pattern: "demo-*", dest: dest.file("into"),
            github: GitHubChoice(apiURL: server.apiURL))
        let report = try await ReleaseDownloadOperation.run(
            request, in: Self.context(progress: ProgressSink { events.append($0) }), emit: ItemSink { items.append($0) })

        #expect(report.repository == "octo/wheels" && report.tag == "v1.0.0")
        #expect(report.files.map(\.name) == ["demo-1.0.0-py3-none-any.whl", "demo-1.0.0.tar.gz"])
        #expect(items.values == report.files, "every file streamed once, in order")
        #expect(report.files.map(\.sha256) == [Self.sha256(wheel), Self.sha256("sdist\n")])
        #expect(report.files.map(\.path) == [dest.file("into/demo-1.0.0-py3-none-any.whl"), dest.file("into/demo-1.0.0.tar.gz")])
        #expect(try String(contentsOfFile: dest.file("into/demo-1.0.0.tar.gz"), encoding: .utf8) == "sdist\n")
        #expect(!FileManager.default.fileExists(atPath: dest.file("into/notes.txt")))
        let finalTransfer = events.values.last { event in
            if case .transfer(let label, _, _) = event { return label == "demo-1.0.0-py3-none-any.whl" }
            return false
        }
        #expect(finalTransfer == .transfer(label: "demo-1.0.0-py3-none-any.whl", done: Int64(wheel.utf8.count), total: Int64(wheel.utf8.count)))
    }

    @Test(
        "release.download: a request is refused before any network use, naming the flag",
        arguments: [
            (#"{"release": {"repository": "octo/wheels", "tag": "v1", "latest": true}}"#, "give exactly one of --tag or --latest"),
            (#"{"release": {"repository": "octo/wheels", "tag": "v1", "includePrereleases": true}}"#, "--include-prereleases needs --latest"),
            (#"{"release": {"repository": "octo", "latest": true}}"#, "invalid repository \"octo\": expected OWNER/REPO"),
            (#"{"release": {"repository": "octo/wheels", "latest": true}, "maxSize": 0}"#, "--max-size must be positive"),
            (#"{"pattern": "*"}"#, "release is required"),
        ])
    func downloadRequestErrors(json: String, message: String) async throws {
        do {
            _ = try await ReleaseDownloadOperation.runJSON(Array(json.utf8), in: Self.context())
            Issue.record("ran \(json)")
        } catch let error as RequestError {
            #expect(error.message.contains(message), "\(error.message)")
        }
    }

    // MARK: - release.verify

    /// A signed wheelhouse release with one wheel, as local files.
    static func localRelease(sign: Bool = true) throws -> WheelhouseFactory {
        let factory = try WheelhouseFactory()
        try factory.wheel("alpha-pkg", "1.2.0")
        try factory.release(sign: sign)
        return factory
    }

    static func checks(_ factory: WheelhouseFactory, workdir: TemporaryDirectory, pinned: Bool = true) -> ReleaseCheckRequest {
        ReleaseCheckRequest(
            source: ReleaseSourceChoice(archive: factory.directory.file("demo-1.0.0-wheelhouse.tar.gz")),
            sigstore: SigstoreChoice(
                requireSigstore: pinned, sigstoreIdentity: pinned ? ["https://github.com/octo/wheels/.github/workflows/release.yml@refs/tags/*"] : [],
                trust: TrustChoice(trustedRoot: factory.trustedRoot)),
            workdir: workdir.path)
    }

    @Test(
        "release.verify: every stage announced and traced in order; checksum, Sigstore and wheels in the report; nothing left behind",
        .enabled(if: hasPython, pythonMissing))
    func verifyStages() async throws {
        let factory = try Self.localRelease()
        let workdir = try TemporaryDirectory()
        let events = Recorder<ProgressSink.Event>()
        let spans = SpanRecorder()
        let notices = Recorder<ReleaseNotice>()
        let report = try await ReleaseVerifyOperation.run(
            Self.checks(factory, workdir: workdir), in: Self.context(progress: ProgressSink { events.append($0) }, instrumentation: spans),
            emit: ItemSink { notices.append($0) })

        let stages = ["fetch", "checksum", "sigstore", "extract", "wheels"]
        #expect(events.values == stages.map { .stage($0) })
        #expect(spans.names.values == stages.map { "release.stage.\($0)" })
        #expect(report.stages.map(\.name) == stages)
        #expect(report.archive?.name == "demo-1.0.0-wheelhouse.tar.gz")
        #expect(report.manifest?.verdict == .pass && report.manifest?.file == "demo-1.0.0-wheelhouse.tar.gz.sha256")
        #expect(
            report.sigstore?.verdict == .pass && report.sigstore?.identity == WheelhouseFactory.identity && report.sigstore?.identityPinned == true)
        #expect(report.wheels.map { "\($0.name) \($0.version)" } == ["alpha_pkg 1.2.0"])
        #expect(report.installed == nil && report.failure == nil)
        #expect(notices.values.isEmpty, "a pinned, signed, listed archive raises no warning: \(notices.values)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: workdir.path).isEmpty, "the staging directory is removed")
    }

    @Test(
        "release.verify --policy: the policy pins the signer (a claim it lacks fails the Sigstore stage); {tag} without a release is a usage error",
        .enabled(if: hasPython, pythonMissing))
    func verifyPolicy() async throws {
        let factory = try Self.localRelease()
        let workdir = try TemporaryDirectory()
        let policies = try TemporaryDirectory()
        func verify(_ policy: String, required: Bool = true) async throws -> ReleaseReport {
            var request = Self.checks(factory, workdir: workdir, pinned: false)
            request.sigstore.requireSigstore = required
            request.sigstore.policy = try policies.write("policy.json", policy)
            return try await ReleaseVerifyOperation.run(request, in: Self.context(), emit: ItemSink { _ in })
        }
        let identity =
            #"{"san": {"glob": "https://github.com/octo/wheels/.github/workflows/*"}, "issuer": "https://token.actions.githubusercontent.com""#
        let pinned = try await verify(#"{"version": 1, "identities": [\#(identity)}]}"#)
        #expect(pinned.failure == nil && pinned.sigstore?.identityPinned == true)
        let claim = try await verify(#"{"version": 1, "identities": [\#(identity), "claims": {"githubRepository": "octo/wheels"}}]}"#)
        #expect(claim.failedStage == "sigstore" && claim.code == "verify.claim-mismatch")
        let tag = try await verify(#"{"version": 1, "identities": [\#(identity), "claims": {"githubRef": "refs/tags/{tag}"}}]}"#)
        #expect(tag.failedStage == "sigstore" && tag.code == "policy.template-unavailable")
        #expect(tag.reason?.contains("{tag} is only known to release verify and release install, not to a local --archive") == true)
        var both = Self.checks(factory, workdir: workdir)
        both.sigstore.policy = "policy.json"
        await #expect(throws: RequestError.self) { _ = try await ReleaseVerifyOperation.run(both, in: Self.context(), emit: ItemSink { _ in }) }
    }

    @Test(
        "release.verify: an unlisted, unsigned archive passes only with --allow-missing-manifest, each risk streamed as a warning, in order",
        .enabled(if: hasPython, pythonMissing))
    func verifyNotices() async throws {
        let factory = try Self.localRelease(sign: false)
        try FileManager.default.removeItem(atPath: factory.directory.file("demo-1.0.0-wheelhouse.tar.gz.sha256"))
        let workdir = try TemporaryDirectory()

        var refused = Self.checks(factory, workdir: workdir, pinned: false)
        let failed = try await ReleaseVerifyOperation.run(refused, in: Self.context(), emit: ItemSink { _ in })
        #expect(failed.failure as? ReleaseCheckError == .missingManifest(archive: "demo-1.0.0-wheelhouse.tar.gz"))
        #expect(failed.verdict == .fail && failed.failedStage == "checksum" && failed.code == "release.missing-manifest")
        #expect(failed.stages.map(\.name) == ["fetch"] && failed.workdir == nil, "what the stages before established stays")
        #expect(try FileManager.default.contentsOfDirectory(atPath: workdir.path).isEmpty)

        refused.allowMissingManifest = true
        refused.keepWorkdir = true
        let notices = Recorder<ReleaseNotice>()
        let report = try await ReleaseVerifyOperation.run(refused, in: Self.context(), emit: ItemSink { notices.append($0) })
        #expect(report.manifest?.verdict == .skippedUnsafe)
        #expect(report.sigstore?.verdict == .absent)
        #expect(notices.values.map(\.event) == ["release.unsafe", "release.unsigned", "release.workdir-kept"])
        #expect(notices.values.allSatisfy { $0.level == .warning })
        #expect(notices.values.first?.message.hasSuffix("this run is unsafe") == true)
        let kept = try FileManager.default.contentsOfDirectory(atPath: workdir.path)
        #expect(kept.count == 1 && notices.values.last?.message == "staging directory kept: \(workdir.file(kept[0]))")
    }

    // MARK: - release.install

    @Test("release.install: refused without exactly one target")
    func installRequest() async throws {
        let checks = ReleaseCheckRequest(source: ReleaseSourceChoice(archive: "demo.tar.gz"))
        for request in [ReleaseInstallOperation.Request(checks: checks), .init(checks: checks, python: "python3", venv: "venv")] {
            do {
                _ = try await ReleaseInstallOperation.run(request, in: Self.context(), emit: ItemSink { _ in })
                Issue.record("ran \(request)")
            } catch let error as RequestError {
                #expect(error.message == "give exactly one of --venv DIR or --python PATH")
            }
        }
    }

    @Test(
        "release.install --dry-run: every check, then pip asked what it would install (an install stage), nothing installed or removed",
        .enabled(if: hasPython && TestVenv.isUsable("python"), "needs python3 and the test venv's python with pip (scripts/bootstrap test)"))
    func installDryRun() async throws {
        let python = try #require(TestVenv.tool("python"))
        let factory = try Self.localRelease()
        let workdir = try TemporaryDirectory()
        let events = Recorder<ProgressSink.Event>()
        let request = ReleaseInstallOperation.Request(
            checks: Self.checks(factory, workdir: workdir), python: python, removeArchive: true, dryRun: true)
        let report = try await ReleaseInstallOperation.run(
            request, in: Self.context(progress: ProgressSink { events.append($0) }), emit: ItemSink { _ in })
        #expect(report.installed == ["alpha-pkg==1.2.0"])
        #expect(report.dryRun && report.target == python)
        #expect(report.stages.map(\.name).last == "install (dry run)")
        #expect(events.values.last == .stage("install"))
        #expect(report.lines.contains("would install: alpha-pkg==1.2.0 into \(python)"))
        #expect(FileManager.default.fileExists(atPath: factory.directory.file("demo-1.0.0-wheelhouse.tar.gz")), "a dry run removes no archive")
        #expect(try FileManager.default.contentsOfDirectory(atPath: workdir.path).isEmpty)
    }
}
