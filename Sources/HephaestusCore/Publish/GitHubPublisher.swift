import Foundation
import HephaestusPlatform
import Logging

/// `publish github`: puts files on a GitHub release (creating it with `--create`). Every file is checked against
/// the release first — an identical asset is skipped, a different one refused unless `replace` — so a refusal
/// leaves the release untouched.
public struct GitHubPublisher {
    public struct Outcome: Encodable, Sendable {
        public let file: String
        public let asset: String
        public let status: String
        public let sha256: String
    }

    public let github: GitHubReleasesClient
    public let repository: GitHubRepository
    public let logger: Logger
    /// A progress feed for each asset's upload (by asset name), e.g. a terminal progress bar.
    public let transferProgress: (String) -> (@Sendable (_ sent: Int64, _ total: Int64) -> Void)?

    public init(
        github: GitHubReleasesClient, repository: GitHubRepository, logger: Logger,
        transferProgress: @escaping (String) -> (@Sendable (Int64, Int64) -> Void)? = { _ in nil }
    ) {
        self.github = github
        self.repository = repository
        self.logger = logger
        self.transferProgress = transferProgress
    }

    public struct ReleaseOptions: Sendable {
        public var create = false
        public var notes: String?
        public var draft = false
        public var prerelease = false

        public init(create: Bool = false, notes: String? = nil, draft: Bool = false, prerelease: Bool = false) {
            self.create = create
            self.notes = notes
            self.draft = draft
            self.prerelease = prerelease
        }
    }

    public func publish(tag: String, files: [String], release options: ReleaseOptions, replace: Bool) throws -> (created: Bool, outcomes: [Outcome]) {
        // Plan everything before changing anything.
        var plan: [(file: String, name: String, digest: Digest, existing: GitHubAsset?)] = []
        let release: GitHubRelease?
        do {
            release = try github.releaseOrDraft(of: repository, tag: tag)
        } catch GitHubError.releaseNotFound {
            guard options.create else { throw GitHubError.releaseNotFound(repository: repository.description, tag: tag) }
            release = nil
        }
        for file in files {
            let name = try AssetNameSanitizer.sanitize(URL(fileURLWithPath: file).lastPathComponent).name
            guard !plan.contains(where: { $0.name == name }) else { throw GitHubError.assetExists(release: tag, name: name) }
            let digest = try DigestAlgorithm.sha256.hash(fileAt: file)
            let existing = release?.assets.first { $0.name == name }
            if let existing, try !sameContent(existing, digest: digest), !replace {
                throw PublishError.assetDiffers(release: tag, name: name)
            }
            plan.append((file, name, digest, existing))
        }
        var target = try release ?? github.createRelease(
            of: repository, tag: tag, notes: options.notes, draft: options.draft, prerelease: options.prerelease)
        logger.info("publish.release", metadata: ["tag": .string(tag), "created": .stringConvertible(release == nil)])
        var outcomes: [Outcome] = []
        for item in plan {
            if let existing = item.existing {
                if try sameContent(existing, digest: item.digest) {
                    outcomes.append(Outcome(file: item.file, asset: item.name, status: "skipped-identical", sha256: item.digest.hex))
                    continue
                }
                try github.deleteAsset(id: existing.id, of: repository)
                target = try github.releaseOrDraft(of: repository, tag: tag)
            }
            do {
                _ = try github.upload(
                    file: item.file, name: item.name, contentType: Self.contentType(item.name), to: target, progress: transferProgress(item.name))
            } catch GitHubError.assetExists {
                // The asset appeared after planning: an earlier attempt of this upload stored it and its answer was
                // lost, or another uploader was faster. It counts only if its bytes are ours.
                let current = try github.releaseOrDraft(of: repository, tag: tag)
                guard let asset = current.assets.first(where: { $0.name == item.name }), try sameContent(asset, digest: item.digest) else {
                    throw PublishError.assetDiffers(release: tag, name: item.name)
                }
                logger.info("publish.asset-already-there", metadata: ["asset": .string(item.name), "sha256": .string(item.digest.hex)])
            }
            outcomes.append(Outcome(file: item.file, asset: item.name, status: item.existing == nil ? "uploaded" : "replaced", sha256: item.digest.hex))
        }
        return (release == nil, outcomes)
    }

    private func sameContent(_ asset: GitHubAsset, digest: Digest) throws -> Bool {
        if let api = asset.sha256 { return api == digest }
        return DigestAlgorithm.sha256.hash(try github.contents(of: asset, limit: 512 << 20)) == digest
    }

    static func contentType(_ name: String) -> String {
        if name.hasSuffix(".json") { return "application/json" }
        if name.hasSuffix(".tar.gz") || name.hasSuffix(".tgz") { return "application/gzip" }
        if name.hasSuffix(".whl") || name.hasSuffix(".zip") { return "application/zip" }
        if name.hasSuffix(".sha256") || name == "SHA256SUMS" || name.hasSuffix(".txt") || name.hasSuffix(".md") { return "text/plain" }
        return "application/octet-stream"
    }
}
