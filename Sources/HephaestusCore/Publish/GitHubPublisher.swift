import Foundation
import HephaestusPlatform
import Logging

/// `publish github`: puts files on a GitHub release (creating it with `--create`). Every file is checked against
/// the release first — an identical asset is skipped, a different one refused unless `replace` — so a refusal
/// leaves the release untouched.
public struct GitHubPublisher {
    /// What became of one file.
    public struct Outcome: Codable, Sendable, Equatable {
        public enum Status: String, Codable, Sendable, CaseIterable {
            /// A new asset.
            case uploaded
            /// An asset of that name with other content was deleted and this one uploaded (`replace`).
            case replaced
            /// The release already has an asset of that name with the same content.
            case skippedIdentical = "skipped-identical"
        }

        public let file: String
        public let asset: String
        public let status: Status
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
        var target =
            try release
            ?? github.createRelease(
                of: repository, tag: tag, notes: options.notes, draft: options.draft, prerelease: options.prerelease)
        logger.info("publish.release", metadata: ["tag": .string(tag), "created": .stringConvertible(release == nil)])
        var outcomes: [Outcome] = []
        for item in plan {
            if let existing = item.existing {
                if try sameContent(existing, digest: item.digest) {
                    outcomes.append(Outcome(file: item.file, asset: item.name, status: .skippedIdentical, sha256: item.digest.hex))
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
            outcomes.append(Outcome(file: item.file, asset: item.name, status: item.existing == nil ? .uploaded : .replaced, sha256: item.digest.hex))
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

/// `publish.github`: puts files on a GitHub release (creating it with `create`). Every file is checked against the
/// release before anything changes: an identical asset is skipped, a different one refused (nothing uploaded) unless
/// `replace`.
public enum PublishGitHubOperation: Operation {
    public struct Request: Codable, Sendable, Equatable {
        /// `OWNER/REPO`.
        public var repository: String
        /// The release tag.
        public var tag: String
        /// The files to upload as assets.
        public var files: [String]
        /// Create the release when it does not exist.
        public var create: Bool
        /// A Markdown file of release notes for `create`.
        public var notes: String?
        /// Create the release as a draft.
        public var draft: Bool
        /// Create the release as a prerelease.
        public var prerelease: Bool
        /// Replace assets whose content differs.
        public var replace: Bool
        public var github: GitHubChoice

        public init(
            repository: String, tag: String, files: [String], create: Bool = false, notes: String? = nil, draft: Bool = false,
            prerelease: Bool = false, replace: Bool = false, github: GitHubChoice = GitHubChoice()
        ) {
            self.repository = repository
            self.tag = tag
            self.files = files
            self.create = create
            self.notes = notes
            self.draft = draft
            self.prerelease = prerelease
            self.replace = replace
            self.github = github
        }

        private enum CodingKeys: String, CodingKey { case repository, tag, files, create, notes, draft, prerelease, replace, github }

        /// `repository`, `tag` and `files` are required; flags default to false, GitHub to the run's environment.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.init(
                repository: try container.decode(String.self, forKey: .repository), tag: try container.decode(String.self, forKey: .tag),
                files: try container.decode([String].self, forKey: .files),
                create: try container.decodeIfPresent(Bool.self, forKey: .create) ?? false,
                notes: try container.decodeIfPresent(String.self, forKey: .notes),
                draft: try container.decodeIfPresent(Bool.self, forKey: .draft) ?? false,
                prerelease: try container.decodeIfPresent(Bool.self, forKey: .prerelease) ?? false,
                replace: try container.decodeIfPresent(Bool.self, forKey: .replace) ?? false,
                github: try container.decodeIfPresent(GitHubChoice.self, forKey: .github) ?? GitHubChoice())
        }

        public func validate() throws(RequestError) {
            do { _ = try GitHubRepository(repository) } catch { throw RequestError("\(error)") }
            try RequestError.requireDistinctNames(files, argument: "FILE")
        }
    }

    public typealias Report = GitHubPublishReport

    public static let descriptor = OperationDescriptor(
        name: "publish.github", command: "publish github",
        summary: "Upload files as assets of a GitHub release (created on request); identical assets skipped, different ones refused unless replaced.",
        reportMediaType: MediaType.githubPublishResult, effect: .idempotent,
        errorCodes: [PublishError.Code.assetDiffers.rawValue] + GitHubError.Code.allCases.map(\.rawValue) + FileError.Code.allCases.map(\.rawValue)
            + TransportError.Code.allCases.map(\.rawValue),
        longRunning: true)

    public static func run(_ request: Request, in context: OperationContext, emit: ItemSink<Never>) async throws -> GitHubPublishReport {
        try request.validate()
        return try await BlockingWork.run {
            let notes = try request.notes.map { String(decoding: try FileReader.contents(of: $0, limit: 1 << 20), as: UTF8.self) }
            for file in request.files { _ = try FileReader(path: file) }
            let publisher = GitHubPublisher(
                github: try request.github.client(in: context, requireToken: true), repository: try GitHubRepository(request.repository),
                logger: context.logger,
                transferProgress: { name in
                    guard let feed = context.progress.transferFeed(label: name) else { return nil }
                    return { sent, total in feed(sent, total) }
                })
            let (created, assets) = try publisher.publish(
                tag: request.tag, files: request.files,
                release: .init(create: request.create, notes: notes, draft: request.draft, prerelease: request.prerelease), replace: request.replace)
            return GitHubPublishReport(repository: request.repository, tag: request.tag, created: created, assets: assets)
        }
    }
}

/// The report of `publish.github` (`publish github --json`): whether the release was created, and each file's outcome.
public struct GitHubPublishReport: OperationReport, Equatable {
    public let repository: String
    public let tag: String
    public let created: Bool
    public let assets: [GitHubPublisher.Outcome]

    public init(repository: String, tag: String, created: Bool, assets: [GitHubPublisher.Outcome]) {
        self.repository = repository
        self.tag = tag
        self.created = created
        self.assets = assets
    }
}
