import Foundation
import HephaestusCore
import HephaestusLocalSigstore
import HephaestusPlatform
import HephaestusSigstore
import HephaestusTestSupport
import Testing

/// Attestations signed here, on a local Sigstore instance, so that each check meets a statement, a certificate or a
/// signature made to break exactly it.
@Suite("PEP 740 and GitHub attestation checks (locally signed)")
struct AttestationVerificationTests {
    static let wheel = "demo_pkg-1.0-py3-none-any.whl"
    static let repository = "octo/demo-pkg"
    static let workflowURI = "https://github.com/octo/demo-pkg/.github/workflows/release.yml@refs/tags/v1.0"

    let sigstore: VirtualSigstore
    let distribution: PythonDistribution

    init() throws {
        sigstore = try VirtualSigstore()
        distribution = try PythonDistribution(name: Self.wheel, sha256: DigestAlgorithm.sha256.hash(Array("wheel bytes".utf8)))
    }

    /// An in-toto statement; `subjects` as (name, sha256 hex).
    static func statement(subjects: [(String, String)], predicateType: String = "https://docs.pypi.org/attestations/publish/v1") -> [UInt8] {
        let object: [String: Any] = [
            "_type": "https://in-toto.io/Statement/v1",
            "subject": subjects.map { ["name": $0.0, "digest": ["sha256": $0.1]] },
            "predicateType": predicateType, "predicate": [String: Any](),
        ]
        return Array(try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
    }

    /// A GitHub Actions release-workflow certificate for `repository`, signing `statement`.
    func attest(_ statement: [UInt8], repository: String = Self.repository, ref: String = "refs/tags/v1.0") throws -> MintedBundle {
        var options = VirtualSigstore.Options()
        options.identity = .uri("https://github.com/\(repository)/.github/workflows/release.yml@\(ref)")
        options.issuer = TrustedPublisher.githubIssuer
        options.leaf = { request in
            request.claims["1.3.6.1.4.1.57264.1.12"] = "https://github.com/\(repository)"
            request.claims["1.3.6.1.4.1.57264.1.13"] = "0123456789abcdef0123456789abcdef01234567"
            request.claims["1.3.6.1.4.1.57264.1.14"] = ref
            request.claims["1.3.6.1.4.1.57264.1.16"] = "https://github.com/\(repository.split(separator: "/")[0])"
            request.claims["1.3.6.1.4.1.57264.1.18"] = "https://github.com/\(repository)/.github/workflows/release.yml@\(ref)"
            request.claims["1.3.6.1.4.1.57264.1.11"] = "github-hosted"
        }
        return try sigstore.attest(statement: statement, options: options)
    }

    func verify(
        _ bundle: MintedBundle, publisher: TrustedPublisher = .github(repository: Self.repository, workflow: "release.yml")
    ) throws
        -> VerifiedAttestation
    {
        let attestation = try PEP740Attestation(sigstoreBundle: bundle.json)
        return try PEP740Verifier(verifier: try sigstore.verifier()).verify(attestation, distribution: distribution, rule: publisher.rule)
    }

    var goodStatement: [UInt8] { Self.statement(subjects: [(Self.wheel, distribution.sha256.hex)]) }

    @Test("a well-formed attestation from the Trusted Publisher verifies")
    func passes() throws {
        let verified = try verify(try attest(goodStatement))
        #expect(verified.predicateType == "https://docs.pypi.org/attestations/publish/v1")
        #expect(verified.identity == Self.workflowURI)
        // The subject may name the wheel as PyPI normalises it: another spelling of the project and tag order.
        let respelled = Self.statement(subjects: [("Demo.Pkg-1.0.0-py3-none-any.whl", distribution.sha256.hex)])
        _ = try verify(try attest(respelled))
    }

    @Test("the attestation round-trips through its JSON form")
    func attestationJSON() throws {
        let bundle = try attest(goodStatement)
        let attestation = try PEP740Attestation(sigstoreBundle: bundle.json)
        let object: [String: Any] = [
            "version": 1,
            "verification_material": [
                "certificate": Base64.encode(attestation.certificate),
                "transparency_entries": try attestation.transparencyEntries.map { try JSONSerialization.jsonObject(with: Data($0)) },
            ],
            "envelope": ["statement": Base64.encode(attestation.statement), "signature": Base64.encode(attestation.signature)],
        ]
        let reread = try PEP740Attestation(json: Array(try JSONSerialization.data(withJSONObject: object)))
        _ = try PEP740Verifier(verifier: try sigstore.verifier()).verify(
            reread, distribution: distribution, rule: TrustedPublisher.github(repository: Self.repository, workflow: nil).rule)
    }

    @Test("a subject with another sha256 fails")
    func tamperedSubjectDigest() throws {
        let statement = Self.statement(subjects: [(Self.wheel, String(repeating: "0", count: 64))])
        #expect(throws: VerificationError.self) { try verify(try attest(statement)) }
    }

    @Test("a subject naming another distribution fails, with the distribution's digest")
    func wrongName() throws {
        let statement = Self.statement(subjects: [("other_pkg-1.0-py3-none-any.whl", distribution.sha256.hex)])
        let error = try #require(throws: AttestationError.self) { try verify(try attest(statement)) }
        #expect(error.errorCode == .subjectName)
        #expect(error.message.contains("subject does not match distribution name: other_pkg-1.0-py3-none-any.whl != \(Self.wheel)"))
        let otherVersion = Self.statement(subjects: [("demo_pkg-1.1-py3-none-any.whl", distribution.sha256.hex)])
        #expect(throws: AttestationError.self) { try verify(try attest(otherVersion)) }
        let notADistribution = Self.statement(subjects: [("demo_pkg.exe", distribution.sha256.hex)])
        let invalid = try #require(throws: AttestationError.self) { try verify(try attest(notADistribution)) }
        #expect(invalid.message.hasPrefix("invalid subject: unknown distribution format"))
    }

    @Test("two subjects fail, even when one is the distribution")
    func twoSubjects() throws {
        let statement = Self.statement(subjects: [(Self.wheel, distribution.sha256.hex), ("other-1.0.tar.gz", distribution.sha256.hex)])
        let error = try #require(throws: AttestationError.self) { try verify(try attest(statement)) }
        #expect(error.errorCode == .subjectCount)
    }

    @Test("a predicate type PyPI does not accept fails")
    func wrongPredicateType() throws {
        let statement = Self.statement(subjects: [(Self.wheel, distribution.sha256.hex)], predicateType: "https://spdx.dev/Document/v2.3")
        let error = try #require(throws: AttestationError.self) { try verify(try attest(statement)) }
        #expect(error.errorCode == .predicateType)
        #expect(error.message == "unknown attestation type: https://spdx.dev/Document/v2.3")
        let slsa = Self.statement(subjects: [(Self.wheel, distribution.sha256.hex)], predicateType: "https://slsa.dev/provenance/v1")
        #expect(try verify(try attest(slsa)).predicateType == "https://slsa.dev/provenance/v1")
    }

    @Test("another publisher fails: repository, workflow, issuer, GitLab, Google")
    func wrongPublisher() throws {
        let bundle = try attest(goodStatement)
        let repository = try #require(throws: VerificationError.self) {
            try verify(bundle, publisher: .github(repository: "octo/other", workflow: "release.yml"))
        }
        #expect(repository.code == "verify.claim-mismatch")
        let workflow = try #require(throws: VerificationError.self) {
            try verify(bundle, publisher: .github(repository: Self.repository, workflow: "nightly.yml"))
        }
        #expect("\(workflow)".contains("does not match expected Trusted Publisher nightly.yml @ octo/demo-pkg"))
        #expect(throws: VerificationError.issuerMismatch(expected: TrustedPublisher.gitlabIssuer, actual: TrustedPublisher.githubIssuer)) {
            try verify(bundle, publisher: .gitlab(project: Self.repository, workflow: ".gitlab-ci.yml"))
        }
        #expect(throws: VerificationError.self) { try verify(bundle, publisher: .google(email: "svc@example.iam.gserviceaccount.com")) }
    }

    @Test("a tampered signature or statement fails")
    func tamperedSignature() throws {
        var bundle = try attest(goodStatement)
        let encoded = try #require(bundle.value(["dsseEnvelope", "signatures", 0, "sig"]) as? String)
        var signature = try #require(Base64.decode(encoded))
        signature[signature.count / 2] ^= 0x01
        bundle.set(["dsseEnvelope", "signatures", 0, "sig"], Base64.encode(signature))
        #expect(throws: VerificationError.self) { try verify(bundle) }

        var statement = try attest(goodStatement)
        let other = Self.statement(subjects: [(Self.wheel, distribution.sha256.hex)], predicateType: "https://slsa.dev/provenance/v1")
        statement.set(["dsseEnvelope", "payload"], Base64.encode(other))
        #expect(throws: VerificationError.self) { try verify(statement) }
    }

    @Test("provenance: every bundle's publisher is checked and every attestation verified")
    func provenance() throws {
        let good = try PEP740Attestation(sigstoreBundle: try attest(goodStatement).json)
        let foreign = try PEP740Attestation(sigstoreBundle: try attest(goodStatement, repository: "evil/demo-pkg").json)
        let verifier = PEP740Verifier(verifier: try sigstore.verifier())
        let publisher = TrustedPublisher.github(repository: Self.repository, workflow: "release.yml")
        let one = PEP740Provenance(bundles: [.init(publisher: publisher, attestations: [good])])
        #expect(
            try verifier.verify(one, distribution: distribution, signer: .publisher(.github(repository: Self.repository, workflow: nil))).count == 1)
        // The bundle says octo/demo-pkg but one attestation was signed by another repository: all must verify.
        let mixed = PEP740Provenance(bundles: [.init(publisher: publisher, attestations: [good, foreign])])
        #expect(throws: VerificationError.self) {
            try verifier.verify(mixed, distribution: distribution, signer: .publisher(.github(repository: Self.repository, workflow: nil)))
        }
        let wrongWorkflow = try #require(throws: AttestationError.self) {
            try verifier.verify(one, distribution: distribution, signer: .publisher(.github(repository: Self.repository, workflow: "other.yml")))
        }
        #expect(wrongWorkflow.errorCode == .publisherMismatch)
        let kind = try #require(throws: AttestationError.self) {
            try verifier.verify(one, distribution: distribution, signer: .publisher(.google(email: "a@b.c")))
        }
        #expect(kind.message.contains("but expected a Google publisher"))
        #expect(throws: AttestationError(.empty, "the provenance holds no attestation")) {
            try verifier.verify(
                PEP740Provenance(bundles: [.init(publisher: publisher, attestations: [])]), distribution: distribution, signer: .publisher(publisher))
        }
        // Identity options with provenance: the publisher's rule and the identity must both hold.
        let identity = AttestationSigner.Choice.identity(
            try IdentitySignerRule(identity: .exact("https://example.com/other"), issuer: .exact(TrustedPublisher.githubIssuer)))
        #expect(throws: VerificationError.self) { try verifier.verify(one, distribution: distribution, signer: identity) }
    }

    @Test("GitHub attestations: gh's policy over a locally signed SLSA statement")
    func githubAttestation() throws {
        let artifact = Array("release asset".utf8)
        let digest = DigestAlgorithm.sha256.hash(artifact)
        let statement = Self.statement(subjects: [("asset.tar.gz", digest.hex)], predicateType: GitHubAttestationPolicy.slsaProvenanceV1)
        let bundle = try attest(statement).parsed()
        let roots = GitHubTrustedRoots(roots: [try sigstore.trustedRoot()], isCustom: true)
        func verify(_ policy: GitHubAttestationPolicy, _ bundles: [SigstoreBundle] = [bundle]) throws -> [VerifiedAttestation] {
            try GitHubAttestationVerifier(roots: roots, policy: policy).verify(bundles, artifactDigest: digest)
        }
        #expect(try verify(GitHubAttestationPolicy(repo: Self.repository)).count == 1)
        #expect(try verify(GitHubAttestationPolicy(owner: "OCTO", sourceRef: "refs/tags/v1.0", denySelfHostedRunners: true)).count == 1)
        #expect(throws: VerificationError.self) { try verify(GitHubAttestationPolicy(repo: "octo/other")) }
        #expect(throws: VerificationError.self) { try verify(GitHubAttestationPolicy(owner: "octo", sourceDigest: "ffff")) }
        #expect(throws: VerificationError.self) { try verify(GitHubAttestationPolicy(owner: "octo", certOidcIssuer: "https://example.com")) }
        #expect(throws: AttestationError.self) { try verify(GitHubAttestationPolicy(owner: "octo", predicateType: "https://example.com/v1")) }
        // Two attestations, the first for another artifact: the second one passes it.
        let other = try attest(
            Self.statement(subjects: [("x", String(repeating: "1", count: 64))], predicateType: GitHubAttestationPolicy.slsaProvenanceV1))
        #expect(try verify(GitHubAttestationPolicy(owner: "octo"), [try other.parsed(), bundle]).count == 1)
        #expect(throws: VerificationError.self) { try verify(GitHubAttestationPolicy(owner: "octo"), [try other.parsed()]) }
        // Without a root for the signing CA's organisation there is no verdict but a failure.
        let otherRoots = GitHubTrustedRoots(roots: [try TrustedRoot.production()], isCustom: true)
        #expect(throws: AttestationError.self) {
            try GitHubAttestationVerifier(roots: otherRoots, policy: GitHubAttestationPolicy(owner: "octo")).verify([bundle], artifactDigest: digest)
        }
    }
}

/// GitHub's own Sigstore instance, as gh verifies it: its CA's organisation is `GitHub, Inc.`, its bundles carry an
/// RFC 3161 timestamp and no transparency-log entry.
@Suite("GitHub attestations from GitHub's own instance (timestamp authority, no log)")
struct GitHubInstanceAttestationTests {
    @Test("one verified timestamp suffices; without it, or against a public-good-only root, the attestation fails")
    func timestampOnly() throws {
        let github = try VirtualSigstore(name: "GitHub, Inc.")
        let artifact = Array("asset".utf8)
        let digest = DigestAlgorithm.sha256.hash(artifact)
        let statement = AttestationVerificationTests.statement(
            subjects: [("asset", digest.hex)], predicateType: GitHubAttestationPolicy.slsaProvenanceV1)
        var options = VirtualSigstore.Options()
        options.identity = .uri("https://github.com/octo/demo/.github/workflows/release.yml@refs/heads/main")
        options.issuer = GitHubAttestationPolicy.githubActionsIssuer
        options.log = .none
        options.timestamps = 1
        options.leaf = { request in
            request.claims["1.3.6.1.4.1.57264.1.12"] = "https://github.com/octo/demo"
            request.claims["1.3.6.1.4.1.57264.1.16"] = "https://github.com/octo"
        }
        let stamped = try github.attest(statement: statement, options: options).parsed()
        #expect(stamped.transparencyLogEntries.isEmpty)
        let roots = GitHubTrustedRoots(roots: [try TrustedRoot.production(), try github.trustedRoot()], isCustom: true)
        let policy = GitHubAttestationPolicy(repo: "octo/demo")
        #expect(try GitHubAttestationVerifier(roots: roots, policy: policy).verify([stamped], artifactDigest: digest).count == 1)
        #expect(try roots.verifier(for: stamped).configuration.transparencyLogThreshold == 0)

        // The same instance's root under another organisation is verified as public good: a log entry is then required.
        let publicGood = try VirtualSigstore(name: GitHubTrustedRoots.publicGoodOrganization)
        let unlogged = try publicGood.attest(statement: statement, options: options).parsed()
        let publicGoodRoots = GitHubTrustedRoots(roots: [try publicGood.trustedRoot()], isCustom: true)
        #expect(throws: VerificationError.self) {
            try GitHubAttestationVerifier(roots: publicGoodRoots, policy: policy).verify([unlogged], artifactDigest: digest)
        }
        // Without a root for `GitHub, Inc.` there is nothing to verify against.
        let onlyPublicGood = GitHubTrustedRoots(roots: [try TrustedRoot.production()], isCustom: false)
        let error = try #require(throws: AttestationError.self) {
            try GitHubAttestationVerifier(roots: onlyPublicGood, policy: policy).verify([stamped], artifactDigest: digest)
        }
        #expect(error.errorCode == .noTrustedRoot)
        #expect(error.message.contains("pass --custom-trusted-root"))
    }
}

@Suite("attestation request validation")
struct AttestationRequestTests {
    @Test("the signer is exactly one of the identity options or a Trusted Publisher")
    func signerChoice() throws {
        #expect(throws: RequestError.self) { try AttestationSigner().choice() }
        #expect(throws: RequestError.self) { try AttestationSigner(githubRepository: "a/b", googleServiceAccount: "x@y").choice() }
        #expect(throws: RequestError.self) { try AttestationSigner(githubWorkflow: "release.yml").choice() }
        #expect(throws: RequestError.self) { try AttestationSigner(gitlabWorkflow: ".gitlab-ci.yml").choice() }
        #expect(throws: RequestError.self) { try AttestationSigner(githubRepository: "no-slash").choice() }
        #expect(throws: RequestError.self) { try AttestationSigner(githubRepository: "a/b/c").choice() }
        #expect(throws: RequestError.self) { try AttestationSigner(certificateIdentity: "a@b").choice() }
        #expect(throws: RequestError.self) { try AttestationSigner(certificateIdentity: "a@b", certificateOidcIssuerRegexp: "(").choice() }
        #expect(throws: RequestError.self) { try AttestationSigner(googleServiceAccount: "").choice() }
        guard case .publisher(.gitlab(let project, nil)) = try AttestationSigner(gitlabProject: "group/sub/project").choice() else {
            Issue.record("a GitLab project may have subgroups")
            return
        }
        #expect(project == "group/sub/project")
        guard case .identity = try AttestationSigner(certificateIdentity: "a@b", certificateOidcIssuer: "https://i").choice() else {
            Issue.record("identity options")
            return
        }
        let request = VerifyAttestationOperation.Request(distribution: "x.whl", signer: AttestationSigner(googleServiceAccount: "a@b"))
        #expect(throws: RequestError.self) { try request.validate() }
    }

    @Test("gh's flag rules")
    func githubPolicy() throws {
        #expect(throws: RequestError.self) { try GitHubAttestationPolicy().validate() }
        #expect(throws: RequestError.self) { try GitHubAttestationPolicy(owner: "a", repo: "a/b").validate() }
        #expect(throws: RequestError.self) { try GitHubAttestationPolicy(repo: "a").validate() }
        #expect(throws: RequestError.self) { try GitHubAttestationPolicy(owner: "a", signerRepo: "a/b", certIdentity: "x").validate() }
        #expect(throws: RequestError.self) { try GitHubAttestationPolicy(owner: "a", certIdentityRegex: "(").validate() }
        let request = VerifyGitHubAttestationOperation.Request(
            bundle: "b", artifact: "a", policy: GitHubAttestationPolicy(owner: "a"), digestAlgorithm: "md5")
        #expect(throws: RequestError.self) { try request.validate() }
        let workflow = GitHubAttestationPolicy(owner: "o", hostname: "example.ghe.com")
        #expect(workflow.signerWorkflowRegex("o/r/.github/workflows/a.yml") == "^https://example.ghe.com/o/r/.github/workflows/a.yml")
        #expect(workflow.signerWorkflowRegex("github.com/o/r/.github/workflows/a.yml") == "^https://github.com/o/r/.github/workflows/a.yml")
    }
}

@Suite("Python distribution file names, as packaging parses them")
struct PythonDistributionFilenameTests {
    @Test("PEP 440 versions compare as packaging.version.Version")
    func versions() throws {
        let equal: [(String, String)] = [
            ("1.0", "1.0.0"), ("1.0", "v1.0"), ("1.0a1", "1.0.alpha.1"), ("1.0-1", "1.0.post1"), ("1.0rc1", "1.0c1"), ("1.0.dev", "1.0.dev0"),
            ("1!2.0", "1!2"), ("1.0+Ubuntu.1", "1.0+ubuntu-1"), ("1.0.post", "1.0-r0"), (" 1.0 ", "1.0"), ("1.0b2", "1.0-beta-2"),
        ]
        for (left, right) in equal {
            #expect(try #require(PEP440Version(left)) == (try #require(PEP440Version(right))), "\(left) == \(right)")
        }
        let different: [(String, String)] = [("1.0", "1.0.1"), ("1.0a1", "1.0b1"), ("1.0", "1!1.0"), ("1.0+1", "1.0+01a"), ("1.0.post1", "1.0.dev1")]
        for (left, right) in different {
            #expect(try #require(PEP440Version(left)) != (try #require(PEP440Version(right))), "\(left) != \(right)")
        }
        for invalid in ["", "1.", "a1", "1.0+", "1.0++1", "1..0", "1.0-", "1.0 beta", "1_0"] {
            #expect(PEP440Version(invalid) == nil, "\(invalid) is not a version")
        }
    }

    @Test("wheel and sdist names normalise as PyPI normalises them")
    func names() throws {
        let same: [(String, String)] = [
            (
                "spt3g-1.0-cp310-cp310-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
                "spt3g-1.0-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
            ),
            ("Foo_Bar-1.0-py3-none-any.whl", "foo.bar-1.0.0-PY3-none-ANY.whl"), ("foo-1.0-py2.py3-none-any.whl", "foo-1.0-py3.py2-none-any.whl"),
            ("Foo.Bar-1.0.tar.gz", "foo_bar-1.0.0.tar.gz"), ("foo-1.0-1build-py3-none-any.whl", "foo-1.0-1build-py3-none-any.whl"),
        ]
        for (left, right) in same { #expect(try PythonDistributionFilename(left) == PythonDistributionFilename(right), "\(left) ~ \(right)") }
        let different: [(String, String)] = [
            ("foo-1.0-py3-none-any.whl", "foo-1.0-1-py3-none-any.whl"), ("foo-1.0-py3-none-any.whl", "foo-1.0.tar.gz"),
            ("foo-1.0.tar.gz", "foo-1.0.zip".replacingOccurrences(of: "foo", with: "bar")),
            ("foo-1.0-py3-none-any.whl", "foo-1.0-py2.py3-none-any.whl"),
        ]
        for (left, right) in different { #expect(try PythonDistributionFilename(left) != PythonDistributionFilename(right), "\(left) ≠ \(right)") }
        #expect(try PythonDistributionFilename("foo-1.0.zip") == PythonDistributionFilename("foo-1.0.tar.gz"))
        for invalid in [
            "foo.exe", "foo-1.0-py3-none.whl", "foo__bar-1.0-py3-none-any.whl", "foo-x-py3-none-any.whl", "foo-1.0-b1-py3-none-any.whl",
            "foo-1.0-3py-none-any.whl", "foo-1.0-py3..py2-none-any.whl", "foo.tar.gz", "-1.0.tar.gz",
        ] {
            #expect(throws: PythonDistributionFilename.Invalid.self, "\(invalid)") { try PythonDistributionFilename(invalid) }
        }
    }
}
