import Foundation

/// The genuine attestation cases in `../shared/fixtures`: PyPI PEP 740 attestations (`pypi-attestations/cases.json`,
/// verdicts confirmed with pypi-attestations 0.0.30 and sigstore 4.5.1) and GitHub artifact attestations
/// (`github-attestations/cases.json`, confirmed with gh 2.103.3).
public enum AttestationFixtures {
    public static var pypiDirectory: URL { SharedFixtures.directory.appendingPathComponent("pypi-attestations") }
    public static var githubDirectory: URL { SharedFixtures.directory.appendingPathComponent("github-attestations") }

    public static var isAvailable: Bool {
        FileManager.default.fileExists(atPath: pypiDirectory.appendingPathComponent("cases.json").path)
            && FileManager.default.fileExists(atPath: githubDirectory.appendingPathComponent("cases.json").path)
    }

    public static let absenceMessage = "../shared/fixtures/{pypi,github}-attestations are absent: genuine attestation cases skipped"

    /// One case of `pypi-attestations/cases.json`.
    public struct PyPICase: Sendable, CustomTestStringConvertibleShim {
        public let id: String
        public let expectedVerdict: String
        public let expectedReason: String?
        /// `pep740-attestation`, `pep740-provenance`, `sigstore-bundle` or `x509-certificate`.
        public let format: String
        /// Relative to ``pypiDirectory``.
        public let trustedRoot: String
        public let distributionFile: String?
        public let distributionName: String?
        /// The distribution's sha256 when only its name and digest are recorded (no file).
        public let distributionSHA256: String?
        public let attestationFile: String?
        public let certificateFile: String?
        /// The policy's fields (`type`, `identity`, `issuer`, `repository`, `workflow`, …), nulls left out.
        public let policy: [String: String]
        /// The OIDC issuer recorded in the signing certificate.
        public let signerIssuer: String?
        /// The reference tools that decided the case (`pypi-attestations-api`, `pypi-attestations-cli-verify-attestation`, …).
        public let tools: [String]
        public var testDescription: String { id }
    }

    /// One case of `github-attestations/cases.json`.
    public struct GitHubCase: Sendable, CustomTestStringConvertibleShim {
        public let id: String
        public let expectedVerdict: String
        /// gh 2.103.3's own message for failures.
        public let expectedReason: String?
        /// gh's arguments after `gh attestation verify`, without `--format json` (paths relative to ``githubDirectory``).
        public let ghArguments: [String]
        public var testDescription: String { id }
    }

    public static let pypiCases: [PyPICase] = {
        guard isAvailable, let array = load(pypiDirectory) else { return [] }
        return array.compactMap { item in
            guard let id = item["id"] as? String, let verdict = item["expected_verdict"] as? String, let format = item["format"] as? String,
                let root = item["trusted_root"] as? String, let policy = item["policy"] as? [String: Any]
            else { return nil }
            return PyPICase(
                id: id, expectedVerdict: verdict, expectedReason: item["expected_reason"] as? String, format: format, trustedRoot: root,
                distributionFile: item["dist_file"] as? String, distributionName: item["dist_name"] as? String,
                distributionSHA256: item["dist_sha256"] as? String ?? item["dist_file_sha256"] as? String,
                attestationFile: item["attestation_file"] as? String, certificateFile: item["certificate_file"] as? String,
                policy: policy.compactMapValues { $0 as? String },
                signerIssuer: (item["signer"] as? [String: Any])?["oidc_issuer"] as? String,
                tools: (item["checks"] as? [[String: Any]] ?? []).compactMap { $0["tool"] as? String })
        }
    }()

    public static let githubCases: [GitHubCase] = {
        guard isAvailable, let array = load(githubDirectory) else { return [] }
        return array.compactMap { item in
            guard let id = item["id"] as? String, let verdict = item["expected_verdict"] as? String,
                let gh = (item["checks"] as? [[String: Any]])?.first(where: { $0["tool"] as? String == "gh" }),
                let argv = gh["argv"] as? [String], argv.count > 3
            else { return nil }
            var arguments = Array(argv.dropFirst(3))
            if let format = arguments.firstIndex(of: "--format") { arguments.removeSubrange(format...format + 1) }
            return GitHubCase(id: id, expectedVerdict: verdict, expectedReason: item["expected_reason_gh"] as? String, ghArguments: arguments)
        }
    }()

    private static func load(_ directory: URL) -> [[String: Any]]? {
        guard let data = try? Data(contentsOf: directory.appendingPathComponent("cases.json")) else { return nil }
        return try? JSONSerialization.jsonObject(with: data) as? [[String: Any]]
    }
}
