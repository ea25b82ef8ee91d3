import Foundation
import HephaestusCore
import HephaestusPlatform
import HephaestusSigstore
import HephaestusTestSupport
import Logging
import Synchronization
import Testing

/// What an operation handed to its item sink, in order.
final class CollectedItems<Item: Sendable>: Sendable {
    private let items = Mutex<[Item]>([])

    var sink: ItemSink<Item> { ItemSink { item in self.items.withLock { $0.append(item) } } }
    var values: [Item] { items.withLock { $0 } }

    func append(_ item: Item) {
        items.withLock { $0.append(item) }
    }
}

/// A thread-safe count (of requests a test server saw).
final class Tally: Sendable {
    private let count = Mutex(0)

    /// The count after adding one.
    func next() -> Int {
        count.withLock {
            $0 += 1
            return $0
        }
    }
}

/// The operation context of an in-process run: no logs, fast retries, the given environment and progress sink.
func testOperationContext(environment: [String: String] = [:], progress: ProgressSink = .none) -> OperationContext {
    let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
    return OperationContext(
        logger: logger, environment: environment,
        network: NetworkAccess(settings: HTTPSettings(maxRetries: 1, retryBaseDelay: 0.01, retryMaxDelay: 0.05), logger: logger),
        progress: progress)
}

/// `sign.files` in process, against a local Sigstore instance over real HTTP.
@Suite("sign.files operation")
struct SignFilesOperationTests {
    static func request(_ server: SigstoreTestServer, files: [String]) throws -> SignFilesOperation.Request {
        SignFilesOperation.Request(
            files: files, signing: SigningChoice(identityToken: try server.token(), signingConfig: server.signingConfigPath),
            trust: TrustChoice(trustedRoot: server.trustedRootPath))
    }

    @Test("signs the files in order with one certificate: each is an item once its bundle is written, the report lists them, the bundles verify")
    func signsInOrder() async throws {
        let server = try SigstoreTestServer()
        let work = try TemporaryDirectory()
        let files = try ["one.txt", "two.txt", "three.txt"].map { try work.write($0, "\($0)\n") }
        let items = CollectedItems<ArtifactSigning.Outcome>()
        let report = try await SignFilesOperation.run(try Self.request(server, files: files), in: testOperationContext(), emit: items.sink)
        #expect(items.values.map(\.file) == files)
        #expect(report.signed.map(\.bundle) == files.map { $0 + ".sigstore.json" })
        #expect(report.signed.allSatisfy { $0.kind == .messageSignature && $0.verification.identity == "signer@example.com" })
        #expect(server.requestLog.filter { $0 == "POST /api/v2/signingCert" }.count == 1)
        let verification = try BundleVerification(trust: .file(path: server.trustedRootPath))
        for file in files {
            let policy = try VerificationPolicy(
                artifact: .file(path: file), identity: .certificate(identity: .exact("signer@example.com"), issuer: .exact(server.issuer), claims: [])
            )
            #expect(try verification.verify(bundlePath: file + ".sigstore.json", policy: policy).identity == "signer@example.com")
        }
    }

    @Test("a signing failure stops the run: the file before it is an item, no log entry is asked for after it, nothing more is written")
    func stopsAtFirstFailure() async throws {
        let server = try SigstoreTestServer()
        let work = try TemporaryDirectory()
        let files = try ["a.txt", "b.txt", "c.txt"].map { try work.write($0, "\($0)\n") }
        let entries = Tally()
        server.setFault { request, _ in
            guard request.method == "POST", request.path == "/api/v2/log/entries", entries.next() == 2 else { return nil }
            return HTTPServerResponse(status: 400, contentType: "application/json", body: Array(#"{"code":400,"message":"entry refused"}"#.utf8))
        }
        let items = CollectedItems<ArtifactSigning.Outcome>()
        await #expect(throws: (any Error).self) {
            _ = try await SignFilesOperation.run(try Self.request(server, files: files), in: testOperationContext(), emit: items.sink)
        }
        #expect(items.values.map(\.file) == [files[0]])
        #expect(server.requestLog.filter { $0 == "POST /api/v2/log/entries" }.count == 2, "\(server.requestLog)")
        #expect(FileManager.default.fileExists(atPath: files[0] + ".sigstore.json"))
        #expect(!FileManager.default.fileExists(atPath: files[1] + ".sigstore.json"))
        #expect(!FileManager.default.fileExists(atPath: files[2] + ".sigstore.json"))
    }

    @Test("refused before any service is asked: a bundle it would overwrite; a cancelled run signs nothing")
    func refusedBeforeSigning() async throws {
        let server = try SigstoreTestServer()
        let work = try TemporaryDirectory()
        let file = try work.write("a.txt", "a\n")
        _ = try work.write("a.txt.sigstore.json", "keep me")
        await #expect(throws: FileError.alreadyExists(path: file + ".sigstore.json")) {
            _ = try await SignFilesOperation.run(try Self.request(server, files: [file]), in: testOperationContext(), emit: ItemSink { _ in })
        }
        #expect(try String(contentsOfFile: file + ".sigstore.json", encoding: .utf8) == "keep me")
        #expect(server.requestLog.isEmpty)

        let context = testOperationContext()
        context.cancellation.cancel()
        var request = try Self.request(server, files: [file])
        request.overwrite = true
        await #expect(throws: CancellationError.self) { _ = try await SignFilesOperation.run(request, in: context, emit: ItemSink { _ in }) }
        #expect(server.requestLog.isEmpty, "no certificate, no transparency-log entry for a cancelled run: \(server.requestLog)")
        #expect(try String(contentsOfFile: file + ".sigstore.json", encoding: .utf8) == "keep me")
    }

    @Test("requests the CLI refuses are refused naming its flags; the conformance shape (given files win over staging) is accepted")
    func validation() throws {
        #expect(throws: RequestError("--bundle names one output: give exactly one FILE with it")) {
            try SignFilesOperation.Request(files: ["a", "b"], bundle: "x.json").validate()
        }
        #expect(throws: RequestError("--signing-config and --staging cannot be used together")) {
            try SignFilesOperation.Request(files: ["a"], signing: SigningChoice(signingConfig: "c.json"), trust: TrustChoice(staging: true))
                .validate()
        }
        #expect(throws: RequestError("--staging and --trusted-root cannot be used together")) {
            try SignFilesOperation.Request(files: ["a"], trust: TrustChoice(trustedRoot: "r.json", staging: true)).validate()
        }
        #expect(throws: RequestError("--key and --identity-token cannot be used together")) {
            try SignFilesOperation.Request(files: ["a"], signing: SigningChoice(identityToken: "t", key: "k.pem")).validate()
        }
        // conformance sign-bundle --staging --signing-config FILE: the file's services, the staging root.
        try SignFilesOperation.Request(
            files: ["a"], signing: SigningChoice(signingConfig: "c.json"), trust: TrustChoice(staging: true), stagingSigningConfig: false
        ).validate()
        let decoded = try JSONDecoder().decode(SignFilesOperation.Request.self, from: Data(#"{"files": ["a"]}"#.utf8))
        #expect(decoded == SignFilesOperation.Request(files: ["a"]), "only the files are required")
    }

    @Test("runs from JSON: each signed file a compact JSON item, the report the document `sign --json` prints")
    func fromJSON() async throws {
        let server = try SigstoreTestServer()
        let work = try TemporaryDirectory()
        let file = try work.write("a.txt", "a\n")
        let request =
            #"{"files": ["\#(file)"], "inToto": false, "signing": {"identityToken": "\#(try server.token())", "signingConfig": "\#(server.signingConfigPath)"}, "trust": {"trustedRoot": "\#(server.trustedRootPath)"}}"#
        let lines = CollectedItems<[UInt8]>()
        let document = try await SignFilesOperation.runJSON(Array(request.utf8), in: testOperationContext(), emit: lines.append)
        #expect(document.failure == nil)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(document.json)) as? [String: Any])
        #expect(object["mediaType"] as? String == "application/vnd.hephaestus.signing-result+json;version=1")
        let signed = try #require((object["signed"] as? [[String: Any]])?.first)
        #expect(signed["kind"] as? String == "message-signature")
        #expect(signed["bundle"] as? String == file + ".sigstore.json")
        #expect(lines.values.count == 1)
        let line = try #require(lines.values.first)
        let item = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
        #expect(item["file"] as? String == file)
        #expect((item["verification"] as? [String: Any])?["identity"] as? String == "signer@example.com")
    }
}
