import Foundation
import HephaestusPlatform
import HephaestusSigstore

/// What Sigstore must say about the archive.
public struct SigstorePolicy: Sendable {
    public var required: Bool
    /// Exact identities or glob patterns (`*` matches any characters, slashes included), any of which may sign.
    public var identities: [String]
    public var issuer: String
    public var trust: TrustSelection
    /// `--policy FILE`: replaces `identities` and `issuer`; its `{tag}`, `{repository}` and `{version}` are filled
    /// from the release being checked.
    public var policyFile: PolicyFile?

    public static let githubActionsIssuer = "https://token.actions.githubusercontent.com"

    public init(
        required: Bool, identities: [String], issuer: String = SigstorePolicy.githubActionsIssuer, trust: TrustSelection = .production,
        policyFile: PolicyFile? = nil
    ) {
        self.required = required
        self.identities = identities
        self.issuer = issuer
        self.trust = trust
        self.policyFile = policyFile
    }

    /// Whether the signer is pinned (by identities or a policy).
    var pinned: Bool { policyFile != nil || !identities.isEmpty }

    /// The signer policy for a release (`release`: its repository and tag, nil for a local archive).
    func signer(release: (repository: String, tag: String)?) throws -> SignerPolicy {
        if let policyFile {
            var templates: [String: String] = [:]
            if let release {
                templates = ["repository": release.repository, "tag": release.tag]
                templates["version"] = release.tag.hasPrefix("v") ? String(release.tag.dropFirst()) : release.tag
            }
            return try policyFile.signerPolicy(templates: templates, command: "a local --archive (no release tag)")
        }
        return SignerPolicy(identity: .certificate(identity: .identityPatterns(identities), issuer: .exact(issuer), claims: []))
    }
}

/// Where the release comes from: GitHub, or local files (air-gapped machines). The checks are the same.
public enum ReleaseSource: Sendable {
    case github(ReleaseSelector, client: GitHubReleasesClient, pattern: String?, maximumSize: Int64)
    case local(archive: String, manifest: String?, bundle: String?, maximumSize: Int64)
}

/// A private working directory; removed by ``remove()`` (always, unless the user keeps it). Immutable, hence Sendable.
public final class Staging: Sendable {
    public let root: String
    public var downloads: String { root + "/downloads" }
    public var wheels: String { root + "/wheelhouse" }

    init(parent: String?) throws {
        root = try PrivateDirectory(in: parent, prefix: "hephaestus-release", removeOnDeinit: false).path
        try FileManager.default.createDirectory(atPath: downloads, withIntermediateDirectories: false)
    }

    public func remove() {
        try? FileManager.default.removeItem(atPath: root)
    }
}

/// Something the pipeline wants said while it works: a warning the user must see (an unsafe or unsigned run, a
/// renamed asset, a kept staging directory) or a fact to log. `release verify` and `release install` stream them as
/// items; the CLI prints warnings as `hephaestus: warning: …` lines on stderr.
public struct ReleaseNotice: Codable, Sendable, Equatable {
    public enum Level: String, Codable, Sendable, CaseIterable {
        case warning, info
    }

    public let level: Level
    /// The log event (`release.unsafe`, `asset.renamed`, …).
    public let event: String
    public let message: String

    public init(level: Level, event: String, message: String) {
        self.level = level
        self.event = event
        self.message = message
    }

    public static func warning(event: String, message: String) -> ReleaseNotice { ReleaseNotice(level: .warning, event: event, message: message) }
    public static func info(event: String, message: String) -> ReleaseNotice { ReleaseNotice(level: .info, event: event, message: message) }
}

/// `release verify`: fetch (or take) the archive, manifest and bundle; check the checksum and the Sigstore bundle;
/// extract safely; check every wheel. Nothing outside the staging directory is touched.
public struct ReleasePipeline: Sendable {
    public static let archivePattern = "*wheelhouse*"

    public var source: ReleaseSource
    public var sigstore: SigstorePolicy
    public var allowMissingManifest: Bool
    public var limits: ExtractionLimits
    public var workRoot: String?
    /// `--deep`: each wheel against its own PEP 740 provenance.
    public var provenance: WheelProvenanceCheck?
    public var notify: @Sendable (ReleaseNotice) -> Void

    public init(
        source: ReleaseSource, sigstore: SigstorePolicy, allowMissingManifest: Bool = false,
        limits: ExtractionLimits = ExtractionLimits(), workRoot: String? = nil, provenance: WheelProvenanceCheck? = nil,
        notify: @escaping @Sendable (ReleaseNotice) -> Void = { _ in }
    ) {
        self.provenance = provenance
        self.source = source
        self.sigstore = sigstore
        self.allowMissingManifest = allowMissingManifest
        self.limits = limits
        self.workRoot = workRoot
        self.notify = notify
    }

    /// Runs every check, stage by stage (`fetch`, `checksum`, `sigstore`, `extract`, `wheels`, with `--deep`
    /// `provenance`): each announced as a
    /// progress event, traced as a span, run off the cooperative pool. A stage that fails ends the checks and is
    /// recorded in the report (``ReleaseReport/fail(at:with:)``): what the stages before it established stays in the
    /// report. The caller owns the staging directory either way (``finish(_:keep:report:)``); only errors without a
    /// code (cancellation, bugs) are thrown, the staging directory then already removed.
    public func verify(in context: OperationContext) async throws -> (ReleaseReport, Staging) {
        let staging = try Staging(parent: workRoot)
        var report = ReleaseReport(source: sourceDescription)
        do {
            try await run(staging, context, &report)
        } catch let failure as StageFailure {
            report.fail(at: failure.stage, with: failure.error)
        } catch {
            staging.remove()
            throw error
        }
        return (report, staging)
    }

    /// `release verify`: the checks, then the staging directory removed (or kept, and said so), whatever the verdict.
    public func verify(keepingWorkdir keep: Bool, in context: OperationContext) async throws -> ReleaseReport {
        var (report, staging) = try await verify(in: context)
        finish(staging, keep: keep, report: &report)
        return report
    }

    /// Removes the staging directory, or keeps it, says where, and records it in the report.
    func finish(_ staging: Staging, keep: Bool, report: inout ReleaseReport) {
        if keep {
            notify(.warning(event: "release.workdir-kept", message: "staging directory kept: \(staging.root)"))
            report.workdir = staging.root
        } else {
            staging.remove()
        }
    }

    /// A coded error met in a stage, with the stage's name: what ``ReleaseReport/fail(at:with:)`` records.
    struct StageFailure: Error {
        let stage: String
        let error: any CodedError
    }

    /// Runs one stage of the work: announced, traced, and run on a thread made for blocking work.
    static func stage<Value: Sendable>(
        _ name: String, in context: OperationContext, _ work: @escaping @Sendable () throws -> Value
    ) async throws -> Value {
        try context.checkCancellation()
        context.progress.send(.stage(name))
        do {
            return try await context.instrumentation.withSpan("release.stage.\(name)", attributes: ["hephaestus.stage": name]) {
                try await BlockingWork.run(work)
            }
        } catch let error as any CodedError {
            throw StageFailure(stage: name, error: error)
        }
    }

    private func run(_ staging: Staging, _ context: OperationContext, _ report: inout ReleaseReport) async throws {
        var clock = StageClock(clock: context.clock)
        let files = try await Self.stage("fetch", in: context) { try fetch(into: staging) }
        report.stages.append(clock.lap("fetch"))

        let archiveName = URL(fileURLWithPath: files.archive).lastPathComponent
        let (archive, manifest, archiveDigest) = try await Self.stage("checksum", in: context) { try checksum(files, archiveName: archiveName) }
        report.archive = archive
        report.manifest = manifest
        report.stages.append(clock.lap("checksum"))

        report.sigstore = try await Self.stage("sigstore", in: context) {
            try checkSigstore(
                bundle: files.bundle, archiveName: archiveName, archiveDigest: archiveDigest,
                release: files.release.map { (repository: $0.repository, tag: $0.tag) })
        }
        report.stages.append(clock.lap("sigstore"))

        try await Self.stage("extract", in: context) {
            _ = try SafeExtractor(limits: limits, rules: WheelhouseInspection.extractionRules).extract(files.archive, into: staging.wheels)
        }
        report.stages.append(clock.lap("extract"))
        let wheels = try await Self.stage("wheels", in: context) { try WheelhouseInspection.inspect(directory: staging.wheels) }
        report.wheels = wheels
        report.stages.append(clock.lap("wheels"))
        if let provenance {
            report.provenance = try await Self.stage("provenance", in: context) { [notify] in try provenance.check(wheels, notify: notify) }
            report.stages.append(clock.lap("provenance"))
        }
    }

    /// The archive's digest and size; the manifest must name the archive and match.
    private func checksum(_ files: FetchedFiles, archiveName: String) throws -> (ReleaseReport.Archive, ReleaseReport.Manifest, Digest) {
        let archiveDigest = try files.archiveDigest ?? DigestAlgorithm.sha256.hash(fileAt: files.archive)
        let size = (try? FileStatus.size(of: files.archive)) ?? 0
        let archive = ReleaseReport.Archive(name: archiveName, path: files.archive, sha256: archiveDigest.hex, size: size)
        guard let manifestPath = files.manifest else {
            guard allowMissingManifest else { throw ReleaseCheckError.missingManifest(archive: archiveName) }
            notify(
                .warning(
                    event: "release.unsafe",
                    message: "no SHA-256 manifest for \(archiveName): the checksum check is skipped (--allow-missing-manifest); this run is unsafe"))
            return (archive, ReleaseReport.Manifest(verdict: .skippedUnsafe, file: nil), archiveDigest)
        }
        let manifest = ChecksumManifest(bytes: try FileReader.contents(of: manifestPath), algorithm: .sha256)
        guard let line = manifest.entries.last(where: { URL(fileURLWithPath: $0.line.name).lastPathComponent == archiveName })?.line else {
            throw ReleaseCheckError.manifestDoesNotNameArchive(manifest: URL(fileURLWithPath: manifestPath).lastPathComponent, archive: archiveName)
        }
        guard line.digest == archiveDigest else {
            throw ReleaseCheckError.checksumMismatch(archive: archiveName, expected: line.digest.hex, actual: archiveDigest.hex)
        }
        return (archive, ReleaseReport.Manifest(verdict: .pass, file: URL(fileURLWithPath: manifestPath).lastPathComponent), archiveDigest)
    }

    /// Sigstore: required → must exist and verify; otherwise a present bundle must still verify.
    private func checkSigstore(
        bundle bundlePath: String?, archiveName: String, archiveDigest: Digest, release: (repository: String, tag: String)?
    ) throws -> ReleaseReport.Sigstore {
        guard let bundlePath else {
            guard !sigstore.required else { throw ReleaseCheckError.missingBundle(archive: archiveName) }
            notify(.warning(event: "release.unsigned", message: "no Sigstore bundle for \(archiveName): its origin is not verified"))
            return ReleaseReport.Sigstore(
                verdict: .absent, bundle: nil, identity: nil, issuer: nil, logIndex: nil, signingTime: nil, identityPinned: false)
        }
        if !sigstore.pinned {
            notify(
                .warning(
                    event: "release.identity-not-pinned",
                    message: "the Sigstore bundle is verified but its signer is not pinned: pass --sigstore-identity"))
        }
        let policy = try VerificationPolicy(artifact: .digest(archiveDigest), signer: try sigstore.signer(release: release))
        let result = try BundleVerification(trust: sigstore.trust).verify(bundlePath: bundlePath, policy: policy)
        return ReleaseReport.Sigstore(
            verdict: .pass, bundle: URL(fileURLWithPath: bundlePath).lastPathComponent, identity: result.identity, issuer: result.issuer,
            logIndex: result.logEntries.first?.logIndex, signingTime: result.signingTime, identityPinned: sigstore.pinned)
    }

    private var sourceDescription: String {
        switch source {
        case .github(let selector, _, _, _):
            switch selector.which {
            case .tag(let tag): "\(selector.repository)@\(tag)"
            case .latest: "\(selector.repository)@latest"
            }
        case .local(let archive, _, _, _): archive
        }
    }

    /// True when the file at `path` is a sha256sum manifest with a line for `archive`.
    static func manifest(at path: String, names archive: String) -> Bool {
        guard let bytes = try? FileReader.contents(of: path, limit: 1 << 20) else { return false }
        return ChecksumManifest(bytes: bytes, algorithm: .sha256).entries.contains {
            URL(fileURLWithPath: $0.line.name).lastPathComponent == archive
        }
    }

    struct FetchedFiles: Sendable {
        let archive: String
        let archiveDigest: Digest?
        let manifest: String?
        let bundle: String?
        /// The GitHub release's repository and tag (nil for a local archive).
        var release: (repository: String, tag: String)? = nil
    }

    /// The archive, its manifest and bundle: downloaded into the staging directory, or found beside a local archive.
    private func fetch(into staging: Staging) throws -> FetchedFiles {
        switch source {
        case .local(let archive, let manifest, let bundle, let maximumSize):
            _ = try FileReader(path: archive)
            // --max-size holds for a local archive as for a download: checked before a byte of it is read.
            let size = try FileStatus.size(of: archive)
            guard size <= maximumSize else { throw ReleaseCheckError.archiveTooLarge(archive: archive, size: size, limit: maximumSize) }
            let directory = URL(fileURLWithPath: archive).deletingLastPathComponent().path
            let name = URL(fileURLWithPath: archive).lastPathComponent
            let foundManifest =
                manifest ?? [archive + ".sha256", directory + "/SHA256SUMS"].first(where: NativePath.exists)
                ?? (NativePath.entries(ofDirectory: directory) ?? []).sorted()
                .filter { $0.hasSuffix(".sha256") }.map { directory + "/" + $0 }
                .first { Self.manifest(at: $0, names: name) }
            let foundBundle = bundle ?? [archive + ".sigstore.json", archive + ".sigstore"].first(where: NativePath.exists)
            if let manifest { _ = try FileReader(path: manifest) }
            if let bundle { _ = try FileReader(path: bundle) }
            return FetchedFiles(archive: archive, archiveDigest: nil, manifest: foundManifest, bundle: foundBundle)
        case .github(let selector, let client, let pattern, let maximumSize):
            let release = try selector.resolve(with: client)
            let archivePattern = pattern ?? Self.archivePattern
            let candidates = release.assets.filter { asset in
                fnmatch(archivePattern, asset.name, 0) == 0
                    && (pattern != nil || asset.name.hasSuffix(".tar.gz") || asset.name.hasSuffix(".zip") || asset.name.hasSuffix(".tgz"))
            }
            guard !candidates.isEmpty else { throw ReleaseCheckError.noArchive(release: release.tagName, pattern: archivePattern) }
            guard candidates.count == 1 else { throw ReleaseCheckError.ambiguousArchive(candidates: candidates.map(\.name)) }
            let archiveAsset = candidates[0]
            let archive = try client.download(
                archiveAsset, into: staging.downloads, maximumSize: maximumSize,
                onRename: { original, sanitized in notify(.warning(event: "asset.renamed", message: "\(original) → \(sanitized)")) })
            func optional(_ names: [String]) throws -> String? {
                for name in names {
                    if let asset = release.assets.first(where: { $0.name == name }) {
                        return try client.download(asset, into: staging.downloads, maximumSize: 16 << 20).path
                    }
                }
                return nil
            }
            var manifest = try optional([archiveAsset.name + ".sha256", "SHA256SUMS"])
            if manifest == nil {
                // CLI.md: any *.sha256 asset in sha256sum format that names the archive.
                for asset in release.assets where asset.name.hasSuffix(".sha256") && asset.size < 1 << 20 {
                    let path = try client.download(asset, into: staging.downloads, maximumSize: 1 << 20).path
                    if Self.manifest(at: path, names: archiveAsset.name) {
                        manifest = path
                        break
                    }
                }
            }
            let bundle = try optional([archiveAsset.name + ".sigstore.json", archiveAsset.name + ".sigstore"])
            return FetchedFiles(
                archive: archive.path, archiveDigest: archive.sha256, manifest: manifest, bundle: bundle,
                release: (repository: selector.repository.description, tag: release.tagName))
        }
    }
}

/// Times stages.
struct StageClock {
    private let clock: @Sendable () -> Date
    private var last: Date

    init(clock: @escaping @Sendable () -> Date) {
        self.clock = clock
        last = clock()
    }

    mutating func lap(_ name: String) -> ReleaseReport.Stage {
        let now = clock()
        defer { last = now }
        return ReleaseReport.Stage(name: name, seconds: now.timeIntervalSince(last))
    }
}

/// `release.verify`: every check of `release install` (checksum, Sigstore, safe extraction, wheels) without installing;
/// the pipeline's notices are streamed as items. A failed stage is the report's verdict (`fail`, the stage, the code
/// and reason), so the report (`--json`) is there to keep as evidence whatever stage failed.
public enum ReleaseVerifyOperation: Operation {
    public typealias Request = ReleaseCheckRequest
    public typealias Report = ReleaseReport
    public typealias Item = ReleaseNotice

    public static let descriptor = OperationDescriptor(
        name: "release.verify", command: "release verify",
        summary: "Run every check of release install (checksum, Sigstore, extraction, wheels) without installing.",
        reportMediaType: MediaType.releaseReport, effect: .readOnly, errorCodes: checkErrorCodes, longRunning: true)

    /// What the checks of `release verify` and `release install` can end with.
    static let checkErrorCodes: [String] =
        ReleaseCheckError.Code.allCases.filter { $0 != .pipFailed && $0 != .environment }.map(\.rawValue)
        + GitHubError.Code.readingReleases.map(\.rawValue) + TransportError.Code.allCases.map(\.rawValue) + FileError.Code.allCases.map(\.rawValue)
        + VerificationError.Code.allCases.map(\.rawValue) + ArchiveError.Code.allCases.map(\.rawValue) + WheelError.Code.allCases.map(\.rawValue)
        + TrustErrorCodes.source + TrustErrorCodes.policy + AttestationError.Code.allCases.map(\.rawValue)

    public static func run(_ request: Request, in context: OperationContext, emit: ItemSink<Item>) async throws -> Report {
        let pipeline = try request.pipeline(in: context, notify: { emit($0) })
        return try await pipeline.verify(keepingWorkdir: request.keepWorkdir, in: context)
    }
}
