import ArgumentParser
import Foundation
import HephaestusCore

extension Hephaestus {
    /// `hephaestus release`: fetch and check GitHub release assets.
    struct Release: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "release",
            abstract: "Fetch, verify and install GitHub release wheelhouses.",
            subcommands: [ReleaseDownloadCommand.self, ReleaseVerify.self, ReleaseInstall.self, ReleaseRevoke.self])
    }

    /// `hephaestus release download`.
    struct ReleaseDownloadCommand: OperationCommand {
        typealias Performed = ReleaseDownloadOperation

        static let configuration = CommandConfiguration(
            commandName: "download",
            abstract: "Download the matching assets of a release, each checked against the API's size and digest.",
            discussion: withExitStatuses(
                """
                Files are streamed into a temporary file in --dest and renamed into place only when their size (and \
                SHA-256, when the API gives one) match. Asset names are sanitised to a single safe file name. Prints one \
                sha256sum-style line per file (usable with `hephaestus digest --check`), or --json.
                """)
        )

        @OptionGroup(title: "Global options")
        var global: GlobalOptions

        @OptionGroup(title: "Release")
        var release: ReleaseOptions

        @Option(help: ArgumentHelp("Only assets whose name matches this shell glob.", valueName: "GLOB"))
        var pattern: String?

        @Option(help: ArgumentHelp("Directory to download into (created if missing).", valueName: "DIR"))
        var dest: String = "."

        @Option(help: ArgumentHelp("Largest asset accepted, in bytes (stops endless or bomb-like bodies).", valueName: "BYTES"))
        var maxSize: Int64 = ReleaseDownloadOperation.Request.defaultMaximumSize

        @OptionGroup(title: "Network")
        var network: NetworkOptions

        @Flag(help: "Print one JSON document on stdout.")
        var json = false

        var requested: ReleaseDownloadOperation.Request {
            ReleaseDownloadOperation.Request(release: release.choice, pattern: pattern, dest: dest, maxSize: maxSize, github: network.choice)
        }

        func validate() throws {
            do { try requested.validate() } catch { throw ValidationError(error.message) }
        }

        var httpSettings: HTTPSettings? { network.http.settings }

        func request(_ context: CommandContext) throws -> ReleaseDownloadOperation.Request { requested }

        func render(item file: ReleaseDownload.File, _ context: CommandContext) {
            if !json { context.stdout.line("\(file.sha256)  \(file.path)") }
        }

        func render(report: ReleaseDownload.Report, _ context: CommandContext) throws {
            if json { try printJSON(report, context) }
        }
    }
}

/// `--repository OWNER/REPO (--tag T | --latest) [--include-prereleases]`.
struct ReleaseOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The GitHub repository.", valueName: "OWNER/REPO"))
    var repository: String

    @Option(help: ArgumentHelp("The release tag.", valueName: "TAG"))
    var tag: String?

    @Flag(help: "The newest published release (drafts and prereleases skipped).")
    var latest = false

    @Flag(help: "With --latest: consider prereleases too.")
    var includePrereleases = false

    var choice: ReleaseChoice { ReleaseChoice(repository: repository, tag: tag, latest: latest, includePrereleases: includePrereleases) }

    func validate() throws {
        do { try choice.validate() } catch { throw ValidationError(error.message) }
    }
}
