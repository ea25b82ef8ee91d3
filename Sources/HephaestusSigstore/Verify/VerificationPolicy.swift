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

/// What the signer must be: a Fulcio identity and issuer (plus optional CI claims), a rule over the whole Fulcio
/// certificate (a PyPI Trusted Publisher, gh's enforcement criteria), or a managed key.
public enum IdentityPolicy: Sendable {
    case certificate(identity: ValueMatcher, issuer: ValueMatcher, claims: [ClaimExpectation])
    case signerRule(any SignerRule)
    case publicKey(PublicKey)
}

/// A signer requirement that reads more of the certificate than its SAN and issuer (several claims together, a URI
/// built from other claims). Checked where the identity is (client specification §4.5), on a leaf already chained to
/// a trusted CA.
public protocol SignerRule: Sendable, CustomStringConvertible {
    /// Throws the mismatch (``VerificationError/identityMismatch(expected:actual:)``,
    /// ``VerificationError/issuerMismatch(expected:actual:)`` or ``VerificationError/claimMismatch(claim:expected:actual:)``).
    func check(_ certificate: FulcioCertificate) throws(VerificationError)
}

/// An expected CI claim: any of the certificate claims named in `claimNames` must equal `value`
/// (current and deprecated extensions are both consulted, as GitHub sets both).
public struct ClaimExpectation: Sendable {
    public let option: String
    public let claimNames: [String]
    public let value: String
    /// Turns the value into the form the claim holds (e.g. `owner/repo` → `https://github.com/owner/repo`).
    public let candidates: @Sendable (String) -> [String]

    public init(option: String, claimNames: [String], value: String, candidates: @escaping @Sendable (String) -> [String] = { [$0] }) {
        self.option = option
        self.claimNames = claimNames
        self.value = value
        self.candidates = candidates
    }

    public static func githubRepository(_ repository: String) -> ClaimExpectation {
        ClaimExpectation(option: "repository", claimNames: ["sourceRepositoryURI", "githubWorkflowRepository"], value: repository) {
            [$0, "https://github.com/\($0)"]
        }
    }

    public static func githubRef(_ ref: String) -> ClaimExpectation {
        ClaimExpectation(option: "ref", claimNames: ["sourceRepositoryRef", "githubWorkflowRef"], value: ref)
    }

    public static func githubSHA(_ sha: String) -> ClaimExpectation {
        ClaimExpectation(option: "sha", claimNames: ["sourceRepositoryDigest", "githubWorkflowSHA"], value: sha)
    }

    public static func githubTrigger(_ trigger: String) -> ClaimExpectation {
        ClaimExpectation(option: "trigger", claimNames: ["buildTrigger", "githubWorkflowTrigger"], value: trigger)
    }

    public static func githubWorkflow(_ name: String) -> ClaimExpectation {
        ClaimExpectation(option: "workflow name", claimNames: ["githubWorkflowName"], value: name)
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

/// What one verification call demands: the artifact and the signer.
public struct VerificationPolicy: Sendable {
    public let artifact: ArtifactPolicy
    public let identity: IdentityPolicy

    public init(artifact: ArtifactPolicy, identity: IdentityPolicy) throws(VerificationError) {
        if case .certificate(let identity, let issuer, _) = identity {
            _ = try identity.validated()
            _ = try issuer.validated()
        }
        self.artifact = artifact
        self.identity = identity
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

/// An identity and issuer (and claims) policy as a rule, to combine with others.
public struct IdentitySignerRule: SignerRule {
    public let identity: ValueMatcher
    public let issuer: ValueMatcher
    public let claims: [ClaimExpectation]

    public init(identity: ValueMatcher, issuer: ValueMatcher, claims: [ClaimExpectation] = []) throws(VerificationError) {
        self.identity = try identity.validated()
        self.issuer = try issuer.validated()
        self.claims = claims
    }

    public func check(_ certificate: FulcioCertificate) throws(VerificationError) {
        try IdentityVerification.verify(certificate, policy: .certificate(identity: identity, issuer: issuer, claims: claims))
    }

    public var description: String { "identity \(identity), issuer \(issuer)" }
}
