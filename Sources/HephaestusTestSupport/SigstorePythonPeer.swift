import Foundation
import HephaestusSigstore

/// The `sigstore` package from PyPI, run as an independent verifier of bundles we produce (found in ``TestVenv``).
public enum SigstorePythonPeer {
    public static var executable: String? { TestVenv.tool("sigstore") }

    /// True when the test job promised the peer (so a missing peer must fail rather than skip).
    public static var isRequired: Bool { TestVenv.isRequired }

    public static var isUsable: Bool { TestVenv.isUsable("sigstore") }

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
            [
                "--trust-config", trustConfig, "verify", "identity", "--offline", "--bundle", bundle,
                "--cert-identity", identity, "--cert-oidc-issuer", issuer, artifact,
            ])
    }
}
