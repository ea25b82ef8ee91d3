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
    struct TrustShow: HephaestusCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "List every CA, transparency log, CT log and timestamp authority with its validity window.",
            discussion: "Warns when the embedded public-good material is more than 6 months old.")

        @OptionGroup(title: "Global options")
        var global: GlobalOptions

        @OptionGroup(title: "Trust")
        var trust: TrustOptions

        @Flag(help: "Print one JSON document on stdout.")
        var json = false

        func execute(_ context: CommandContext) async throws {
            let report = try TrustReport(trust: trust.makeSelection())
            if report.stale {
                context.report(
                    .warning, event: "trust.stale",
                    message: "warning: the embedded trust material was taken on \(report.retrievedAt ?? "?"), more than 6 months ago; keys may have rotated — pass a current --trusted-root")
            }
            if json {
                context.stdout.line(try ResultDocument(mediaType: MediaType.trustReport, runID: context.runID, payload: report).jsonText())
            } else {
                for line in report.lines { context.stdout.line(line) }
            }
        }
    }
}
