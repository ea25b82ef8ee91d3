import ArgumentParser
import Foundation
import HephaestusCore
import HephaestusInventory
import HephaestusPlatform

extension Hephaestus {
    /// `hephaestus release revoke`.
    struct ReleaseRevoke: OperationCommand {
        typealias Performed = ReleaseRevokeOperation

        static let configuration = CommandConfiguration(
            commandName: "revoke",
            abstract: "Delete a bad release (or some of its assets) and write an advisory (see runbooks/release-revocation.md).",
            discussion: withExitStatuses(
                """
                The advisory (Markdown and JSON: tag, reason, affected files with SHA-256, replacement) is written to --advisory \
                before anything is deleted, and recorded in the inventory when --inventory is given. Unless --yes, the tag \
                must be typed to confirm (read from standard input).
                """))

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

        @Flag(help: "Replace existing advisory files (only ever regular files).")
        var overwrite = false

        @Option(help: ArgumentHelp("Also record the advisory in this inventory.", valueName: "PATH"))
        var inventory: String?

        @Flag(help: "Do not ask for confirmation.")
        var yes = false

        @OptionGroup(title: "Network")
        var network: NetworkOptions

        @Flag(help: "Print one JSON document on stdout.")
        var json = false

        var requested: ReleaseRevokeOperation.Request {
            ReleaseRevokeOperation.Request(
                repository: repository, tag: tag, deleteRelease: deleteRelease, deleteAssets: deleteAssets, reason: reason,
                replacement: replacement, advisory: advisory, overwrite: overwrite, inventory: inventory, yes: yes, github: network.choice)
        }

        func validate() throws {
            do { try requested.validate() } catch { throw ValidationError(error.message) }
        }

        var httpSettings: HTTPSettings? { network.http.settings }

        func request(_ context: CommandContext) throws -> ReleaseRevokeOperation.Request { requested }

        /// The tag is asked for as `Type the tag (TAG) to confirm: `, as it always was.
        var confirmation: TerminalConfirmation { TerminalConfirmation { "Type the tag (\($0)) to confirm: " } }

        func render(item written: ReleaseRevocation.AdvisoryFiles, _ context: CommandContext) {
            guard !json else { return }
            context.stdout.line("advisory: \(written.markdown), \(written.json)")
        }

        func render(report: ReleaseRevokeOperation.Report, _ context: CommandContext) throws {
            if json {
                try printJSON(report, context)
                return
            }
            for asset in report.advisory.affected { context.stdout.line("deleted: \(asset.name)  sha256 \(asset.sha256)") }
            context.stdout.line(
                report.wholeRelease ? "release \(tag) deleted from \(repository)" : "\(report.advisory.affected.count) asset(s) deleted from \(tag)")
        }
    }
}
