import ArgumentParser
import Dispatch
import Foundation
import HephaestusCore
import HephaestusLocalSigstore
import HephaestusPlatform

extension Hephaestus {
    /// `hephaestus dev`.
    struct Dev: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "dev",
            abstract: "Development and rehearsal tools (local TEST services; never for real releases).",
            subcommands: [DevSigstore.self])
    }

    /// `hephaestus dev sigstore`.
    struct DevSigstore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sigstore",
            abstract: "Run a local Sigstore TEST instance (Fulcio, Rekor v1 and v2, TSA, CT, OIDC issuer) on 127.0.0.1.",
            subcommands: [DevSigstoreServe.self, DevSigstoreToken.self],
            defaultSubcommand: DevSigstoreServe.self)
    }

    /// `hephaestus dev sigstore [serve] --dir DIR`.
    struct DevSigstoreServe: HephaestusCommand {
        static let configuration = CommandConfiguration(
            commandName: "serve",
            abstract: "Serve the local Sigstore TEST instance kept in DIR until interrupted.",
            discussion: """
                THIS IS A TEST INSTANCE: its OIDC issuer mints tokens for any identity, so nothing it signs proves \
                anything. It exists to rehearse signing and backfill offline. On 127.0.0.1 it serves Fulcio v2 \
                (POST /api/v2/signingCert, 10-minute leaves with Fulcio's extensions and an embedded SCT), Rekor v1 \
                (POST/GET /api/v1/log/entries, GET /api/v1/log), a Rekor v2-style log (POST /api/v2/log/entries), an \
                RFC 3161 TSA (POST /api/v1/timestamp) and an OIDC issuer (/oauth2/.well-known/openid-configuration, \
                /oauth2/jwks). Keys, certificates and log entries are kept in DIR (log entries in SQLite), so a restart \
                continues the same logs. DIR receives trusted_root.json, signing_config.json (Rekor v2 + TSA), \
                signing_config.rekor-v1.json and trust_config.json (for `sigstore --trust-config`).
                """
        )

        @OptionGroup(title: "Global options")
        var global: GlobalOptions

        @Option(help: ArgumentHelp("The instance directory (created on first use).", valueName: "DIR"))
        var dir: String

        @Option(help: ArgumentHelp("Port on 127.0.0.1 (default: the port of the last run, else a free one).", valueName: "PORT"))
        var port: UInt16 = 0

        @Option(help: ArgumentHelp("Write the service URLs and port as JSON here once listening.", valueName: "FILE"))
        var portFile: String?

        func execute(_ context: CommandContext) async throws {
            let instance = try LocalSigstoreInstance.open(directory: dir, port: port)
            try instance.attachLogStorage()
            try instance.writeTrustDocuments()
            let logger = context.logger
            let server = try instance.serve { request, status in
                logger.info("dev.sigstore.request", metadata: ["method": .string(request.method), "path": .string(request.path), "status": .stringConvertible(status)])
            }
            if let portFile {
                try AtomicFileWriter.write(
                    Array(try JSONSerialization.data(withJSONObject: instance.portDocument, options: [.sortedKeys, .withoutEscapingSlashes])) + [0x0A],
                    to: portFile, overwrite: true)
            }
            context.logger.warning(
                "dev.sigstore.listening",
                metadata: [
                    "url": .string(instance.baseURL), "dir": .string(dir), "oidc_issuer": .string(instance.oidcIssuer.url),
                    "rekor_v1_entries": .stringConvertible(instance.rekorV1.size), "rekor_v2_entries": .stringConvertible(instance.rekorV2.size),
                    "label": "local Sigstore TEST instance: never trust it for real releases",
                ])
            context.stdout.line("local Sigstore TEST instance listening on \(instance.baseURL) (dir \(dir))")
            context.stdout.line("  trusted root:   \(dir)/trusted_root.json")
            context.stdout.line("  signing config: \(dir)/signing_config.json (Rekor v2 + TSA), \(dir)/signing_config.rekor-v1.json")
            context.stdout.line("  token:          hephaestus dev sigstore token --dir \(dir) --identity you@example.com")
            context.stdout.flush()
            await Self.waitForTermination()
            server.stop()
            context.logger.info("dev.sigstore.stopped")
        }

        /// Returns on SIGINT or SIGTERM.
        static func waitForTermination() async {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumed = LockedFlag()
                var sources: [DispatchSourceSignal] = []
                for number in [SIGINT, SIGTERM] {
                    signal(number, SIG_IGN)
                    let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                    source.setEventHandler {
                        if resumed.setOnce() { continuation.resume() }
                    }
                    source.resume()
                    sources.append(source)
                }
                SignalSources.keep(sources)
            }
        }
    }

    /// `hephaestus dev sigstore token --dir DIR --identity ID`.
    struct DevSigstoreToken: HephaestusCommand {
        static let configuration = CommandConfiguration(
            commandName: "token",
            abstract: "Print an OIDC identity token (JWT) minted by the local TEST instance's issuer.",
            discussion: "E-mail identities get email/email_verified claims; with --issuer https://token.actions.githubusercontent.com a https://github.com/OWNER/REPO/.github/workflows/FILE@REF identity gets GitHub's workflow claims."
        )

        @OptionGroup(title: "Global options")
        var global: GlobalOptions

        @Option(help: ArgumentHelp("The instance directory.", valueName: "DIR"))
        var dir: String

        @Option(help: ArgumentHelp("The identity: an e-mail address or a URI.", valueName: "ID"))
        var identity: String

        @Option(help: ArgumentHelp("The issuer claim (default: the instance's own issuer URL).", valueName: "URL"))
        var issuer: String?

        @Option(help: ArgumentHelp("Token lifetime in seconds (negative values mint expired tokens, for tests).", valueName: "SECONDS"))
        var lifetime: Int = 600

        func execute(_ context: CommandContext) async throws {
            let instance = try LocalSigstoreInstance.existing(directory: dir)
            context.stdout.line(try instance.oidcIssuer.mint(identity: identity, issuer: issuer, lifetime: TimeInterval(lifetime)))
        }
    }
}

/// A flag set at most once across threads.
final class LockedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var set = false

    /// True the first time only.
    func setOnce() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if set { return false }
        set = true
        return true
    }
}

/// Keeps signal sources alive for the life of the process.
enum SignalSources {
    nonisolated(unsafe) private static var kept: [DispatchSourceSignal] = []
    static func keep(_ sources: [DispatchSourceSignal]) { kept += sources }
}
