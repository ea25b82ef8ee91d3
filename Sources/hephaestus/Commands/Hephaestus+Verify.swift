import ArgumentParser
import Foundation
import HephaestusCore
import HephaestusSigstore

extension Hephaestus {
    /// `hephaestus verify`: Sigstore bundle verification, offline.
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Verify Sigstore bundles offline against the embedded (or a given) trusted root.",
            subcommands: [VerifyBundle.self, VerifyBatch.self]
        )
    }

    /// `hephaestus verify bundle`.
    struct VerifyBundle: OperationCommand {
        typealias Performed = VerifyBundleOperation

        static let configuration = CommandConfiguration(
            commandName: "bundle",
            abstract: "Verify one Sigstore bundle for an artifact and a signer.",
            discussion: withExitStatuses(
                """
                Follows the Sigstore client specification: bundle structure, verified signing times (SET, RFC 3161), \
                the certificate chain at each of those times, embedded SCTs, the signer identity, transparency-log \
                inclusion (proof + signed checkpoint) and the signature over the artifact. No network is used.
                FILE_OR_DIGEST is a path, or sha256:<64 hex> when no file by that name exists.
                """)
        )

        @OptionGroup(title: "Global options")
        var global: GlobalOptions

        @Option(help: ArgumentHelp("The Sigstore bundle (.sigstore.json or .sigstore).", valueName: "FILE"))
        var bundle: String

        @OptionGroup(title: "Signer")
        var identity: IdentityOptions

        @OptionGroup(title: "Trust")
        var trust: TrustOptions

        @Flag(help: "Print one JSON verification-result document on stdout.")
        var json = false

        @Flag(help: "Accepted for sigstore-python compatibility; does nothing: verification is always offline.")
        var offline = false

        @Argument(help: ArgumentHelp("The artifact, or its digest as sha256:<hex>.", valueName: "FILE_OR_DIGEST"))
        var artifact: String

        var failureEvent: String? { "verify.failed" }

        func request(_ context: CommandContext) throws -> VerifyBundleOperation.Request {
            VerifyBundleOperation.Request(bundle: bundle, artifact: artifact, signer: identity.choice, trust: trust.choice)
        }

        func render(report: VerificationReport, _ context: CommandContext) throws {
            if json {
                try printJSON(report, context)
            } else if let result = report.result {
                VerificationOutput(context: context).printHuman(result, artifact: artifact)
            }
        }
    }
}
