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

    var choice: ReleaseSourceChoice {
        ReleaseSourceChoice(
            repository: repository, tag: tag, latest: latest, includePrereleases: includePrereleases, pattern: pattern, archive: archive,
            manifest: manifest, bundle: bundle)
    }

    func validate() throws {
        do { try choice.validate() } catch { throw ValidationError(error.message) }
    }
}

/// What Sigstore must say: `--require-sigstore`, `--sigstore-identity`, `--sigstore-issuer`, trust.
struct SigstoreOptions: ParsableArguments {
    @Flag(help: "Fail unless a Sigstore bundle exists for the archive and verifies for one of the identities.")
    var requireSigstore = false

    @Option(
        help: ArgumentHelp(
            "An allowed signer identity: exact, or a glob where * matches any characters (slashes too); repeatable.", valueName: "PATTERN"))
    var sigstoreIdentity: [String] = []

    @Option(help: ArgumentHelp("The signer's OIDC issuer (default: GitHub Actions').", valueName: "URL"))
    var sigstoreIssuer: String?

    @OptionGroup
    var policy: PolicyOptions

    @OptionGroup(title: "Trust")
    var trust: TrustOptions

    var choice: SigstoreChoice {
        SigstoreChoice(
            requireSigstore: requireSigstore, sigstoreIdentity: sigstoreIdentity,
            sigstoreIssuer: sigstoreIssuer ?? SigstorePolicy.githubActionsIssuer,
            trust: trust.choice, policy: policy.policy)
    }

    func validate() throws {
        if policy.policy != nil && sigstoreIssuer != nil {
            throw ValidationError("--policy replaces --sigstore-identity and --sigstore-issuer: give one or the other")
        }
        do { try choice.validate() } catch { throw ValidationError(error.message) }
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

    @Flag(help: "Keep the staging directory afterwards, whatever stage failed, and print where (for inspection).")
    var keepWorkdir = false

    @Option(help: ArgumentHelp("Largest archive accepted, in bytes.", valueName: "BYTES"))
    var maxSize: Int64 = ReleaseCheckRequest.defaultMaximumSize

    @OptionGroup(title: "Extraction limits")
    var limits: ExtractionOptions

    @OptionGroup(title: "Wheel provenance (PEP 740)")
    var provenance: ProvenanceOptions

    @OptionGroup(title: "Network")
    var network: NetworkOptions

    @Flag(help: "Print one JSON report on stdout.")
    var json = false

    var choice: ReleaseCheckRequest {
        ReleaseCheckRequest(
            source: source.choice, sigstore: sigstore.choice, allowMissingManifest: allowMissingManifest, workdir: workdir, keepWorkdir: keepWorkdir,
            maxSize: maxSize, limits: limits.choice, github: network.choice, provenance: provenance.choice)
    }

    /// A pipeline notice as the CLI always printed it: warnings as `hephaestus: warning: …` on stderr (a JSON record
    /// with --log-format json), the rest logged.
    func render(notice: ReleaseNotice, context: CommandContext) {
        switch notice.level {
        case .warning: context.report(.warning, event: notice.event, message: notice.message)
        case .info: context.logger.info("\(notice.event)", metadata: ["message": .string(notice.message)])
        }
    }
}

/// `--deep`: each wheel of the wheelhouse against its own PEP 740 provenance.
struct ProvenanceOptions: ParsableArguments {
    @Flag(help: "Also check each wheel against its own PEP 740 provenance from --provenance-dir (a missing one fails).")
    var deep = false

    @Option(help: ArgumentHelp("Where WHEEL.provenance (PyPI provenance) or WHEEL.publish.attestation files are.", valueName: "DIR"))
    var provenanceDir: String?

    @Option(help: ArgumentHelp("The wheels' GitHub Trusted Publisher (default: --repository).", valueName: "OWNER/REPO"))
    var provenanceRepository: String?

    @Option(help: ArgumentHelp("The Trusted Publisher's workflow file name (release.yml).", valueName: "FILE"))
    var provenanceWorkflow: String?

    @Flag(help: "With --deep: a wheel without provenance is reported and warned about instead of failing (unsafe).")
    var allowMissingProvenance = false

    var choice: ProvenanceChoice {
        ProvenanceChoice(
            deep: deep, provenanceDir: provenanceDir, provenanceRepository: provenanceRepository, provenanceWorkflow: provenanceWorkflow,
            allowMissingProvenance: allowMissingProvenance)
    }
}
