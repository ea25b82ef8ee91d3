import Foundation
import HephaestusPlatform
import HephaestusTestSupport
import Testing

@testable import HephaestusTUF

/// The TUF client against repositories made by python-tuf: every attack refused with its code, and a refused update
/// leaves the metadata directory exactly as it was.
@Suite(.enabled(if: TUFTestRepository.isUsable, "python-tuf is not installed in the test venv"))
struct TUFUpdaterTests {
    let metadata: TemporaryDirectory
    let targets: TemporaryDirectory

    init() throws {
        metadata = try TemporaryDirectory(prefix: "hephaestus-tuf-metadata")
        targets = try TemporaryDirectory(prefix: "hephaestus-tuf-targets")
    }

    func start(_ name: String) throws -> TUFTestRepository {
        let repository = try TUFTestRepository(case: name)
        try TUFUpdater.initialize(metadataDirectory: metadata.path, rootBytes: try FileReader(path: repository.initialRootPath).readAll())
        return repository
    }

    func updater(_ repository: TUFTestRepository, at time: Date = Date()) throws -> TUFUpdater {
        let client = HTTPClient(transport: CurlTransport(), policy: try RetryPolicy(maxRetries: 0))
        return try TUFUpdater(
            metadataDirectory: metadata.path, metadataURL: repository.metadataURL, fetcher: HTTPTUFFetcher(client: client), startTime: time)
    }

    /// Refreshes and commits, as `conformance tuf-client refresh` does.
    func refresh(_ repository: TUFTestRepository) throws {
        let updater = try updater(repository)
        try updater.refresh()
        try updater.commit()
    }

    /// Refreshes, resolves and downloads `name`, then commits.
    @discardableResult
    func download(_ name: String, _ repository: TUFTestRepository) throws -> Bool {
        let updater = try updater(repository)
        try updater.refresh()
        let fetched = try updater.download(try updater.targetInfo(name), baseURL: repository.targetsURL, directory: targets.path)
        try updater.commit()
        return fetched
    }

    func expectRefused(_ code: TUFError.Code, _ body: () throws -> Void) {
        let before = TUFTestRepository.contents(of: metadata.path)
        #expect(throws: TUFError.self) {
            do { try body() } catch let error as TUFError {
                #expect(error.errorCode == code, "\(error)")
                throw error
            }
        }
        #expect(TUFTestRepository.contents(of: metadata.path) == before, "a refused update changed the metadata directory")
    }

    @Test func goodRepositoryRefreshesAndDownloadsOnce() throws {
        let repository = try start("good")
        try refresh(repository)
        #expect(Set(TUFTestRepository.contents(of: metadata.path).keys) == ["root.json", "timestamp.json", "snapshot.json", "targets.json"])
        #expect(try download("file.txt", repository))
        #expect(try FileReader(path: targets.file("file.txt")).readAll() == Array("hello, TUF\n".utf8))
        // Delegated (pre-order search into role1), stored under the percent-encoded path.
        #expect(try download("delegated/a.txt", repository))
        #expect(try FileReader(path: targets.file("delegated%2Fa.txt")).readAll() == Array("delegated target\n".utf8))
        #expect(TUFTestRepository.contents(of: metadata.path).keys.contains("role1.json"))
        // Consistent snapshots: versioned metadata and hash-prefixed targets were fetched.
        let paths = repository.requestedPaths
        #expect(paths.contains("/metadata/1.snapshot.json") && paths.contains("/metadata/1.targets.json") && paths.contains("/metadata/1.role1.json"))
        #expect(paths.contains { $0.hasPrefix("/targets/delegated/") && $0.hasSuffix(".a.txt") && $0 != "/targets/delegated/a.txt" })
        // Already downloaded with matching hashes: not fetched again.
        let targetFetches = paths.filter { $0.hasPrefix("/targets/") }.count
        #expect(try download("file.txt", repository) == false)
        #expect(repository.requestedPaths.filter { $0.hasPrefix("/targets/") }.count == targetFetches)
    }

    @Test func rootRotatesVersionByVersionThroughThresholdChanges() throws {
        let repository = try start("rotate-root")
        try refresh(repository)
        repository.stage = 1
        try refresh(repository)
        #expect(try FileReader(path: metadata.file("root.json")).readAll() == (try repository.file("metadata/3.root.json", stage: 1)))
        #expect(
            repository.requestedPaths.filter { $0.hasSuffix(".root.json") }.suffix(3) == [
                "/metadata/2.root.json", "/metadata/3.root.json", "/metadata/4.root.json",
            ])
    }

    /// Each case: stage 0 refreshes; stage 1 is an attack, refused with the code, nothing persisted.
    @Test(arguments: [
        ("root-not-signed-by-old", TUFError.Code.thresholdNotMet),
        ("root-not-self-signed", .thresholdNotMet),
        ("root-threshold-unmet", .thresholdNotMet),
        ("root-removed-key", .thresholdNotMet),
        ("root-duplicate-signature", .thresholdNotMet),
        ("timestamp-key-rotated", .thresholdNotMet),
        ("expired-root", .expired),
        ("expired-timestamp", .expired),
        ("expired-snapshot", .expired),
        ("expired-targets", .expired),
        ("rollback-timestamp", .rollback),
        ("rollback-snapshot", .rollback),
        ("rollback-targets", .rollback),
        ("mix-and-match", .versionMismatch),
    ])
    func attackOnUpdateIsRefused(name: String, code: TUFError.Code) throws {
        let repository = try start(name)
        try refresh(repository)
        repository.stage = 1
        expectRefused(code) { try refresh(repository) }
    }

    @Test func snapshotDifferingFromTheTimestampsHashIsRefused() throws {
        // Same length, same canonical form (its signature verifies), another SHA-256.
        let repository = try start("snapshot-hash-mismatch")
        expectRefused(.hashMismatch) { try refresh(repository) }
    }

    @Test func metadataExpiredAtTheUpdateStartTimeIsRefused() throws {
        let repository = try start("good")
        expectRefused(.expired) {
            let updater = try updater(repository, at: Date().addingTimeInterval(400 * 86_400))
            try updater.refresh()
        }
    }

    @Test(arguments: [
        ("target-hash-mismatch", "file.txt", TUFError.Code.hashMismatch),
        ("target-length-mismatch", "file.txt", .lengthMismatch),
        ("delegation-terminating", "shared/x.txt", .targetNotFound),
        ("delegation-bad-signature", "delegated/a.txt", .thresholdNotMet),
    ])
    func refusedDownloadWritesNothing(name: String, target: String, code: TUFError.Code) throws {
        let repository = try start(name)
        try refresh(repository)
        expectRefused(code) { try download(target, repository) }
        #expect(TUFTestRepository.contents(of: targets.path).isEmpty)
    }

    @Test func nonTerminatingDelegationContinuesToTheNextRole() throws {
        let repository = try start("delegation-non-terminating")
        #expect(try download("shared/x.txt", repository))
        #expect(Set(TUFTestRepository.contents(of: metadata.path).keys).isSuperset(of: ["first.json", "second.json"]))
    }

    @Test func initRefusesARootNotSignedByItsOwnThreshold() throws {
        let repository = try TUFTestRepository(case: "root-not-self-signed")
        let forged = try repository.file("metadata/2.root.json", stage: 1)
        #expect(throws: TUFError(.thresholdNotMet, "root metadata has 0 valid signatures of the 1 required")) {
            try TUFUpdater.initialize(metadataDirectory: metadata.path, rootBytes: forged)
        }
        #expect(TUFTestRepository.contents(of: metadata.path).isEmpty)
    }
}
