import Foundation
import HephaestusPlatform

/// Builds compact JWTs for signer tests (signed with a throwaway key: the signer does not verify token signatures,
/// the certificate authority does).
public enum TestIdentityToken {
    public static func make(
        issuer: String = "https://issuer.example.com", subject: String = "signer@example.com", email: String? = "signer@example.com",
        emailVerified: Bool? = true, expiresIn: TimeInterval = 300, now: Date = Date(), extra: [String: Any] = [:]
    ) -> String {
        var claims: [String: Any] = [
            "iss": issuer, "sub": subject, "aud": "sigstore",
            "iat": Int(now.timeIntervalSince1970), "exp": Int(now.timeIntervalSince1970 + expiresIn),
        ]
        if let email { claims["email"] = email }
        if let emailVerified { claims["email_verified"] = emailVerified }
        claims.merge(extra) { _, new in new }
        return compact(header: ["alg": "ES256", "typ": "JWT"], claims: claims)
    }

    /// A GitHub Actions token for a workflow run.
    public static func githubActions(
        workflowRef: String = "hephaestus-demo/wheels/.github/workflows/release.yml@refs/tags/v1.0.0", expiresIn: TimeInterval = 300
    ) -> String {
        make(
            issuer: "https://token.actions.githubusercontent.com", subject: "repo:hephaestus-demo/wheels:ref:refs/tags/v1.0.0",
            email: nil, emailVerified: nil, expiresIn: expiresIn, extra: ["job_workflow_ref": workflowRef])
    }

    public static func compact(header: [String: Any], claims: [String: Any]) -> String {
        let key = PrivateKey.generate(.ecdsaP256)
        let signingInput = [header, claims]
            .map { Base64.encode(Array((try? JSONSerialization.data(withJSONObject: $0, options: .sortedKeys)) ?? Data()), alphabet: .urlSafe) }
            .joined(separator: ".")
        let signature = (try? key.sign(message: Array(signingInput.utf8))) ?? []
        return signingInput + "." + Base64.encode(signature, alphabet: .urlSafe)
    }
}
