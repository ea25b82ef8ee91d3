import Foundation
import HephaestusPlatform

/// How to sign, as the CLI's signing options give it: keyless with an OIDC token (explicit, `SIGSTORE_ID_TOKEN`, or the
/// CI's ambient credentials) or a managed key; which signing config names the services.
public struct SigningChoice: Codable, Sendable, Equatable {
    /// The OIDC identity token (JWT); a secret, registered with the run's redactor when used.
    public var identityToken: String?
    /// A `signing_config.v0.2.json` naming the CA, logs and TSAs (default: the embedded production one).
    public var signingConfig: String?
    /// A PEM private key (ECDSA P-256/P-384, Ed25519) to sign with instead of keyless.
    public var key: String?

    public init(identityToken: String? = nil, signingConfig: String? = nil, key: String? = nil) {
        self.identityToken = identityToken
        self.signingConfig = signingConfig
        self.key = key
    }

    public func validate(staging: Bool) throws(RequestError) {
        if signingConfig != nil && staging { throw RequestError("--signing-config and --staging cannot be used together") }
        if key != nil && identityToken != nil { throw RequestError("--key and --identity-token cannot be used together") }
    }

    public func configSelection(staging: Bool) -> SigningConfigSelection {
        if let signingConfig { return .file(path: signingConfig) }
        return staging ? .staging : .production
    }

    /// `--signing-config FILE`, else the one that goes with the run's trust material (the TUF cache's, or embedded).
    public func configSelection(trust: TrustSelection) -> SigningConfigSelection {
        signingConfig.map { .file(path: $0) } ?? trust.signingConfig
    }

    /// Who signs: the managed key, or keyless with the token found through the run's environment and HTTP client.
    public func credential(in context: OperationContext) throws -> SigningSession.Credential {
        if let key { return .managedKey(path: key) }
        if let identityToken { context.redactor.register(identityToken) }
        let provider = IdentityTokenProvider(environment: context.environment, http: try context.network.client(), redactor: context.redactor)
        return .keyless(provider, explicitToken: identityToken)
    }
}
