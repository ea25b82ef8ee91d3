import ArgumentParser
import HephaestusCore
import HephaestusPlatform

extension Hephaestus {
    /// `hephaestus verify attestation`: PyPI PEP 740 attestations and provenance.
    struct VerifyAttestation: OperationCommand {
        typealias Performed = VerifyAttestationOperation

        static let configuration = CommandConfiguration(
            commandName: "attestation",
            abstract: "Verify a Python distribution against its PEP 740 attestation or PyPI provenance (as pypi-attestations).",
            discussion: withExitStatuses(
                """
                --attestation takes one attestation object (DIST.publish.attestation, as pypi-attestations and twine \
                write it) or a Sigstore bundle with a DSSE envelope; --provenance takes the provenance object PyPI's \
                Integrity API serves, whose every attestation must verify for its bundle's Trusted Publisher. Checks: \
                the Sigstore material verifies, the in-toto statement has exactly one subject naming DIST (as PyPI \
                normalises names) with DIST's sha256, the predicate type is one PyPI accepts, and the signer matches. \
                No network is used.
                """)
        )

        @OptionGroup(title: "Global options")
        var global: GlobalOptions

        @Option(help: ArgumentHelp("A PEP 740 attestation object (or a Sigstore bundle with a DSSE envelope).", valueName: "FILE"))
        var attestation: String?

        @Option(help: ArgumentHelp("A PyPI Integrity API provenance object (attestation bundles per publisher).", valueName: "FILE"))
        var provenance: String?

        @OptionGroup(title: "Signer")
        var signer: AttestationSignerOptions

        @OptionGroup(title: "Trust")
        var trust: TrustOptions

        @Flag(help: "Print one JSON document with the verdict on stdout.")
        var json = false

        @Argument(help: ArgumentHelp("The distribution (wheel or sdist).", valueName: "DIST"))
        var distribution: String

        var requested: VerifyAttestationOperation.Request {
            VerifyAttestationOperation.Request(
                attestation: attestation, provenance: provenance, distribution: distribution, signer: signer.signer, trust: trust.choice)
        }

        func validate() throws {
            do { try requested.validate() } catch { throw ValidationError(error.message) }
        }

        var failureEvent: String? { "verify.attestation.failed" }

        func request(_ context: CommandContext) throws -> VerifyAttestationOperation.Request { requested }

        func render(report: AttestationVerificationReport, _ context: CommandContext) throws {
            if json { return try printJSON(report, context) }
            renderAttestationReport(report, context)
        }
    }

    /// `hephaestus verify github-attestation`: GitHub artifact attestations, with gh's flags.
    struct VerifyGitHubAttestation: OperationCommand {
        typealias Performed = VerifyGitHubAttestationOperation

        static let configuration = CommandConfiguration(
            commandName: "github-attestation",
            abstract: "Verify an artifact against GitHub artifact attestations in a bundle file (as gh attestation verify --bundle).",
            discussion: withExitStatuses(
                """
                The bundle file is JSON (one bundle) or JSON Lines (.jsonl, one bundle per line, as gh attestation \
                download writes it); attestations of the --predicate-type (SLSA provenance v1 by default) are each \
                verified for the artifact's --digest-alg digest and gh's policy, and the artifact passes when one \
                does. --custom-trusted-root takes gh attestation trusted-root's JSON Lines; without it the embedded \
                public-good root is used. No network is used.
                """)
        )

        @OptionGroup(title: "Global options")
        var global: GlobalOptions

        @Option(name: [.short, .long], help: ArgumentHelp("The bundle file: JSON, or JSON Lines with several bundles.", valueName: "FILE"))
        var bundle: String

        @Option(name: [.short, .long], help: ArgumentHelp("GitHub organization the artifact's repository belongs to.", valueName: "OWNER"))
        var owner: String?

        @Option(name: [.customShort("R"), .long], help: ArgumentHelp("Repository the artifact is linked with.", valueName: "OWNER/REPO"))
        var repo: String?

        @Option(help: ArgumentHelp("Repository of the reusable workflow that signed the attestation.", valueName: "OWNER/REPO"))
        var signerRepo: String?

        @Option(help: ArgumentHelp("Workflow that signed the attestation: [HOST/]OWNER/REPO/PATH/TO/WORKFLOW.", valueName: "WORKFLOW"))
        var signerWorkflow: String?

        @Option(help: ArgumentHelp("The certificate's SAN must be exactly this.", valueName: "SAN"))
        var certIdentity: String?

        @Option(
            name: [.customShort("i"), .long], help: ArgumentHelp("The certificate's SAN must match this regular expression.", valueName: "RE"))
        var certIdentityRegex: String?

        @Option(help: ArgumentHelp("Issuer of the OIDC token (default: GitHub Actions').", valueName: "URL"))
        var certOidcIssuer: String?

        @Option(help: ArgumentHelp("The git ref the artifact was built from must be this (refs/tags/v1.0).", valueName: "REF"))
        var sourceRef: String?

        @Option(help: ArgumentHelp("The commit the artifact was built from must be this.", valueName: "SHA"))
        var sourceDigest: String?

        @Option(help: ArgumentHelp("The digest of the signing workflow must be this.", valueName: "SHA"))
        var signerDigest: String?

        @Option(help: ArgumentHelp("Only attestations of this predicate type (default https://slsa.dev/provenance/v1).", valueName: "URI"))
        var predicateType: String?

        @Flag(help: "Fail for attestations made on self-hosted runners.")
        var denySelfHostedRunners = false

        @Option(name: [.customShort("d"), .long], help: ArgumentHelp("Digest algorithm of the artifact: sha256 or sha512.", valueName: "ALG"))
        var digestAlg: String?

        @Option(help: ArgumentHelp("Trusted roots as JSON Lines (gh attestation trusted-root), instead of the embedded one.", valueName: "FILE"))
        var customTrustedRoot: String?

        @Option(help: ArgumentHelp("The GitHub host of a --signer-workflow given without one (default github.com).", valueName: "HOST"))
        var hostname: String?

        @Flag(help: "Print one JSON document with the verdict on stdout.")
        var json = false

        @Argument(help: ArgumentHelp("The artifact file.", valueName: "ARTIFACT"))
        var artifact: String

        var requested: VerifyGitHubAttestationOperation.Request {
            VerifyGitHubAttestationOperation.Request(
                bundle: bundle, artifact: artifact,
                policy: GitHubAttestationPolicy(
                    owner: owner, repo: repo, signerRepo: signerRepo, signerWorkflow: signerWorkflow, certIdentity: certIdentity,
                    certIdentityRegex: certIdentityRegex, certOidcIssuer: certOidcIssuer, sourceRef: sourceRef, sourceDigest: sourceDigest,
                    signerDigest: signerDigest, predicateType: predicateType, denySelfHostedRunners: denySelfHostedRunners, hostname: hostname),
                digestAlgorithm: digestAlg, customTrustedRoot: customTrustedRoot)
        }

        func validate() throws {
            do { try requested.validate() } catch { throw ValidationError(error.message) }
        }

        var failureEvent: String? { "verify.github-attestation.failed" }

        func request(_ context: CommandContext) throws -> VerifyGitHubAttestationOperation.Request { requested }

        func render(report: AttestationVerificationReport, _ context: CommandContext) throws {
            if json { return try printJSON(report, context) }
            renderAttestationReport(report, context)
        }
    }
}

/// `OK: ARTIFACT` and one line per verified attestation, or `FAIL: ARTIFACT: why`.
private func renderAttestationReport(_ report: AttestationVerificationReport, _ context: CommandContext) {
    switch report.verdict {
    case .pass:
        context.stdout.line(bytes: NativePath.bytes("OK: \(report.artifact) (\(report.digest))"))
        for attestation in report.attestations {
            let publisher = attestation.publisher.map { " publisher=\($0)" } ?? ""
            context.stdout.line(
                bytes: NativePath.bytes(
                    "  \(attestation.predicateType) signer=\(attestation.identity) issuer=\(attestation.issuer ?? "-")\(publisher)"))
        }
    case .fail:
        context.stdout.line(bytes: NativePath.bytes("FAIL: \(report.artifact): \(report.reason ?? "verification failed")"))
    }
}
