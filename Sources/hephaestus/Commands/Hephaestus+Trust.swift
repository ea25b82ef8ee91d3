import ArgumentParser
import HephaestusCore

extension Hephaestus {
    /// `hephaestus trust`: the Sigstore trust material in use.
    struct Trust: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "trust",
            abstract: "Show and refresh the Sigstore trust material verification uses.", subcommands: [TrustShow.self, TrustUpdate.self])
    }

    /// `hephaestus trust update [--staging | --tuf-url URL --tuf-root ROOT.json]`.
    struct TrustUpdate: OperationCommand {
        typealias Performed = TrustUpdateOperation

        static let configuration = CommandConfiguration(
            commandName: "update",
            abstract: "Refresh Sigstore's trusted root and signing config over TUF into the cache directory.",
            discussion: withExitStatuses(
                """
                Bootstrapped from the embedded TUF root of the public-good repository (production, or staging with \
                --staging), or from --tuf-root for the repository at --tuf-url. Files go to \
                $XDG_CACHE_HOME/hephaestus/tuf/REPOSITORY/ (default ~/.cache); nothing is kept from a refused update.
                """))

        @OptionGroup(title: "Global options")
        var global: GlobalOptions

        @Flag(help: "Use Sigstore's staging TUF repository.")
        var staging = false

        @Option(help: ArgumentHelp("Another TUF repository's base URL (with --tuf-root).", valueName: "URL"))
        var tufUrl: String?

        @Option(help: ArgumentHelp("The initial trusted root.json of --tuf-url.", valueName: "ROOT.json"))
        var tufRoot: String?

        @Flag(help: "Print one JSON document on stdout.")
        var json = false

        @OptionGroup(title: "Network")
        var http: HTTPOptions

        var httpSettings: HTTPSettings? { http.settings }

        func validate() throws {
            do { _ = try request.repository() } catch { throw ValidationError(error.message) }
        }

        private var request: TrustUpdateOperation.Request {
            TrustUpdateOperation.Request(staging: staging, tufUrl: tufUrl, tufRoot: tufRoot)
        }

        func request(_ context: CommandContext) throws -> TrustUpdateOperation.Request { request }

        func render(report: TrustUpdateOperation.Report, _ context: CommandContext) throws {
            if json { return try printJSON(report, context) }
            context.stdout.line("trusted root: \(report.trustedRoot)")
            if let signingConfig = report.signingConfig { context.stdout.line("signing config: \(signingConfig)") }
            context.stdout.line(
                "TUF root version \(report.rootVersion) of \(report.repository); updated: \(report.downloaded.isEmpty ? "nothing" : report.downloaded.joined(separator: ", "))"
            )
        }
    }

    /// `hephaestus trust show`.
    struct TrustShow: OperationCommand {
        typealias Performed = TrustShowOperation

        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "List every CA, transparency log, CT log and timestamp authority with its validity window.",
            discussion: withExitStatuses(
                """
                The material is --trusted-root FILE if given, else the TUF cache `trust update` left (production, or \
                staging with --staging), else the copy embedded in this build; the first lines say which, its path and \
                age. Warns when it is stale: a TUF cache whose timestamp metadata expired, embedded material more than \
                182 days old.
                """))

        @OptionGroup(title: "Global options")
        var global: GlobalOptions

        @OptionGroup(title: "Trust")
        var trust: TrustOptions

        @Flag(help: "Print one JSON document on stdout.")
        var json = false

        func request(_ context: CommandContext) throws -> TrustShowOperation.Request {
            TrustShowOperation.Request(trust: trust.choice)
        }

        func render(report: TrustReport, _ context: CommandContext) throws {
            if let reason = report.staleReason { context.report(.warning, event: "trust.stale", message: reason) }
            if json {
                try printJSON(report, context)
            } else {
                for line in report.lines { context.stdout.line(line) }
            }
        }
    }
}
