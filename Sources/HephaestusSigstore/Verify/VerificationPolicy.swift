import Foundation
import Glibc
import HephaestusPlatform

/// A string expectation: an exact value, or a regular expression matched against the *whole* value (anchored,
/// unlike cosign's unanchored `--certificate-identity-regexp`).
public enum ValueMatcher: Sendable, CustomStringConvertible {
    case exact(String)
    case regularExpression(String)
    /// A shell-style pattern matched against the whole value: `*` any characters (slashes included), `?` one
    /// character, `[…]` a set.
    case glob(String)
    /// Any of several matchers.
    indirect case anyOf([ValueMatcher])
    /// Any value at all: the identity is not pinned. Only for callers that say so loudly (and log it).
    case anyValueUnsafe

    /// The one reading of identity patterns given as text (`release --sigstore-identity`, `inventory audit
    /// --identity`): a glob when it holds `*`, `?` or `[`, else the exact value; several are alternatives; none is
    /// any value (the caller says so loudly).
    public static func identityPatterns(_ patterns: [String]) -> ValueMatcher {
        guard !patterns.isEmpty else { return .anyValueUnsafe }
        let matchers = patterns.map { pattern -> ValueMatcher in pattern.contains(where: { "*?[".contains($0) }) ? .glob(pattern) : .exact(pattern) }
        return matchers.count == 1 ? matchers[0] : .anyOf(matchers)
    }

    /// Checks the pattern compiles; call once when building a policy.
    public func validated() throws(VerificationError) -> ValueMatcher {
        switch self {
        case .regularExpression(let pattern):
            do {
                _ = try Regex(pattern)
            } catch {
                throw VerificationError.invalidPolicy("invalid regular expression \(pattern): \(error)")
            }
        case .anyOf(let matchers):
            guard !matchers.isEmpty else { throw VerificationError.invalidPolicy("no identity given") }
            for matcher in matchers { _ = try matcher.validated() }
        default: break
        }
        return self
    }

    public func matches(_ value: String) -> Bool {
        switch self {
        case .exact(let expected): return value == expected
        case .regularExpression(let pattern):
            guard let regex = try? Regex(pattern) else { return false }
            return (try? regex.wholeMatch(in: value)) != nil
        case .glob(let pattern): return fnmatch(pattern, value, 0) == 0
        case .anyOf(let matchers): return matchers.contains { $0.matches(value) }
        case .anyValueUnsafe: return true
        }
    }

    public var description: String {
        switch self {
        case .exact(let value): value
        case .regularExpression(let pattern): "/\(pattern)/ (whole value)"
        case .glob(let pattern): pattern
        case .anyOf(let matchers): matchers.map(\.description).joined(separator: " or ")
        case .anyValueUnsafe: "(any, not pinned)"
        }
    }
}

/// One signer a certificate may name: its SAN, its OIDC issuer and CI claims, each a ``ValueMatcher`` (Sigstore's
/// `CertificateIdentity`, with claims by name instead of raw OIDs). A certificate matches when all of them do.
public struct CertificateIdentity: Sendable, CustomStringConvertible {
    public let san: ValueMatcher
    public let issuer: ValueMatcher
    public let claims: [ClaimExpectation]

    public init(san: ValueMatcher, issuer: ValueMatcher, claims: [ClaimExpectation] = []) {
        self.san = san
        self.issuer = issuer
        self.claims = claims
    }

    public var description: String {
        var text = "\(san.description) (issuer \(issuer.description))"
        if !claims.isEmpty { text += " with " + claims.map { "\($0.name) \($0.matcher.description)" }.joined(separator: ", ") }
        return text
    }

    /// The first way a signer fails this identity, or nil when it matches.
    func mismatch(identity: String, issuer actualIssuer: String, claims present: [String: String]) -> VerificationError? {
        guard san.matches(identity) else { return .identityMismatch(expected: san.description, actual: identity) }
        guard issuer.matches(actualIssuer) else { return .issuerMismatch(expected: issuer.description, actual: actualIssuer) }
        for claim in claims {
            if let failure = claim.mismatch(present) { return failure }
        }
        return nil
    }
}

/// What the signer must be: any of several Fulcio identities, a rule over the whole Fulcio certificate (a PyPI Trusted
/// Publisher, gh's enforcement criteria), or a managed key.
public enum IdentityPolicy: Sendable {
    /// Any of these identities (at least one).
    case certificates([CertificateIdentity])
    case signerRule(any SignerRule)
    case publicKey(PublicKey)

    /// One identity: the SAN, the issuer and CI claims.
    public static func certificate(identity: ValueMatcher, issuer: ValueMatcher, claims: [ClaimExpectation]) -> IdentityPolicy {
        .certificates([CertificateIdentity(san: identity, issuer: issuer, claims: claims)])
    }

    /// Any signer: the identity is not pinned (callers say so loudly).
    public static let anyCertificate = IdentityPolicy.certificate(identity: .anyValueUnsafe, issuer: .anyValueUnsafe, claims: [])

    /// Checks a certificate's signer (SAN, issuer, claims by name) against the policy. With several identities the
    /// error is the one of the identity that came closest (SAN, then issuer, then claims matched).
    public func check(identity: String, issuer: String, claims: [String: String]) throws(VerificationError) {
        guard case .certificates(let identities) = self else { return }
        var closest: (depth: Int, error: VerificationError)?
        for candidate in identities {
            guard let failure = candidate.mismatch(identity: identity, issuer: issuer, claims: claims) else { return }
            let depth =
                switch failure {
                case .identityMismatch: 0
                case .issuerMismatch: 1
                default: 2
                }
            if closest == nil || depth > closest!.depth { closest = (depth, failure) }
        }
        guard identities.count > 1 else { throw closest?.error ?? .invalidPolicy("no identity given") }
        switch closest?.error {
        case .identityMismatch?:
            throw .identityMismatch(expected: identities.map(\.san.description).joined(separator: " or "), actual: identity)
        case let error?: throw error
        case nil: throw .invalidPolicy("no identity given")
        }
    }

    /// Checks the matchers compile.
    func validated() throws(VerificationError) {
        guard case .certificates(let identities) = self else { return }
        guard !identities.isEmpty else { throw .invalidPolicy("no identity given") }
        for identity in identities {
            _ = try identity.san.validated()
            _ = try identity.issuer.validated()
            for claim in identity.claims { _ = try claim.matcher.validated() }
        }
    }
}

/// A signer requirement that reads more of the certificate than its SAN and issuer (several claims together, a URI
/// built from other claims). Checked where the identity is (client specification §4.5), on a leaf already chained to
/// a trusted CA.
public protocol SignerRule: Sendable, CustomStringConvertible {
    /// Throws the mismatch (``VerificationError/identityMismatch(expected:actual:)``,
    /// ``VerificationError/issuerMismatch(expected:actual:)`` or ``VerificationError/claimMismatch(claim:expected:actual:)``).
    func check(_ certificate: FulcioCertificate) throws(VerificationError)
}

/// An expected CI claim: one of the certificate claims named in `claimNames` (``FulcioCertificate/claimOIDs``; current
/// and deprecated extensions are both consulted, as GitHub sets both) must match.
public struct ClaimExpectation: Sendable {
    /// How the rule is named in messages (`GitHub workflow ref`, `claim runnerEnvironment`).
    public let name: String
    public let claimNames: [String]
    public let matcher: ValueMatcher
    /// The forms a certificate's value is also known by (e.g. `https://github.com/owner/repo` is also `owner/repo`).
    public let forms: @Sendable (String) -> [String]

    public init(name: String, claimNames: [String], matcher: ValueMatcher, forms: @escaping @Sendable (String) -> [String] = { [$0] }) {
        self.name = name
        self.claimNames = claimNames
        self.matcher = matcher
        self.forms = forms
    }

    /// One certificate claim by its name in ``FulcioCertificate/claimOIDs``.
    public static func claim(_ claimName: String, _ matcher: ValueMatcher) -> ClaimExpectation {
        ClaimExpectation(name: "claim \(claimName)", claimNames: [claimName], matcher: matcher)
    }

    public static func githubRepository(_ matcher: ValueMatcher) -> ClaimExpectation {
        ClaimExpectation(name: "GitHub workflow repository", claimNames: ["sourceRepositoryURI", "githubWorkflowRepository"], matcher: matcher) {
            let prefix = "https://github.com/"
            return $0.hasPrefix(prefix) ? [$0, String($0.dropFirst(prefix.count))] : [$0]
        }
    }

    public static func githubRef(_ matcher: ValueMatcher) -> ClaimExpectation {
        ClaimExpectation(name: "GitHub workflow ref", claimNames: ["sourceRepositoryRef", "githubWorkflowRef"], matcher: matcher)
    }

    public static func githubSHA(_ matcher: ValueMatcher) -> ClaimExpectation {
        ClaimExpectation(name: "GitHub workflow sha", claimNames: ["sourceRepositoryDigest", "githubWorkflowSHA"], matcher: matcher)
    }

    public static func githubTrigger(_ matcher: ValueMatcher) -> ClaimExpectation {
        ClaimExpectation(name: "GitHub workflow trigger", claimNames: ["buildTrigger", "githubWorkflowTrigger"], matcher: matcher)
    }

    public static func githubWorkflow(_ matcher: ValueMatcher) -> ClaimExpectation {
        ClaimExpectation(name: "GitHub workflow name", claimNames: ["githubWorkflowName"], matcher: matcher)
    }

    public static func githubRepository(_ repository: String) -> ClaimExpectation { githubRepository(.exact(repository)) }
    public static func githubRef(_ ref: String) -> ClaimExpectation { githubRef(.exact(ref)) }
    public static func githubSHA(_ sha: String) -> ClaimExpectation { githubSHA(.exact(sha)) }
    public static func githubTrigger(_ trigger: String) -> ClaimExpectation { githubTrigger(.exact(trigger)) }
    public static func githubWorkflow(_ name: String) -> ClaimExpectation { githubWorkflow(.exact(name)) }

    func mismatch(_ claims: [String: String]) -> VerificationError? {
        var present: [String] = []
        for value in claimNames.compactMap({ claims[$0] }) where !present.contains(value) {
            present.append(value)
        }
        if present.contains(where: { forms($0).contains(where: matcher.matches) }) { return nil }
        return .claimMismatch(claim: name, expected: matcher.description, actual: present.isEmpty ? "absent" : present.joined(separator: " / "))
    }
}

/// The artifact a bundle must be for.
public enum ArtifactPolicy: Sendable {
    /// A file, streamed to compute its digest (and read whole only for Ed25519 managed keys).
    case file(path: String)
    /// Bytes in memory.
    case bytes([UInt8])
    /// Only the digest is known.
    case digest(Digest)
}

/// What one verification call demands: the artifact, the signer and what else the bundle must show.
public struct VerificationPolicy: Sendable {
    public let artifact: ArtifactPolicy
    public let identity: IdentityPolicy
    public let requirements: BundleRequirements

    public init(artifact: ArtifactPolicy, identity: IdentityPolicy, requirements: BundleRequirements = BundleRequirements()) throws(VerificationError)
    {
        try identity.validated()
        self.artifact = artifact
        self.identity = identity
        self.requirements = requirements
    }

    public init(artifact: ArtifactPolicy, signer: SignerPolicy) throws(VerificationError) {
        try self.init(artifact: artifact, identity: signer.identity, requirements: signer.requirements)
    }
}

/// Every rule must hold, checked in order (sigstore-python's `AllOf`).
public struct AllSignerRules: SignerRule {
    public let rules: [any SignerRule]

    public init(_ rules: [any SignerRule]) {
        self.rules = rules
    }

    public func check(_ certificate: FulcioCertificate) throws(VerificationError) {
        for rule in rules { try rule.check(certificate) }
    }

    public var description: String { rules.map(\.description).joined(separator: " and ") }
}

/// Certificate identities (an identity and issuer with claims, or any of several) as a rule, to combine with others.
public struct IdentitySignerRule: SignerRule {
    public let identities: [CertificateIdentity]

    /// The identities of a policy; a managed key is no rule over certificates.
    public init(_ policy: IdentityPolicy) throws(VerificationError) {
        switch policy {
        case .certificates(let identities): self.identities = identities
        case .signerRule, .publicKey: throw .invalidPolicy("a certificate identity is needed here, not a managed key or another rule")
        }
        try policy.validated()
    }

    public init(identity: ValueMatcher, issuer: ValueMatcher, claims: [ClaimExpectation] = []) throws(VerificationError) {
        try self.init(.certificate(identity: identity, issuer: issuer, claims: claims))
    }

    public func check(_ certificate: FulcioCertificate) throws(VerificationError) {
        try IdentityPolicy.certificates(identities).check(identity: certificate.identity, issuer: certificate.issuer, claims: certificate.claims)
    }

    public var description: String { identities.map(\.description).joined(separator: " or ") }
}
