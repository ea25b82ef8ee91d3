import ArgumentParser
import HephaestusCore

extension Hephaestus {
    /// `hephaestus trust`: the Sigstore trust material in use.
    struct Trust: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "trust",
            abstract: "Show the Sigstore trust material verification uses.", subcommands: [TrustShow.self])
    }

    /// `hephaestus trust show`.
    struct TrustShow: OperationCommand {
        typealias Performed = TrustShowOperation

        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "List every CA, transparency log, CT log and timestamp authority with its validity window.",
            discussion: withExitStatuses("Warns when the embedded public-good material is more than 6 months old."))

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
            if report.stale {
                context.report(
                    .warning, event: "trust.stale",
                    message:
                        "the embedded trust material was taken on \(report.retrievedAt ?? "?"), more than 6 months ago; keys may have rotated — pass a current --trusted-root"
                )
            }
            if json {
                try printJSON(report, context)
            } else {
                for line in report.lines { context.stdout.line(line) }
            }
        }
    }
}
