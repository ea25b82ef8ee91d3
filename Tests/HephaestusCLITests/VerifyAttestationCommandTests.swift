import Foundation
import HephaestusTestSupport
import Testing

/// `verify attestation` and `verify github-attestation` through the shipped binary, on the genuine fixtures.
@Suite(
    "verify attestation / github-attestation commands",
    .enabled(if: AttestationFixtures.isAvailable, Comment(rawValue: AttestationFixtures.absenceMessage)))
struct VerifyAttestationCommandTests {
    static var pypi: String { AttestationFixtures.pypiDirectory.path }
    static var github: String { AttestationFixtures.githubDirectory.path }

    /// The PyPI cases the command line can express: a distribution file and an attestation, bundle or provenance file.
    static let pypiCommandCases = AttestationFixtures.pypiCases.filter { $0.distributionFile != nil && $0.attestationFile != nil }

    static func arguments(_ testCase: AttestationFixtures.PyPICase) -> [String] {
        let policy = testCase.policy
        var arguments = [
            "verify", "attestation", testCase.format == "pep740-provenance" ? "--provenance" : "--attestation", testCase.attestationFile!,
        ]
        switch policy["type"] {
        case "identity":
            arguments += ["--certificate-identity", policy["identity"]!, "--certificate-oidc-issuer", policy["issuer"] ?? testCase.signerIssuer!]
        case "github-publisher": arguments += ["--github-repository", policy["repository"]!, "--github-workflow", policy["workflow"]!]
        case "gitlab-publisher": arguments += ["--gitlab-project", policy["repository"]!, "--gitlab-workflow", policy["workflow_filepath"]!]
        case "source-repository-and-issuer":
            arguments += ["--github-repository", String(policy["source_repository_uri"]!.dropFirst("https://github.com/".count))]
        case "provenance-repository":
            let url = URL(string: policy["repository_url"]!)!
            arguments += [url.host == "gitlab.com" ? "--gitlab-project" : "--github-repository", String(url.path.dropFirst())]
        default: break
        }
        return arguments + ["--trusted-root", testCase.trustedRoot, testCase.distributionFile!]
    }

    @Test("verify attestation: exit 0 or 1 as recorded", arguments: pypiCommandCases)
    func pypiCase(testCase: AttestationFixtures.PyPICase) throws {
        let result = try HephaestusBinary.run(Self.arguments(testCase), in: Self.pypi)
        if testCase.expectedVerdict == "pass" {
            #expect(result.status == 0, "\(testCase.id): \(result.stdoutText) \(result.stderrText)")
            #expect(result.stdoutText.hasPrefix("OK: \(testCase.distributionFile!) (sha256:"))
        } else {
            #expect(result.status == 1, "\(testCase.id): \(result.status) \(result.stderrText)")
            #expect(result.stdoutText.hasPrefix("FAIL: \(testCase.distributionFile!): "))
            #expect(result.stderrText.split(separator: "\n").count == 1, "one line on stderr: \(result.stderrText)")
        }
    }

    @Test("verify github-attestation: gh's exit status, with gh's flags", arguments: AttestationFixtures.githubCases)
    func githubCase(testCase: AttestationFixtures.GitHubCase) throws {
        let result = try HephaestusBinary.run(["verify", "github-attestation"] + testCase.ghArguments, in: Self.github)
        #expect(result.status == (testCase.expectedVerdict == "pass" ? 0 : 1), "\(testCase.id): \(result.stdoutText) \(result.stderrText)")
    }

    @Test("--json documents carry their media type and the verdict")
    func json() throws {
        let pass = try HephaestusBinary.run(
            [
                "verify", "attestation", "--json", "--provenance", "assets/pypi_attestations-0.0.19.tar.gz.provenance",
                "--github-repository", "trailofbits/pypi-attestations", "assets/pypi_attestations-0.0.19.tar.gz",
            ], in: Self.pypi)
        #expect(pass.status == 0, "\(pass.stderrText)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(pass.stdout)) as? [String: Any])
        #expect(document["mediaType"] as? String == "application/vnd.hephaestus.attestation-verification+json;version=1")
        #expect(document["verdict"] as? String == "pass")
        #expect(document["digest"] as? String == "sha256:9bb1add04b1b4e182be6b0b80931593f7a291eb49d69b4fd728a5d4cbcdc4bd3")
        let attestations = try #require(document["attestations"] as? [[String: Any]])
        #expect(attestations.count == 1)
        #expect(attestations.first?["publisher"] as? String == "GitHub trailofbits/pypi-attestations workflow release.yml")

        let fail = try HephaestusBinary.run(
            [
                "verify", "github-attestation", "--json", "data/sigstore-js-2.1.0.tgz", "--bundle", "data/sigstore-js-2.1.0-bundle.json",
                "--custom-trusted-root", "data/trusted_root.json", "-d", "sha512", "--repo", "sigstore/sigstore-js", "--source-ref",
                "refs/heads/develop",
            ], in: Self.github)
        #expect(fail.status == 1)
        let failure = try #require(try JSONSerialization.jsonObject(with: Data(fail.stdout)) as? [String: Any])
        #expect(failure["mediaType"] as? String == "application/vnd.hephaestus.github-attestation-verification+json;version=1")
        #expect(failure["verdict"] as? String == "fail")
        #expect(failure["code"] as? String == "verify.claim-mismatch")
        #expect((failure["reason"] as? String)?.contains("SourceRepositoryRef is refs/heads/main, expected refs/heads/develop") == true)
    }

    @Test("--policy FILE: its identities, and its requirements, decide")
    func policyFile() throws {
        let work = try TemporaryDirectory()
        let workflow = "https://github.com/trailofbits/pypi-attestations/.github/workflows/release.yml"
        let issuer = "https://token.actions.githubusercontent.com"
        let accepting = try work.write(
            "accept.json", #"{"version": 1, "identities": [{"san": {"glob": "\#(workflow)@refs/tags/v*"}, "issuer": "\#(issuer)"}]}"#)
        let otherSigner = try work.write(
            "other.json", #"{"version": 1, "identities": [{"san": "\#(workflow)@refs/tags/v0.0.18", "issuer": "\#(issuer)"}]}"#)
        let slsaOnly = try work.write(
            "slsa.json",
            #"{"version": 1, "identities": [{"san": {"glob": "\#(workflow)@*"}, "issuer": "\#(issuer)"}], "predicateTypes": ["https://slsa.dev/provenance/v1"]}"#
        )
        let templated = try work.write(
            "tag.json", #"{"version": 1, "identities": [{"san": "\#(workflow)@refs/tags/{tag}", "issuer": "\#(issuer)"}]}"#)
        func run(_ policy: String, _ source: [String]) throws -> ProcessResult {
            try HephaestusBinary.run(
                ["verify", "attestation", "--policy", policy] + source + ["assets/pypi_attestations-0.0.19.tar.gz"], in: Self.pypi)
        }
        let attestation = ["--attestation", "assets/pypi_attestations-0.0.19.tar.gz.publish.attestation"]
        let provenance = ["--provenance", "assets/pypi_attestations-0.0.19.tar.gz.provenance"]
        #expect(try run(accepting, attestation).status == 0)
        #expect(try run(accepting, provenance).status == 0)
        let refused = try run(otherSigner, provenance)
        #expect(refused.status == 1)
        #expect(refused.stdoutText.contains("identity mismatch"))
        let predicate = try run(slsaOnly, attestation)
        #expect(predicate.status == 1, "\(predicate.stderrText)")
        #expect(predicate.stdoutText.contains("predicateTypes"), "\(predicate.stdoutText)")
        #expect(try run(slsaOnly, ["--attestation", "assets/pypi_attestations-0.0.19.tar.gz.slsa.attestation"]).status == 0)
        #expect(try run(templated, attestation).status == 64)
        let both = try HephaestusBinary.run(
            ["verify", "attestation", "--policy", accepting, "--github-repository", "a/b"] + attestation + ["assets/pypi_attestations-0.0.19.tar.gz"],
            in: Self.pypi)
        #expect(both.status == 64)
    }

    @Test("usage errors exit 64; a malformed attestation fails the check; a missing file is a file error")
    func errors() throws {
        let dist = "assets/rfc8785-0.1.2-py3-none-any.whl"
        let usages: [[String]] = [
            ["verify", "attestation", dist, "--github-repository", "a/b"],
            ["verify", "attestation", "--attestation", "x", "--provenance", "y", dist, "--github-repository", "a/b"],
            ["verify", "attestation", "--attestation", "x", dist],
            ["verify", "attestation", "--attestation", "x", dist, "--github-repository", "a/b", "--google-service-account", "s@x"],
            ["verify", "attestation", "--attestation", "x", dist, "--github-workflow", "release.yml"],
            ["verify", "attestation", "--attestation", "x", dist, "--github-repository", "a/b", "--staging", "--trusted-root", "r"],
            ["verify", "github-attestation", "--bundle", "b", "a"],
            ["verify", "github-attestation", "--bundle", "b", "a", "--owner", "o", "--repo", "o/r"],
            ["verify", "github-attestation", "--bundle", "b", "a", "--owner", "o", "--signer-repo", "o/r", "--cert-identity", "x"],
            ["verify", "github-attestation", "--bundle", "b", "a", "--owner", "o", "--digest-alg", "md5"],
        ]
        for arguments in usages {
            let result = try HephaestusBinary.run(arguments, in: Self.pypi)
            #expect(result.status == 64, "\(arguments): \(result.status) \(result.stderrText)")
        }
        let work = try TemporaryDirectory()
        let garbage = try work.write("x.publish.attestation", "{\"version\": 2}")
        let malformed = try HephaestusBinary.run(
            ["verify", "attestation", "--attestation", garbage, "--github-repository", "a/b", "\(Self.pypi)/\(dist)"])
        #expect(malformed.status == 1, "\(malformed.stderrText)")
        #expect(malformed.stderrText.contains("attestation: version must be 1"))
        let notADistribution = try HephaestusBinary.run(["verify", "attestation", "--attestation", garbage, "--github-repository", "a/b", garbage])
        #expect(notADistribution.status == 64, "\(notADistribution.stderrText)")
        let missing = try HephaestusBinary.run(
            ["verify", "attestation", "--attestation", work.file("none"), "--github-repository", "a/b", dist], in: Self.pypi)
        #expect(missing.status == 66, "\(missing.stderrText)")
    }
}

/// `release verify --deep` through the binary: the flags, a missing provenance's exit status and warning.
@Suite("release verify --deep command", .enabled(if: ToolLocator.find("python3") != nil, "needs python3 (fixtures/wheels/make_wheel.py)"))
struct ReleaseDeepCommandTests {
    @Test("a wheel without provenance fails (exit 1) unless --allow-missing-provenance; --deep needs --provenance-dir (64)")
    func deep() throws {
        let factory = try WheelhouseFactory()
        try factory.wheel("alpha-pkg", "1.2.0")
        let archive = try factory.release()
        let provenance = try TemporaryDirectory()
        let base = [
            "release", "verify", "--archive", archive, "--trusted-root", factory.trustedRoot, "--require-sigstore",
            "--sigstore-identity", WheelhouseFactory.identity,
        ]
        let missing = try HephaestusBinary.run(base + ["--deep", "--provenance-dir", provenance.path, "--provenance-repository", "octo/wheels"])
        #expect(missing.status == 1, "\(missing.stderrText)")
        #expect(missing.stderrText.contains("alpha_pkg-1.2.0-py3-none-any.whl has no PEP 740 provenance"))
        let allowed = try HephaestusBinary.run(
            base + ["--deep", "--provenance-dir", provenance.path, "--provenance-repository", "octo/wheels", "--allow-missing-provenance"])
        #expect(allowed.status == 0, "\(allowed.stderrText)")
        #expect(allowed.stderrText.contains("has no PEP 740 provenance: not checked (--allow-missing-provenance)"))
        #expect(allowed.stdoutText.contains("provenance: 0 of 1 wheels verified (PEP 740); MISSING, not checked: alpha_pkg-1.2.0-py3-none-any.whl"))
        for usage in [["--deep"], ["--deep", "--provenance-dir", provenance.path], ["--provenance-dir", provenance.path]] {
            let result = try HephaestusBinary.run(base + usage)
            #expect(result.status == 64, "\(usage): \(result.stderrText)")
        }
    }
}
