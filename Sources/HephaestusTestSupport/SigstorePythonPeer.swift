import Foundation
import HephaestusSigstore

/// The `sigstore` package from PyPI, run as an independent verifier of bundles we produce.
///
/// Found in `$HEPHAESTUS_TEST_VENV/bin` (set by `scripts/bootstrap test`, which installs it), else in the checkout's
/// `.venv-tests` or `.venv-bench`. When the bootstrap said it installed it, its absence is a failure, not a skip.
public enum SigstorePythonPeer {
    public static var executable: String? {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var candidates: [String] = []
        if let venv = ProcessInfo.processInfo.environment["HEPHAESTUS_TEST_VENV"] { candidates.append("\(venv)/bin/sigstore") }
        candidates += [".venv-tests", ".venv-bench"].map { root.appendingPathComponent("\($0)/bin/sigstore").path }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// True when the test job promised the peer (so a missing peer must fail rather than skip).
    public static var isRequired: Bool { ProcessInfo.processInfo.environment["HEPHAESTUS_TEST_VENV"] != nil }

    public static var isUsable: Bool { executable != nil || isRequired }

    public static let absenceMessage = "the sigstore package from PyPI is not installed (run scripts/bootstrap test): cross-check skipped"

    /// A `ClientTrustConfig` (trusted root plus a signing config) for `sigstore --trust-config`.
    public static func trustConfig(trustedRoot: [String: Any], signingConfig: [String: Any]) -> [UInt8] {
        BundleEncoder.data([
            "mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
            "trustedRoot": trustedRoot, "signingConfig": signingConfig,
        ])
    }

    /// `sigstore --trust-config CONFIG verify identity --offline --bundle BUNDLE --cert-identity … --cert-oidc-issuer … FILE`.
    public static func verifyIdentity(
        trustConfig: String, bundle: String, artifact: String, identity: String, issuer: String
    ) throws -> ProcessResult {
        guard let executable else { throw ToolLocator.Missing(name: "sigstore (PyPI)") }
        return try ProcessResult.run(
            executable,
            ["--trust-config", trustConfig, "verify", "identity", "--offline", "--bundle", bundle,
             "--cert-identity", identity, "--cert-oidc-issuer", issuer, artifact])
    }
}
