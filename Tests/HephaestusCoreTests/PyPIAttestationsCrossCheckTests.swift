import Foundation
import HephaestusTestSupport
import Testing

/// The real pypi-attestations 0.0.30 (and sigstore 4.5.1 for bundle cases), from the test venv, decides every case
/// again, offline, and Hephaestus must agree with it case by case. Its trust roots are the recorded public-good ones
/// (`trust/`), seeded into a fresh sigstore-python TUF cache, and every call is `--offline`.
@Suite(
    "PEP 740 attestations: cross-check with pypi-attestations and sigstore",
    .enabled(if: AttestationFixtures.isAvailable, Comment(rawValue: AttestationFixtures.absenceMessage)),
    .enabled(if: TestVenv.isUsable("python"), "the test venv (pypi-attestations) is absent"))
struct PyPIAttestationsCrossCheckTests {
    /// Runs every case through pypi-attestations' Python API (as `confirm_reference.py --api-case` does), its CLI
    /// (`verify attestation`, `verify pypi`) and `sigstore verify identity` where the case records those checks;
    /// prints `ID TOOL pass|fail` lines.
    static let driver = #"""
        import json, os, shutil, subprocess, sys, tempfile
        from pathlib import Path
        here = Path(sys.argv[1])
        tmp = Path(tempfile.mkdtemp(prefix="hephaestus-pa-"))
        os.environ["XDG_CACHE_HOME"] = str(tmp / "cache")
        os.environ["XDG_DATA_HOME"] = str(tmp / "data")
        for instance, quoted in {"production": "https%3A%2F%2Ftuf-repo-cdn.sigstore.dev", "staging": "https%3A%2F%2Ftuf-repo-cdn.sigstage.dev"}.items():
            target = tmp / "cache" / "sigstore-python" / "tuf" / quoted
            target.mkdir(parents=True)
            for f in (here / "trust" / instance).iterdir():
                shutil.copy(f, target / f.name)
        from cryptography import x509
        from sigstore.models import Bundle
        from sigstore.verify import policy as sp
        import pypi_attestations as pa
        def api(case):
            p = case["policy"]
            t = p["type"]
            if t == "identity": pol = sp.Identity(identity=p["identity"], issuer=p.get("issuer"))
            elif t == "github-publisher": pol = pa.GitHubPublisher(repository=p["repository"], workflow=p["workflow"])
            elif t == "gitlab-publisher": pol = pa.GitLabPublisher(repository=p["repository"], workflow_filepath=p["workflow_filepath"])
            elif t == "google-publisher": pol = pa.GooglePublisher(email=p["email"])
            elif t == "source-repository-and-issuer":
                pol = sp.AllOf([sp.OIDCSourceRepositoryURI(p["source_repository_uri"]), sp.OIDCIssuerV2(p["issuer"])])
            else: raise SystemExit("unknown policy " + t)
            try:
                if case["format"] == "x509-certificate":
                    pol._as_policy().verify(x509.load_pem_x509_certificate((here / case["certificate_file"]).read_bytes()))
                    return "pass"
                if case.get("dist_file"): dist = pa.Distribution.from_file(here / case["dist_file"])
                else: dist = pa.Distribution(name=case["dist_name"], digest=case["dist_sha256"])
                raw = (here / case["attestation_file"]).read_bytes()
                att = pa.Attestation.from_bundle(Bundle.from_json(raw)) if case["format"] == "sigstore-bundle" else pa.Attestation.model_validate_json(raw)
                att.verify(pol, dist, staging=(case["instance"] == "staging"), offline=True)
                return "pass"
            except Exception:
                return "fail"
        def cli(case, tool):
            staging = ["--staging"] if case["instance"] == "staging" else []
            if tool == "sigstore-cli-verify-identity":
                p = case["policy"]
                argv = [str(Path(sys.executable).with_name("sigstore")), *staging, "verify", "identity", "--offline", "--bundle",
                        case["attestation_file"], "--cert-identity", p["identity"], "--cert-oidc-issuer", p["issuer"], case["dist_file"]]
                done = subprocess.run(argv, cwd=here, capture_output=True)
                return "pass" if done.returncode == 0 else "fail"
            if tool == "pypi-attestations-cli-verify-attestation":
                argv = ["verify", "attestation", *staging, "--offline", "--identity", case["policy"]["identity"], case["dist_file"]]
            else:
                argv = ["verify", "pypi", *staging, "--offline", "--repository", case["policy"]["repository_url"],
                        "--provenance-file", case["attestation_file"], case["dist_file"]]
            done = subprocess.run([sys.executable, "-m", "pypi_attestations", *argv], cwd=here, capture_output=True)
            return "pass" if done.returncode == 0 else "fail"
        for case in json.loads((here / "cases.json").read_text()):
            tools = [c["tool"] for c in case["checks"]]
            if "pypi-attestations-api" in tools:
                print(case["id"], "pypi-attestations-api", api(case), flush=True)
            for tool in tools:
                if tool.startswith("pypi-attestations-cli") or tool == "sigstore-cli-verify-identity":
                    print(case["id"], tool, cli(case, tool), flush=True)
        shutil.rmtree(tmp, ignore_errors=True)
        """#

    @Test("pypi-attestations decides each case as Hephaestus does")
    func crossCheck() throws {
        let python = try #require(TestVenv.tool("python"), "the test venv has no python")
        let run = try ProcessResult.run(python, ["-c", Self.driver, AttestationFixtures.pypiDirectory.path])
        #expect(run.status == 0, "\(run.stderrText)")
        var reference: [String: [String]] = [:]
        for line in run.stdoutText.split(separator: "\n") {
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count == 3 else { continue }
            reference[fields[0], default: []].append(fields[2])
        }
        var agreeing = 0
        var undecided: [String] = []
        var disagreements: [String] = []
        for testCase in AttestationFixtures.pypiCases {
            guard let verdicts = reference[testCase.id], !verdicts.isEmpty else {
                undecided.append(testCase.id)
                continue
            }
            let hephaestus = try PEP740FixtureTests.verdict(testCase).actual
            if verdicts.allSatisfy({ $0 == hephaestus }) {
                agreeing += 1
            } else {
                disagreements.append("\(testCase.id): pypi-attestations \(verdicts), Hephaestus \(hephaestus)")
            }
        }
        print("pypi-attestations 0.0.30 / sigstore 4.5.1 (live) agreement: \(agreeing)/\(agreeing + disagreements.count); undecided: \(undecided)")
        #expect(disagreements.isEmpty, "\(disagreements)")
        #expect(undecided.isEmpty, "the reference tools decided no verdict for \(undecided)")
        #expect(agreeing == AttestationFixtures.pypiCases.count)
    }
}
