import Foundation
import Glibc
import HephaestusPlatform
import Logging

/// Which release of which repository.
public struct ReleaseSelector: Sendable {
    public enum Which: Sendable, Equatable {
        case tag(String)
        case latest(includePrereleases: Bool)
    }

    public let repository: GitHubRepository
    public let which: Which

    public init(repository: GitHubRepository, which: Which) {
        self.repository = repository
        self.which = which
    }

    public func resolve(with client: GitHubReleasesClient) throws -> GitHubRelease {
        switch which {
        case .tag(let tag): try client.release(of: repository, tag: tag)
        case .latest(let includePrereleases): try client.latest(of: repository, includePrereleases: includePrereleases)
        }
    }
}

/// `release download`: the matching assets of a release, into a directory, each checked against the API's size and
/// digest and reported with its SHA-256.
public struct ReleaseDownload: Sendable {
    /// One downloaded file (a `--json` entry, and the item streamed as soon as it is in place).
    public struct File: Codable, Sendable, Equatable {
        public let asset: String
        public let name: String
        public let path: String
        public let size: Int64
        public let sha256: String
        public let assetId: Int64
    }

    /// The `--json` document of `release download`.
    public struct Report: OperationReport, Equatable {
        public let repository: String
        public let tag: String
        public let files: [File]
    }

    public let client: GitHubReleasesClient
    public let maximumSize: Int64

    public init(client: GitHubReleasesClient, maximumSize: Int64) {
        self.client = client
        self.maximumSize = maximumSize
    }

    /// Downloads every asset matching `pattern` (shell glob; all when nil).
    public func run(
        _ selector: ReleaseSelector, pattern: String?, destination: String,
        progress: (String) -> (@Sendable (Int64, Int64?) -> Void)? = { _ in nil },
        onRename: (String, String) -> Void = { _, _ in },
        onFile: (File) -> Void = { _ in }
    ) throws -> Report {
        let release = try selector.resolve(with: client)
        let assets = release.assets.filter { asset in pattern.map { fnmatch($0, asset.name, 0) == 0 } ?? true }
        guard !assets.isEmpty else {
            throw GitHubError.noMatchingAsset(release: release.tagName, pattern: pattern ?? "*")
        }
        var seen = Set<String>()
        for asset in assets {
            let name = try AssetNameSanitizer.sanitize(asset.name).name
            guard seen.insert(name).inserted else {
                throw GitHubError.unsafeAssetName(name: asset.name, reason: "another asset of the release maps to the same file name \(name)")
            }
        }
        try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: true)
        // A download replaces an earlier one of the same name, but never anything that is not a regular file: refused
        // before the first byte is fetched.
        for name in seen.sorted() { try AtomicFileWriter.checkDestination(destination + "/" + name, overwrite: true) }
        var files: [File] = []
        for asset in assets {
            let downloaded = try client.download(
                asset, into: destination, maximumSize: maximumSize, progress: progress(asset.name), onRename: onRename)
            let file = File(
                asset: asset.name, name: URL(fileURLWithPath: downloaded.path).lastPathComponent, path: downloaded.path,
                size: downloaded.size, sha256: downloaded.sha256.hex, assetId: asset.id)
            files.append(file)
            onFile(file)
        }
        return Report(repository: selector.repository.description, tag: release.tagName, files: files)
    }
}

/// `release.download`: the matching assets of a release downloaded into a directory, each checked against the API's
/// size and digest; every file is streamed as soon as it is in place.
public enum ReleaseDownloadOperation: Operation {
    public struct Request: Codable, Sendable, Equatable {
        public static let defaultMaximumSize: Int64 = 8 << 30

        public var release: ReleaseChoice
        /// Only assets whose name matches this shell glob (all when nil).
        public var pattern: String?
        /// The directory to download into (created if missing).
        public var dest: String
        /// Largest asset accepted, in bytes.
        public var maxSize: Int64
        public var github: GitHubChoice

        public init(
            release: ReleaseChoice, pattern: String? = nil, dest: String = ".", maxSize: Int64 = Request.defaultMaximumSize,
            github: GitHubChoice = GitHubChoice()
        ) {
            self.release = release
            self.pattern = pattern
            self.dest = dest
            self.maxSize = maxSize
            self.github = github
        }

        public func validate() throws(RequestError) {
            try release.validate()
            try Self.validate(maxSize: maxSize)
        }

        /// `--max-size` (of a download or a local archive) must be a positive number of bytes.
        static func validate(maxSize: Int64) throws(RequestError) {
            guard maxSize > 0 else { throw RequestError("--max-size must be positive, not \(maxSize)") }
        }

        private enum CodingKeys: String, CodingKey { case release, pattern, dest, maxSize, github }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            release = try container.decode(ReleaseChoice.self, forKey: .release)
            pattern = try container.decodeIfPresent(String.self, forKey: .pattern)
            dest = try container.decodeIfPresent(String.self, forKey: .dest) ?? "."
            maxSize = try container.decodeIfPresent(Int64.self, forKey: .maxSize) ?? Self.defaultMaximumSize
            github = try container.decodeIfPresent(GitHubChoice.self, forKey: .github) ?? GitHubChoice()
        }
    }

    public typealias Report = ReleaseDownload.Report
    public typealias Item = ReleaseDownload.File

    public static let descriptor = OperationDescriptor(
        name: "release.download", command: "release download",
        summary: "Download the matching assets of a release, each checked against the API's size and digest.",
        reportMediaType: MediaType.releaseDownload, effect: .idempotent,
        errorCodes: GitHubError.Code.readingReleases.map(\.rawValue) + [GitHubError.Code.noMatchingAsset.rawValue]
            + TransportError.Code.allCases.map(\.rawValue) + FileError.Code.allCases.map(\.rawValue),
        longRunning: true)

    public static func run(_ request: Request, in context: OperationContext, emit: ItemSink<Item>) async throws -> Report {
        try request.validate()
        let selector = try request.release.selector()
        let download = ReleaseDownload(client: try request.github.client(in: context), maximumSize: request.maxSize)
        let logger = context.logger
        return try await BlockingWork.run {
            try download.run(
                selector, pattern: request.pattern, destination: request.dest, progress: { context.progress.transferFeed(label: $0) },
                onRename: { original, sanitized in
                    logger.warning("asset.renamed", metadata: ["original": .string(original), "sanitized": .string(sanitized)])
                },
                onFile: { file in
                    logger.info(
                        "asset.downloaded",
                        metadata: ["name": .string(file.name), "size": .stringConvertible(file.size), "sha256": .string(file.sha256)])
                    emit(file)
                })
        }
    }
}

extension GitHubError.Code {
    /// The codes looking a release up and downloading its assets can end with (with or without a token).
    static let readingReleases: [GitHubError.Code] = [
        .malformedToken, .invalidRepository, .releaseNotFound, .noRelease, .malformedResponse, .unsafeAssetName,
    ]
}
