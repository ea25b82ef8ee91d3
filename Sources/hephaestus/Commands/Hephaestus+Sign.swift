import ArgumentParser
import Foundation
import HephaestusCore
import HephaestusPlatform

extension Hephaestus {
    /// `hephaestus sign`.
    struct Sign: OperationCommand {
        typealias Performed = SignFilesOperation

        static let configuration = CommandConfiguration(
            commandName: "sign",
            abstract: "Sign files into Sigstore bundles (keyless via OIDC, or with a managed key).",
            discussion: withExitStatuses(
                """
                Keyless: the OIDC token comes from --identity-token, else SIGSTORE_ID_TOKEN, else the CI system's \
                ambient credentials (GitHub Actions with `id-token: write`, Buildkite, Google Cloud). An ephemeral \
                ECDSA P-256 key is certified by the CA of the signing config (embedded public-good production by \
                default; --staging; or --signing-config FILE), the signature is recorded in the selected transparency \
                log and timestamped by its TSA. Each bundle is verified with the trust root (--trusted-root) and the \
                signer's own identity before it is written atomically to FILE.sigstore.json or --bundle; existing \
                bundles are kept unless --overwrite.
                """)
        )

        @OptionGroup(title: "Global options")
        var global: GlobalOptions

        @OptionGroup(title: "Signing")
        var signing: SigningOptions

        @OptionGroup(title: "Trust")
        var trust: TrustOptions

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
            do { try operationRequest.validate() } catch { throw ValidationError(error.message) }
        }

        var httpSettings: HTTPSettings? { http.settings }

        var operationRequest: SignFilesOperation.Request {
            SignFilesOperation.Request(
                files: files, bundle: bundle, overwrite: overwrite, inToto: inToto, signing: signing.choice, trust: trust.choice)
        }

        func request(_ context: CommandContext) throws -> SignFilesOperation.Request { operationRequest }

        func render(item outcome: ArtifactSigning.Outcome, _ context: CommandContext) {
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
                context.stdout.line("  time:     \(RFC3339.string(timestamp.time)) (\(timestamp.source))")
            }
            context.stdout.flush()
        }

        func render(report: SigningReport, _ context: CommandContext) throws {
            if json { try printJSON(report, context) }
        }
    }
}
