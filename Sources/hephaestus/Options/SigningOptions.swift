import ArgumentParser
import HephaestusCore
import HephaestusPlatform

/// How to sign (CLI.md `sign`): keyless with a token (or ambient credentials), or a managed key; which services.
struct SigningOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The OIDC identity token (JWT) to sign with (default: SIGSTORE_ID_TOKEN, then CI ambient credentials).", valueName: "TOKEN"))
    var identityToken: String?

    @Option(help: ArgumentHelp("A signing_config.v0.2.json naming the CA, logs and TSAs (default: embedded production).", valueName: "FILE"))
    var signingConfig: String?

    @Option(help: ArgumentHelp("Sign with this PEM private key (ECDSA P-256/P-384, Ed25519) instead of keyless.", valueName: "PEM"))
    var key: String?

    var choice: SigningChoice { SigningChoice(identityToken: identityToken, signingConfig: signingConfig, key: key) }

    func validate(staging: Bool) throws {
        do { try choice.validate(staging: staging) } catch { throw ValidationError(error.message) }
    }
}
