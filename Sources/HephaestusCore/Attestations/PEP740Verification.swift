import Foundation
import HephaestusPlatform
import HephaestusSigstore

/// A Python distribution as pypi-attestations' `Distribution` knows it: its file name (a valid wheel or sdist name)
/// and its SHA-256.
public struct PythonDistribution: Sendable, Equatable {
    public let name: String
    public let sha256: Digest
    public let parsedName: PythonDistributionFilename

    public init(name: String, sha256: Digest) throws(AttestationError) {
        parsedName = try Self.parse(name)
        guard sha256.algorithm == .sha256 else { throw AttestationError(.notADistribution, "a distribution is named by its sha256") }
        self.name = name
        self.sha256 = sha256
    }

    private static func parse(_ name: String) throws(AttestationError) -> PythonDistributionFilename {
        do { return try PythonDistributionFilename(name) } catch {
            throw AttestationError(.notADistribution, "\(name) is not a distribution file name: \(error)")
        }
    }

    /// The distribution at `path`: its last path component and its streamed SHA-256.
    public static func file(_ path: String) throws -> PythonDistribution {
        let name = String(path.split(separator: "/").last ?? Substring(path))
        _ = try parse(name)
        return try PythonDistribution(name: name, sha256: DigestAlgorithm.sha256.hash(fileAt: path))
    }
}

/// What one verified attestation established.
public struct VerifiedAttestation: Codable, Sendable, Equatable {
    /// The Trusted Publisher of the provenance bundle it came from (provenance objects only).
    public let publisher: String?
    public let predicateType: String
    public let identity: String
    public let issuer: String?
    /// Verified signing times (RFC 3339).
    public let signedAt: [String]
}

/// PEP 740 verification as pypi-attestations' `Attestation.verify` does it: the attestation converts to a Sigstore
/// bundle, which ``BundleVerifier`` verifies for the distribution's SHA-256 and the signer rule; then the verified
/// in-toto statement must have exactly one subject, whose name parses to the distribution's name (PyPI's
/// normalisation: ``PythonDistributionFilename``) and whose sha256 is the distribution's, and a predicate type PyPI
/// accepts.
public struct PEP740Verifier: Sendable {
    /// The predicate types PyPI accepts (pypi-attestations' `AttestationType`).
    public static let acceptedPredicateTypes = ["https://slsa.dev/provenance/v1", "https://docs.pypi.org/attestations/publish/v1"]

    public let verifier: BundleVerifier

    public init(verifier: BundleVerifier) {
        self.verifier = verifier
    }

    /// Verifies one attestation; throws the first failed check (``VerificationError`` or ``AttestationError``).
    public func verify(
        _ attestation: PEP740Attestation, distribution: PythonDistribution, rule: any SignerRule,
        requirements: BundleRequirements = BundleRequirements(), publisher: TrustedPublisher? = nil
    ) throws -> VerifiedAttestation {
        let bundle = try attestation.bundle()
        let result = try verifier.verify(
            bundle,
            policy: VerificationPolicy(artifact: .digest(distribution.sha256), identity: .signerRule(rule), requirements: requirements))
        let predicateType = try Self.checkStatement(attestation.statement, distribution: distribution)
        return VerifiedAttestation(
            publisher: publisher?.description, predicateType: predicateType, identity: result.identity, issuer: result.issuer,
            signedAt: result.verifiedTimestamps.map { RFC3339.string($0.time) })
    }

    /// Verifies every attestation of every bundle of a provenance object, as `pypi-attestations verify pypi` does:
    /// each bundle's publisher must be the expected one, and each of its attestations must verify for that
    /// publisher (and, with identity options or a policy file, for those identities too). All must pass; an empty
    /// provenance fails.
    public func verify(
        _ provenance: PEP740Provenance, distribution: PythonDistribution, signer: AttestationSigner.Choice
    ) throws
        -> [VerifiedAttestation]
    {
        guard provenance.bundles.contains(where: { !$0.attestations.isEmpty }) else {
            throw AttestationError(.empty, "the provenance holds no attestation")
        }
        var verified: [VerifiedAttestation] = []
        for bundle in provenance.bundles {
            let rule: any SignerRule
            switch signer {
            case .publisher(let expected):
                try Self.check(bundle.publisher, expected: expected)
                rule = bundle.publisher.rule
            case .identity(let identity):
                rule = AllSignerRules([bundle.publisher.rule, identity])
            case .policy(let identity, _):
                rule = AllSignerRules([bundle.publisher.rule, identity])
            }
            for attestation in bundle.attestations {
                verified.append(
                    try verify(attestation, distribution: distribution, rule: rule, requirements: signer.requirements, publisher: bundle.publisher))
            }
        }
        return verified
    }

    /// The statement checks after the signature verified; returns the predicate type.
    static func checkStatement(_ payload: [UInt8], distribution: PythonDistribution) throws(AttestationError) -> String {
        guard let statement = (try? JSONSerialization.jsonObject(with: Data(payload))) as? [String: Any],
            let subjects = statement["subject"] as? [[String: Any]], let predicateType = statement["predicateType"] as? String
        else { throw AttestationError(.malformed, "invalid statement: not an in-toto statement with subjects and a predicate type") }
        guard subjects.count == 1 else {
            throw AttestationError(.subjectCount, "too many subjects in statement (must be exactly one, found \(subjects.count))")
        }
        guard let name = subjects[0]["name"] as? String, !name.isEmpty else {
            throw AttestationError(.subjectName, "invalid subject: missing name")
        }
        let parsed: PythonDistributionFilename
        do { parsed = try PythonDistributionFilename(name) } catch {
            throw AttestationError(.subjectName, "invalid subject: \(error)")
        }
        guard parsed == distribution.parsedName else {
            throw AttestationError(.subjectName, "subject does not match distribution name: \(name) != \(distribution.name)")
        }
        guard let digest = (subjects[0]["digest"] as? [String: Any])?["sha256"] as? String, digest == distribution.sha256.hex else {
            throw AttestationError(.subjectDigest, "subject does not match distribution digest (\(distribution.sha256))")
        }
        guard acceptedPredicateTypes.contains(predicateType) else {
            throw AttestationError(.predicateType, "unknown attestation type: \(predicateType)")
        }
        return predicateType
    }

    /// `pypi-attestations verify pypi`'s publisher check, before any cryptography.
    static func check(_ actual: TrustedPublisher, expected: TrustedPublisher) throws(AttestationError) {
        func mismatch(_ reason: String) -> AttestationError { AttestationError(.publisherMismatch, "provenance was signed by \(reason)") }
        switch (actual, expected) {
        case (.github(let repository, let workflow), .github(let expectedRepository, let expectedWorkflow)),
            (.gitlab(let repository, let workflow), .gitlab(let expectedRepository, let expectedWorkflow)):
            guard repository == expectedRepository else {
                throw mismatch("repository \"\(repository)\", expected \"\(expectedRepository)\"")
            }
            if let expectedWorkflow, workflow != expectedWorkflow {
                throw mismatch("workflow \"\(workflow ?? "")\" of \(repository), expected \"\(expectedWorkflow)\"")
            }
        case (.google(let email), .google(let expectedEmail)):
            guard email == expectedEmail else { throw mismatch("service account \"\(email)\", expected \"\(expectedEmail)\"") }
        default:
            throw mismatch("\(actual), but expected a \(expected.kind) publisher (\(expected))")
        }
    }
}

/// Who must have signed a PEP 740 attestation, as the command line gives it: identity options, or one Trusted
/// Publisher.
public struct AttestationSigner: Codable, Sendable, Equatable {
    public var certificateIdentity: String?
    public var certificateIdentityRegexp: String?
    public var certificateOidcIssuer: String?
    public var certificateOidcIssuerRegexp: String?
    public var githubRepository: String?
    public var githubWorkflow: String?
    public var gitlabProject: String?
    public var gitlabWorkflow: String?
    public var googleServiceAccount: String?
    /// A policy file (`--policy FILE`): its identities and requirements replace the other options.
    public var policy: String?

    public init(
        certificateIdentity: String? = nil, certificateIdentityRegexp: String? = nil, certificateOidcIssuer: String? = nil,
        certificateOidcIssuerRegexp: String? = nil, githubRepository: String? = nil, githubWorkflow: String? = nil,
        gitlabProject: String? = nil, gitlabWorkflow: String? = nil, googleServiceAccount: String? = nil, policy: String? = nil
    ) {
        self.policy = policy
        self.certificateIdentity = certificateIdentity
        self.certificateIdentityRegexp = certificateIdentityRegexp
        self.certificateOidcIssuer = certificateOidcIssuer
        self.certificateOidcIssuerRegexp = certificateOidcIssuerRegexp
        self.githubRepository = githubRepository
        self.githubWorkflow = githubWorkflow
        self.gitlabProject = gitlabProject
        self.gitlabWorkflow = gitlabWorkflow
        self.googleServiceAccount = googleServiceAccount
    }

    /// The signer, checked.
    public enum Choice: Sendable {
        case identity(IdentitySignerRule)
        case publisher(TrustedPublisher)
        /// A policy file's identities and its other requirements (thresholds, predicate types, age).
        case policy(IdentitySignerRule, BundleRequirements)

        public var rule: any SignerRule {
            switch self {
            case .identity(let rule), .policy(let rule, _): rule
            case .publisher(let publisher): publisher.rule
            }
        }

        public var requirements: BundleRequirements {
            if case .policy(_, let requirements) = self { return requirements }
            return BundleRequirements()
        }
    }

    private var identityOptions: SignerChoice {
        SignerChoice(
            certificateIdentity: certificateIdentity, certificateIdentityRegexp: certificateIdentityRegexp,
            certificateOidcIssuer: certificateOidcIssuer, certificateOidcIssuerRegexp: certificateOidcIssuerRegexp)
    }

    /// The signer: a policy file's (read here; its templates are a usage error, `verify attestation` has no release to
    /// fill them from), or the options'.
    public func choice() throws -> Choice {
        guard let policy else { return try optionChoice() }
        try validate()
        let signer = try PolicyFile(path: policy).signerPolicy(templates: [:], command: "verify attestation")
        do { return .policy(try IdentitySignerRule(signer.identity), signer.requirements) } catch {
            throw RequestError("--policy \(policy): PEP 740 attestations are signed by certificate identities: \(error)")
        }
    }

    /// Checks the options without reading any file.
    public func validate() throws(RequestError) {
        guard let policy else {
            _ = try optionChoice()
            return
        }
        if policy.isEmpty { throw RequestError("--policy must not be empty") }
        let others: [(String, String?)] = [
            ("--certificate-identity", certificateIdentity), ("--certificate-identity-regexp", certificateIdentityRegexp),
            ("--certificate-oidc-issuer", certificateOidcIssuer), ("--certificate-oidc-issuer-regexp", certificateOidcIssuerRegexp),
            ("--github-repository", githubRepository), ("--github-workflow", githubWorkflow), ("--gitlab-project", gitlabProject),
            ("--gitlab-workflow", gitlabWorkflow), ("--google-service-account", googleServiceAccount),
        ]
        if let flag = others.first(where: { $0.1 != nil })?.0 {
            throw RequestError("--policy replaces the signer options: give either --policy or \(flag), not both")
        }
    }

    /// Exactly one of: the identity options (an identity and an issuer), `--github-repository` (with an optional
    /// `--github-workflow`), `--gitlab-project` (with an optional `--gitlab-workflow`), `--google-service-account`.
    func optionChoice() throws(RequestError) -> Choice {
        let given: [(flag: String, value: String?)] = [
            ("--github-repository", githubRepository), ("--github-workflow", githubWorkflow), ("--gitlab-project", gitlabProject),
            ("--gitlab-workflow", gitlabWorkflow), ("--google-service-account", googleServiceAccount),
        ]
        if let empty = given.first(where: { $0.value?.isEmpty == true }) { throw RequestError("\(empty.flag) must not be empty") }
        let usesIdentity = [certificateIdentity, certificateIdentityRegexp, certificateOidcIssuer, certificateOidcIssuerRegexp]
            .contains { $0 != nil }
        let kinds = [usesIdentity, githubRepository != nil, gitlabProject != nil, googleServiceAccount != nil].filter { $0 }.count
        if githubWorkflow != nil && githubRepository == nil { throw RequestError("--github-workflow needs --github-repository") }
        if gitlabWorkflow != nil && gitlabProject == nil { throw RequestError("--gitlab-workflow needs --gitlab-project") }
        guard kinds == 1 else {
            throw RequestError(
                kinds == 0
                    ? "name the signer: --certificate-identity[-regexp] with --certificate-oidc-issuer, --github-repository, --gitlab-project, --google-service-account or --policy"
                    : "name one signer: the identity options, --github-repository, --gitlab-project and --google-service-account exclude each other")
        }
        if let repository = githubRepository {
            try Self.checkSlug(repository, flag: "--github-repository", shape: "OWNER/REPO", exactComponents: true)
            return .publisher(.github(repository: repository, workflow: githubWorkflow))
        }
        if let project = gitlabProject {
            try Self.checkSlug(project, flag: "--gitlab-project", shape: "NAMESPACE/PROJECT", exactComponents: false)
            return .publisher(.gitlab(project: project, workflow: gitlabWorkflow))
        }
        if let email = googleServiceAccount { return .publisher(.google(email: email)) }
        let options = identityOptions
        try options.validate()
        let identity: ValueMatcher = options.certificateIdentity.map { .exact($0) } ?? .regularExpression(options.certificateIdentityRegexp!)
        let issuer: ValueMatcher = options.certificateOidcIssuer.map { .exact($0) } ?? .regularExpression(options.certificateOidcIssuerRegexp!)
        do { return .identity(try IdentitySignerRule(identity: identity, issuer: issuer)) } catch { throw RequestError("\(error)") }
    }

    private static func checkSlug(_ slug: String, flag: String, shape: String, exactComponents: Bool) throws(RequestError) {
        let parts = slug.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count >= 2, !exactComponents || parts.count == 2, parts.allSatisfy({ !$0.isEmpty }) else {
            throw RequestError("\(flag) must be \(shape), not \(slug)")
        }
    }
}
