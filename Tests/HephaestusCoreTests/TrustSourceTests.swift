import Foundation
import HephaestusCore
import HephaestusPlatform
import HephaestusSigstore
import HephaestusTestSupport
import Logging
import Synchronization
import Testing

/// Which trust material verification uses: `--trusted-root`, else the TUF cache `trust update` left, else embedded;
/// stale material warned about once per run; a damaged cache never used.
@Suite(.enabled(if: TUFTestRepository.isUsable, "python-tuf is not installed in the test venv"))
struct TrustSourceTests {
    /// A log that keeps its lines.
    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
        var all: [String] { lines.withLock { $0 } }
    }

    let home: TemporaryDirectory
    let sigstore: VirtualSigstore

    init() throws {
        home = try TemporaryDirectory(prefix: "hephaestus-xdg-cache")
        sigstore = try VirtualSigstore()
    }

    var environment: [String: String] { ["XDG_CACHE_HOME": home.path, "HOME": home.path] }

    func context(run: RunID = .generate(), clock: @escaping @Sendable () -> Date = Date.init, lines: Lines = Lines()) -> OperationContext {
        let logger = Logger(label: "test") { _ in
            StructuredLogHandler(format: .json, runID: run, level: .info, sink: LogSink { line in lines.lines.withLock { $0.append(line) } })
        }
        return OperationContext(
            runID: run, logger: logger, clock: clock, environment: environment,
            network: NetworkAccess(settings: HTTPSettings(maxRetries: 0), logger: logger))
    }

    /// Runs `trust update` against a python-tuf repository publishing this instance's trusted root (and signing
    /// config), then moves the cache to where the production (or staging) repository's cache lives.
    @discardableResult
    func installCache(staging: Bool = false) async throws -> String {
        let files = try TemporaryDirectory()
        try files.write("trusted_root.json", sigstore.trustedRootJSON)
        try files.write("signing_config.json", BundleEncoder.data(sigstore.signingConfigObject))
        let repository = try TUFTestRepository(
            case: "sigstore-root",
            environment: ["SIGSTORE_TRUSTED_ROOT": files.file("trusted_root.json"), "SIGSTORE_SIGNING_CONFIG": files.file("signing_config.json")])
        let report = try await TrustUpdateOperation.run(
            .init(tufUrl: repository.baseURL.absoluteString, tufRoot: repository.initialRootPath), in: context(), emit: ItemSink { _ in })
        let destination = TrustCache.directory(staging: staging, environment: environment)
        try FileManager.default.createDirectory(
            atPath: URL(fileURLWithPath: destination).deletingLastPathComponent().path, withIntermediateDirectories: true)
        try FileManager.default.moveItem(atPath: report.cacheDirectory, toPath: destination)
        return destination
    }

    /// A bundle only this instance's root verifies (the embedded public-good root does not know its CA).
    func verify(_ trust: TrustChoice, in context: OperationContext) throws -> VerificationResult {
        let artifact = Array("a release\n".utf8)
        let minted = try sigstore.sign(artifact)
        let verifier = BundleVerifier(trustedRoot: try trust.resolve(in: context).load())
        return try verifier.verify(
            try minted.parsed(),
            policy: VerificationPolicy(
                artifact: .bytes(artifact),
                identity: .certificate(identity: .exact("signer@example.com"), issuer: .exact("https://issuer.example.com"), claims: [])))
    }

    @Test("No cache: the embedded material, production or staging")
    func embedded() throws {
        #expect(try TrustChoice().resolve(environment: environment) == .production)
        #expect(try TrustChoice(staging: true).resolve(environment: environment) == .staging)
        #expect(throws: VerificationError.self) { try verify(TrustChoice(), in: context()) }
    }

    @Test("A fresh cache is used: a bundle only its root verifies passes; --trusted-root overrides it; staging is apart")
    func freshCache() async throws {
        let directory = try await installCache()
        let lines = Lines()
        let selection = try TrustChoice().resolve(in: context(lines: lines))
        guard case .tufCache(let cache) = selection else {
            Issue.record("not the cache: \(selection)")
            return
        }
        #expect(cache.directory == directory)
        #expect(cache.trustedRoot == sigstore.trustedRootJSON)
        #expect(cache.signingConfigPath == directory + "/targets/signing_config.v0.2.json")
        #expect(selection.signingConfig == .file(path: directory + "/targets/signing_config.v0.2.json"))
        #expect(selection.kind == "tuf-cache" && selection.path == directory + "/targets/trusted_root.json")
        #expect(try verify(TrustChoice(), in: context()).identity == "signer@example.com")
        #expect(lines.all.isEmpty, "a fresh cache is no warning: \(lines.all)")
        // --trusted-root wins over the cache.
        let other = try VirtualSigstore(name: "other.sigstore.test")
        let file = try TemporaryDirectory()
        try file.write("root.json", other.trustedRootJSON)
        #expect(try TrustChoice(trustedRoot: file.file("root.json")).resolve(environment: environment) == .file(path: file.file("root.json")))
        #expect(throws: VerificationError.self) { try verify(TrustChoice(trustedRoot: file.file("root.json")), in: context()) }
        // The staging cache is another directory: absent, staging is the embedded copy.
        #expect(try TrustChoice(staging: true).resolve(environment: environment) == .staging)
        // trust show's report says so.
        let report = try TrustReport(trust: selection, now: Date())
        #expect(report.sourceKind == "tuf-cache" && report.path == directory + "/targets/trusted_root.json" && report.ageDays == 0 && !report.stale)
        #expect(report.lines[1] == "source: tuf-cache \(directory)/targets/trusted_root.json")
    }

    @Test("A cache past its timestamp expiry warns once per run, naming its age and the refresh command")
    func staleCache() async throws {
        try await installCache()
        let later: @Sendable () -> Date = { Date().addingTimeInterval(400 * 86_400) }
        let lines = Lines()
        let run = RunID.generate()
        for _ in 0..<3 { _ = try TrustChoice().resolve(in: context(run: run, clock: later, lines: lines)) }
        #expect(lines.all.count == 1)
        let warning = try #require(lines.all.first)
        #expect(warning.contains("\"trust.stale\"") && warning.contains("\"level\":\"warning\""))
        #expect(warning.contains("last refreshed 400 days ago") && warning.contains("run `hephaestus trust update`"))
        // Another run is warned again; a fresh clock is not warned at all.
        _ = try TrustChoice().resolve(in: context(clock: later, lines: lines))
        #expect(lines.all.count == 2)
        _ = try TrustChoice().resolve(in: context(lines: lines))
        #expect(lines.all.count == 2)
        #expect(try TrustReport(trust: TrustChoice().resolve(environment: environment), now: later()).staleReason?.contains("400 days") == true)
    }

    @Test("Embedded material more than 182 days old is stale; a file never is")
    func embeddedStaleness() throws {
        let taken = try #require(TrustSelection.production.takenAt)
        #expect(TrustSelection.production.staleness(at: taken.addingTimeInterval(100 * 86_400)) == nil)
        let stale = try #require(TrustSelection.staging.staleness(at: taken.addingTimeInterval(200 * 86_400)))
        #expect(stale.contains("200 days ago") && stale.contains("`hephaestus trust update --staging`"))
        #expect(TrustSelection.file(path: "/x").staleness(at: taken.addingTimeInterval(1000 * 86_400)) == nil)
    }

    @Test("A damaged cache is an error naming it and the fix, never used nor silently replaced by the embedded copy")
    func damagedCache() async throws {
        let directory = try await installCache()
        for (file, damage) in [
            ("targets/trusted_root.json", { (bytes: inout [UInt8]) in bytes[bytes.count / 2] ^= 0x01 }),
            // Both targets are checked against the one chain read: the signing config's hash too.
            ("targets/signing_config.v0.2.json", { (bytes: inout [UInt8]) in bytes[bytes.count / 2] ^= 0x01 }),
            ("metadata/targets.json", { (bytes: inout [UInt8]) in bytes[bytes.count / 2] ^= 0x01 }),
            ("metadata/root.json", { (bytes: inout [UInt8]) in bytes[bytes.count / 2] ^= 0x01 }),
            ("metadata/timestamp.json", { (bytes: inout [UInt8]) in bytes = Array("{\"signed\": ".utf8) }),
            ("metadata/snapshot.json", { (bytes: inout [UInt8]) in bytes.append(0x0A) }),
            ("last-refresh", { (bytes: inout [UInt8]) in bytes = Array("yesterday".utf8) }),
        ] {
            let path = directory + "/" + file
            let original = try FileReader.contents(of: path)
            var damaged = original
            damage(&damaged)
            try AtomicFileWriter.write(damaged, to: path, overwrite: true)
            do {
                let selection = try TrustChoice().resolve(in: context())
                Issue.record("a damaged \(file) was accepted: \(selection)")
            } catch let error as TrustSourceError {
                #expect(error.code == "trust.cache-invalid" && error.category == .configuration)
                #expect("\(error)".contains(directory) && "\(error)".contains("remove it and run `hephaestus trust update`"), "\(error)")
            }
            try AtomicFileWriter.write(original, to: path, overwrite: true)
        }
        #expect(try TrustChoice().resolve(in: context()) != .production)
        // No complete update (no marker): the embedded copy, as if there were no cache.
        try FileManager.default.removeItem(atPath: directory + "/" + TrustCache.markerName)
        #expect(try TrustChoice().resolve(in: context()) == .production)
    }
}
