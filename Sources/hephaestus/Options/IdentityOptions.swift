import ArgumentParser
import HephaestusCore
import HephaestusPlatform
import HephaestusSigstore

/// A certificate identity and OIDC issuer, each exact or an anchored regular expression (sigstore-python's and
/// cosign's option names).
struct CertificateIdentityOptions: ParsableArguments {
    @Option(name: .certificateIdentity, help: ArgumentHelp("The exact certificate SAN (email or URI) of the signer.", valueName: "SAN"))
    var certificateIdentity: String?

    @Option(help: ArgumentHelp("A regular expression the WHOLE certificate SAN must match (anchored).", valueName: "RE"))
    var certificateIdentityRegexp: String?

    @Option(name: .certificateOidcIssuer, help: ArgumentHelp("The exact OIDC issuer of the signer's certificate.", valueName: "URL"))
    var certificateOidcIssuer: String?

    @Option(help: ArgumentHelp("A regular expression the WHOLE OIDC issuer must match (anchored).", valueName: "RE"))
    var certificateOidcIssuerRegexp: String?
}

/// Who must have signed: a certificate identity and OIDC issuer (with optional GitHub claims), or a managed key.
struct IdentityOptions: ParsableArguments {
    @OptionGroup
    var certificate: CertificateIdentityOptions

    @Option(help: ArgumentHelp("Required GitHub repository (owner/repo) of the signing workflow.", valueName: "R"))
    var githubRepository: String?

    @Option(help: ArgumentHelp("Required git ref of the signing workflow run (e.g. refs/tags/v1.2.0).", valueName: "REF"))
    var githubRef: String?

    @Option(help: ArgumentHelp("Required commit SHA of the signing workflow run.", valueName: "SHA"))
    var githubSha: String?

    @Option(help: ArgumentHelp("Required event that triggered the signing workflow (e.g. push, release).", valueName: "EVENT"))
    var githubTrigger: String?

    @Option(help: ArgumentHelp("Required name of the signing workflow.", valueName: "NAME"))
    var githubWorkflow: String?

    @Option(help: ArgumentHelp("A PEM public key: verify a managed-key bundle instead of a certificate identity.", valueName: "PEM"))
    var key: String?

    @OptionGroup
    var policy: PolicyOptions

    var choice: SignerChoice {
        SignerChoice(
            certificateIdentity: certificate.certificateIdentity, certificateIdentityRegexp: certificate.certificateIdentityRegexp,
            certificateOidcIssuer: certificate.certificateOidcIssuer, certificateOidcIssuerRegexp: certificate.certificateOidcIssuerRegexp,
            githubRepository: githubRepository, githubRef: githubRef, githubSha: githubSha, githubTrigger: githubTrigger,
            githubWorkflow: githubWorkflow, key: key, policy: policy.policy)
    }

    func validate() throws {
        do { try choice.validate() } catch { throw ValidationError(error.message) }
    }
}

extension NameSpecification {
    /// `--certificate-identity`, and sigstore-python's `--cert-identity`.
    static let certificateIdentity: NameSpecification = [.long, .customLong("cert-identity")]
    /// `--certificate-oidc-issuer`, and sigstore-python's `--cert-oidc-issuer`.
    static let certificateOidcIssuer: NameSpecification = [.long, .customLong("cert-oidc-issuer")]
}
