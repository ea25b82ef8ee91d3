import ArgumentParser
import Foundation
import HephaestusCore
import HephaestusPlatform

extension Hephaestus {
    /// `hephaestus token`.
    struct Token: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "token", abstract: "Check GitHub tokens.", subcommands: [TokenValidate.self])
    }

    /// `hephaestus token validate`.
    struct TokenValidate: OperationCommand {
        typealias Performed = TokenValidateOperation

        static let configuration = CommandConfiguration(
            commandName: "validate",
            abstract: "Check the token's shape, then ask GitHub for its kind, scopes, expiry and rate limit.",
            discussion: withExitStatuses("The token comes from --token-env NAME, else GITHUB_TOKEN, else GH_TOKEN. It is never printed.")
        )

        @OptionGroup(title: "Global options")
        var global: GlobalOptions

        @OptionGroup(title: "Network")
        var network: NetworkOptions

        @Flag(help: "Print one JSON document on stdout.")
        var json = false

        var httpSettings: HTTPSettings? { network.http.settings }

        func request(_ context: CommandContext) throws -> TokenValidateOperation.Request {
            TokenValidateOperation.Request(github: network.choice)
        }

        func render(report: TokenReport, _ context: CommandContext) throws {
            if json {
                try printJSON(report, context)
                return
            }
            context.stdout.line("token:      \(report.kind.rawValue) (from \(report.source))")
            context.stdout.line(
                "scopes:     \(report.scopes.map { $0.isEmpty ? "(none)" : $0.joined(separator: ", ") } ?? "not reported (fine-grained or app token)")"
            )
            context.stdout.line("expires:    \(report.expiresAt ?? "no expiry reported")")
            let limit = report.rateLimit
            context.stdout.line(
                "rate limit: \(limit.remaining.map(String.init) ?? "?") of \(limit.limit.map(String.init) ?? "?") remaining"
                    + (limit.reset.map { ", resets \(RFC3339.string($0))" } ?? ""))
        }
    }
}
