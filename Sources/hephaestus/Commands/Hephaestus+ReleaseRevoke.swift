import ArgumentParser
import Foundation
import HephaestusCore
import HephaestusInventory
import HephaestusPlatform

extension Hephaestus {
    /// `hephaestus release revoke`.
    struct ReleaseRevoke: HephaestusCommand {
        static let configuration = CommandConfiguration(
            commandName: "revoke",
            abstract: "Delete a bad release (or some of its assets) and write an advisory (see runbooks/release-revocation.md).",
            discussion: """
                The advisory (Markdown and JSON: tag, reason, affected files with SHA-256, replacement) is written to --advisory \
                before anything is deleted, and recorded in the inventory when --inventory is given. Unless --yes, the tag \
                must be typed to confirm (read from standard input).
                """)

        @OptionGroup(title: "Global options")
        var global: GlobalOptions

        @Option(help: ArgumentHelp("The repository.", valueName: "OWNER/REPO"))
        var repository: String

        @Option(help: ArgumentHelp("The release tag.", valueName: "T"))
        var tag: String

        @Flag(help: "Delete the whole release (the git tag stays).")
        var deleteRelease = false

        @Option(help: ArgumentHelp("Delete only the assets matching this glob.", valueName: "GLOB"))
        var deleteAssets: String?

        @Option(help: ArgumentHelp("Why the release is revoked (goes into the advisory).", valueName: "TEXT"))
        var reason: String = "unspecified"

        @Option(help: ArgumentHelp("The release users should move to.", valueName: "TAG"))
        var replacement: String?

        @Option(help: ArgumentHelp("Write the advisory here (Markdown, and JSON beside it).", valueName: "FILE"))
        var advisory: String?

        @Option(help: ArgumentHelp("Also record the advisory in this inventory.", valueName: "PATH"))
        var inventory: String?

        @Flag(help: "Do not ask for confirmation.")
        var yes = false

        @OptionGroup(title: "Network")
        var network: NetworkOptions

        func validate() throws {
            guard deleteRelease != (deleteAssets != nil) else {
                throw ValidationError("give exactly one of --delete-release and --delete-assets GLOB")
            }
            do { _ = try GitHubRepository(repository) } catch { throw ValidationError("\(error)") }
        }

        func execute(_ context: CommandContext) async throws {
            let revocation = ReleaseRevocation(
                github: try network.makeGitHubClient(context: context, requireToken: true), repository: try GitHubRepository(repository),
                logger: context.logger)
            let target: ReleaseRevocation.Target = deleteAssets.map { .assets(glob: $0) } ?? .release
            let scratch = try PrivateDirectory()
            let (release, advisoryDocument) = try revocation.prepare(tag: tag, target: target, reason: reason, replacement: replacement, scratch: scratch.path)
            if !yes {
                let what = deleteRelease ? "the release \(tag)" : "\(advisoryDocument.affected.count) asset(s) of \(tag)"
                FileHandle.standardError.write(Data("About to delete \(what) from \(repository). Type the tag (\(tag)) to confirm: ".utf8))
                let answer = readLine(strippingNewline: true)?.trimmingCharacters(in: .whitespaces)
                guard answer == tag else { throw PublishError.confirmationMismatch(expected: tag) }
            }
            if let advisory {
                let written = try ReleaseRevocation.writeAdvisory(advisoryDocument, to: advisory)
                context.stdout.line("advisory: \(written.markdown), \(written.json)")
            }
            if let inventory {
                try InventoryStore(path: inventory).recordAdvisory(
                    repository: repository, tag: tag, reason: reason, replacement: replacement,
                    affected: advisoryDocument.affected.map { ($0.name, $0.sha256) })
            }
            try revocation.delete(release, target: target, advisory: advisoryDocument)
            for asset in advisoryDocument.affected { context.stdout.line("deleted: \(asset.name)  sha256 \(asset.sha256)") }
            context.stdout.line(deleteRelease ? "release \(tag) deleted from \(repository)" : "\(advisoryDocument.affected.count) asset(s) deleted from \(tag)")
        }
    }
}
