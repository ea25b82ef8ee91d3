import Foundation
import HephaestusCore
import HephaestusOperations
import HephaestusPlatform
import HephaestusTestSupport
import Logging
import Synchronization
import Testing

/// `release.revoke` run from JSON through the registry, as a service would: the typed confirmation comes from the
/// context, and nothing is written or deleted before it; then the advisory, the inventory record, the deletion.
@Suite("release.revoke", .serialized)
struct ReleaseRevokeOperationTests {
    static let token = "ghp_" + String(repeating: "R5s4", count: 9)
    static let toolsPresent = ToolLocator.find("python3") != nil && ToolLocator.find("sqlite3") != nil

    static func sha256(_ text: String) -> String { DigestAlgorithm.sha256.hash(Array(text.utf8)).hex }

    /// Answers with `text`, after checking what exists at the moment it is asked.
    final class WatchingConfirmation: Confirming, Sendable {
        let text: String?
        let check: @Sendable (ConfirmationRequest) -> Void
        let asked = Mutex<[ConfirmationRequest]>([])

        init(_ text: String?, check: @escaping @Sendable (ConfirmationRequest) -> Void = { _ in }) {
            self.text = text
            self.check = check
        }

        func answer(_ request: ConfirmationRequest) async -> String? {
            asked.withLock { $0.append(request) }
            check(request)
            return text
        }
    }

    static func context(_ confirmation: any Confirming) -> OperationContext {
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        return OperationContext(
            logger: logger, environment: ["GITHUB_TOKEN": token],
            network: NetworkAccess(settings: HTTPSettings(timeout: 5, retryBaseDelay: 0.01, retryMaxDelay: 0.05), logger: logger),
            confirmation: confirmation)
    }

    static func server() throws -> FakeGitHubServer {
        try FakeGitHubServer(
            config: FakeGitHubServer.config(releases: [
                [
                    "id": 1, "tag_name": "v1.0.0", "draft": false, "prerelease": false, "published_at": "2026-01-01T00:00:00Z",
                    "assets": [
                        ["id": 11, "name": "demo-1.0.0-wheelhouse.tar.gz", "text": "bad archive\n"],
                        ["id": 12, "name": "demo-1.0.0-wheelhouse.tar.gz.sha256", "text": "manifest\n", "digest": false],
                        ["id": 13, "name": "README.txt", "text": "read me\n"],
                    ],
                ]
            ]))
    }

    static func assets(_ server: FakeGitHubServer) throws -> [String] {
        let release = try server.state()["octo/wheels"]?.first { $0["tag_name"] as? String == "v1.0.0" }
        return ((release?["assets"] as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String }.sorted()
    }

    static func request(_ server: FakeGitHubServer, _ work: TemporaryDirectory, yes: Bool = false) -> [UInt8] {
        Array(
            #"""
            {"repository": "octo/wheels", "tag": "v1.0.0", "deleteAssets": "demo-*", "reason": "built on a compromised runner",
             "replacement": "v1.0.1", "advisory": "\#(work.file("advisory.md"))", "inventory": "\#(work.file("inventory.sqlite"))",
             "yes": \#(yes), "github": {"apiURL": "\#(server.apiURL)"}}
            """#.utf8)
    }

    @Test("registered as destructive, under release revoke")
    func registered() throws {
        let operation = try #require(OperationRegistry.operation(named: "release.revoke"))
        #expect(operation.descriptor.effect == .destructive)
        #expect(operation.descriptor.command == "release revoke")
        #expect(operation.descriptor.errorCodes.contains("publish.confirmation-mismatch"))
    }

    @Test(
        "a wrong or missing answer deletes, writes and records nothing",
        .enabled(if: toolsPresent, "needs python3 (the GitHub-shaped test server) and sqlite3"))
    func refused() async throws {
        let server = try Self.server()
        let work = try TemporaryDirectory()
        let operation = try #require(OperationRegistry.operation(named: "release.revoke"))
        for answer in ["v1.0.1", nil] {
            let confirmation = WatchingConfirmation(answer)
            do {
                _ = try await operation.runJSON(Self.request(server, work), in: Self.context(confirmation))
                Issue.record("revoked with the answer \(answer ?? "nil")")
            } catch let error as PublishError {
                #expect(error == .confirmationMismatch(expected: "v1.0.0"))
                #expect(ExitCodeTable.status(for: error) == .usage)
            }
            #expect(
                confirmation.asked.withLock { $0 } == [
                    ConfirmationRequest(prompt: "About to delete 2 asset(s) of v1.0.0 from octo/wheels.", expected: "v1.0.0")
                ])
        }
        #expect(try Self.assets(server) == ["README.txt", "demo-1.0.0-wheelhouse.tar.gz", "demo-1.0.0-wheelhouse.tar.gz.sha256"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: work.path).isEmpty, "no advisory, no inventory")
    }

    @Test(
        "confirmed: asked before anything changes, then the advisory (streamed), the inventory record, the deletion",
        .enabled(if: toolsPresent, "needs python3 (the GitHub-shaped test server) and sqlite3"))
    func confirmed() async throws {
        let server = try Self.server()
        let work = try TemporaryDirectory()
        let operation = try #require(OperationRegistry.operation(named: "release.revoke"))
        let confirmation = WatchingConfirmation("v1.0.0") { _ in
            #expect((try? FileManager.default.contentsOfDirectory(atPath: work.path))?.isEmpty == true, "nothing written before the answer")
            #expect((try? Self.assets(server))?.count == 3, "nothing deleted before the answer")
        }
        let items = Mutex<[String]>([])
        let result = try await operation.runJSON(Self.request(server, work), in: Self.context(confirmation)) { item in
            // When the advisory is streamed it is on disk and nothing is deleted yet.
            let assetsLeft = (try? Self.assets(server))?.count ?? -1
            items.withLock { $0.append(String(decoding: item, as: UTF8.self) + " assets=\(assetsLeft)") }
        }
        #expect(result.failure == nil)
        #expect(items.withLock { $0 } == [#"{"json":"\#(work.file("advisory.json"))","markdown":"\#(work.file("advisory.md"))"} assets=3"#])
        #expect(try Self.assets(server) == ["README.txt"])

        let document = try #require(try JSONSerialization.jsonObject(with: Data(result.json)) as? [String: Any])
        #expect(document["mediaType"] as? String == "application/vnd.hephaestus.revocation-result+json;version=1")
        #expect(document["wholeRelease"] as? Bool == false)
        let advisory = try #require(document["advisory"] as? [String: Any])
        #expect(advisory["mediaType"] as? String == "application/vnd.hephaestus.revocation+json;version=1")
        #expect(advisory["scope"] as? String == "demo-*")
        let affected = (advisory["affected"] as? [[String: Any]]) ?? []
        #expect(
            affected.map { "\($0["name"] as? String ?? "") \($0["sha256"] as? String ?? "")" } == [
                "demo-1.0.0-wheelhouse.tar.gz \(Self.sha256("bad archive\n"))",
                "demo-1.0.0-wheelhouse.tar.gz.sha256 \(Self.sha256("manifest\n"))",
            ], "a digest GitHub does not give is computed from the download")
        let markdown = try String(contentsOfFile: work.file("advisory.md"), encoding: .utf8)
        #expect(markdown.contains("- **Replacement:** upgrade to v1.0.1"))
        let recorded = try ProcessResult.runTool(
            "sqlite3", [work.file("inventory.sqlite"), "SELECT repository, tag, reason, replacement FROM advisory"])
        #expect(recorded.stdoutText == "octo/wheels|v1.0.0|built on a compromised runner|v1.0.1\n", "\(recorded.stderrText)")
    }

    @Test(
        "an advisory file already there (or a symbolic link) refuses the run before anything is asked, written or deleted; overwrite replaces a regular file",
        .enabled(if: toolsPresent, "needs python3 (the GitHub-shaped test server) and sqlite3"))
    func advisoryExists() async throws {
        let server = try Self.server()
        let work = try TemporaryDirectory()
        let operation = try #require(OperationRegistry.operation(named: "release.revoke"))
        try work.write("advisory.json", "an older advisory\n")
        let confirmation = WatchingConfirmation("v1.0.0")
        do {
            _ = try await operation.runJSON(Self.request(server, work), in: Self.context(confirmation))
            Issue.record("an existing advisory was replaced without overwrite")
        } catch let error as FileError {
            #expect(error == .alreadyExists(path: work.file("advisory.json")))
        }
        #expect(confirmation.asked.withLock { $0 }.isEmpty, "refused before the question")
        #expect(try Self.assets(server).count == 3, "nothing deleted")
        #expect(try FileManager.default.contentsOfDirectory(atPath: work.path) == ["advisory.json"], "no Markdown half, no inventory")
        #expect(try String(contentsOfFile: work.file("advisory.json"), encoding: .utf8) == "an older advisory\n")

        try FileManager.default.removeItem(atPath: work.file("advisory.json"))
        try FileManager.default.createSymbolicLink(atPath: work.file("advisory.json"), withDestinationPath: "/dev/null")
        var request = Self.request(server, work)
        request.removeLast()
        request += Array(#", "overwrite": true}"#.utf8)
        do {
            _ = try await operation.runJSON(request, in: Self.context(confirmation))
            Issue.record("a symbolic link was written through")
        } catch let error as FileError {
            #expect(error.code == "file.output-not-regular", "\(error)")
        }
        #expect(try Self.assets(server).count == 3, "nothing deleted")

        try FileManager.default.removeItem(atPath: work.file("advisory.json"))
        try work.write("advisory.json", "an older advisory\n")
        _ = try await operation.runJSON(request, in: Self.context(confirmation))
        #expect(try String(contentsOfFile: work.file("advisory.json"), encoding: .utf8).contains("built on a compromised runner"))
        #expect(try Self.assets(server) == ["README.txt"])
    }

    @Test("yes: nobody is asked", .enabled(if: toolsPresent, "needs python3 (the GitHub-shaped test server) and sqlite3"))
    func confirmedInAdvance() async throws {
        let server = try Self.server()
        let work = try TemporaryDirectory()
        let confirmation = WatchingConfirmation(nil)
        let operation = try #require(OperationRegistry.operation(named: "release.revoke"))
        _ = try await operation.runJSON(Self.request(server, work, yes: true), in: Self.context(confirmation))
        #expect(confirmation.asked.withLock { $0 }.isEmpty)
        #expect(try Self.assets(server) == ["README.txt"])
    }
}
