import ArgumentParser
import Foundation
import HephaestusCore
import HephaestusPlatform

extension Hephaestus {
    /// `hephaestus publish`.
    struct Publish: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "publish",
            abstract: "Publish distributions to PyPI-compatible indexes and files to GitHub Releases.",
            subcommands: [PublishPyPI.self, PublishGitHub.self])
    }

    /// `hephaestus publish pypi DIST...`.
    struct PublishPyPI: OperationCommand {
        typealias Performed = PublishPyPIOperation

        static let configuration = CommandConfiguration(
            commandName: "pypi",
            abstract: "Validate, then upload wheels and sdists with the legacy upload API (twine-compatible).",
            discussion: withExitStatuses(
                """
                Every distribution is validated first (file name, archive, RECORD hashes, core metadata, a long description \
                that renders); if any is invalid nothing is uploaded. Credentials: --username (or TWINE_USERNAME, default \
                __token__) and the password or API token from the variable --password-env names (default TWINE_PASSWORD); \
                or --trusted-publishing, which exchanges the CI's OIDC token for a short-lived upload token. \
                --attestations signs a PEP 740 publish attestation for each file (keyless, as `hephaestus sign`) and sends it \
                with the upload. Credentials are never printed.
                """))

        @OptionGroup(title: "Global options")
        var global: GlobalOptions

        @Option(help: ArgumentHelp("The upload URL (default: the --repository's, else https://upload.pypi.org/legacy/).", valueName: "URL"))
        var repositoryURL: String?

        @Option(
            name: [.customShort("r"), .long],
            help: ArgumentHelp(
                "A repository named in the config file (URL, username, password), as with twine; pypi and testpypi are built in (default pypi).",
                valueName: "NAME"))
        var repository: String?

        @Option(help: ArgumentHelp("The .pypirc to read (default ~/.pypirc).", valueName: "PATH"))
        var configFile: String?

        @Option(help: ArgumentHelp("The username (default: TWINE_USERNAME, else __token__).", valueName: "U"))
        var username: String?

        @Option(help: ArgumentHelp("The environment variable holding the password or API token (default TWINE_PASSWORD).", valueName: "NAME"))
        var passwordEnv: String?

        @Flag(
            help:
                "Skip files the index already has with the same content (twine's --skip-existing; a file of that name with other content is always an error)."
        )
        var skipExisting = false

        @Option(
            help: ArgumentHelp(
                "The index's simple API, read to compare a file the index says it has (default: from --repository-url; pypi.org/simple/ for PyPI).",
                valueName: "URL"))
        var indexURL: String?

        @Flag(help: "Sign and send PEP 740 publish attestations.")
        var attestations = false

        @Flag(help: "Get a short-lived upload token from the index with the CI's OIDC identity.")
        var trustedPublishing = false

        @Flag(help: "Validate and show what would be uploaded; contact nothing.")
        var dryRun = false

        @Option(help: ArgumentHelp("Uploads at a time after the first file (1: one after another, as twine does).", valueName: "N"))
        var jobs: Int = 1

        @Flag(help: "Print one JSON document on stdout.")
        var json = false

        @OptionGroup(title: "Signing (for --attestations)")
        var signing: SigningOptions

        @OptionGroup(title: "Trust")
        var trust: TrustOptions

        @OptionGroup(title: "Network")
        var http: HTTPOptions

        @Argument(help: ArgumentHelp("Wheels and sdists.", valueName: "DIST"))
        var distributions: [String]

        func validate() throws {
            do { try operationRequest.validate() } catch { throw ValidationError(error.message) }
        }

        var httpSettings: HTTPSettings? { http.settings }

        var operationRequest: PublishPyPIOperation.Request {
            PublishPyPIOperation.Request(
                distributions: distributions, repositoryURL: repositoryURL, repository: repository, configFile: configFile, username: username,
                passwordEnv: passwordEnv, skipExisting: skipExisting, indexURL: indexURL, attestations: attestations,
                trustedPublishing: trustedPublishing, dryRun: dryRun, jobs: jobs, signing: signing.choice, trust: trust.choice)
        }

        func request(_ context: CommandContext) throws -> PublishPyPIOperation.Request { operationRequest }

        func render(item: PublishPyPIOperation.Item, _ context: CommandContext) {
            switch item {
            case .warning(let warning):
                context.report(.warning, event: warning.event, message: warning.message)
            case .file(let outcome):
                guard !json else { return }
                if outcome.status == .wouldUpload {
                    context.stdout.line("\(outcome.status.rawValue): \(outcome.file)  sha256 \(outcome.sha256)  blake2b-256 \(outcome.blake2b256)")
                } else {
                    context.stdout.line("\(outcome.status.rawValue): \(outcome.file)" + Self.remark(outcome))
                    context.stdout.flush()
                }
            }
        }

        /// What follows `STATUS: FILE` on a human line.
        static func remark(_ outcome: PyPIUploader.Outcome) -> String {
            var remarks: [String] = []
            if outcome.attestations > 0 { remarks.append("with a publish attestation") }
            if outcome.existing == .identical { remarks.append("the index has the same bytes") }
            if let note = outcome.note { remarks.append(note) }
            return remarks.isEmpty ? "" : " (" + remarks.joined(separator: "; ") + ")"
        }

        func render(report: PyPIReport, _ context: CommandContext) throws {
            if json {
                try printJSON(report, context)
                return
            }
            let uploaded = report.files.filter { $0.status == .uploaded }.count
            let skipped = report.files.filter { $0.status == .skippedExisting }.count
            context.stdout.line(
                dryRun
                    ? "dry run: \(report.files.count) valid distribution(s), nothing uploaded to \(report.index)"
                    : "\(uploaded) uploaded, \(skipped) skipped to \(report.index)")
        }
    }
}

extension Hephaestus {
    /// `hephaestus publish github --repository OWNER/REPO --tag T FILE...`.
    struct PublishGitHub: OperationCommand {
        typealias Performed = PublishGitHubOperation

        static let configuration = CommandConfiguration(
            commandName: "github",
            abstract: "Upload files as assets of a GitHub release (created with --create).",
            discussion: withExitStatuses(
                "Every file is checked first: an identical asset is skipped, a different one refused (nothing uploaded) unless --replace."))

        @OptionGroup(title: "Global options")
        var global: GlobalOptions

        @Option(help: ArgumentHelp("The repository.", valueName: "OWNER/REPO"))
        var repository: String

        @Option(help: ArgumentHelp("The release tag.", valueName: "T"))
        var tag: String

        @Flag(help: "Create the release when it does not exist.")
        var create = false

        @Option(help: ArgumentHelp("Release notes for --create (Markdown file).", valueName: "FILE"))
        var notes: String?

        @Flag(help: "Create the release as a draft.")
        var draft = false

        @Flag(help: "Create the release as a prerelease.")
        var prerelease = false

        @Flag(help: "Replace assets whose content differs.")
        var replace = false

        @Flag(help: "Print one JSON document on stdout.")
        var json = false

        @OptionGroup(title: "Network")
        var network: NetworkOptions

        @Argument(help: ArgumentHelp("Files to upload.", valueName: "FILE"))
        var files: [String]

        func validate() throws {
            do { try operationRequest.validate() } catch { throw ValidationError(error.message) }
        }

        var httpSettings: HTTPSettings? { network.http.settings }

        var operationRequest: PublishGitHubOperation.Request {
            PublishGitHubOperation.Request(
                repository: repository, tag: tag, files: files, create: create, notes: notes, draft: draft, prerelease: prerelease, replace: replace,
                github: network.choice)
        }

        func request(_ context: CommandContext) throws -> PublishGitHubOperation.Request { operationRequest }

        func render(report: GitHubPublishReport, _ context: CommandContext) throws {
            if json {
                try printJSON(report, context)
                return
            }
            if report.created { context.stdout.line("created release \(report.tag) in \(report.repository)") }
            for outcome in report.assets { context.stdout.line("\(outcome.status.rawValue): \(outcome.asset)  sha256 \(outcome.sha256)") }
        }
    }
}
