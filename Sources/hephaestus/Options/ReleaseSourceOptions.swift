import ArgumentParser
import Foundation
import HephaestusCore
import HephaestusPlatform
import Logging

/// Where the release comes from: a GitHub release, or local files.
struct ReleaseSourceOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The GitHub repository.", valueName: "OWNER/REPO"))
    var repository: String?

    @Option(help: ArgumentHelp("The release tag.", valueName: "TAG"))
    var tag: String?

    @Flag(help: "The newest published release (drafts and prereleases skipped).")
    var latest = false

    @Flag(help: "With --latest: consider prereleases too.")
    var includePrereleases = false

    @Option(help: ArgumentHelp("Which release asset is the archive (shell glob; default *wheelhouse*.tar.gz|zip).", valueName: "GLOB"))
    var pattern: String?

    @Option(help: ArgumentHelp("A local wheelhouse archive (air-gapped machines) instead of a release.", valueName: "FILE"))
    var archive: String?

    @Option(help: ArgumentHelp("With --archive: the SHA-256 manifest (default ARCHIVE.sha256, then SHA256SUMS beside it).", valueName: "FILE"))
    var manifest: String?

    @Option(help: ArgumentHelp("With --archive: the Sigstore bundle (default ARCHIVE.sigstore.json, then ARCHIVE.sigstore).", valueName: "FILE"))
    var bundle: String?

    func validate() throws {
        switch (repository, archive) {
        case (nil, nil): throw ValidationError("give a release (--repository OWNER/REPO with --tag or --latest) or --archive FILE")
        case (.some, .some): throw ValidationError("--repository and --archive cannot be used together")
        case (.some(let repository), nil):
            guard (tag != nil) != latest else { throw ValidationError("give exactly one of --tag or --latest") }
            if manifest != nil || bundle != nil { throw ValidationError("--manifest and --bundle go with --archive; releases are searched for them") }
            do { _ = try GitHubRepository(repository) } catch { throw ValidationError("\(error)") }
        case (nil, .some):
            if tag != nil || latest || pattern != nil { throw ValidationError("--tag, --latest and --pattern go with --repository") }
        }
        if includePrereleases && !latest { throw ValidationError("--include-prereleases needs --latest") }
    }

    func makeSource(network: NetworkOptions, context: CommandContext, maximumSize: Int64) throws -> ReleaseSource {
        if let archive { return .local(archive: archive, manifest: manifest, bundle: bundle) }
        let selector = ReleaseSelector(
            repository: try GitHubRepository(repository!), which: tag.map { .tag($0) } ?? .latest(includePrereleases: includePrereleases))
        return .github(selector, client: try network.makeGitHubClient(context: context), pattern: pattern, maximumSize: maximumSize)
    }
}

/// What Sigstore must say: `--require-sigstore`, `--sigstore-identity`, `--sigstore-issuer`, trust.
struct SigstoreOptions: ParsableArguments {
    @Flag(help: "Fail unless a Sigstore bundle exists for the archive and verifies for one of the identities.")
    var requireSigstore = false

    @Option(help: ArgumentHelp("An allowed signer identity: exact, or a glob where * matches any characters (slashes too); repeatable.", valueName: "PATTERN"))
    var sigstoreIdentity: [String] = []

    @Option(help: ArgumentHelp("The signer's OIDC issuer.", valueName: "URL"))
    var sigstoreIssuer: String = SigstorePolicy.githubActionsIssuer

    @OptionGroup(title: "Trust")
    var trust: TrustOptions

    func validate() throws {
        if requireSigstore && sigstoreIdentity.isEmpty {
            throw ValidationError("--require-sigstore needs at least one --sigstore-identity: there is no \"any identity\"")
        }
    }

    func makePolicy() -> SigstorePolicy {
        SigstorePolicy(required: requireSigstore, identities: sigstoreIdentity, issuer: sigstoreIssuer, trust: trust.makeSelection())
    }
}

/// Everything `release verify` and `release install` share.
struct ReleaseCheckOptions: ParsableArguments {
    @OptionGroup(title: "Source")
    var source: ReleaseSourceOptions

    @OptionGroup(title: "Sigstore")
    var sigstore: SigstoreOptions

    @Flag(help: "Proceed without a SHA-256 manifest (logged as unsafe).")
    var allowMissingManifest = false

    @Option(help: ArgumentHelp("Parent directory for the private staging directory (default: the system temporary directory).", valueName: "DIR"))
    var workdir: String?

    @Flag(help: "Keep the staging directory afterwards (for inspection).")
    var keepWorkdir = false

    @Option(help: ArgumentHelp("Largest archive accepted, in bytes.", valueName: "BYTES"))
    var maxSize: Int64 = 8 << 30

    @OptionGroup(title: "Extraction limits")
    var limits: ExtractionOptions

    @OptionGroup(title: "Network")
    var network: NetworkOptions

    @Flag(help: "Print one JSON report on stdout.")
    var json = false

    func makePipeline(context: CommandContext) throws -> ReleasePipeline {
        let logger = context.logger
        return ReleasePipeline(
            source: try source.makeSource(network: network, context: context, maximumSize: maxSize), sigstore: sigstore.makePolicy(),
            allowMissingManifest: allowMissingManifest, limits: limits.makeLimits(), workRoot: workdir,
            notify: { notice in
                switch notice {
                case .warning(let event, let message): context.report(.warning, event: event, message: "warning: \(message)")
                case .info(let event, let message): logger.info("\(event)", metadata: ["message": .string(message)])
                }
            })
    }

    func render(_ report: ReleaseReport, context: CommandContext) throws {
        if json {
            context.stdout.line(try ResultDocument(mediaType: MediaType.releaseReport, runID: context.runID, payload: report).jsonText())
        } else {
            for line in report.lines { context.stdout.line(line) }
        }
    }
}
