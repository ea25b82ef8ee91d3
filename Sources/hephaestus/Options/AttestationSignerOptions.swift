import ArgumentParser
import HephaestusCore

/// Who must have signed a PEP 740 attestation: identity options, one PyPI Trusted Publisher, or a policy file.
struct AttestationSignerOptions: ParsableArguments {
    @OptionGroup
    var certificate: CertificateIdentityOptions

    @Option(help: ArgumentHelp("Trusted Publisher: the GitHub repository that published (OWNER/REPO).", valueName: "OWNER/REPO"))
    var githubRepository: String?

    @Option(help: ArgumentHelp("With --github-repository: the publishing workflow's file name (release.yml).", valueName: "FILE"))
    var githubWorkflow: String?

    @Option(help: ArgumentHelp("Trusted Publisher: the GitLab project that published (NAMESPACE/PROJECT).", valueName: "NS/PROJECT"))
    var gitlabProject: String?

    @Option(help: ArgumentHelp("With --gitlab-project: the CI/CD file path (.gitlab-ci.yml).", valueName: "FILE"))
    var gitlabWorkflow: String?

    @Option(help: ArgumentHelp("Trusted Publisher: the Google Cloud service account that published.", valueName: "EMAIL"))
    var googleServiceAccount: String?

    @OptionGroup
    var policy: PolicyOptions

    var signer: AttestationSigner {
        AttestationSigner(
            certificateIdentity: certificate.certificateIdentity, certificateIdentityRegexp: certificate.certificateIdentityRegexp,
            certificateOidcIssuer: certificate.certificateOidcIssuer, certificateOidcIssuerRegexp: certificate.certificateOidcIssuerRegexp,
            githubRepository: githubRepository, githubWorkflow: githubWorkflow, gitlabProject: gitlabProject, gitlabWorkflow: gitlabWorkflow,
            googleServiceAccount: googleServiceAccount, policy: policy.policy)
    }
}
