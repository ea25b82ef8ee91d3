import Foundation
import HephaestusCore
import HephaestusPlatform
import HephaestusSigstore
import Logging

/// `inventory scan`: records every release, subject asset (size, SHA-256, manifest verdict) and bundle (verified
/// against the asset's digest) of a repository. Incremental: an asset whose id, size and update time did not change
/// is not downloaded again (and with GitHub's own `digest` field, never), nor is an unchanged bundle already verified
/// with the same trusted root (one verified with another root, or before roots were recorded, is verified again); an
/// asset whose SHA-256 changed since the last scan is recorded as such.
public struct InventoryScan {
    public struct Summary: Codable, Sendable, Equatable {
        public var repository: String
        public var releases = 0
        public var assets = 0
        public var assetsDownloaded = 0
        public var bundlesVerified = 0
        public var bundlesUnchanged = 0
        public var bundlesFailing = 0
        public var unsigned = 0
        public var digestChanges: [String] = []
    }

    public let store: InventoryStore
    public let github: GitHubReleasesClient
    public let assessment: BundleAssessment
    public let logger: Logger
    /// Where assets without an API digest are downloaded to be hashed (deleted right after).
    public let scratchDirectory: String
    public let maximumAssetSize: Int64

    public init(
        store: InventoryStore, github: GitHubReleasesClient, assessment: BundleAssessment, logger: Logger,
        scratchDirectory: String = NSTemporaryDirectory(), maximumAssetSize: Int64 = 8 << 30
    ) {
        self.store = store
        self.github = github
        self.assessment = assessment
        self.logger = logger
        self.scratchDirectory = scratchDirectory
        self.maximumAssetSize = maximumAssetSize
    }

    public func scan(_ repository: GitHubRepository) throws -> Summary {
        var summary = Summary(repository: repository.description)
        let repositoryID = try store.repositoryID(repository.description)
        for release in try github.releases(of: repository) {
            summary.releases += 1
            let releaseID = try store.upsertRelease(
                repositoryID: repositoryID, githubID: release.id, tag: release.tagName, publishedAt: release.publishedAt ?? release.createdAt,
                draft: release.draft, prerelease: release.prerelease)
            let roles = ReleaseAssetRoles(release)
            var manifests = ReleaseAssetRoles.ManifestIndex()
            for manifest in roles.manifests {
                manifests.add(manifestNamed: manifest.name, bytes: try github.contents(of: manifest, limit: 4 << 20))
            }
            for asset in roles.subjects {
                summary.assets += 1
                let known = try store.knownAsset(releaseID: releaseID, name: asset.name)
                let digest = try sha256(of: asset, known: known, summary: &summary)
                let verdict = manifests.verdict(for: asset.name, digest: digest)
                let (assetID, changed) = try store.recordAsset(
                    releaseID: releaseID, name: asset.name, githubID: asset.id, size: asset.size, updatedAt: asset.updatedAt,
                    sha256: digest?.hex, manifestVerdict: verdict)
                if changed {
                    summary.digestChanges.append("\(release.tagName)/\(asset.name)")
                    logger.warning("inventory.digest-changed", metadata: ["release": .string(release.tagName), "asset": .string(asset.name)])
                }
                guard let bundleAsset = roles.bundles[asset.name] else {
                    summary.unsigned += 1
                    try store.removeBundle(assetID: assetID)
                    continue
                }
                // A verdict is reused only for the same bundle bytes verified with the same trusted root.
                if !changed, let stored = try store.storedBundle(assetID: assetID), let apiDigest = bundleAsset.sha256,
                    apiDigest.hex == stored.sha256, stored.trustedRootSHA256 == assessment.trustedRootSHA256
                {
                    summary.bundlesUnchanged += 1
                    continue
                }
                let content = try github.contents(of: bundleAsset, limit: Int64(BundleVerification.maximumBundleSize))
                let outcome = assessment.assess(bundle: content, sha256: digest?.hex)
                if case .failure = outcome { summary.bundlesFailing += 1 }
                summary.bundlesVerified += 1
                try store.recordBundle(
                    assessment.record(
                        assetID: assetID, bundleAssetName: bundleAsset.name, bundleGitHubID: bundleAsset.id, content: content, outcome: outcome))
            }
            try store.markRemovedAssets(releaseID: releaseID, seen: roles.subjects.map(\.name))
        }
        try store.markScanned(repositoryID: repositoryID)
        logger.info(
            "inventory.scanned",
            metadata: [
                "repository": .string(repository.description), "releases": .stringConvertible(summary.releases),
                "assets": .stringConvertible(summary.assets),
            ])
        return summary
    }

    /// The API's digest; else the recorded one when the asset is unchanged; else a download hashed on the way.
    private func sha256(of asset: GitHubAsset, known: InventoryStore.KnownAsset?, summary: inout Summary) throws -> Digest? {
        if let digest = asset.sha256 { return digest }
        if let known, known.githubID == asset.id, known.size == asset.size, known.updatedAt == asset.updatedAt,
            let hex = known.sha256, let digest = Digest(algorithm: .sha256, hex: hex)
        {
            return digest
        }
        let downloaded = try github.download(asset, into: scratchDirectory, maximumSize: maximumAssetSize)
        try? FileManager.default.removeItem(atPath: downloaded.path)
        summary.assetsDownloaded += 1
        return downloaded.sha256
    }
}
