import ArgumentParser
import HephaestusCore
import HephaestusPlatform

/// How to sign (CLI.md `sign`): keyless with a token (or ambient credentials), or a managed key; which services.
struct SigningOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The OIDC identity token (JWT) to sign with (default: SIGSTORE_ID_TOKEN, then CI ambient credentials).", valueName: "TOKEN"))
    var identityToken: String?

    @Option(help: ArgumentHelp("A signing_config.v0.2.json naming the CA, logs and TSAs (default: embedded production).", valueName: "FILE"))
    var signingConfig: String?

    @Option(help: ArgumentHelp("Sign with this PEM private key (ECDSA P-256/P-384, Ed25519) instead of keyless.", valueName: "PEM"))
    var key: String?

    func validate(staging: Bool) throws {
        if signingConfig != nil && staging {
            throw ValidationError("--signing-config and --staging cannot be used together")
        }
        if key != nil && identityToken != nil {
            throw ValidationError("--key and --identity-token cannot be used together")
        }
    }

    func configSelection(staging: Bool) -> SigningConfigSelection {
        if let signingConfig { return .file(path: signingConfig) }
        return staging ? .staging : .production
    }

    func credential(http: HTTPClient) -> SigningSession.Credential {
        if let key { return .managedKey(path: key) }
        return .keyless(IdentityTokenProvider(http: http), explicitToken: identityToken)
    }
}
