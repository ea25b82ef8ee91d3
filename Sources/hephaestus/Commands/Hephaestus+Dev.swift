import ArgumentParser
import Dispatch
import Foundation
import HephaestusCore
import HephaestusLocalSigstore

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
            usage: """
                hephaestus dev sigstore [serve] --dir <DIR> [--port <PORT>] [--port-file <FILE>]
                hephaestus dev sigstore token --dir <DIR> --identity <ID> [--issuer <URL>] [--lifetime <SECONDS>]
                """,
            discussion: """
                Without a subcommand, serve runs: it serves the instance kept in DIR until interrupted, on PORT (default: \
                the port of the last run, else a free one), and writes its URLs and port as JSON to FILE once listening \
                (removed when it stops). token prints an OIDC identity token minted by the instance's issuer.
                """,
            subcommands: [DevSigstoreServe.self, DevSigstoreToken.self],
            defaultSubcommand: DevSigstoreServe.self)
    }

    /// `hephaestus dev sigstore [serve] --dir DIR`.
    struct DevSigstoreServe: OperationCommand {
        typealias Performed = DevSigstoreServeOperation

        static let configuration = CommandConfiguration(
            commandName: "serve",
            abstract: "Serve the local Sigstore TEST instance kept in DIR until interrupted.",
            discussion: withExitStatuses(
                """
                THIS IS A TEST INSTANCE: its OIDC issuer mints tokens for any identity, so nothing it signs proves \
                anything. It exists to rehearse signing and backfill offline. On 127.0.0.1 it serves Fulcio v2 \
                (POST /api/v2/signingCert, 10-minute leaves with Fulcio's extensions and an embedded SCT), Rekor v1 \
                (POST/GET /api/v1/log/entries, GET /api/v1/log), a Rekor v2-style log (POST /api/v2/log/entries), an \
                RFC 3161 TSA (POST /api/v1/timestamp) and an OIDC issuer (/oauth2/.well-known/openid-configuration, \
                /oauth2/jwks). Keys, certificates and log entries are kept in DIR (log entries in SQLite), so a restart \
                continues the same logs. DIR receives trusted_root.json, signing_config.json (Rekor v2 + TSA), \
                signing_config.rekor-v1.json and trust_config.json (for `sigstore --trust-config`).
                """)
        )

        @OptionGroup(title: "Global options")
        var global: GlobalOptions

        @Option(help: ArgumentHelp("The instance directory (created on first use).", valueName: "DIR"))
        var dir: String

        @Option(help: ArgumentHelp("Port on 127.0.0.1 (default: the port of the last run, else a free one).", valueName: "PORT"))
        var port: Int?

        @Option(help: ArgumentHelp("Write the service URLs and port as JSON here once listening; removed when it stops.", valueName: "FILE"))
        var portFile: String?

        var requested: DevSigstoreServeOperation.Request { DevSigstoreServeOperation.Request(directory: dir, port: port ?? 0, portFile: portFile) }

        func validate() throws {
            do { try requested.validate() } catch { throw ValidationError(error.message) }
        }

        func request(_ context: CommandContext) throws -> DevSigstoreServeOperation.Request { requested }

        /// SIGINT and SIGTERM stop the instance serving; the command then ends with status 0.
        var cancelsOnTermination: Bool { true }

        func render(item listening: DevSigstoreServeOperation.Listening, _ context: CommandContext) {
            let dir = listening.directory
            context.stdout.line("local Sigstore TEST instance listening on \(listening.url) (dir \(dir))")
            context.stdout.line("  trusted root:   \(dir)/trusted_root.json")
            context.stdout.line("  signing config: \(dir)/signing_config.json (Rekor v2 + TSA), \(dir)/signing_config.rekor-v1.json")
            context.stdout.line("  token:          hephaestus dev sigstore token --dir \(dir) --identity you@example.com")
            context.stdout.flush()
        }

        func render(report: DevSigstoreServeOperation.Report, _ context: CommandContext) throws {}
    }

    /// `hephaestus dev sigstore token --dir DIR --identity ID`.
    struct DevSigstoreToken: OperationCommand {
        typealias Performed = DevSigstoreTokenOperation

        static let configuration = CommandConfiguration(
            commandName: "token",
            abstract: "Print an OIDC identity token (JWT) minted by the local TEST instance's issuer.",
            discussion: withExitStatuses(
                "E-mail identities get email/email_verified claims; with --issuer https://token.actions.githubusercontent.com a https://github.com/OWNER/REPO/.github/workflows/FILE@REF identity gets GitHub's workflow claims."
            )
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

        var requested: DevSigstoreTokenOperation.Request {
            DevSigstoreTokenOperation.Request(directory: dir, identity: identity, issuer: issuer, lifetime: lifetime)
        }

        func validate() throws {
            do { try requested.validate() } catch { throw ValidationError(error.message) }
        }

        func request(_ context: CommandContext) throws -> DevSigstoreTokenOperation.Request { requested }

        func render(report: DevSigstoreTokenOperation.Report, _ context: CommandContext) throws {
            context.stdout.line(report.token)
        }
    }
}
