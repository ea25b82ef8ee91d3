import Foundation
import HephaestusCore
import HephaestusPlatform
import Logging

/// `release.revoke`: a bad release (or the assets matching a glob) deleted from GitHub, after a typed confirmation and
/// after its advisory is written and recorded in the inventory, in that order, so the record survives whatever happens
/// to the deletion.
///
/// It lives here, beside ``InventoryStore``, because it records the advisory in the inventory: HephaestusCore (where
/// the GitHub side, ``ReleaseRevocation``, lives) cannot see the inventory, and HephaestusInventory already holds the
/// other workflows that act on GitHub releases and write the inventory (backfill).
public enum ReleaseRevokeOperation: HephaestusCore.Operation {
    public struct Request: Codable, Sendable, Equatable {
        public var repository: String
        public var tag: String
        /// Delete the whole release (the git tag stays).
        public var deleteRelease: Bool
        /// Delete only the assets matching this shell glob.
        public var deleteAssets: String?
        /// Why the release is revoked (goes into the advisory).
        public var reason: String
        /// The release users should move to.
        public var replacement: String?
        /// Write the advisory here (Markdown, and JSON beside it).
        public var advisory: String?
        /// Replace existing advisory files (only ever regular files).
        public var overwrite: Bool
        /// Also record the advisory in this inventory.
        public var inventory: String?
        /// Confirmed in advance (`--yes`): nobody is asked to type the tag.
        public var yes: Bool
        public var github: GitHubChoice

        public init(
            repository: String, tag: String, deleteRelease: Bool = false, deleteAssets: String? = nil, reason: String = "unspecified",
            replacement: String? = nil, advisory: String? = nil, overwrite: Bool = false, inventory: String? = nil, yes: Bool = false,
            github: GitHubChoice = GitHubChoice()
        ) {
            self.repository = repository
            self.tag = tag
            self.deleteRelease = deleteRelease
            self.deleteAssets = deleteAssets
            self.reason = reason
            self.replacement = replacement
            self.advisory = advisory
            self.overwrite = overwrite
            self.inventory = inventory
            self.yes = yes
            self.github = github
        }

        public func validate() throws(RequestError) {
            guard deleteRelease != (deleteAssets != nil) else {
                throw RequestError("give exactly one of --delete-release and --delete-assets GLOB")
            }
            do { _ = try GitHubRepository(repository) } catch { throw RequestError("\(error)") }
        }

        public var target: ReleaseRevocation.Target { deleteAssets.map { .assets(glob: $0) } ?? .release }

        private enum CodingKeys: String, CodingKey {
            case repository, tag, deleteRelease, deleteAssets, reason, replacement, advisory, overwrite, inventory, yes, github
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            repository = try container.decode(String.self, forKey: .repository)
            tag = try container.decode(String.self, forKey: .tag)
            deleteRelease = try container.decodeIfPresent(Bool.self, forKey: .deleteRelease) ?? false
            deleteAssets = try container.decodeIfPresent(String.self, forKey: .deleteAssets)
            reason = try container.decodeIfPresent(String.self, forKey: .reason) ?? "unspecified"
            replacement = try container.decodeIfPresent(String.self, forKey: .replacement)
            advisory = try container.decodeIfPresent(String.self, forKey: .advisory)
            overwrite = try container.decodeIfPresent(Bool.self, forKey: .overwrite) ?? false
            inventory = try container.decodeIfPresent(String.self, forKey: .inventory)
            yes = try container.decodeIfPresent(Bool.self, forKey: .yes) ?? false
            github = try container.decodeIfPresent(GitHubChoice.self, forKey: .github) ?? GitHubChoice()
        }
    }

    /// What was revoked: the advisory (with every deleted file and its SHA-256), where it was written and recorded.
    public struct Report: OperationReport, Equatable {
        public let advisory: ReleaseRevocation.Advisory
        /// The whole release was deleted (not only some of its assets).
        public let wholeRelease: Bool
        public let advisoryFiles: ReleaseRevocation.AdvisoryFiles?
        /// The inventory the advisory was recorded in.
        public let inventory: String?

        public init(advisory: ReleaseRevocation.Advisory, wholeRelease: Bool, advisoryFiles: ReleaseRevocation.AdvisoryFiles?, inventory: String?) {
            self.advisory = advisory
            self.wholeRelease = wholeRelease
            self.advisoryFiles = advisoryFiles
            self.inventory = inventory
        }
    }

    /// Where the advisory was written: streamed as soon as it is, before anything is deleted, so that a front end can
    /// show it even when the deletion then fails.
    public typealias Item = ReleaseRevocation.AdvisoryFiles

    public static let descriptor = OperationDescriptor(
        name: "release.revoke", command: "release revoke",
        summary: "Delete a bad release (or some of its assets) after writing and recording an advisory.",
        reportMediaType: MediaType.revocationResult, effect: .destructive,
        errorCodes: [PublishError.Code.confirmationMismatch.rawValue]
            + ([.missingToken, .malformedToken, .invalidRepository, .releaseNotFound, .noMatchingAsset, .malformedResponse, .unsafeAssetName]
            as [GitHubError.Code]).map(\.rawValue)
            + TransportError.Code.allCases.map(\.rawValue) + FileError.Code.allCases.map(\.rawValue)
            + [InventoryError.Code.schema.rawValue, InventoryError.Code.foreign.rawValue])

    /// Refuses advisory files it may not write, looks the release up (hashing assets GitHub gives no digest for), asks
    /// for the tag to be typed unless `yes`, writes the advisory, records it in the inventory, and only then deletes.
    public static func run(_ request: Request, in context: OperationContext, emit: ItemSink<Item>) async throws -> Report {
        try request.validate()
        if let path = request.advisory { try ReleaseRevocation.checkAdvisoryDestination(path, overwrite: request.overwrite) }
        let repository = try GitHubRepository(request.repository)
        let revocation = ReleaseRevocation(
            github: try request.github.client(in: context, requireToken: true), repository: repository, logger: context.logger)
        let target = request.target
        let now = context.clock()
        let (release, advisory) = try await BlockingWork.run {
            let scratch = try PrivateDirectory()
            return try withExtendedLifetime(scratch) {
                try revocation.prepare(
                    tag: request.tag, target: target, reason: request.reason, replacement: request.replacement, scratch: scratch.path, now: now)
            }
        }
        try context.checkCancellation()

        if !request.yes {
            let what = request.deleteRelease ? "the release \(request.tag)" : "\(advisory.affected.count) asset(s) of \(request.tag)"
            let answer = await context.confirmation.answer(
                ConfirmationRequest(prompt: "About to delete \(what) from \(request.repository).", expected: request.tag))
            guard answer == request.tag else { throw PublishError.confirmationMismatch(expected: request.tag) }
        }

        var files: ReleaseRevocation.AdvisoryFiles?
        if let path = request.advisory {
            let written = try await BlockingWork.run { try ReleaseRevocation.writeAdvisory(advisory, to: path, overwrite: request.overwrite) }
            emit(written)
            files = written
        }
        if let inventory = request.inventory {
            try await BlockingWork.run {
                try InventoryStore(path: inventory).recordAdvisory(
                    repository: request.repository, tag: request.tag, reason: request.reason, replacement: request.replacement,
                    affected: advisory.affected.map { ($0.name, $0.sha256) })
            }
        }
        try await BlockingWork.run { try revocation.delete(release, target: target, advisory: advisory) }
        return Report(advisory: advisory, wholeRelease: request.deleteRelease, advisoryFiles: files, inventory: request.inventory)
    }
}
