import ArgumentParser
import HephaestusCore
import HephaestusPlatform
import HephaestusSigstore

/// Who must have signed: a certificate identity and OIDC issuer (with optional GitHub claims), or a managed key.
struct IdentityOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The exact certificate SAN (email or URI) of the signer.", valueName: "SAN"))
    var certificateIdentity: String?

    @Option(help: ArgumentHelp("A regular expression the WHOLE certificate SAN must match (anchored).", valueName: "RE"))
    var certificateIdentityRegexp: String?

    @Option(help: ArgumentHelp("The exact OIDC issuer of the signer's certificate.", valueName: "URL"))
    var certificateOidcIssuer: String?

    @Option(help: ArgumentHelp("A regular expression the WHOLE OIDC issuer must match (anchored).", valueName: "RE"))
    var certificateOidcIssuerRegexp: String?

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

    func validate() throws {
        let identities = [certificateIdentity, certificateIdentityRegexp].compactMap { $0 }
        let issuers = [certificateOidcIssuer, certificateOidcIssuerRegexp].compactMap { $0 }
        let claims = [githubRepository, githubRef, githubSha, githubTrigger, githubWorkflow].compactMap { $0 }
        if key != nil {
            if !identities.isEmpty || !issuers.isEmpty || !claims.isEmpty {
                throw ValidationError("--key replaces the identity options: do not combine it with --certificate-* or --github-*")
            }
            return
        }
        guard identities.count == 1 else {
            throw ValidationError(
                identities.isEmpty
                    ? "one of --certificate-identity or --certificate-identity-regexp is required (or --key)"
                    : "use either --certificate-identity or --certificate-identity-regexp, not both")
        }
        guard issuers.count == 1 else {
            throw ValidationError(
                issuers.isEmpty
                    ? "one of --certificate-oidc-issuer or --certificate-oidc-issuer-regexp is required"
                    : "use either --certificate-oidc-issuer or --certificate-oidc-issuer-regexp, not both")
        }
        for pattern in [certificateIdentityRegexp, certificateOidcIssuerRegexp].compactMap({ $0 }) {
            do { _ = try Regex(pattern) } catch { throw ValidationError("invalid regular expression \(pattern): \(error)") }
        }
    }

    func makeIdentityPolicy() throws -> IdentityPolicy {
        if let key {
            return .publicKey(try PublicKey(pemOrDER: FileReader.contents(of: key, limit: 1 << 20)))
        }
        let identity: ValueMatcher = certificateIdentity.map { .exact($0) } ?? .regularExpression(certificateIdentityRegexp!)
        let issuer: ValueMatcher = certificateOidcIssuer.map { .exact($0) } ?? .regularExpression(certificateOidcIssuerRegexp!)
        var claims: [ClaimExpectation] = []
        if let githubRepository { claims.append(.githubRepository(githubRepository)) }
        if let githubRef { claims.append(.githubRef(githubRef)) }
        if let githubSha { claims.append(.githubSHA(githubSha)) }
        if let githubTrigger { claims.append(.githubTrigger(githubTrigger)) }
        if let githubWorkflow { claims.append(.githubWorkflow(githubWorkflow)) }
        return .certificate(identity: identity, issuer: issuer, claims: claims)
    }
}
