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
    struct ReleaseDownloadCommand: HephaestusCommand {
        static let configuration = CommandConfiguration(
            commandName: "download",
            abstract: "Download the matching assets of a release, each checked against the API's size and digest.",
            discussion: """
                Files are streamed into a temporary file in --dest and renamed into place only when their size (and \
                SHA-256, when the API gives one) match. Asset names are sanitised to a single safe file name. Prints one \
                sha256sum-style line per file (usable with `hephaestus digest --check`), or --json.
                """
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
        var maxSize: Int64 = 8 << 30

        @OptionGroup(title: "Network")
        var network: NetworkOptions

        @Flag(help: "Print one JSON document on stdout.")
        var json = false

        func validate() throws {
            guard maxSize > 0 else { throw ValidationError("--max-size must be positive") }
        }

        func execute(_ context: CommandContext) async throws {
            let client = try network.makeGitHubClient(context: context)
            let download = ReleaseDownload(client: client, maximumSize: maxSize)
            let report = try download.run(
                try release.makeSelector(), pattern: pattern, destination: dest,
                progress: { ProgressBar.callback(label: $0, context: context, quiet: global.quiet) },
                onRename: { original, sanitized in
                    context.logger.warning("asset.renamed", metadata: ["original": .string(original), "sanitized": .string(sanitized)])
                },
                onFile: { file in
                    context.logger.info("asset.downloaded", metadata: ["name": .string(file.name), "size": .stringConvertible(file.size), "sha256": .string(file.sha256)])
                    if !json { context.stdout.line("\(file.sha256)  \(file.path)") }
                })
            if json {
                context.stdout.line(try ResultDocument(mediaType: MediaType.releaseDownload, runID: context.runID, payload: report).jsonText())
            }
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

    func validate() throws {
        guard (tag != nil) != latest else { throw ValidationError("give exactly one of --tag or --latest") }
        if includePrereleases && !latest { throw ValidationError("--include-prereleases needs --latest") }
        do { _ = try GitHubRepository(repository) } catch { throw ValidationError("\(error)") }
    }

    func makeSelector() throws -> ReleaseSelector {
        ReleaseSelector(
            repository: try GitHubRepository(repository),
            which: tag.map { .tag($0) } ?? .latest(includePrereleases: includePrereleases))
    }
}
