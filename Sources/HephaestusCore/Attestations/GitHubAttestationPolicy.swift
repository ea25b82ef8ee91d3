import Foundation
import HephaestusPlatform
import HephaestusSigstore

/// What `gh attestation verify` enforces, built from its flags as gh builds its enforcement criteria
/// (`pkg/cmd/attestation/verify/policy.go`, `verification/extensions.go`).
public struct GitHubAttestationPolicy: Codable, Sendable, Equatable {
    public static let slsaProvenanceV1 = "https://slsa.dev/provenance/v1"
    public static let githubActionsIssuer = "https://token.actions.githubusercontent.com"
    public static let githubHostedRunner = "github-hosted"

    public var owner: String?
    public var repo: String?
    public var signerRepo: String?
    public var signerWorkflow: String?
    public var certIdentity: String?
    public var certIdentityRegex: String?
    public var certOidcIssuer: String?
    public var sourceRef: String?
    public var sourceDigest: String?
    public var signerDigest: String?
    public var predicateType: String?
    public var denySelfHostedRunners: Bool
    /// The GitHub host a signer workflow without one is on (gh's `--hostname`, default github.com).
    public var hostname: String?

    public init(
        owner: String? = nil, repo: String? = nil, signerRepo: String? = nil, signerWorkflow: String? = nil, certIdentity: String? = nil,
        certIdentityRegex: String? = nil, certOidcIssuer: String? = nil, sourceRef: String? = nil, sourceDigest: String? = nil,
        signerDigest: String? = nil, predicateType: String? = nil, denySelfHostedRunners: Bool = false, hostname: String? = nil
    ) {
        self.owner = owner
        self.repo = repo
        self.signerRepo = signerRepo
        self.signerWorkflow = signerWorkflow
        self.certIdentity = certIdentity
        self.certIdentityRegex = certIdentityRegex
        self.certOidcIssuer = certOidcIssuer
        self.sourceRef = sourceRef
        self.sourceDigest = sourceDigest
        self.signerDigest = signerDigest
        self.predicateType = predicateType
        self.denySelfHostedRunners = denySelfHostedRunners
        self.hostname = hostname
    }

    private enum CodingKeys: String, CodingKey {
        case owner, repo, signerRepo, signerWorkflow, certIdentity, certIdentityRegex, certOidcIssuer, sourceRef, sourceDigest
        case signerDigest, predicateType, denySelfHostedRunners, hostname
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        owner = try container.decodeIfPresent(String.self, forKey: .owner)
        repo = try container.decodeIfPresent(String.self, forKey: .repo)
        signerRepo = try container.decodeIfPresent(String.self, forKey: .signerRepo)
        signerWorkflow = try container.decodeIfPresent(String.self, forKey: .signerWorkflow)
        certIdentity = try container.decodeIfPresent(String.self, forKey: .certIdentity)
        certIdentityRegex = try container.decodeIfPresent(String.self, forKey: .certIdentityRegex)
        certOidcIssuer = try container.decodeIfPresent(String.self, forKey: .certOidcIssuer)
        sourceRef = try container.decodeIfPresent(String.self, forKey: .sourceRef)
        sourceDigest = try container.decodeIfPresent(String.self, forKey: .sourceDigest)
        signerDigest = try container.decodeIfPresent(String.self, forKey: .signerDigest)
        predicateType = try container.decodeIfPresent(String.self, forKey: .predicateType)
        denySelfHostedRunners = try container.decodeIfPresent(Bool.self, forKey: .denySelfHostedRunners) ?? false
        hostname = try container.decodeIfPresent(String.self, forKey: .hostname)
    }

    /// The predicate type attestations are filtered by (SLSA provenance v1 unless given).
    public var effectivePredicateType: String { predicateType ?? Self.slsaProvenanceV1 }

    /// gh's flag rules: exactly one of --owner and --repo, --repo as OWNER/REPO, at most one of --cert-identity,
    /// --cert-identity-regex, --signer-repo and --signer-workflow, regular expressions that compile.
    public func validate() throws(RequestError) {
        let given: [(String, String?)] = [
            ("--owner", owner), ("--repo", repo), ("--signer-repo", signerRepo), ("--signer-workflow", signerWorkflow),
            ("--cert-identity", certIdentity), ("--cert-identity-regex", certIdentityRegex), ("--cert-oidc-issuer", certOidcIssuer),
            ("--source-ref", sourceRef), ("--source-digest", sourceDigest), ("--signer-digest", signerDigest),
            ("--predicate-type", predicateType), ("--hostname", hostname),
        ]
        if let empty = given.first(where: { $0.1?.isEmpty == true }) { throw RequestError("\(empty.0) must not be empty") }
        guard (owner == nil) != (repo == nil) else {
            throw RequestError(owner == nil ? "one of --owner or --repo is required" : "--owner and --repo cannot be used together")
        }
        if let repo, repo.split(separator: "/", omittingEmptySubsequences: false).count != 2 {
            throw RequestError("invalid value provided for repo: \(repo)")
        }
        let signers = [certIdentity, certIdentityRegex, signerRepo, signerWorkflow].compactMap { $0 }
        guard signers.count <= 1 else {
            throw RequestError("--cert-identity, --cert-identity-regex, --signer-repo and --signer-workflow exclude each other")
        }
        if let certIdentityRegex {
            do { _ = try Regex(certIdentityRegex) } catch { throw RequestError("invalid --cert-identity-regex \(certIdentityRegex): \(error)") }
        }
    }

    /// The signer rule gh's criteria make.
    public func rule() throws(RequestError) -> GitHubSignerRule {
        try validate()
        let owner = repo.map { String($0.split(separator: "/")[0]) } ?? self.owner ?? ""
        let san: GitHubSignerRule.SANMatcher
        if let certIdentity {
            san = .exact(certIdentity)
        } else if let certIdentityRegex {
            san = .regex(certIdentityRegex)
        } else if let signerRepo {
            san = .regex(Self.urlRegex(signerRepo))
        } else if let signerWorkflow {
            san = .regex(signerWorkflowRegex(signerWorkflow))
        } else {
            san = .regex(Self.urlRegex(repo ?? owner))
        }
        return GitHubSignerRule(
            san: san, issuer: certOidcIssuer ?? Self.githubActionsIssuer, ownerURI: "https://github.com/\(owner)",
            repositoryURI: repo.map { "https://github.com/\($0)" }, runnerEnvironment: denySelfHostedRunners ? Self.githubHostedRunner : nil,
            sourceRef: sourceRef, sourceDigest: sourceDigest, signerDigest: signerDigest)
    }

    /// `(?i)^https://github.com/OWNER[/REPO]/`, as gh's `expandToGitHubURLRegex`.
    static func urlRegex(_ ownerOrRepo: String) -> String { "(?i)^https://github.com/\(ownerOrRepo)/" }

    /// `^https://HOST/…` for a workflow given with a host, else on `hostname` (gh's `validateSignerWorkflow`).
    public func signerWorkflowRegex(_ workflow: String) -> String {
        if workflow.wholeMatch(of: /[a-zA-Z0-9-]+\.[a-zA-Z0-9-]+.*/) != nil { return "^https://\(workflow)" }
        return "^https://\(hostname ?? "github.com")/\(workflow)"
    }
}

/// gh's enforcement criteria as a signer rule: the SAN matcher (sigstore-go's: exact, or an *unanchored* Go regular
/// expression), the runner environment, then (case-insensitively, as gh's `verifyCertExtensions`) the source
/// repository owner URI, the source repository URI, the OIDC issuer, the signer digest, the source digest and the
/// source ref.
public struct GitHubSignerRule: SignerRule {
    public enum SANMatcher: Sendable, Equatable {
        case exact(String)
        case regex(String)
    }

    public let san: SANMatcher
    public let issuer: String
    public let ownerURI: String
    public let repositoryURI: String?
    public let runnerEnvironment: String?
    public let sourceRef: String?
    public let sourceDigest: String?
    public let signerDigest: String?

    public var description: String {
        switch san {
        case .exact(let value): "gh policy (SAN \(value), owner \(ownerURI))"
        case .regex(let pattern): "gh policy (SAN matching \(pattern), owner \(ownerURI))"
        }
    }

    public func check(_ certificate: FulcioCertificate) throws(VerificationError) {
        switch san {
        case .exact(let value):
            guard certificate.identity == value else { throw VerificationError.identityMismatch(expected: value, actual: certificate.identity) }
        case .regex(let pattern):
            guard let regex = try? Regex(pattern), (try? regex.firstMatch(in: certificate.identity)) != nil else {
                throw VerificationError.identityMismatch(expected: "/\(pattern)/", actual: certificate.identity)
            }
        }
        if let runnerEnvironment { try expect(certificate, "runnerEnvironment", "RunnerEnvironment", runnerEnvironment, caseInsensitive: false) }
        try expect(certificate, "sourceRepositoryOwnerURI", "SourceRepositoryOwnerURI", ownerURI)
        if let repositoryURI { try expect(certificate, "sourceRepositoryURI", "SourceRepositoryURI", repositoryURI) }
        guard certificate.issuer.lowercased() == issuer.lowercased() else {
            let hint =
                certificate.issuer.hasPrefix(issuer + "/")
                ? " -- if you have a custom OIDC issuer policy for your enterprise, use the --cert-oidc-issuer flag with your expected issuer" : ""
            throw VerificationError.issuerMismatch(expected: issuer + hint, actual: certificate.issuer)
        }
        if let signerDigest { try expect(certificate, "buildSignerDigest", "BuildSignerDigest", signerDigest) }
        if let sourceDigest { try expect(certificate, "sourceRepositoryDigest", "SourceRepositoryDigest", sourceDigest) }
        if let sourceRef { try expect(certificate, "sourceRepositoryRef", "SourceRepositoryRef", sourceRef) }
    }

    private func expect(
        _ certificate: FulcioCertificate, _ claim: String, _ name: String, _ expected: String, caseInsensitive: Bool = true
    ) throws(VerificationError) {
        let actual = certificate.claims[claim] ?? ""
        let equal = caseInsensitive ? actual.lowercased() == expected.lowercased() : actual == expected
        guard equal else { throw VerificationError.claimMismatch(claim: name, expected: expected, actual: actual.isEmpty ? "absent" : actual) }
    }
}
