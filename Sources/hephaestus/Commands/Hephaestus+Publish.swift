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
    struct PublishPyPI: HephaestusCommand {
        static let configuration = CommandConfiguration(
            commandName: "pypi",
            abstract: "Validate, then upload wheels and sdists with the legacy upload API (twine-compatible).",
            discussion: """
                Every distribution is validated first (file name, archive, RECORD hashes, core metadata, a long description \
                that renders); if any is invalid nothing is uploaded. Credentials: --username (or TWINE_USERNAME, default \
                __token__) and the password or API token from the variable --password-env names (default TWINE_PASSWORD); \
                or --trusted-publishing, which exchanges the CI's OIDC token for a short-lived upload token. \
                --attestations signs a PEP 740 publish attestation for each file (keyless, as `hephaestus sign`) and sends it \
                with the upload. Credentials are never printed.
                """)

        @OptionGroup(title: "Global options")
        var global: GlobalOptions

        @Option(help: ArgumentHelp("The upload URL (default: the --repository's, else https://upload.pypi.org/legacy/).", valueName: "URL"))
        var repositoryURL: String?

        @Option(name: [.customShort("r"), .long], help: ArgumentHelp(
            "A repository named in the config file (URL, username, password), as with twine; pypi and testpypi are built in (default pypi).",
            valueName: "NAME"))
        var repository: String?

        @Option(help: ArgumentHelp("The .pypirc to read (default ~/.pypirc).", valueName: "PATH"))
        var configFile: String?

        @Option(help: ArgumentHelp("The username (default: TWINE_USERNAME, else __token__).", valueName: "U"))
        var username: String?

        @Option(help: ArgumentHelp("The environment variable holding the password or API token (default TWINE_PASSWORD).", valueName: "NAME"))
        var passwordEnv: String?

        @Flag(help: "Skip files the index already has with the same content (twine's --skip-existing; a file of that name with other content is always an error).")
        var skipExisting = false

        @Option(help: ArgumentHelp(
            "The index's simple API, read to compare a file the index says it has (default: from --repository-url; pypi.org/simple/ for PyPI).",
            valueName: "URL"))
        var indexURL: String?

        @Flag(help: "Sign and send PEP 740 publish attestations.")
        var attestations = false

        @Flag(help: "Get a short-lived upload token from the index with the CI's OIDC identity.")
        var trustedPublishing = false

        @Flag(help: "Validate and show what would be uploaded; contact nothing.")
        var dryRun = false

        @Option(help: ArgumentHelp("Uploads at a time after the first file (default 1: one after another, as twine does).", valueName: "N"))
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
            try signing.validate(staging: trust.staging)
            if signing.key != nil, attestations { throw ValidationError("--attestations need keyless signing (PyPI verifies the certificate's identity); drop --key") }
            if let repositoryURL, URL(string: repositoryURL)?.host == nil { throw ValidationError("--repository-url \(repositoryURL) is not an absolute URL") }
            if repository != nil, repositoryURL != nil { throw ValidationError("give --repository NAME or --repository-url URL, not both") }
            if let indexURL, URL(string: indexURL)?.host == nil { throw ValidationError("--index-url \(indexURL) is not an absolute URL") }
            guard (1...8).contains(jobs) else { throw ValidationError("--jobs must be between 1 and 8, not \(jobs)") }
        }

        func execute(_ context: CommandContext) async throws {
            let environment = ProcessInfo.processInfo.environment
            let (url, configured, warning) = try PyPIRC.uploadTarget(
                repositoryURL: repositoryURL.flatMap { URL(string: $0) }, repository: repository, configFile: configFile, environment: environment)
            if let warning { context.report(.warning, event: "publish.config-readable", message: warning) }
            try HTTPClient.checkScheme(url)
            let checked = try Distribution.inspectAll(distributions)
            for warning in checked.flatMap(\.warnings) { context.report(.warning, event: "publish.warning", message: warning) }
            if dryRun {
                let outcomes = checked.map { PyPIUploader.Outcome.wouldUpload($0, attestations: attestations) }
                render(outcomes, url: url, context)
                return
            }
            let client = try http.makeHTTPClient(logger: context.logger)
            let credentials = trustedPublishing
                ? try TrustedPublishing(repositoryURL: url, http: client, environment: environment, redactor: context.redactor).credentials()
                : try resolvedCredentials(environment: environment, configured: configured, context)
            let session = attestations
                ? try SigningSession(
                    credential: signing.credential(context: context, http: http.settings), signingConfig: signing.configSelection(staging: trust.staging),
                    trust: trust.makeSelection(), http: client, logger: context.logger)
                : nil
            let simpleURL = indexURL.flatMap { URL(string: $0) }
            if let simpleURL { try HTTPClient.checkScheme(simpleURL) }
            // One bar at a time: with parallel uploads the per-file lines are the progress.
            let uploader = PyPIUploader(
                repositoryURL: url, http: client, skipExisting: skipExisting, simpleURL: simpleURL, logger: context.logger,
                transferProgress: ProgressBar.uploadFeeds(context: context, quiet: global.quiet || jobs > 1))
            // Every attestation is signed (and self-verified) before the first upload: a signing failure uploads nothing.
            let items = try checked.map { distribution in
                (distribution: distribution, attestations: try session.map { [try PublishAttestation.make(for: distribution, session: $0)] } ?? [])
            }
            let outcomes = try uploader.uploadAll(items, credentials: credentials, jobs: jobs) { outcome in
                guard !json else { return }
                context.stdout.line("\(outcome.status): \(outcome.file)" + Self.remark(outcome))
                context.stdout.flush()
            }
            render(outcomes, url: url, context, linesShown: true)
        }

        private func resolvedCredentials(environment: [String: String], configured: PyPIRC.Repository?, _ context: CommandContext) throws -> IndexCredentials {
            let (credentials, source) = try IndexCredentials.resolve(
                username: username, passwordVariable: passwordEnv, environment: environment, configured: configured, redactor: context.redactor)
            context.logger.info("publish.credentials", metadata: ["username": .string(credentials.username), "password-from": .string(source.rawValue)])
            return credentials
        }

        /// What follows `STATUS: FILE` on a human line.
        static func remark(_ outcome: PyPIUploader.Outcome) -> String {
            var remarks: [String] = []
            if outcome.attestations > 0 { remarks.append("with a publish attestation") }
            if outcome.existing == "identical" { remarks.append("the index has the same bytes") }
            if let note = outcome.note { remarks.append(note) }
            return remarks.isEmpty ? "" : " (" + remarks.joined(separator: "; ") + ")"
        }

        private func render(_ outcomes: [PyPIUploader.Outcome], url: URL, _ context: CommandContext, linesShown: Bool = false) {
            if json {
                if let text = try? ResultDocument(mediaType: MediaType.publishResult, runID: context.runID, payload: PyPIReport(index: HTTPClient.redacted(url), files: outcomes)).jsonText() {
                    context.stdout.line(text)
                }
                return
            }
            if !linesShown {
                for outcome in outcomes { context.stdout.line("\(outcome.status): \(outcome.file)  sha256 \(outcome.sha256)  blake2b-256 \(outcome.blake2b256)") }
            }
            let uploaded = outcomes.filter { $0.status == "uploaded" }.count
            let skipped = outcomes.filter { $0.status == "skipped-existing" }.count
            context.stdout.line(dryRun ? "dry run: \(outcomes.count) valid distribution(s), nothing uploaded to \(HTTPClient.redacted(url))"
                : "\(uploaded) uploaded, \(skipped) skipped to \(HTTPClient.redacted(url))")
        }
    }
}

struct PyPIReport: Encodable, Sendable {
    let index: String
    let files: [PyPIUploader.Outcome]
}

extension Hephaestus {
    /// `hephaestus publish github --repository OWNER/REPO --tag T FILE...`.
    struct PublishGitHub: HephaestusCommand {
        static let configuration = CommandConfiguration(
            commandName: "github",
            abstract: "Upload files as assets of a GitHub release (created with --create).",
            discussion: "Every file is checked first: an identical asset is skipped, a different one refused (nothing uploaded) unless --replace.")

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
            do { _ = try GitHubRepository(repository) } catch { throw ValidationError("\(error)") }
        }

        func execute(_ context: CommandContext) async throws {
            let notesText = try notes.map { String(decoding: try FileReader.contents(of: $0, limit: 1 << 20), as: UTF8.self) }
            for file in files { _ = try FileReader(path: file) }
            let publisher = GitHubPublisher(
                github: try network.makeGitHubClient(context: context, requireToken: true), repository: try GitHubRepository(repository),
                logger: context.logger, transferProgress: ProgressBar.uploadFeeds(context: context, quiet: global.quiet))
            let (created, outcomes) = try publisher.publish(
                tag: tag, files: files, release: .init(create: create, notes: notesText, draft: draft, prerelease: prerelease), replace: replace)
            if json {
                context.stdout.line(
                    try ResultDocument(mediaType: MediaType.publishResult, runID: context.runID, payload: GitHubPublishReport(repository: repository, tag: tag, created: created, assets: outcomes)).jsonText())
                return
            }
            if created { context.stdout.line("created release \(tag) in \(repository)") }
            for outcome in outcomes { context.stdout.line("\(outcome.status): \(outcome.asset)  sha256 \(outcome.sha256)") }
        }
    }
}

struct GitHubPublishReport: Encodable, Sendable {
    let repository: String
    let tag: String
    let created: Bool
    let assets: [GitHubPublisher.Outcome]
}
