import ArgumentParser
import Foundation
import HephaestusCore
import HephaestusPlatform
import HephaestusSigstore

extension Hephaestus {
    /// `hephaestus verify`: Sigstore bundle verification, offline.
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Verify Sigstore bundles offline against the embedded (or a given) trusted root.",
            discussion: "`hephaestus verify FILE...` verifies each FILE with its bundle (verify files).",
            subcommands: [VerifyFiles.self, VerifyBundle.self, VerifyBatch.self, VerifyAttestation.self, VerifyGitHubAttestation.self],
            defaultSubcommand: VerifyFiles.self
        )
    }

    /// `hephaestus verify FILE...` (also `verify files FILE...`).
    struct VerifyFiles: OperationCommand {
        typealias Performed = VerifyFilesOperation

        static let configuration = CommandConfiguration(
            commandName: "files",
            abstract: "Verify files with their bundles for one signer (as sigstore-python's verify identity FILE...).",
            discussion: withExitStatuses(
                """
                Each FILE's bundle is FILE.sigstore.json, else FILE.sigstore (the Sigstore client specification's \
                discovery order), beside it or in --bundle-dir. Every file is checked as `verify bundle` checks one; \
                one verdict per file, in the order given: `OK: FILE` or `FAIL: FILE: why`. No network is used.
                """)
        )

        @OptionGroup(title: "Global options")
        var global: GlobalOptions

        @Option(help: ArgumentHelp("Find each bundle here, by the file's name, instead of beside the file.", valueName: "DIR"))
        var bundleDir: String?

        @OptionGroup(title: "Signer")
        var identity: IdentityOptions

        @OptionGroup(title: "Trust")
        var trust: TrustOptions

        @Flag(help: "Print one JSON document with every verdict on stdout.")
        var json = false

        @Argument(help: ArgumentHelp("The files to verify.", valueName: "FILE"))
        var files: [String]

        var requested: VerifyFilesOperation.Request {
            VerifyFilesOperation.Request(files: files, bundleDir: bundleDir, signer: identity.choice, trust: trust.choice)
        }

        func validate() throws {
            do { try requested.validate() } catch { throw ValidationError(error.message) }
        }

        var failureEvent: String? { "verify.failed" }

        func request(_ context: CommandContext) throws -> VerifyFilesOperation.Request { requested }

        func render(item verdict: VerificationReport, _ context: CommandContext) {
            guard !json else { return }
            switch verdict.verdict {
            case .pass: context.stdout.line(bytes: NativePath.bytes("OK: \(verdict.artifact)"))
            case .fail:
                let why = verdict.step.map { "verification failed at \($0): \(verdict.reason ?? "")" } ?? verdict.reason ?? ""
                context.stdout.line(bytes: NativePath.bytes("FAIL: \(verdict.artifact): \(why)"))
            }
        }

        func render(report: VerifyFilesOperation.Report, _ context: CommandContext) throws {
            if json { try printJSON(report, context) }
        }
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
