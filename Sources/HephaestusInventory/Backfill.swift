import Foundation
import HephaestusCore
import HephaestusPlatform
import HephaestusSigstore
import Logging

/// Which releases a backfill considers: those published at or after a tag's release, or a date.
public enum BackfillSince: Sendable, Equatable {
    case tag(String)
    case date(Date)

    /// `2024-01-31`, an RFC 3339 time, or else a tag.
    public static func parse(_ text: String) -> BackfillSince {
        if let date = try? Date(text, strategy: .iso8601) { return .date(date) }
        if let day = try? Date(text + "T00:00:00Z", strategy: .iso8601) { return .date(day) }
        return .tag(text)
    }
}

/// `backfill plan`: the subject assets of published releases that have no bundle, and whether their bytes can be
/// tied to a published SHA-256 (only those will be signed).
public struct BackfillPlanner {
    /// What the plan does with an unsigned asset.
    public enum Decision: String, Codable, Sendable, CaseIterable, CustomStringConvertible {
        /// Its bytes can be tied to a published SHA-256: it will be signed.
        case sign
        /// It cannot: it is never signed.
        case refuse

        public var description: String { rawValue }
    }

    public struct Item: Codable, Sendable, Equatable {
        public let repository: String
        public let release: String
        public let publishedAt: String?
        public let asset: String
        public let size: Int64
        public let sha256: String?
        public let manifest: ReleaseAssetRoles.ManifestVerdict
        /// `sign`, or `refuse` with a reason.
        public let action: Decision
        public let reason: String?
    }

    public let github: GitHubReleasesClient

    public init(github: GitHubReleasesClient) {
        self.github = github
    }

    public func plan(_ repository: GitHubRepository, since: BackfillSince?) throws -> [Item] {
        let releases = try github.releases(of: repository).filter { !$0.draft }
        let threshold: String?
        switch since {
        case .tag(let tag)?:
            guard let release = releases.first(where: { $0.tagName == tag }) else {
                throw GitHubError.releaseNotFound(repository: repository.description, tag: tag)
            }
            threshold = release.publishedAt ?? release.createdAt
        case .date(let date)?:
            threshold = RFC3339.string(date)
        case nil:
            threshold = nil
        }
        var items: [Item] = []
        for release in releases.sorted(by: { ($0.publishedAt ?? "") < ($1.publishedAt ?? "") }) {
            if let threshold, (release.publishedAt ?? release.createdAt ?? "") < threshold { continue }
            let roles = ReleaseAssetRoles(release)
            let unsigned = roles.subjects.filter { roles.bundles[$0.name] == nil }
            guard !unsigned.isEmpty else { continue }
            let manifests = try manifestIndex(roles)
            for asset in unsigned {
                let verdict = manifests.verdict(for: asset.name, digest: asset.sha256)
                let (action, reason) = Self.decision(verdict, apiDigest: asset.sha256 != nil)
                items.append(
                    Item(
                        repository: repository.description, release: release.tagName, publishedAt: release.publishedAt, asset: asset.name,
                        size: asset.size, sha256: asset.sha256?.hex, manifest: verdict, action: action, reason: reason))
            }
        }
        return items
    }

    func manifestIndex(_ roles: ReleaseAssetRoles) throws -> ReleaseAssetRoles.ManifestIndex {
        var index = ReleaseAssetRoles.ManifestIndex()
        for manifest in roles.manifests { index.add(manifestNamed: manifest.name, bytes: try github.contents(of: manifest, limit: 4 << 20)) }
        return index
    }

    static func decision(_ verdict: ReleaseAssetRoles.ManifestVerdict, apiDigest: Bool) -> (Decision, String?) {
        switch verdict {
        case .match: return (.sign, nil)
        case .mismatch: return (.refuse, "the SHA-256 manifest lists another digest than the published asset's")
        case .noManifest: return (.refuse, "the release has no SHA-256 manifest to tie the bytes to")
        case .unlisted:
            return apiDigest
                ? (.refuse, "no SHA-256 manifest of the release lists this asset") : (.sign, "digest checked against the manifest after download")
        }
    }
}

/// A step of a backfill, as lines and recorded actions name it.
public enum BackfillAction: String, Codable, Sendable, CaseIterable, CustomStringConvertible {
    case skip, download
    case verifyDigest = "verify-digest"
    case refuse, sign, upload, rollback

    public var description: String { rawValue }
}

/// What became of a step (`would-…` in a dry run).
public enum BackfillOutcome: String, Codable, Sendable, CaseIterable, CustomStringConvertible {
    /// `skip`: the asset is no longer part of the release.
    case assetGone = "asset-gone"
    /// `skip`: a bundle for it is there and verifies.
    case alreadySigned = "already-signed"
    /// `skip`: a bundle for it is there and does not verify (a conflict left to a human).
    case failed
    /// `download`.
    case done
    /// `refuse`: the bytes cannot be tied to a published digest.
    case refused
    /// `verify-digest`.
    case match
    /// `sign`.
    case signed
    /// `upload` started and not yet confirmed (a run killed meanwhile leaves it so until the next run settles it).
    case pending
    /// `upload`: a bundle by that name appeared meanwhile; theirs is kept.
    case superseded
    case uploaded
    /// `upload` settled after a restart: it never reached the release.
    case notUploaded = "not-uploaded"
    /// `upload` undone by `backfill rollback`.
    case rolledBack = "rolled-back"
    /// `rollback`.
    case deleted
    /// `rollback`: the asset had already been deleted or renamed.
    case alreadyGone = "already-gone"
    case wouldRefuse = "would-refuse"
    case wouldDownload = "would-download"
    case wouldVerifyDigest = "would-verify-digest"
    case wouldSign = "would-sign"
    case wouldUpload = "would-upload"

    public var description: String { rawValue }

    /// What a dry run says of `action`.
    static func would(_ action: BackfillAction) -> BackfillOutcome {
        switch action {
        case .download: .wouldDownload
        case .verifyDigest: .wouldVerifyDigest
        case .sign: .wouldSign
        case .upload: .wouldUpload
        case .refuse, .skip, .rollback: .wouldRefuse
        }
    }
}

/// The state of a backfill run.
public enum BackfillRunStatus: String, Codable, Sendable, CaseIterable, CustomStringConvertible {
    case running, completed, failed
    case completedWithRefusals = "completed-with-refusals"
    case rolledBack = "rolled-back"

    public var description: String { rawValue }
}

/// `backfill run`: for each planned asset — download, tie the bytes to the published SHA-256 manifest (or refuse),
/// sign, upload `<asset>.sigstore.json`, record. Every step is recorded before and after it happens, so a run killed
/// at any point and started again finishes with exactly one bundle per asset and no duplicate upload.
public final class BackfillRunner {
    public struct Line: Codable, Sendable, Equatable {
        public let release: String
        public let asset: String
        public let action: BackfillAction
        public let outcome: BackfillOutcome
        public let detail: String?

        public init(release: String, asset: String, action: BackfillAction, outcome: BackfillOutcome, detail: String?) {
            self.release = release
            self.asset = asset
            self.action = action
            self.outcome = outcome
            self.detail = detail
        }
    }

    public struct Report: Codable, Sendable {
        public let runId: String
        public let repository: String
        public let dryRun: Bool
        public var lines: [Line] = []
        public var uploaded = 0
        public var skipped = 0
        public var refused = 0
        public var failed = 0

        /// The negative verdict of a real run: assets refused or in conflict (a dry run only shows them).
        public var failure: (any CodedError)? {
            !dryRun && (refused > 0 || failed > 0) ? InventoryError.backfillIncomplete(refused: refused, failed: failed) : nil
        }
    }

    let store: InventoryStore?
    let github: GitHubReleasesClient
    let session: SigningSession?
    let assessment: BundleAssessment
    let repository: GitHubRepository
    let runID: String
    let logger: Logger
    let maximumPerMinute: Double?
    let scratchDirectory: String
    let sleeper: any Sleeper
    let clock: @Sendable () -> Date
    private var lastSigning: Date?

    /// `store` and `session` may be nil only for a dry run.
    public init(
        store: InventoryStore?, github: GitHubReleasesClient, session: SigningSession?, assessment: BundleAssessment,
        repository: GitHubRepository, runID: String, logger: Logger, maximumPerMinute: Double?, scratchDirectory: String,
        sleeper: any Sleeper = ThreadSleeper(), clock: @escaping @Sendable () -> Date = Date.init
    ) {
        self.store = store
        self.github = github
        self.session = session
        self.assessment = assessment
        self.repository = repository
        self.runID = runID
        self.logger = logger
        self.maximumPerMinute = maximumPerMinute
        self.scratchDirectory = scratchDirectory
        self.sleeper = sleeper
        self.clock = clock
    }

    /// Every action the plan implies, changing nothing; `onLine` gets each line as it is made.
    public func dryRun(_ plan: [BackfillPlanner.Item], signer: String, onLine: (Line) -> Void = { _ in }) -> Report {
        var report = Report(runId: runID, repository: repository.description, dryRun: true)
        func emit(_ line: Line) {
            report.lines.append(line)
            onLine(line)
        }
        for item in plan {
            if item.action == .refuse {
                report.refused += 1
                emit(Line(release: item.release, asset: item.asset, action: .refuse, outcome: .wouldRefuse, detail: item.reason))
                continue
            }
            for (action, detail) in [
                (BackfillAction.download, "\(item.size) bytes, SHA-256 computed on the way"),
                (.verifyDigest, "against the release's SHA-256 manifest (\(item.manifest.rawValue))"),
                (.sign, "as \(signer)"),
                (.upload, "\(item.asset).sigstore.json"),
            ] {
                emit(Line(release: item.release, asset: item.asset, action: action, outcome: .would(action), detail: detail))
            }
        }
        return report
    }

    /// Runs the plan; `onLine` gets each line as it happens. Stops between assets when `cancellation` is set (the
    /// run is then recorded as failed and a later run resumes it).
    public func run(
        _ plan: [BackfillPlanner.Item], signer: String, cancellation: Cancellation = Cancellation(), onLine: (Line) -> Void = { _ in }
    ) throws -> Report {
        guard let store, let session else { preconditionFailure("a real run needs an inventory and a signing session") }
        var report = Report(runId: runID, repository: repository.description, dryRun: false)
        try store.startRun(id: runID, repository: repository.description, dryRun: false, signer: signer)
        var status = BackfillRunStatus.completed
        defer { try? store.finishRun(id: runID, status: status) }
        var lines: [Line] = []
        func emit(_ line: Line) {
            lines.append(line)
            onLine(line)
        }
        defer { report.lines = lines }
        do {
            try BackfillRecovery(store: store, github: github, assessment: assessment, repository: repository, logger: logger).resolvePendingUploads()
            for item in plan {
                if cancellation.isCancelled { throw CancellationError() }
                try process(item, store: store, session: session, report: &report, emit: emit)
            }
        } catch {
            status = .failed
            throw error
        }
        if report.refused > 0 || report.failed > 0 { status = .completedWithRefusals }
        report.lines = lines
        return report
    }

    private func process(
        _ item: BackfillPlanner.Item, store: InventoryStore, session: SigningSession, report: inout Report, emit: (Line) -> Void
    ) throws {
        let bundleName = item.asset + ".sigstore.json"
        func record(_ action: BackfillAction, _ outcome: BackfillOutcome, _ detail: String? = nil, uploaded: Int64? = nil) throws {
            try store.recordAction(
                runID: runID, release: item.release, asset: item.asset, action: action, outcome: outcome, detail: detail, uploadedAssetID: uploaded)
            emit(Line(release: item.release, asset: item.asset, action: action, outcome: outcome, detail: detail))
        }
        // The release as it is now: an earlier (killed) run or someone else may have signed the asset meanwhile.
        let release = try github.release(of: repository, tag: item.release)
        let roles = ReleaseAssetRoles(release)
        guard let asset = roles.subjects.first(where: { $0.name == item.asset }) else {
            try record(.skip, .assetGone, "the asset is no longer part of the release")
            report.skipped += 1
            return
        }
        if let existing = roles.bundles[asset.name] {
            let content = try github.contents(of: existing, limit: Int64(BundleVerification.maximumBundleSize))
            switch assessment.assess(bundle: content, sha256: asset.sha256?.hex ?? item.sha256) {
            case .success(let result):
                try record(.skip, .alreadySigned, "\(existing.name) verifies (signed by \(result.identity))")
                try recordInventory(
                    store: store, release: release, asset: asset, digest: asset.sha256, manifest: .match, bundleAsset: existing, content: content,
                    result: .success(result))
                report.skipped += 1
            case .failure(let error):
                try record(.skip, .failed, InventoryError.bundleConflict(release: item.release, asset: item.asset).description + " (\(error))")
                report.failed += 1
            }
            return
        }

        // Download and tie the bytes to the published manifest; an untied asset is never signed.
        let downloaded = try github.download(asset, into: scratchDirectory, maximumSize: 8 << 30)
        defer { try? FileManager.default.removeItem(atPath: downloaded.path) }
        try record(.download, .done, "\(downloaded.size) bytes, sha256 \(downloaded.sha256.hex)")
        let manifests = try BackfillPlanner(github: github).manifestIndex(roles)
        let verdict = manifests.verdict(for: asset.name, digest: downloaded.sha256)
        guard verdict == .match else {
            let reason = BackfillPlanner.decision(verdict, apiDigest: true).1 ?? verdict.rawValue
            try record(.refuse, .refused, InventoryError.untiedAsset(release: item.release, asset: item.asset, reason: reason).description)
            report.refused += 1
            return
        }
        try record(.verifyDigest, .match, "the release's SHA-256 manifest lists \(downloaded.sha256.hex)")

        pace()
        let bytes = try session.needsArtifactBytes() ? try FileReader.contents(of: downloaded.path, limit: 1 << 30) : nil
        let signed = try session.sign(BundleSigner.Artifact(digest: downloaded.sha256, bytes: bytes))
        let bundle = signed.json + [0x0A]
        let bundleDigest = DigestAlgorithm.sha256.hash(bundle).hex
        try record(.sign, .signed, "bundle sha256 \(bundleDigest), identity \(signed.verification.identity)")

        let pending = try store.recordAction(
            runID: runID, release: item.release, asset: item.asset, action: .upload, outcome: .pending, detail: bundleName, bundleSHA256: bundleDigest
        )
        let uploaded: GitHubAsset
        do {
            uploaded = try github.upload(bundle, name: bundleName, contentType: "application/json", to: release)
        } catch GitHubError.assetExists {
            // The name appeared between our look and our upload. If it holds our bundle's bytes, an earlier attempt of
            // this upload stored it and its answer was lost: it is ours (recorded, and rolled back with the run).
            // Otherwise someone else uploaded a bundle: keep theirs (the inventory audit judges it).
            if let existing = try ownUpload(named: bundleName, digest: bundleDigest, release: item.release) {
                uploaded = existing
            } else {
                try store.completeAction(id: pending, outcome: .superseded, uploadedAssetID: nil, detail: "\(bundleName) appeared meanwhile")
                report.skipped += 1
                emit(
                    Line(release: item.release, asset: item.asset, action: .upload, outcome: .superseded, detail: "\(bundleName) appeared meanwhile"))
                return
            }
        }
        try store.completeAction(id: pending, outcome: .uploaded, uploadedAssetID: uploaded.id)
        emit(Line(release: item.release, asset: item.asset, action: .upload, outcome: .uploaded, detail: "\(bundleName) (asset \(uploaded.id))"))
        report.uploaded += 1
        try recordInventory(
            store: store, release: release, asset: asset, digest: downloaded.sha256, manifest: verdict, bundleAsset: uploaded, content: bundle,
            result: .success(signed.verification))
    }

    /// The asset `name` of release `tag` if its bytes have SHA-256 `digest`.
    private func ownUpload(named name: String, digest: String, release tag: String) throws -> GitHubAsset? {
        guard let asset = try github.release(of: repository, tag: tag).assets.first(where: { $0.name == name }) else { return nil }
        let actual = try asset.sha256 ?? DigestAlgorithm.sha256.hash(github.contents(of: asset, limit: 16 << 20))
        return actual.hex == digest ? asset : nil
    }

    private func recordInventory(
        store: InventoryStore, release: GitHubRelease, asset: GitHubAsset, digest: Digest?, manifest: ReleaseAssetRoles.ManifestVerdict,
        bundleAsset: GitHubAsset,
        content: [UInt8], result: Result<VerificationResult, VerificationError>
    ) throws {
        try store.recordSignedAsset(
            repository: repository.description, release: release, asset: asset, digest: digest, manifest: manifest,
            bundle: assessment.record(
                assetID: 0, bundleAssetName: bundleAsset.name, bundleGitHubID: bundleAsset.id, content: content, outcome: result))
    }

    /// Keeps signings at most `maximumPerMinute` per minute.
    private func pace() {
        guard let maximumPerMinute, maximumPerMinute > 0 else { return }
        let interval = 60 / maximumPerMinute
        if let lastSigning {
            let wait = interval - clock().timeIntervalSince(lastSigning)
            if wait > 0 {
                logger.info("backfill.pacing", metadata: ["seconds": .string(String(format: "%.2f", wait))])
                sleeper.sleep(seconds: wait)
            }
        }
        lastSigning = clock()
    }
}

/// Settles uploads a killed run started: if the bundle it was uploading is on the release (same bytes), the upload
/// happened and is recorded as such (so rollback finds it); otherwise it never happened.
struct BackfillRecovery {
    let store: InventoryStore
    let github: GitHubReleasesClient
    let assessment: BundleAssessment
    let repository: GitHubRepository
    let logger: Logger

    func resolvePendingUploads() throws {
        for action in try store.pendingUploads(repository: repository.description) {
            let release = try github.release(of: repository, tag: action.release)
            let name = action.asset + ".sigstore.json"
            guard let asset = release.assets.first(where: { $0.name == name }) else {
                try store.completeAction(id: action.id, outcome: .notUploaded, uploadedAssetID: nil)
                continue
            }
            let digest = try asset.sha256?.hex ?? DigestAlgorithm.sha256.hash(github.contents(of: asset)).hex
            if digest == action.bundleSHA256 {
                try store.completeAction(
                    id: action.id, outcome: .uploaded, uploadedAssetID: asset.id, detail: "\(name) (asset \(asset.id); confirmed after restart)")
                // The killed run may not have recorded the bundle: record it now, verified against the subject's digest.
                if let subject = release.assets.first(where: { $0.name == action.asset }), let subjectDigest = subject.sha256 {
                    let content = try github.contents(of: asset, limit: Int64(BundleVerification.maximumBundleSize))
                    let outcome = assessment.assess(bundle: content, sha256: subjectDigest.hex)
                    try store.recordSignedAsset(
                        repository: repository.description, release: release, asset: subject, digest: subjectDigest, manifest: .match,
                        bundle: assessment.record(assetID: 0, bundleAssetName: name, bundleGitHubID: asset.id, content: content, outcome: outcome))
                }
                logger.info("backfill.recovered-upload", metadata: ["run": .string(action.runID), "asset": .string(name)])
            } else {
                try store.completeAction(id: action.id, outcome: .notUploaded, uploadedAssetID: nil)
            }
        }
    }
}

/// `backfill rollback --run ID`: deletes exactly the bundle assets that run uploaded (by asset id, and only while
/// they still have the name it gave them), records each deletion, and drops them from the inventory.
public struct BackfillRollback {
    public let store: InventoryStore
    public let github: GitHubReleasesClient
    public let logger: Logger

    public let assessment: BundleAssessment

    public init(store: InventoryStore, github: GitHubReleasesClient, assessment: BundleAssessment, logger: Logger) {
        self.store = store
        self.github = github
        self.assessment = assessment
        self.logger = logger
    }

    public func rollback(runID: String, force: Bool) throws -> [BackfillRunner.Line] {
        guard let run = try store.run(id: runID) else { throw InventoryError.runNotFound(runID) }
        if run.status == .running, !force { throw InventoryError.runInProgress(runID) }
        let repository = try GitHubRepository(run.repository)
        try BackfillRecovery(store: store, github: github, assessment: assessment, repository: repository, logger: logger).resolvePendingUploads()
        var lines: [BackfillRunner.Line] = []
        for upload in try store.completedUploads(runID: runID) {
            guard let assetID = upload.uploadedAssetID else { continue }
            let release = try github.release(of: repository, tag: upload.release)
            let name = upload.asset + ".sigstore.json"
            let outcome: BackfillOutcome
            if release.assets.contains(where: { $0.id == assetID && $0.name == name }) {
                try github.deleteAsset(id: assetID, of: repository)
                outcome = .deleted
            } else {
                outcome = .alreadyGone
            }
            try store.completeAction(id: upload.id, outcome: .rolledBack, uploadedAssetID: nil)
            try store.recordAction(
                runID: runID, release: upload.release, asset: upload.asset, action: .rollback, outcome: outcome, detail: "\(name) (asset \(assetID))",
                uploadedAssetID: assetID)
            if let subject = try store.assetID(repository: repository.description, tag: upload.release, name: upload.asset) {
                try store.removeBundle(assetID: subject)
            }
            lines.append(
                BackfillRunner.Line(
                    release: upload.release, asset: upload.asset, action: .rollback, outcome: outcome, detail: "\(name) (asset \(assetID))"))
        }
        try store.finishRun(id: runID, status: .rolledBack)
        return lines
    }
}
