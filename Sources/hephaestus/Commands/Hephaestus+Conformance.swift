import ArgumentParser
import HephaestusCore
import HephaestusSigstore

extension Hephaestus {
    /// `hephaestus conformance`: the sigstore-conformance CLI protocol (docs/cli_protocol.md of
    /// sigstore/sigstore-conformance), for running the public conformance suite against Hephaestus.
    struct Conformance: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "conformance",
            abstract: "The sigstore-conformance and tuf-conformance CLI protocols (for their test suites).",
            shouldDisplay: false,
            subcommands: [ConformanceSignBundle.self, ConformanceVerifyBundle.self, ConformanceTUFClient.self]
        )
    }

    /// `conformance sign-bundle [--staging] [--in-toto] --identity-token TOKEN --bundle FILE
    /// [--trusted-root FILE --signing-config FILE] FILE`: keyless signing as `hephaestus sign` does it.
    struct ConformanceSignBundle: OperationCommand {
        typealias Performed = SignFilesOperation
        static let configuration = CommandConfiguration(commandName: "sign-bundle", discussion: withExitStatuses(""))

        @OptionGroup(title: "Global options")
        var global: GlobalOptions

        @Flag var staging = false
        @Flag var inToto = false
        @Option var identityToken: String
        @Option var bundle: String
        @Option var trustedRoot: String?
        @Option var signingConfig: String?
        @OptionGroup(title: "Network")
        var http: HTTPOptions
        @Argument var file: String

        var httpSettings: HTTPSettings? { http.settings }

        func request(_ context: CommandContext) throws -> SignFilesOperation.Request {
            // --staging stands for whichever of the trust root and the signing config is not given.
            SignFilesOperation.Request(
                files: [file], bundle: bundle, overwrite: true, inToto: inToto,
                signing: SigningChoice(identityToken: identityToken, signingConfig: signingConfig),
                trust: TrustChoice(trustedRoot: trustedRoot, staging: trustedRoot == nil && staging),
                stagingSigningConfig: signingConfig == nil && staging)
        }

        func render(report: SigningReport, _ context: CommandContext) throws {}
    }

    /// `conformance verify-bundle [--staging] --bundle FILE (--certificate-identity I --certificate-oidc-issuer U |
    /// --key PATH) [--trusted-root FILE] FILE_OR_DIGEST`.
    struct ConformanceVerifyBundle: OperationCommand {
        typealias Performed = VerifyBundleOperation
        static let configuration = CommandConfiguration(commandName: "verify-bundle", discussion: withExitStatuses(""))

        @OptionGroup(title: "Global options")
        var global: GlobalOptions

        @Flag var staging = false
        @Option var bundle: String
        @Option(name: .certificateIdentity) var certificateIdentity: String?
        @Option(name: .certificateOidcIssuer) var certificateOidcIssuer: String?
        @Option var key: String?
        /// With --staging too, the given root wins: the suite passes both for staging instances.
        @Option var trustedRoot: String?
        @Argument var fileOrDigest: String

        func validate() throws {
            if key == nil && (certificateIdentity == nil || certificateOidcIssuer == nil) {
                throw ValidationError("--certificate-identity and --certificate-oidc-issuer, or --key, are required")
            }
        }

        var failureEvent: String? { "verify.failed" }

        func request(_ context: CommandContext) throws -> VerifyBundleOperation.Request {
            let signer =
                key.map { SignerChoice(key: $0) }
                ?? SignerChoice(certificateIdentity: certificateIdentity, certificateOidcIssuer: certificateOidcIssuer)
            // The given root wins over --staging.
            return VerifyBundleOperation.Request(
                bundle: bundle, artifact: fileOrDigest, signer: signer,
                trust: TrustChoice(trustedRoot: trustedRoot, staging: trustedRoot == nil && staging))
        }

        func render(report: VerificationReport, _ context: CommandContext) throws {
            if let result = report.result { VerificationOutput(context: context).printHuman(result, artifact: fileOrDigest) }
        }
    }
}

extension Hephaestus {
    /// `conformance tuf-client`: the tuf-conformance client CLI protocol (CLIENT-CLI.md of
    /// theupdateframework/tuf-conformance) over `conformance.tuf-client`:
    /// `--metadata-dir DIR init ROOT`, `--metadata-dir DIR --metadata-url URL refresh`,
    /// `--metadata-dir DIR --metadata-url URL --target-name PATH… --target-base-url URL --target-dir DIR download`.
    /// Exit 0 on success, 1 on any failure (the protocol's convention), with the one error line on stderr.
    struct ConformanceTUFClient: OperationCommand {
        typealias Performed = TUFClientOperation
        static let configuration = CommandConfiguration(
            commandName: "tuf-client",
            discussion: "Exit status, as the tuf-conformance protocol has it: 0 success, 1 any failure (one line on stderr says which).")

        @OptionGroup(title: "Global options")
        var global: GlobalOptions

        @Option var metadataDir: String
        @Option var metadataUrl: String?
        @Option var targetName: [String] = []
        @Option var targetBaseUrl: String?
        @Option var targetDir: String?
        @OptionGroup(title: "Network")
        var http: HTTPOptions
        /// `init`, `refresh` or `download`.
        @Argument var command: String
        /// The trusted root of `init`.
        @Argument var trustedRoot: String?

        var httpSettings: HTTPSettings? { http.settings }

        func run() async throws {
            do {
                try await runReporting()
            } catch let exit as ExitCode where exit != .success {
                throw ExitCode(1)
            }
        }

        func request(_ context: CommandContext) throws -> TUFClientOperation.Request {
            TUFClientOperation.Request(
                command: command, metadataDir: metadataDir, trustedRoot: trustedRoot, metadataUrl: metadataUrl, targetName: targetName,
                targetBaseUrl: targetBaseUrl, targetDir: targetDir)
        }

        func render(report: TUFClientOperation.Report, _ context: CommandContext) throws {}
    }
}
