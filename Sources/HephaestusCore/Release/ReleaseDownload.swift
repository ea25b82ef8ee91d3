import Foundation
import Glibc
import HephaestusPlatform

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
    public struct File: Encodable, Sendable {
        public let asset: String
        public let name: String
        public let path: String
        public let size: Int64
        public let sha256: String
        public let assetId: Int64
    }

    public struct Report: Encodable, Sendable {
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
