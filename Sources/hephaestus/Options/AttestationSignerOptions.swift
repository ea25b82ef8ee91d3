import ArgumentParser
import HephaestusCore

/// Who must have signed a PEP 740 attestation: identity options, one PyPI Trusted Publisher, or a policy file.
struct AttestationSignerOptions: ParsableArguments {
    @Option(name: .certificateIdentity, help: ArgumentHelp("The exact certificate SAN (email or URI) of the signer.", valueName: "SAN"))
    var certificateIdentity: String?

    @Option(help: ArgumentHelp("A regular expression the WHOLE certificate SAN must match (anchored).", valueName: "RE"))
    var certificateIdentityRegexp: String?

    @Option(name: .certificateOidcIssuer, help: ArgumentHelp("The exact OIDC issuer of the signer's certificate.", valueName: "URL"))
    var certificateOidcIssuer: String?

    @Option(help: ArgumentHelp("A regular expression the WHOLE OIDC issuer must match (anchored).", valueName: "RE"))
    var certificateOidcIssuerRegexp: String?

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

    @Option(
        help: ArgumentHelp(
            "A policy file (JSON, version 1) saying who may sign and what the attestation must show; replaces the options above.",
            valueName: "FILE"))
    var policy: String?

    var signer: AttestationSigner {
        AttestationSigner(
            certificateIdentity: certificateIdentity, certificateIdentityRegexp: certificateIdentityRegexp,
            certificateOidcIssuer: certificateOidcIssuer, certificateOidcIssuerRegexp: certificateOidcIssuerRegexp,
            githubRepository: githubRepository, githubWorkflow: githubWorkflow, gitlabProject: gitlabProject, gitlabWorkflow: gitlabWorkflow,
            googleServiceAccount: googleServiceAccount, policy: policy)
    }
}
