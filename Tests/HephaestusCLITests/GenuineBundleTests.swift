import Foundation
import HephaestusTestSupport
import Testing

extension SharedFixtures.SigstorePythonCase: CustomTestStringConvertible {}

/// Genuine public-good bundles recorded in sigstore-python's test suite: every case must get the verdict
/// sigstore-python 4.5.1 gives (`../shared/fixtures/sigstore-python/cases.json`).
@Suite(
    "Genuine public-good bundles (sigstore-python cases)", .enabled(if: SharedFixtures.isAvailable, Comment(rawValue: SharedFixtures.absenceMessage)))
struct GenuineBundleTests {
    @Test("verify bundle gives the expected verdict", arguments: SharedFixtures.sigstorePythonCases)
    func verdict(testCase: SharedFixtures.SigstorePythonCase) throws {
        let result = try HephaestusBinary.run(
            [
                "verify", "bundle", "--bundle", testCase.bundle, "--certificate-identity", testCase.identity,
                "--certificate-oidc-issuer", testCase.issuer, "--trusted-root", testCase.trustedRoot, testCase.artifact,
            ], in: SharedFixtures.sigstorePython.path)
        if testCase.expect == "pass" {
            #expect(result.status == 0, "\(testCase.name): \(result.stderrText)")
            #expect(result.stdoutText.contains("identity: \(testCase.identity)"))
        } else {
            #expect(result.status == 1, "\(testCase.name) (\(testCase.reason)): \(result.status) \(result.stderrText)")
            #expect(result.stderrText.hasPrefix("hephaestus: verification failed at "))
            #expect(result.stderrText.split(separator: "\n").count == 1, "one line on stderr")
        }
    }

    @Test("--json emits a verification-result document with the run id")
    func jsonDocument() throws {
        let pass = try HephaestusBinary.run(
            [
                "--log-format", "json", "verify", "bundle", "--json", "--bundle", "bundle_v3_github.whl.sigstore",
                "--certificate-identity", "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2",
                "--certificate-oidc-issuer", "https://token.actions.githubusercontent.com", "bundle_v3_github.whl",
            ], in: SharedFixtures.sigstorePython.path)
        #expect(pass.status == 0)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(pass.stdout)) as? [String: Any])
        #expect(document["mediaType"] as? String == "application/vnd.hephaestus.verification-result+json;version=1")
        #expect(document["verdict"] as? String == "pass")
        #expect(document["issuer"] as? String == "https://token.actions.githubusercontent.com")
        let claims = try #require(document["claims"] as? [String: String])
        #expect(claims["sourceRepositoryURI"] == "https://github.com/trailofbits/rfc8785.py")
        let entries = try #require(document["logEntries"] as? [[String: Any]])
        #expect(entries.first?["logIndex"] as? Int != nil)
        #expect((document["verifiedTimestamps"] as? [Any])?.isEmpty == false)
        #expect(document["runId"] as? String != nil)

        let fail = try HephaestusBinary.run(
            [
                "verify", "bundle", "--json", "--bundle", "bundle.txt.sigstore", "--staging",
                "--certificate-identity", "bad@ident.example.com", "--certificate-oidc-issuer", "https://github.com/login/oauth", "bundle.txt",
            ], in: SharedFixtures.sigstorePython.path)
        #expect(fail.status == 1)
        let failure = try #require(try JSONSerialization.jsonObject(with: Data(fail.stdout)) as? [String: Any])
        #expect(failure["verdict"] as? String == "fail")
        #expect(failure["code"] as? String == "verify.identity-mismatch")
        #expect((failure["reason"] as? String)?.contains("certificate SAN is a@tny.town, expected bad@ident.example.com") == true)
    }

    @Test("GitHub workflow claims are enforced")
    func githubClaims() throws {
        func run(_ extra: [String]) throws -> ProcessResult {
            try HephaestusBinary.run(
                [
                    "verify", "bundle", "--bundle", "bundle_v3_github.whl.sigstore", "--certificate-identity-regexp",
                    "https://github\\.com/trailofbits/rfc8785\\.py/.*", "--certificate-oidc-issuer",
                    "https://token.actions.githubusercontent.com",
                ] + extra + ["bundle_v3_github.whl"], in: SharedFixtures.sigstorePython.path)
        }
        #expect(
            try run(["--github-repository", "trailofbits/rfc8785.py", "--github-ref", "refs/tags/v0.1.2", "--github-trigger", "release"]).status == 0)
        let wrongRef = try run(["--github-ref", "refs/heads/main"])
        #expect(wrongRef.status == 1)
        #expect(wrongRef.stderrText.contains("GitHub workflow ref is refs/tags/v0.1.2, expected refs/heads/main"))
        #expect(try run(["--github-repository", "evil/rfc8785.py"]).status == 1)
        // The regexp is anchored: a prefix alone does not match the whole SAN.
        let prefix = try HephaestusBinary.run(
            [
                "verify", "bundle", "--bundle", "bundle_v3_github.whl.sigstore", "--certificate-identity-regexp", "https://github\\.com/trailofbits",
                "--certificate-oidc-issuer", "https://token.actions.githubusercontent.com", "bundle_v3_github.whl",
            ], in: SharedFixtures.sigstorePython.path)
        #expect(prefix.status == 1)
    }

    @Test("A digest stands in for the artifact; usage errors exit 64")
    func digestAndUsage() throws {
        let digest = try ProcessResult.runTool("sha256sum", ["bundle_v3_github.whl"], in: SharedFixtures.sigstorePython.path).stdoutText.prefix(64)
        let byDigest = try HephaestusBinary.run(
            [
                "verify", "bundle", "--bundle", "bundle_v3_github.whl.sigstore", "--certificate-identity",
                "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2",
                "--certificate-oidc-issuer", "https://token.actions.githubusercontent.com", "sha256:\(digest)",
            ], in: SharedFixtures.sigstorePython.path)
        #expect(byDigest.status == 0, "\(byDigest.stderrText)")
        for arguments in [
            ["verify", "bundle", "--bundle", "x", "a.txt"],
            ["verify", "bundle", "--bundle", "x", "--certificate-identity", "a", "a.txt"],
            [
                "verify", "bundle", "--bundle", "x", "--certificate-identity", "a", "--certificate-identity-regexp", "b", "--certificate-oidc-issuer",
                "c", "a.txt",
            ],
            ["verify", "bundle", "--bundle", "x", "--key", "k.pem", "--certificate-identity", "a", "a.txt"],
            [
                "verify", "bundle", "--bundle", "x", "--staging", "--trusted-root", "t.json", "--certificate-identity", "a",
                "--certificate-oidc-issuer", "b", "a.txt",
            ],
        ] {
            #expect(try HephaestusBinary.run(arguments, in: SharedFixtures.sigstorePython.path).status == 64, "\(arguments)")
        }
        let missing = try HephaestusBinary.run(
            ["verify", "bundle", "--bundle", "nope.sigstore", "--certificate-identity", "a", "--certificate-oidc-issuer", "b", "a.txt"],
            in: SharedFixtures.sigstorePython.path)
        #expect(missing.status == 66)
        #expect(missing.stderrText == "hephaestus: nope.sigstore: No such file or directory\n")
    }
}
