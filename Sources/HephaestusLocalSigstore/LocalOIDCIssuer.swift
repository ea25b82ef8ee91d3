import Foundation
import HephaestusPlatform
import HephaestusSigstore

/// The OIDC issuer of a local test instance: mints ES256 identity tokens for any identity it is asked for (that is
/// what makes it a *test* issuer), publishes its key as a JWKS, and verifies tokens for the instance's CA the way
/// Fulcio verifies tokens against an issuer's JWKS.
public final class LocalOIDCIssuer: Sendable {
    public static let audience = "sigstore"

    /// The issuer URL (the `iss` of tokens it mints by default; discovery is served below it).
    public let url: String
    public let key: PrivateKey
    /// The JWK key id: the first 8 bytes of SHA-256(SPKI), hex.
    public let keyID: String

    public init(url: String, key: PrivateKey) {
        self.url = url
        self.key = key
        keyID = Hex.encode(Array(DigestAlgorithm.sha256.hash(key.publicKey.derSubjectPublicKeyInfo).bytes.prefix(8)))
    }

    /// Mints a token for `identity`: an e-mail address (claims `email`, `email_verified: true`) or a URI (the
    /// subject). With GitHub's issuer and a `https://github.com/OWNER/REPO/.github/workflows/FILE@REF` identity it
    /// carries the workflow claims Fulcio copies into the certificate.
    public func mint(
        identity: String, issuer: String? = nil, lifetime: TimeInterval = 600, now: Date = Date(),
        extraClaims: [String: Any] = [:]
    ) throws(CryptoError) -> String {
        let issued = Int(now.timeIntervalSince1970)
        var claims: [String: Any] = [
            "iss": issuer ?? url, "aud": Self.audience, "iat": issued, "nbf": issued, "exp": issued + Int(lifetime),
            "sub": identity,
        ]
        if !identity.contains("://") {
            claims["email"] = identity
            claims["email_verified"] = true
        }
        let githubPrefix = "https://github.com/"
        if issuer == IdentityToken.githubActionsIssuer, identity.hasPrefix(githubPrefix) {
            let workflowRef = String(identity.dropFirst(githubPrefix.count))
            let repository = workflowRef.split(separator: "/").prefix(2).joined(separator: "/")
            let ref = workflowRef.split(separator: "@", maxSplits: 1).dropFirst().first.map(String.init) ?? "refs/heads/main"
            claims["sub"] = "repo:\(repository):ref:\(ref)"
            claims["job_workflow_ref"] = workflowRef
            claims["repository"] = repository
            claims["ref"] = ref
            claims["workflow_ref"] = workflowRef
            claims["event_name"] = "push"
            claims["sha"] = String(repeating: "0", count: 40)
            claims["repository_owner"] = String(repository.split(separator: "/").first ?? "")
            claims["runner_environment"] = "github-hosted"
        }
        for (name, value) in extraClaims { claims[name] = value }
        let header: [String: Any] = ["alg": "ES256", "kid": keyID, "typ": "JWT"]
        let signingInput = Self.segment(header) + "." + Self.segment(claims)
        let signature = try ECDSASignatureFormat.raw(fromDER: key.sign(message: Array(signingInput.utf8)), width: 32)
        return signingInput + "." + Base64.encode(signature, alphabet: .urlSafe)
    }

    /// Checks the token's ES256 signature against this issuer's key and its audience, then decodes it.
    public func verify(_ token: String) throws(SigningError) -> IdentityToken {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerBytes = Base64.decode(parts[0], alphabet: .urlSafe),
            let header = try? JSONSerialization.jsonObject(with: Data(headerBytes)) as? [String: Any]
        else { throw .malformedIdentityToken("not a compact JWS") }
        guard header["alg"] as? String == "ES256" else {
            throw .identityTokenNotUsable("signed with \(header["alg"] ?? "no algorithm"), this issuer signs ES256")
        }
        guard header["kid"] as? String == keyID else { throw .identityTokenNotUsable("signed by an unknown key (kid)") }
        guard let raw = Base64.decode(parts[2], alphabet: .urlSafe), raw.count == 64,
            let der = try? ECDSASignatureFormat.der(fromRaw: raw),
            key.publicKey.isValidSignature(der, for: Array("\(parts[0]).\(parts[1])".utf8), scheme: .ecdsa(.sha256))
        else { throw .identityTokenNotUsable("the token's signature does not verify with the issuer's key") }
        let decoded = try IdentityToken(token)
        guard decoded.audiences.contains(Self.audience) else {
            throw .identityTokenNotUsable("audience \(decoded.audiences) does not include \"\(Self.audience)\"")
        }
        return decoded
    }

    /// `/.well-known/openid-configuration` below the issuer URL.
    public var discoveryDocument: [String: Any] {
        [
            "issuer": url, "jwks_uri": url + "/jwks", "id_token_signing_alg_values_supported": ["ES256"],
            "response_types_supported": ["id_token"], "subject_types_supported": ["public"],
        ]
    }

    /// The JWKS with the issuer's one P-256 key.
    public var keySet: [String: Any] {
        let point = Array(key.publicKey.derSubjectPublicKeyInfo.suffix(64))
        return [
            "keys": [
                [
                    "kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": keyID,
                    "x": Base64.encode(Array(point.prefix(32)), alphabet: .urlSafe),
                    "y": Base64.encode(Array(point.suffix(32)), alphabet: .urlSafe),
                ]
            ]
        ]
    }

    private static func segment(_ object: [String: Any]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return Base64.encode(Array(data), alphabet: .urlSafe)
    }
}
