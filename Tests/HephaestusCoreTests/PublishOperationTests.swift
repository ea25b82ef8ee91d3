import Foundation
import HephaestusCore
import HephaestusPlatform
import HephaestusSigstore
import HephaestusTestSupport
import Synchronization
import Testing

let python3Available = ToolLocator.find("python3") != nil
let python3Absence: Comment = "python3 builds the test wheels (fixtures/wheels/make_wheel.py) and runs the GitHub test server: not on PATH, skipped"

/// Builds a small valid wheel with fixtures/wheels/make_wheel.py; its path.
func makeTestWheel(_ directory: TemporaryDirectory, _ name: String, description: String? = "A test package.\n") throws -> String {
    let script = FakeGitHubServer.projectRoot.appendingPathComponent("fixtures/wheels/make_wheel.py").path
    let extra = description.map { ["--description", $0, "--description-content-type", "text/plain"] } ?? []
    let result = try ProcessResult.runTool("python3", [script, directory.file("dist"), name, "1.0.0"] + extra)
    try #require(result.status == 0, "make_wheel.py: \(result.stderrText)")
    return result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
}

/// A legacy-upload-API stand-in: records each upload (file name, authorization) and when it began and ended, answers
/// 400 for the files it refuses, and counts how many uploads it serves at once.
final class UploadIndexStandIn: Sendable {
    struct Upload: Sendable, Equatable {
        let filename: String
        let authorization: String?
        let attested: Bool
    }

    private let seen = Mutex<[Upload]>([])
    private let log = Mutex<[String]>([])
    private let concurrency = Mutex<(now: Int, peak: Int)>((0, 0))
    let refused: Set<String>
    let delay: TimeInterval

    init(refused: Set<String> = [], delay: TimeInterval = 0) {
        self.refused = refused
        self.delay = delay
    }

    var uploads: [Upload] { seen.withLock { $0 } }
    var events: [String] { log.withLock { $0 } }
    var peak: Int { concurrency.withLock { $0.peak } }

    func handle(_ request: HTTPServerRequest) -> HTTPServerResponse {
        let text = String(decoding: request.body, as: UTF8.self)
        let filename = text.range(of: "filename=\"").map { String(text[$0.upperBound...].prefix { $0 != "\"" }) } ?? ""
        log.withLock { $0.append("begin \(filename)") }
        concurrency.withLock {
            $0.now += 1
            $0.peak = max($0.peak, $0.now)
        }
        if delay > 0 { Thread.sleep(forTimeInterval: delay) }
        seen.withLock {
            $0.append(Upload(filename: filename, authorization: request.headers["authorization"], attested: text.contains("name=\"attestations\"")))
        }
        concurrency.withLock { $0.now -= 1 }
        log.withLock { $0.append("end \(filename)") }
        if refused.contains(filename) { return HTTPServerResponse(status: 400, contentType: "text/plain", body: Array("bad metadata".utf8)) }
        return HTTPServerResponse(status: 200, contentType: "text/plain", body: Array("OK".utf8))
    }
}

/// `publish.pypi` in process: the order of its work, its items, and what it reads from the context.
@Suite("publish.pypi operation", .serialized)
struct PublishPyPIOperationTests {
    static func files(_ items: [PublishPyPIOperation.Item]) -> [PyPIUploader.Outcome] {
        items.compactMap { if case .file(let outcome) = $0 { outcome } else { nil } }
    }

    @Test(
        "the first file alone, then at most `jobs` at a time; outcomes are items in input order; the password comes from the variable passwordEnv names in the run's environment",
        .enabled(if: python3Available, python3Absence))
    func uploadsInOrder() async throws {
        let work = try TemporaryDirectory()
        let wheels = try (0..<5).map { try makeTestWheel(work, "pkg\($0)") }
        let names = wheels.map { URL(fileURLWithPath: $0).lastPathComponent }
        let index = UploadIndexStandIn(delay: 0.15)
        let server = try LoopbackHTTPServer { index.handle($0) }
        defer { server.stop() }
        let secret = "index-secret-" + UUID().uuidString
        let context = testOperationContext(environment: ["INDEX_TOKEN": secret])
        let items = CollectedItems<PublishPyPIOperation.Item>()
        let request = PublishPyPIOperation.Request(
            distributions: wheels, repositoryURL: "\(server.baseURL)/legacy/", passwordEnv: "INDEX_TOKEN", jobs: 2)
        let report = try await PublishPyPIOperation.run(request, in: context, emit: items.sink)

        #expect(Self.files(items.values).map(\.file) == names)
        #expect(Self.files(items.values).allSatisfy { $0.status == .uploaded })
        #expect(report == PyPIReport(index: "\(server.baseURL)/legacy/", files: Self.files(items.values)))
        #expect(Array(index.events.prefix(2)) == ["begin \(names[0])", "end \(names[0])"], "the first upload is alone: \(index.events)")
        #expect(index.peak <= 2, "never more than --jobs uploads at once")
        #expect(Set(index.uploads.map(\.filename)) == Set(names))
        #expect(index.uploads.allSatisfy { $0.authorization == "Basic " + Base64.encode(Array("__token__:\(secret)".utf8)) })
        #expect(!context.redactor.redact("password \(secret)").contains(secret), "the password is registered with the run's redactor")
    }

    @Test(
        "after a failed upload no other starts: the outcomes before it are items, the error names the file",
        .enabled(if: python3Available, python3Absence))
    func stopsAfterFailure() async throws {
        let work = try TemporaryDirectory()
        let wheels = try ["first", "second", "third"].map { try makeTestWheel(work, $0) }
        let names = wheels.map { URL(fileURLWithPath: $0).lastPathComponent }
        let index = UploadIndexStandIn(refused: [names[1]])
        let server = try LoopbackHTTPServer { index.handle($0) }
        defer { server.stop() }
        let items = CollectedItems<PublishPyPIOperation.Item>()
        let request = PublishPyPIOperation.Request(distributions: wheels, repositoryURL: "\(server.baseURL)/legacy/")
        await #expect(throws: PublishError.uploadRejected(file: names[1], status: 400, reason: "bad metadata")) {
            _ = try await PublishPyPIOperation.run(request, in: testOperationContext(environment: ["TWINE_PASSWORD": "p"]), emit: items.sink)
        }
        #expect(Self.files(items.values).map(\.file) == [names[0]])
        #expect(index.uploads.map(\.filename) == [names[0], names[1]], "nothing after the refused file is sent")
    }

    @Test(
        "a dry run validates and reports without contacting anything; warnings are items; the index in the report carries no credentials",
        .enabled(if: python3Available, python3Absence))
    func dryRun() async throws {
        let work = try TemporaryDirectory()
        let described = try makeTestWheel(work, "described")
        let bare = try makeTestWheel(work, "bare", description: nil)
        let index = UploadIndexStandIn()
        let server = try LoopbackHTTPServer { index.handle($0) }
        defer { server.stop() }
        let items = CollectedItems<PublishPyPIOperation.Item>()
        let request = PublishPyPIOperation.Request(
            distributions: [described, bare], repositoryURL: "http://user:hunter2@127.0.0.1:\(server.port)/legacy/", attestations: true, dryRun: true)
        let report = try await PublishPyPIOperation.run(request, in: testOperationContext(), emit: items.sink)
        let bareName = URL(fileURLWithPath: bare).lastPathComponent
        #expect(items.values.first == .warning(PublishWarning(event: "publish.warning", message: "\(bareName): no long description")))
        #expect(Self.files(items.values).map(\.status) == [.wouldUpload, .wouldUpload])
        #expect(Self.files(items.values).map(\.attestations) == [1, 1])
        #expect(report.files == Self.files(items.values))
        #expect(!report.index.contains("hunter2"))
        #expect(index.uploads.isEmpty)
    }

    @Test(
        "attestations are all signed before the first upload: a signing failure uploads nothing and asks for no second log entry",
        .enabled(if: python3Available, python3Absence))
    func signingFailureUploadsNothing() async throws {
        let sigstore = try SigstoreTestServer()
        let work = try TemporaryDirectory()
        let wheels = try ["signed-a", "signed-b"].map { try makeTestWheel(work, $0) }
        sigstore.setFault { request, _ in
            guard request.method == "POST", request.path == "/api/v1/log/entries" else { return nil }
            return HTTPServerResponse(status: 400, contentType: "application/json", body: Array(#"{"code":400,"message":"entry refused"}"#.utf8))
        }
        let index = UploadIndexStandIn()
        let server = try LoopbackHTTPServer { index.handle($0) }
        defer { server.stop() }
        let request = PublishPyPIOperation.Request(
            distributions: wheels, repositoryURL: "\(server.baseURL)/legacy/", attestations: true,
            signing: SigningChoice(identityToken: try sigstore.token(), signingConfig: sigstore.rekorV1SigningConfigPath),
            trust: TrustChoice(trustedRoot: sigstore.trustedRootPath))
        await #expect(throws: (any Error).self) {
            _ = try await PublishPyPIOperation.run(request, in: testOperationContext(environment: ["TWINE_PASSWORD": "p"]), emit: ItemSink { _ in })
        }
        #expect(index.uploads.isEmpty)
        #expect(sigstore.requestLog.filter { $0 == "POST /api/v1/log/entries" }.count == 1, "\(sigstore.requestLog)")

        // Without the fault the same request signs both and sends each with its attestation.
        sigstore.setFault(nil)
        let items = CollectedItems<PublishPyPIOperation.Item>()
        _ = try await PublishPyPIOperation.run(request, in: testOperationContext(environment: ["TWINE_PASSWORD": "p"]), emit: items.sink)
        #expect(Self.files(items.values).map(\.attestations) == [1, 1])
        #expect(index.uploads.map(\.attested) == [true, true])
    }

    @Test("inspecting many distributions reports the first invalid one in input order", .enabled(if: python3Available, python3Absence))
    func firstInvalidInOrder() throws {
        let work = try TemporaryDirectory()
        var paths = try (0..<12).map { try makeTestWheel(work, "many\($0)") }
        paths[4] = try work.write("broken-1.0-py3-none-any.whl", "not a zip")
        paths[9] = work.file("missing-1.0-py3-none-any.whl")
        do {
            _ = try Distribution.inspectAll(paths, jobs: 4)
            Issue.record("invalid distributions were accepted")
        } catch let error as PublishError {
            guard case .invalidDistribution(let file, _) = error else { throw error }
            #expect(file == "broken-1.0-py3-none-any.whl")
        }
        #expect(try Distribution.inspectAll(Array(paths.prefix(4)), jobs: 4).map(\.path) == Array(paths.prefix(4)), "results in input order")
    }

    @Test("items encode as {\"warning\": …} or {\"file\": …} and decode back; a request needs only its distributions")
    func itemAndRequestJSON() throws {
        let outcome = PyPIUploader.Outcome(
            file: "a-1.0-py3-none-any.whl", status: .skippedExisting, sha256: "aa", blake2b256: "bb", attestations: 0, existing: .identical, note: nil
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let file = String(decoding: try encoder.encode(PublishPyPIOperation.Item.file(outcome)), as: UTF8.self)
        #expect(
            file
                == #"{"file":{"attestations":0,"blake2b256":"bb","existing":"identical","file":"a-1.0-py3-none-any.whl","sha256":"aa","status":"skipped-existing"}}"#
        )
        let warning = PublishPyPIOperation.Item.warning(PublishWarning(event: "publish.warning", message: "m"))
        #expect(String(decoding: try encoder.encode(warning), as: UTF8.self) == #"{"warning":{"event":"publish.warning","message":"m"}}"#)
        for item in [PublishPyPIOperation.Item.file(outcome), warning] {
            #expect(try JSONDecoder().decode(PublishPyPIOperation.Item.self, from: try encoder.encode(item)) == item)
        }
        let request = try JSONDecoder().decode(PublishPyPIOperation.Request.self, from: Data(#"{"distributions": ["a.whl"]}"#.utf8))
        #expect(request == PublishPyPIOperation.Request(distributions: ["a.whl"]))
        #expect(request.jobs == 1 && !request.dryRun && !request.attestations)
    }

    @Test("requests the CLI refuses are refused naming its flags")
    func validation() {
        #expect(throws: RequestError("--jobs must be between 1 and 8, not 9")) {
            try PublishPyPIOperation.Request(distributions: ["a"], jobs: 9).validate()
        }
        #expect(throws: RequestError("give --repository NAME or --repository-url URL, not both")) {
            try PublishPyPIOperation.Request(distributions: ["a"], repositoryURL: "https://x.example/legacy/", repository: "pypi").validate()
        }
        #expect(throws: RequestError("--attestations need keyless signing (PyPI verifies the certificate's identity); drop --key")) {
            try PublishPyPIOperation.Request(distributions: ["a"], attestations: true, signing: SigningChoice(key: "k.pem")).validate()
        }
        #expect(throws: RequestError("--index-url simple is not an absolute URL")) {
            try PublishPyPIOperation.Request(distributions: ["a"], indexURL: "simple").validate()
        }
        #expect(throws: RequestError("DIST dist/a.whl is given twice")) {
            try PublishPyPIOperation.Request(distributions: ["dist/a.whl", "dist/b.whl", "dist/a.whl"]).validate()
        }
        #expect(throws: RequestError("DIST dist/a.whl and copy/a.whl have the same file name")) {
            try PublishPyPIOperation.Request(distributions: ["dist/a.whl", "copy/a.whl"]).validate()
        }
    }
}

/// `publish.github` in process against the GitHub-Releases-shaped test server.
@Suite("publish.github operation", .serialized)
struct PublishGitHubOperationTests {
    static let token = "ghp_" + String(repeating: "Q7w3", count: 9)

    @Test(
        "creates the release and uploads each file with a progress feed; the token comes from the run's environment; a second run skips identical assets",
        .enabled(if: python3Available, python3Absence))
    func publishes() async throws {
        let github = try FakeGitHubServer(config: FakeGitHubServer.config(releases: []))
        let work = try TemporaryDirectory()
        let files = [try work.write("a.txt", "alpha\n"), try work.write("b.bin", String(repeating: "b", count: 4096))]
        let events = CollectedItems<ProgressSink.Event>()
        let context = testOperationContext(environment: ["GITHUB_TOKEN": Self.token], progress: ProgressSink { events.append($0) })
        let request = PublishGitHubOperation.Request(
            repository: "octo/wheels", tag: "v1.0.0", files: files, create: true, github: GitHubChoice(apiURL: github.apiURL))
        let report = try await PublishGitHubOperation.run(request, in: context)
        #expect(report.created)
        #expect(report.assets.map(\.asset) == ["a.txt", "b.bin"])
        #expect(report.assets.map(\.status) == [.uploaded, .uploaded])
        #expect(report.assets.map(\.sha256) == (try files.map { try DigestAlgorithm.sha256.hash(fileAt: $0).hex }))
        #expect(try github.assetNames()["v1.0.0"] == ["a.txt", "b.bin"])
        #expect(events.values.contains(.transfer(label: "a.txt", done: 6, total: 6)), "\(events.values)")
        #expect(events.values.contains(.transfer(label: "b.bin", done: 4096, total: 4096)), "\(events.values)")

        var again = request
        again.create = false
        let second = try await PublishGitHubOperation.run(again, in: context)
        #expect(!second.created)
        #expect(second.assets.map(\.status) == [.skippedIdentical, .skippedIdentical])

        // No token in the run's environment: refused, whatever the process's environment holds.
        await #expect(throws: GitHubError.missingToken(sources: ["GITHUB_TOKEN", "GH_TOKEN"])) {
            _ = try await PublishGitHubOperation.run(again, in: testOperationContext())
        }
    }

    @Test("a malformed repository is a request error naming it")
    func validation() {
        #expect(throws: RequestError("invalid repository \"octo\": expected OWNER/REPO")) {
            try PublishGitHubOperation.Request(repository: "octo", tag: "v1", files: ["a"]).validate()
        }
        #expect(throws: RequestError("FILE a.txt is given twice")) {
            try PublishGitHubOperation.Request(repository: "octo/wheels", tag: "v1", files: ["a.txt", "a.txt"]).validate()
        }
    }
}
