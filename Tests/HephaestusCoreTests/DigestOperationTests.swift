import Foundation
import HephaestusCore
import HephaestusPlatform
import HephaestusTestSupport
import Logging
import Testing

extension OperationContext {
    /// A context that logs nothing, with the given environment.
    static func quiet(environment: [String: String] = [:], clock: @escaping @Sendable () -> Date = Date.init) -> OperationContext {
        OperationContext(logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }), clock: clock, environment: environment)
    }
}

@Suite("digest.files and digest.check operations")
struct DigestOperationTests {
    /// SHA-256 of "abc" (FIPS 180-2 example).
    static let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    /// SHA-512 of "abc".
    static let abc512 =
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"

    @Test("digest.files: one entry per file in argument order, sha256sum's line for each; an unreadable file is recorded and the rest still hashed")
    func files() async throws {
        let directory = try TemporaryDirectory()
        let plain = try directory.write("abc.txt", "abc")
        let escaped = try directory.write("back\\slash", "abc")
        let missing = directory.file("missing")
        let collected = CollectedItems<DigestReport.File>()
        let report = try await DigestFilesOperation.run(
            DigestFilesOperation.Request(files: [plain, missing, escaped]), in: .quiet(), emit: collected.sink)
        #expect(collected.values == report.files)
        #expect(report.files.map(\.name) == [plain, missing, escaped])
        #expect(
            report.files.map(\.checksumLine) == [
                "\(Self.abc)  \(plain)", nil, "\\\(Self.abc)  \(escaped.replacingOccurrences(of: "\\", with: "\\\\"))",
            ])
        #expect(report.files[1].errorCode == "file.not-found")
        #expect(report.files[1].error == "\(missing): No such file or directory")
        let failure = try #require(report.failure)
        #expect(failure.code == "file.not-found")
        #expect(failure.category == .notFound)
        #expect(failure.description == "\(missing): No such file or directory")

        let sha512 = try await DigestFilesOperation.run(
            DigestFilesOperation.Request(files: [plain], algorithm: .sha512), in: .quiet(), emit: ItemSink { _ in })
        #expect(sha512.files.first?.digest == Self.abc512)
        #expect(sha512.files.first?.algorithm == .sha512)
        #expect(sha512.failure == nil)
    }

    @Test("digest.files and digest.check refuse a request without files, as the CLI words it")
    func emptyRequests() async {
        await #expect(throws: RequestError("no FILE given (use - for standard input)")) {
            try await DigestFilesOperation.run(DigestFilesOperation.Request(files: []), in: .quiet(), emit: ItemSink { _ in })
        }
        await #expect(throws: RequestError("no FILE given (use - for standard input)")) {
            try await DigestCheckOperation.run(DigestCheckOperation.Request(manifests: []), in: .quiet(), emit: ItemSink { _ in })
        }
    }

    /// A workspace: `abc.txt`, and manifests by name.
    static func manifests() throws -> (TemporaryDirectory, [String: String]) {
        let directory = try TemporaryDirectory()
        let file = try directory.write("abc.txt", "abc")
        let wrong = String(repeating: "0", count: 64)
        let manifests = [
            "good": "\(abc)  \(file)\n",
            "bad": "\(abc)  \(file)\n\(wrong)  \(file)\n\(abc)  \(directory.file("gone"))\nnot a checksum line\n",
            "comments": "# nothing\n\n",
            "only-missing": "\(abc)  \(directory.file("gone"))\n",
        ]
        var paths: [String: String] = [:]
        for (name, text) in manifests { paths[name] = try directory.write(name + ".sums", text) }
        paths["absent"] = directory.file("absent.sums")
        return (directory, paths)
    }

    @Test(
        "digest.check: each manifest's verdicts in order, then its totals; a failed manifest does not stop the next; the first failure is the report's"
    )
    func check() async throws {
        let (directory, manifests) = try Self.manifests()
        let file = directory.file("abc.txt")
        let order = ["bad", "comments", "absent", "good"].map { manifests[$0]! }
        let collected = CollectedItems<DigestCheckOperation.Item>()
        let report = try await DigestCheckOperation.run(DigestCheckOperation.Request(manifests: order), in: .quiet(), emit: collected.sink)
        let items = collected.values
        #expect(
            items.compactMap(\.verdict?.formatted) == [
                "\(file): OK", "\(file): FAILED", "\(directory.file("gone")): FAILED open or read", "\(file): OK",
            ])
        #expect(items.compactMap(\.verdict) == report.verdicts)
        #expect(items.compactMap(\.manifest) == report.manifests)
        // Verdicts of a manifest come before its totals.
        #expect(items.map { $0.verdict != nil ? "v" : "m" }.joined() == "vvvmmmvm")
        #expect(items[2].errorCode == "file.not-found")
        #expect(
            items.compactMap { $0.manifest == nil ? nil : $0.errorCode } == ["digest.check-failed", "digest.no-checksum-lines", "file.not-found"])

        let bad = report.manifests[0]
        #expect(!bad.passed && bad.verified == 1 && bad.mismatched == 1 && bad.unreadable == 1 && bad.malformedLines == 1)
        #expect(
            DigestCheckError.checkFailed(summary: bad.summary).coreutilsWarnings == [
                "WARNING: 1 line is improperly formatted", "WARNING: 1 listed file could not be read", "WARNING: 1 computed checksum did NOT match",
            ])
        #expect(report.manifests.map(\.passed) == [false, false, false, true])
        #expect(report.manifests.map { $0.failure?.code } == ["digest.check-failed", "digest.no-checksum-lines", "file.not-found", nil])
        #expect(report.manifests.map { $0.failure?.category } == [.checkFailed, .invalidInput, .notFound, nil])
        #expect(report.failure?.code == "digest.check-failed")

        let ignoring = try await DigestCheckOperation.run(
            DigestCheckOperation.Request(manifests: [manifests["only-missing"]!, manifests["good"]!], ignoreMissing: true), in: .quiet(),
            emit: ItemSink { _ in })
        #expect(ignoring.failure?.code == "digest.nothing-verified")
        #expect(ignoring.manifests.map(\.passed) == [false, true])
        let good = try await DigestCheckOperation.run(
            DigestCheckOperation.Request(manifests: [manifests["good"]!]), in: .quiet(), emit: ItemSink { _ in })
        #expect(good.failure == nil)
        #expect(good.verdicts.map(\.verdict) == [.ok])
    }

    @Test("Run from JSON, the reports keep their documents, and a report read back from its document carries the same failures")
    func json() async throws {
        let (directory, manifests) = try Self.manifests()
        let request = #"{"manifests": ["\#(manifests["bad"]!)", "\#(manifests["comments"]!)", "\#(manifests["absent"]!)", "\#(manifests["good"]!)"]}"#
        let document = try await DigestCheckOperation.runJSON(Array(request.utf8), in: .quiet())
        #expect(document.failure?.code == "digest.check-failed")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(document.json)) as? [String: Any])
        #expect(object["mediaType"] as? String == MediaType.digestCheckResult)
        let verdicts = try #require(object["verdicts"] as? [[String: Any]])
        #expect(verdicts.map { $0["verdict"] as? String } == ["ok", "failed", "unreadable", "ok"])
        #expect(verdicts[1]["reason"] as? String == "checksum mismatch")
        let decoded = try JSONDecoder().decode(DigestCheckReport.self, from: Data(document.json))
        #expect(decoded.manifests.map { $0.failure?.code } == ["digest.check-failed", "digest.no-checksum-lines", "file.not-found", nil])
        #expect(decoded.manifests.map { $0.failure?.description } == decoded.manifests.map(\.error))

        let missing = directory.file("missing")
        let files = try await DigestFilesOperation.runJSON(Array(#"{"files": ["\#(directory.file("abc.txt"))", "\#(missing)"]}"#.utf8), in: .quiet())
        #expect(files.failure?.code == "file.not-found")
        let filesObject = try #require(try JSONSerialization.jsonObject(with: Data(files.json)) as? [String: Any])
        let entries = try #require(filesObject["files"] as? [[String: Any]])
        #expect(entries.map { $0["algorithm"] as? String } == ["sha256", "sha256"])
        #expect(entries[0]["digest"] as? String == Self.abc)
        #expect(entries[0]["error"] == nil && entries[1]["digest"] == nil)
        let decodedFiles = try JSONDecoder().decode(DigestReport.self, from: Data(files.json))
        #expect(decodedFiles.failure?.description == "\(missing): No such file or directory")
    }
}
