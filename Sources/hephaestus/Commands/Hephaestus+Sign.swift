import ArgumentParser
import Foundation
import HephaestusCore
import HephaestusPlatform

extension Hephaestus {
    /// `hephaestus sign`.
    struct Sign: HephaestusCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign files into Sigstore bundles (keyless via OIDC, or with a managed key).",
            discussion: """
                Keyless: the OIDC token comes from --identity-token, else SIGSTORE_ID_TOKEN, else the CI system's \
                ambient credentials (GitHub Actions with `id-token: write`, Buildkite, Google Cloud). An ephemeral \
                ECDSA P-256 key is certified by the CA of the signing config (embedded public-good production by \
                default; --staging; or --signing-config FILE), the signature is recorded in the selected transparency \
                log and timestamped by its TSA. Each bundle is verified with the trust root (--trusted-root) and the \
                signer's own identity before it is written atomically to FILE.sigstore.json or --bundle; existing \
                bundles are kept unless --overwrite.
                """
        )

        @OptionGroup(title: "Global options")
        var global: GlobalOptions

        @Option(help: ArgumentHelp("The OIDC identity token (JWT) to sign with.", valueName: "TOKEN"))
        var identityToken: String?

        @Option(help: ArgumentHelp("A signing_config.v0.2.json naming the CA, logs and TSAs (default: embedded production).", valueName: "FILE"))
        var signingConfig: String?

        @OptionGroup(title: "Trust")
        var trust: TrustOptions

        @Option(help: ArgumentHelp("Sign with this PEM private key (ECDSA P-256/P-384, Ed25519) instead of keyless.", valueName: "PEM"))
        var key: String?

        @Flag(help: "FILE is an in-toto statement: sign it as a DSSE envelope.")
        var inToto = false

        @Option(help: ArgumentHelp("Where to write the bundle (one FILE only; default FILE.sigstore.json).", valueName: "OUT"))
        var bundle: String?

        @Flag(help: "Replace existing bundles.")
        var overwrite = false

        @Flag(help: "Print one JSON document on stdout.")
        var json = false

        @OptionGroup(title: "Network")
        var http: HTTPOptions

        @Argument(help: ArgumentHelp("Files to sign.", valueName: "FILE"))
        var files: [String]

        func validate() throws {
            if signingConfig != nil && trust.staging {
                throw ValidationError("--signing-config and --staging cannot be used together")
            }
            if bundle != nil && files.count != 1 {
                throw ValidationError("--bundle names one output: give exactly one FILE with it")
            }
            if key != nil && identityToken != nil {
                throw ValidationError("--key and --identity-token cannot be used together")
            }
        }

        func execute(_ context: CommandContext) async throws {
            let client = try http.makeHTTPClient(logger: context.logger)
            let configSelection: SigningConfigSelection =
                if let signingConfig { .file(path: signingConfig) } else { trust.staging ? .staging : .production }
            let request = ArtifactSigning.Request(
                files: files, bundlePath: bundle, overwrite: overwrite, inToto: inToto, signingConfig: configSelection,
                trust: trust.makeSelection())
            let credential: ArtifactSigning.Credential =
                if let key { .managedKey(path: key) } else { .keyless(IdentityTokenProvider(http: client), explicitToken: identityToken) }
            let signing = ArtifactSigning(request: request, credential: credential, http: client, logger: context.logger)
            let outcomes = try signing.run { outcome in
                guard !json else { return }
                let result = outcome.verification
                context.stdout.line("Signed: \(outcome.file)")
                context.stdout.line("  bundle:   \(outcome.bundle)")
                context.stdout.line("  identity: \(result.identity)")
                if let issuer = result.issuer { context.stdout.line("  issuer:   \(issuer)") }
                for entry in result.logEntries {
                    context.stdout.line("  log:      \(entry.log) entry \(entry.logIndex) (\(entry.kind) \(entry.kindVersion))")
                }
                for timestamp in result.verifiedTimestamps {
                    context.stdout.line("  time:     \(timestamp.time.formatted(Date.ISO8601FormatStyle())) (\(timestamp.source))")
                }
                context.stdout.flush()
            }
            if json {
                context.stdout.line(
                    try ResultDocument(mediaType: MediaType.signingResult, runID: context.runID, payload: SigningReport(signed: outcomes)).jsonText())
            }
        }
    }
}

/// The `--json` payload of `sign`.
struct SigningReport: Encodable, Sendable {
    let signed: [ArtifactSigning.Outcome]
}
