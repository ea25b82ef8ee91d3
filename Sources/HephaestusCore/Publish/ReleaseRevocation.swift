import Foundation
import HephaestusPlatform
import Logging

/// `release revoke`: deletes a bad release or some of its assets, after writing an advisory (Markdown and JSON:
/// tag, reason, affected assets with their SHA-256, replacement) — the advisory is written first, so the record
/// survives whatever happens to the deletion.
public struct ReleaseRevocation: Sendable {
    public enum Target: Sendable, Equatable {
        case release
        case assets(glob: String)
    }

    /// The advisory: written as Markdown and JSON (this document) before anything is deleted.
    public struct Advisory: Codable, Sendable, Equatable {
        public struct AffectedAsset: Codable, Sendable, Equatable {
            public let name: String
            public let size: Int64
            public let sha256: String

            public init(name: String, size: Int64, sha256: String) {
                self.name = name
                self.size = size
                self.sha256 = sha256
            }
        }

        public let mediaType: String
        public let repository: String
        public let tag: String
        public let reason: String
        public let replacement: String?
        public let revokedAt: String
        public let scope: String
        public let affected: [AffectedAsset]

        public init(
            repository: String, tag: String, reason: String, replacement: String?, revokedAt: String, scope: String, affected: [AffectedAsset]
        ) {
            mediaType = MediaType.revocation
            self.repository = repository
            self.tag = tag
            self.reason = reason
            self.replacement = replacement
            self.revokedAt = revokedAt
            self.scope = scope
            self.affected = affected
        }

        public var markdown: String {
            var text = "# Security advisory: \(repository) \(tag) revoked\n\n"
            text += "- **Revoked:** \(revokedAt)\n- **Scope:** \(scope == "release" ? "the whole release" : "assets matching `\(scope)`")\n"
            text += "- **Reason:** \(reason)\n"
            text += "- **Replacement:** \(replacement.map { "upgrade to \($0)" } ?? "none yet")\n\n"
            text += "## Affected files\n\nAnyone who installed or mirrored these files should treat them as untrusted:\n\n"
            text += "| file | size | SHA-256 |\n|---|---|---|\n"
            for asset in affected { text += "| `\(asset.name)` | \(asset.size) | `\(asset.sha256)` |\n" }
            text += "\nCheck a local copy with `sha256sum FILE` (or `hephaestus digest FILE`) against the table.\n"
            return text
        }

        enum CodingKeys: String, CodingKey {
            case mediaType, repository, tag, reason, replacement, revokedAt, scope, affected
        }
    }

    public let github: GitHubReleasesClient
    public let repository: GitHubRepository
    public let logger: Logger

    public init(github: GitHubReleasesClient, repository: GitHubRepository, logger: Logger) {
        self.github = github
        self.repository = repository
        self.logger = logger
    }

    /// Where an advisory was written.
    public struct AdvisoryFiles: Codable, Sendable, Equatable {
        public let markdown: String
        public let json: String

        public init(markdown: String, json: String) {
            self.markdown = markdown
            self.json = json
        }
    }

    /// The release and the assets the target covers, with their digests (downloaded and hashed when GitHub gives none),
    /// as the advisory revoked at `now`.
    public func prepare(
        tag: String, target: Target, reason: String, replacement: String?, scratch: String, now: Date = Date()
    ) throws -> (GitHubRelease, Advisory) {
        let release = try github.release(of: repository, tag: tag)
        let assets: [GitHubAsset]
        switch target {
        case .release: assets = release.assets
        case .assets(let glob):
            assets = release.assets.filter { fnmatch(glob, $0.name, 0) == 0 }
            guard !assets.isEmpty else { throw GitHubError.noMatchingAsset(release: tag, pattern: glob) }
        }
        var affected: [Advisory.AffectedAsset] = []
        for asset in assets {
            let digest: Digest
            if let api = asset.sha256 {
                digest = api
            } else {
                let downloaded = try github.download(asset, into: scratch, maximumSize: 8 << 30)
                digest = downloaded.sha256
                try? FileManager.default.removeItem(atPath: downloaded.path)
            }
            affected.append(.init(name: asset.name, size: asset.size, sha256: digest.hex))
        }
        let scope: String
        switch target {
        case .release: scope = "release"
        case .assets(let glob): scope = glob
        }
        let advisory = Advisory(
            repository: repository.description, tag: tag, reason: reason, replacement: replacement,
            revokedAt: RFC3339.string(now), scope: scope, affected: affected)
        return (release, advisory)
    }

    /// Where the advisory for `path` goes: FILE.md + FILE.json for a FILE ending in either, else FILE and FILE.json.
    public static func advisoryFiles(for path: String) -> AdvisoryFiles {
        if path.hasSuffix(".json") { return AdvisoryFiles(markdown: String(path.dropLast(5)) + ".md", json: path) }
        return AdvisoryFiles(markdown: path, json: (path.hasSuffix(".md") ? String(path.dropLast(3)) : path) + ".json")
    }

    /// Refuses the advisory's files before any work: not regular files, or existing without `overwrite`.
    public static func checkAdvisoryDestination(_ path: String, overwrite: Bool) throws(FileError) {
        let files = advisoryFiles(for: path)
        for file in [files.json, files.markdown] { try AtomicFileWriter.checkDestination(file, overwrite: overwrite) }
    }

    /// Writes `advisory` as Markdown and JSON (``advisoryFiles(for:)``), both or neither.
    public static func writeAdvisory(_ advisory: Advisory, to path: String, overwrite: Bool) throws -> AdvisoryFiles {
        let files = advisoryFiles(for: path)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let json = try StagedFile(destination: files.json, overwrite: overwrite)
        try json.write(Array(try encoder.encode(advisory)) + [0x0A])
        let markdown = try StagedFile(destination: files.markdown, overwrite: overwrite)
        try markdown.write(Array(advisory.markdown.utf8))
        try AtomicFileWriter.commit([json, markdown])
        return files
    }

    /// Deletes what the advisory covers.
    public func delete(_ release: GitHubRelease, target: Target, advisory: Advisory) throws {
        switch target {
        case .release:
            try github.deleteRelease(id: release.id, of: repository)
        case .assets:
            let names = Set(advisory.affected.map(\.name))
            for asset in release.assets where names.contains(asset.name) {
                try github.deleteAsset(id: asset.id, of: repository)
            }
        }
        logger.warning("release.revoked", metadata: ["tag": .string(advisory.tag), "assets": .stringConvertible(advisory.affected.count)])
    }
}

extension MediaType {
    /// The report of `release.revoke`: the advisory, where it was written and recorded, what was deleted.
    public static let revocationResult = "application/vnd.hephaestus.revocation-result+json;version=1"
}
