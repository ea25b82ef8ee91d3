import Foundation
import HephaestusPlatform
import HephaestusSigstore
import HephaestusTestSupport
import Testing

/// The policy file and the model behind it: every rule refuses a bundle that breaks exactly that rule, naming it; the
/// file refuses unknown keys and versions; templates are filled literally.
@Suite("Signer policy")
struct SignerPolicyTests {
    let sigstore: VirtualSigstore
    static let workflow = "https://github.com/octo/app/.github/workflows/release.yml@refs/tags/v1.3.0"
    static let githubIssuer = "https://token.actions.githubusercontent.com"

    init() throws {
        sigstore = try VirtualSigstore()
    }

    /// A GitHub-workflow-shaped keyless bundle (SAN, issuer, repository/ref/trigger/runner claims) over the harness artifact.
    func githubBundle(ref: String = "refs/tags/v1.3.0", timestamps: Int = 0, signingTime: Date? = nil) throws -> MintedBundle {
        var options = VirtualSigstore.Options()
        options.identity = .uri("https://github.com/octo/app/.github/workflows/release.yml@\(ref)")
        options.issuer = Self.githubIssuer
        options.timestamps = timestamps
        options.signingTime = signingTime
        options.leaf = {
            $0.claims = [
                "1.3.6.1.4.1.57264.1.12": "https://github.com/octo/app", "1.3.6.1.4.1.57264.1.14": ref,
                "1.3.6.1.4.1.57264.1.20": "push", "1.3.6.1.4.1.57264.1.11": "github-hosted",
            ]
        }
        return try sigstore.sign(Harness.artifact, options: options)
    }

    func policy(_ json: String, templates: [String: String] = [:]) throws -> SignerPolicy {
        try PolicyFile(bytes: Array(json.utf8), source: "policy.json").signerPolicy(templates: templates)
    }

    /// A policy accepting the GitHub bundle, plus `extra` top-level members.
    func githubPolicy(_ extra: String = "", claims: String = "") -> String {
        """
        {"version": 1, "identities": [{"san": {"glob": "https://github.com/octo/app/.github/workflows/*@refs/tags/*"},
          "issuer": "\(Self.githubIssuer)", "claims": {\(claims)}}]\(extra.isEmpty ? "" : ", " + extra)}
        """
    }

    func verify(_ minted: MintedBundle, _ signer: SignerPolicy, clock: @escaping @Sendable () -> Date = Date.init) throws -> VerificationResult {
        try sigstore.verifier(clock: clock).verify(
            try minted.parsed(), policy: VerificationPolicy(artifact: .bytes(Harness.artifact), signer: signer))
    }

    /// Expects the bundle refused with `code`, the message naming `naming`.
    func expectRefused(
        _ minted: MintedBundle, _ signer: SignerPolicy, code: VerificationError.Code, naming: String,
        clock: @escaping @Sendable () -> Date = Date.init, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        do {
            let result = try verify(minted, signer, clock: clock)
            Issue.record("expected \(code.rawValue), but the bundle verified for \(result.identity)", sourceLocation: sourceLocation)
        } catch let error as VerificationError {
            #expect(error.errorCode == code, "got \(error)", sourceLocation: sourceLocation)
            #expect("\(error)".contains(naming), "\(error) does not name \(naming)", sourceLocation: sourceLocation)
        }
    }

    @Test("A bundle meeting every rule passes; the claims by name and by GitHub alias match")
    func accepted() throws {
        let signer = try policy(
            githubPolicy(
                #""transparencyLog": {"threshold": 1}, "certificateTransparency": {"threshold": 1}, "timestampAuthority": {"threshold": 1}, "observer": {"threshold": 2}, "entryKinds": ["hashedrekord:0.0.1"], "bundleVersions": ["0.3"], "maxAge": "1d""#,
                claims:
                    #""githubRepository": "octo/app", "githubRef": {"glob": "refs/tags/v*"}, "runnerEnvironment": "github-hosted", "buildTrigger": {"regexp": "push|release"}"#
            ))
        let result = try verify(try githubBundle(timestamps: 1), signer)
        #expect(result.identity == Self.workflow)
    }

    @Test("Identity rules: SAN exact, regexp (whole value), glob; issuer; any-of identities")
    func identityRules() throws {
        let bundle = try githubBundle()
        func identity(_ san: String, _ issuer: String = "\"\(Self.githubIssuer)\"") throws -> SignerPolicy {
            try policy(#"{"version": 1, "identities": [{"san": \#(san), "issuer": \#(issuer)}]}"#)
        }
        _ = try verify(bundle, try identity("\"\(Self.workflow)\""))
        try expectRefused(
            bundle, try identity(#""https://github.com/octo/app/.github/workflows/release.yml""#), code: .identityMismatch, naming: "expected")
        // A regexp matches the whole value, never a part of it.
        try expectRefused(bundle, try identity(#"{"regexp": "https://github\\.com/octo/app"}"#), code: .identityMismatch, naming: "whole value")
        _ = try verify(bundle, try identity(#"{"regexp": "https://github\\.com/octo/app/.*"}"#))
        try expectRefused(bundle, try identity(#"{"glob": "https://github.com/other/*"}"#), code: .identityMismatch, naming: "other")
        try expectRefused(
            bundle, try identity("\"\(Self.workflow)\"", #"{"regexp": "https://accounts\\.google\\.com"}"#), code: .issuerMismatch,
            naming: "accounts")
        // Any of several identities: the second matches.
        _ = try verify(
            bundle,
            try policy(
                #"{"version": 1, "identities": [{"san": "someone@example.com", "issuer": "https://issuer.example.com"}, {"san": "\#(Self.workflow)", "issuer": "\#(Self.githubIssuer)"}]}"#
            ))
    }

    @Test("Claim rules refuse a certificate whose claim differs or is absent, naming the claim")
    func claimRules() throws {
        let bundle = try githubBundle()
        try expectRefused(bundle, try policy(githubPolicy(claims: #""githubRepository": "octo/other""#)), code: .claimMismatch, naming: "repository")
        try expectRefused(bundle, try policy(githubPolicy(claims: #""githubRef": "refs/tags/v1.2.0""#)), code: .claimMismatch, naming: "ref")
        try expectRefused(
            bundle, try policy(githubPolicy(claims: #""runnerEnvironment": "self-hosted""#)), code: .claimMismatch, naming: "runnerEnvironment")
        try expectRefused(bundle, try policy(githubPolicy(claims: #""githubTrigger": "release""#)), code: .claimMismatch, naming: "trigger")
        try expectRefused(
            bundle, try policy(githubPolicy(claims: #""sourceRepositoryDigest": {"glob": "*"}"#)), code: .claimMismatch, naming: "absent")
    }

    @Test("{tag} requires the ref of the release being checked: a v1.2.0 certificate is refused for v1.3.0")
    func tagTemplate() throws {
        let json = githubPolicy(claims: #""githubRef": "refs/tags/{tag}""#)
        let old = try githubBundle(ref: "refs/tags/v1.2.0")
        _ = try verify(old, try policy(json, templates: ["tag": "v1.2.0"]))
        try expectRefused(old, try policy(json, templates: ["tag": "v1.3.0"]), code: .claimMismatch, naming: "refs/tags/v1.3.0")
        // Filled literally: a tag's characters are not pattern syntax.
        let glob =
            #"{"version": 1, "identities": [{"san": {"glob": "https://github.com/octo/app/*@refs/tags/{tag}"}, "issuer": "\#(Self.githubIssuer)"}]}"#
        try expectRefused(old, try policy(glob, templates: ["tag": "v1.*"]), code: .identityMismatch, naming: "v1.\\*")
        let regexp =
            #"{"version": 1, "identities": [{"san": {"regexp": "https://github\\.com/octo/app/.*@refs/tags/{tag}"}, "issuer": "\#(Self.githubIssuer)"}]}"#
        try expectRefused(old, try policy(regexp, templates: ["tag": "v1.2.0|.*"]), code: .identityMismatch, naming: "refs/tags")
        #expect(throws: PolicyError.templateUnavailable(file: "policy.json", name: "tag", command: "verify bundle")) {
            try PolicyFile(bytes: Array(json.utf8), source: "policy.json").signerPolicy(templates: [:], command: "verify bundle")
        }
    }

    @Test("Threshold rules are enforced: tlog, CT, TSA, observer")
    func thresholds() throws {
        let bundle = try githubBundle()
        try expectRefused(
            bundle, try policy(githubPolicy(#""transparencyLog": {"threshold": 2}"#)), code: .policyViolation, naming: "transparencyLog.threshold")
        try expectRefused(
            bundle, try policy(githubPolicy(#""certificateTransparency": {"threshold": 2}"#)), code: .policyViolation,
            naming: "certificateTransparency.threshold")
        try expectRefused(
            bundle, try policy(githubPolicy(#""timestampAuthority": {"threshold": 1}"#)), code: .policyViolation,
            naming: "timestampAuthority.threshold")
        _ = try verify(try githubBundle(timestamps: 1), try policy(githubPolicy(#""timestampAuthority": {"threshold": 1}"#)))
        try expectRefused(bundle, try policy(githubPolicy(#""observer": {"threshold": 2}"#)), code: .policyViolation, naming: "observer.threshold")
    }

    @Test("Entry kinds, bundle versions, predicate types and maximum age are enforced")
    func otherRules() throws {
        let bundle = try githubBundle()
        try expectRefused(bundle, try policy(githubPolicy(#""entryKinds": ["dsse"]"#)), code: .policyViolation, naming: "entryKinds")
        _ = try verify(bundle, try policy(githubPolicy(#""entryKinds": ["hashedrekord"]"#)))
        try expectRefused(bundle, try policy(githubPolicy(#""bundleVersions": ["0.1", "0.2"]"#)), code: .policyViolation, naming: "bundleVersions")
        // Predicate types: the DSSE statement's type must be listed.
        var options = VirtualSigstore.Options()
        options.identity = .uri(Self.workflow)
        options.issuer = Self.githubIssuer
        let attestation = try sigstore.attest(statement: Statement.for(Harness.artifact), options: options)
        let slsa = try policy(githubPolicy(#""predicateTypes": ["https://slsa.dev/provenance/v1"]"#))
        _ = try verify(attestation, slsa)
        try expectRefused(
            attestation, try policy(githubPolicy(#""predicateTypes": ["https://spdx.dev/Document"]"#)), code: .policyViolation,
            naming: "predicateTypes")
        // Maximum age: an instance whose "now" was 40 days ago signs; verified today.
        let past = try VirtualSigstore(now: Date().addingTimeInterval(-40 * 86_400))
        let old = try past.sign(Harness.artifact, options: options)
        func check(_ maxAge: String) throws -> VerificationResult {
            try past.verifier().verify(
                try old.parsed(),
                policy: VerificationPolicy(artifact: .bytes(Harness.artifact), signer: try policy(githubPolicy(#""maxAge": "\#(maxAge)""#))))
        }
        _ = try check("90d")
        #expect {
            try check("30d")
        } throws: { error in
            "\(error)".contains("policy rule maxAge not met") && "\(error)".contains("40 days ago; at most 30d allowed")
        }
    }

    @Test("The file refuses unknown keys, other versions and bad values with one line naming the key")
    func fileErrors() throws {
        func error(_ json: String) -> String {
            do {
                _ = try PolicyFile(bytes: Array(json.utf8), source: "p.json")
                return "accepted"
            } catch { return "\(error)" }
        }
        let identity = #""identities": [{"san": "a@example.com", "issuer": "https://issuer.example.com"}]"#
        #expect(error(#"{"version": 1, \#(identity), "tlog": {"threshold": 1}}"#) == "policy p.json: unknown key tlog")
        #expect(
            error(#"{"version": 1, "identities": [{"san": "a", "issuer": "b", "subject": "c"}]}"#)
                == "policy p.json: unknown key identities[0].subject")
        #expect(
            error(#"{"version": 1, "identities": [{"san": "a", "issuer": "b", "claims": {"repo": "c"}}]}"#).contains(
                "unknown key identities[0].claims.repo"))
        #expect(error(#"{"version": 2, \#(identity)}"#) == "policy p.json: version: 2 is not supported (only 1)")
        #expect(error(#"{\#(identity)}"#) == "policy p.json: version: is required (1)")
        #expect(error(#"{"version": 1}"#).contains("identities: is required"))
        #expect(error(#"{"version": 1, \#(identity), "maxAge": "soon"}"#).contains("maxAge: soon is not a duration"))
        #expect(error(#"{"version": 1, \#(identity), "observer": {"threshold": 0}}"#).contains("observer.threshold: must be an integer"))
        #expect(error(#"{"version": 1, \#(identity), "bundleVersions": ["0.4"]}"#).contains("0.4 is not a bundle version"))
        #expect(error(#"{"version": 1, "identities": [{"san": {"regexp": "("}, "issuer": "b"}]}"#).contains("identities[0].san"))
        #expect(error(#"{"version": 1, "identities": [{"san": {"exact": "a", "glob": "b"}, "issuer": "b"}]}"#).contains("exactly one"))
        #expect(error("{\"version\": 1,}").contains("not valid JSON"))
        #expect(error(#"{"version": 1, \#(identity)}"#) == "accepted")
        #expect(PolicyDuration.parse("90d") == 90 * 86_400 && PolicyDuration.parse("12h") == 43_200 && PolicyDuration.parse("d") == nil)
        #expect(PolicyDuration.text(30 * 86_400) == "30d" && PolicyDuration.text(90) == "90s")
    }
}
