import Foundation
import HephaestusTestSupport
import Testing

/// `hephaestus conformance tuf-client`, the tuf-conformance client protocol, against python-tuf repositories:
/// exit 0 on success and 1 on any failure, unversioned files in the metadata directory, targets downloaded once.
@Suite(.enabled(if: TUFTestRepository.isUsable, "python-tuf is not installed in the test venv"))
struct TUFConformanceClientTests {
    let work: TemporaryDirectory
    var metadata: String { work.file("metadata") }
    var targets: String { work.file("targets") }

    init() throws {
        work = try TemporaryDirectory(prefix: "hephaestus-tuf-cli")
        try FileManager.default.createDirectory(atPath: work.file("metadata"), withIntermediateDirectories: false)
        try FileManager.default.createDirectory(atPath: work.file("targets"), withIntermediateDirectories: false)
    }

    func client(_ arguments: [String]) throws -> ProcessResult {
        try HephaestusBinary.run(["conformance", "tuf-client", "--metadata-dir", metadata] + arguments)
    }

    func initialise(_ repository: TUFTestRepository) throws {
        let result = try client(["init", repository.initialRootPath])
        #expect(result.status == 0, "\(result.stderrText)")
    }

    @Test func initRefreshAndDownloadInOrder() throws {
        let repository = try TUFTestRepository(case: "good")
        try initialise(repository)
        #expect(TUFTestRepository.contents(of: metadata).keys.sorted() == ["root.json"])
        let refresh = try client(["--metadata-url", repository.metadataURL.absoluteString, "refresh"])
        #expect(refresh.status == 0, "\(refresh.stderrText)")
        #expect(TUFTestRepository.contents(of: metadata).keys.sorted() == ["root.json", "snapshot.json", "targets.json", "timestamp.json"])
        let download = [
            "--metadata-url", repository.metadataURL.absoluteString, "--target-name", "file.txt", "--target-name", "delegated/a.txt",
            "--target-base-url", repository.targetsURL.absoluteString, "--target-dir", targets, "download",
        ]
        let first = try client(download)
        #expect(first.status == 0, "\(first.stderrText)")
        #expect(
            TUFTestRepository.contents(of: targets) == [
                "file.txt": Array("hello, TUF\n".utf8), "delegated%2Fa.txt": Array("delegated target\n".utf8),
            ])
        let fetched = repository.requestedPaths.filter { $0.hasPrefix("/targets/") }
        #expect(fetched.count == 2 && fetched[0].hasSuffix(".file.txt") && fetched[1].hasSuffix(".a.txt"))
        let again = try client(download)
        #expect(again.status == 0, "\(again.stderrText)")
        #expect(repository.requestedPaths.filter { $0.hasPrefix("/targets/") }.count == 2)
    }

    @Test func refusedRefreshExitsOneAndKeepsTheMetadata() throws {
        let repository = try TUFTestRepository(case: "rollback-timestamp")
        try initialise(repository)
        #expect(try client(["--metadata-url", repository.metadataURL.absoluteString, "refresh"]).status == 0)
        let before = TUFTestRepository.contents(of: metadata)
        repository.stage = 1
        let result = try client(["--metadata-url", repository.metadataURL.absoluteString, "refresh"])
        #expect(result.status == 1)
        #expect(result.stderrText == "hephaestus: timestamp metadata version 1 is older than the trusted version 2\n")
        #expect(TUFTestRepository.contents(of: metadata) == before)
    }

    @Test func targetWithAnotherHashIsNotWritten() throws {
        let repository = try TUFTestRepository(case: "target-hash-mismatch")
        try initialise(repository)
        let result = try client([
            "--metadata-url", repository.metadataURL.absoluteString, "--target-name", "file.txt", "--target-base-url",
            repository.targetsURL.absoluteString, "--target-dir", targets, "download",
        ])
        #expect(result.status == 1)
        #expect(result.stderrText == "hephaestus: target file.txt does not match its listed sha256 hash\n")
        #expect(TUFTestRepository.contents(of: targets).isEmpty)
    }

    @Test func usageErrorsExitOne() throws {
        #expect(try client(["refresh"]).status == 1)
        #expect(try client(["init"]).status == 1)
        #expect(try client(["frobnicate"]).status == 1)
    }
}
