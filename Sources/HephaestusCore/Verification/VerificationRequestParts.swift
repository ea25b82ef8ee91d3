import Foundation
import HephaestusPlatform
import HephaestusSigstore

/// Which trusted root to verify against, as the CLI's `--trusted-root FILE` / `--staging` give it.
public struct TrustChoice: Codable, Sendable, Equatable {
    /// A `trusted_root.json` to use instead of the embedded public-good root.
    public var trustedRoot: String?
    /// The embedded public-good staging root.
    public var staging: Bool

    public init(trustedRoot: String? = nil, staging: Bool = false) {
        self.trustedRoot = trustedRoot
        self.staging = staging
    }

    public func validate() throws(RequestError) {
        if staging && trustedRoot != nil { throw RequestError("--staging and --trusted-root cannot be used together") }
    }

    private enum CodingKeys: String, CodingKey { case trustedRoot, staging }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        trustedRoot = try container.decodeIfPresent(String.self, forKey: .trustedRoot)
        staging = try container.decodeIfPresent(Bool.self, forKey: .staging) ?? false
    }
}

/// Who must have signed, as the CLI's identity options give it: a certificate identity and OIDC issuer (exact or an
/// anchored regular expression, with optional GitHub workflow claims), or a managed public key.
public struct SignerChoice: Codable, Sendable, Equatable {
    public var certificateIdentity: String?
    public var certificateIdentityRegexp: String?
    public var certificateOidcIssuer: String?
    public var certificateOidcIssuerRegexp: String?
    public var githubRepository: String?
    public var githubRef: String?
    public var githubSha: String?
    public var githubTrigger: String?
    public var githubWorkflow: String?
    /// A PEM public key file: verify a managed-key bundle instead of a certificate identity.
    public var key: String?
    /// A policy file (`--policy FILE`): replaces every identity option.
    public var policy: String?

    public init(
        certificateIdentity: String? = nil, certificateIdentityRegexp: String? = nil, certificateOidcIssuer: String? = nil,
        certificateOidcIssuerRegexp: String? = nil, githubRepository: String? = nil, githubRef: String? = nil, githubSha: String? = nil,
        githubTrigger: String? = nil, githubWorkflow: String? = nil, key: String? = nil, policy: String? = nil
    ) {
        self.policy = policy
        self.certificateIdentity = certificateIdentity
        self.certificateIdentityRegexp = certificateIdentityRegexp
        self.certificateOidcIssuer = certificateOidcIssuer
        self.certificateOidcIssuerRegexp = certificateOidcIssuerRegexp
        self.githubRepository = githubRepository
        self.githubRef = githubRef
        self.githubSha = githubSha
        self.githubTrigger = githubTrigger
        self.githubWorkflow = githubWorkflow
        self.key = key
    }

    /// Exactly one identity and one issuer (or a key alone), none of them empty; regular expressions that compile.
    public func validate() throws(RequestError) {
        let given: [(flag: String, value: String?)] = [
            ("--certificate-identity", certificateIdentity), ("--certificate-identity-regexp", certificateIdentityRegexp),
            ("--certificate-oidc-issuer", certificateOidcIssuer), ("--certificate-oidc-issuer-regexp", certificateOidcIssuerRegexp),
            ("--github-repository", githubRepository), ("--github-ref", githubRef), ("--github-sha", githubSha),
            ("--github-trigger", githubTrigger), ("--github-workflow", githubWorkflow), ("--key", key),
        ]
        if let empty = given.first(where: { $0.value?.isEmpty == true }) {
            throw RequestError("\(empty.flag) must not be empty")
        }
        if let policy {
            if policy.isEmpty { throw RequestError("--policy must not be empty") }
            if let flag = given.first(where: { $0.value != nil })?.flag {
                throw RequestError("--policy replaces the identity options: give either --policy or \(flag), not both")
            }
            return
        }
        let identities = [certificateIdentity, certificateIdentityRegexp].compactMap { $0 }
        let issuers = [certificateOidcIssuer, certificateOidcIssuerRegexp].compactMap { $0 }
        let claims = [githubRepository, githubRef, githubSha, githubTrigger, githubWorkflow].compactMap { $0 }
        if key != nil {
            if !identities.isEmpty || !issuers.isEmpty || !claims.isEmpty {
                throw RequestError("--key replaces the identity options: do not combine it with --certificate-* or --github-*")
            }
            return
        }
        guard identities.count == 1 else {
            throw RequestError(
                identities.isEmpty
                    ? "one of --certificate-identity or --certificate-identity-regexp is required (or --key)"
                    : "use either --certificate-identity or --certificate-identity-regexp, not both")
        }
        guard issuers.count == 1 else {
            throw RequestError(
                issuers.isEmpty
                    ? "one of --certificate-oidc-issuer or --certificate-oidc-issuer-regexp is required"
                    : "use either --certificate-oidc-issuer or --certificate-oidc-issuer-regexp, not both")
        }
        for pattern in [certificateIdentityRegexp, certificateOidcIssuerRegexp].compactMap({ $0 }) {
            do { _ = try Regex(pattern) } catch { throw RequestError("invalid regular expression \(pattern): \(error)") }
        }
    }

    /// The signer policy: the policy file's (its templates are a usage error here: `command` has no release to fill
    /// them from), or the identity options' mapped onto the same model.
    public func signerPolicy(command: String) throws -> SignerPolicy {
        try validate()
        if let policy { return try PolicyFile(path: policy).signerPolicy(templates: [:], command: command) }
        return SignerPolicy(identity: try identityPolicy())
    }

    /// The identity options' policy (reads the key file for `key`).
    public func identityPolicy() throws -> IdentityPolicy {
        try validate()
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
