import ArgumentParser
import Foundation
import HephaestusCore
import HephaestusPlatform
import HephaestusService

extension Hephaestus {
    /// `hephaestus accounts`.
    struct Accounts: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "accounts", abstract: "Manage the service's accounts and their bearer tokens (see docs/service.md).",
            subcommands: [AccountsCreate.self, AccountsList.self, AccountsRevoke.self])
    }

    /// `hephaestus accounts create`.
    struct AccountsCreate: OperationCommand {
        typealias Performed = AccountsCreateOperation

        static let configuration = CommandConfiguration(
            commandName: "create", abstract: "Create an account with a role and print its bearer token, once.",
            discussion: withExitStatuses(
                """
                The token is printed on stdout and never again: the store keeps only its SHA-256. Roles: viewer < verifier < \
                operator < admin. DURATION: 45s, 30m, 12h, 90d or ISO 8601 (P90D, PT12H). Names are never reused.
                """))

        @OptionGroup(title: "Global options")
        var global: GlobalOptions

        @Argument(help: "The account's name (letters, digits, '.', '_', '-', '@').")
        var name: String

        @Option(help: ArgumentHelp("viewer, verifier, operator or admin.", valueName: "ROLE"))
        var role: String

        @Option(help: ArgumentHelp("The account stops working after this long (default: until revoked).", valueName: "DURATION"))
        var expires: String?

        @OptionGroup(title: "Store")
        var store: StoreOptions

        @Flag(help: "Print one JSON document on stdout: name, role, token, expires.")
        var json = false

        func request(_ context: CommandContext) throws -> AccountsCreateOperation.Request {
            AccountsCreateOperation.Request(name: name, role: role, expires: expires, store: store.store)
        }

        func render(report: AccountsCreateOperation.Report, _ context: CommandContext) throws {
            if json {
                try printJSON(report, context)
                return
            }
            context.stdout.line(report.token)
            context.report(
                .notice, event: "account.created",
                message: "account \(report.name) (\(report.role.rawValue)) created, \(report.expires.map { "expires \($0)" } ?? "no expiry"); "
                    + "the token above is shown once")
        }
    }

    /// `hephaestus accounts list`.
    struct AccountsList: OperationCommand {
        typealias Performed = AccountsListOperation

        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List the accounts: name, role, state, expiry (never a token).", discussion: withExitStatuses(""))

        @OptionGroup(title: "Global options")
        var global: GlobalOptions

        @OptionGroup(title: "Store")
        var store: StoreOptions

        @Flag(help: "Print one JSON document on stdout.")
        var json = false

        func request(_ context: CommandContext) throws -> AccountsListOperation.Request {
            AccountsListOperation.Request(store: store.store)
        }

        func render(report: AccountsListOperation.Report, _ context: CommandContext) throws {
            if json {
                try printJSON(report, context)
                return
            }
            guard !report.accounts.isEmpty else {
                context.stdout.line("no accounts")
                return
            }
            let rows = report.accounts.map { view in
                [
                    view.account.name, view.account.role.rawValue, view.state.rawValue, RFC3339.string(view.account.createdAt),
                    view.account.revokedAt.map { "revoked " + RFC3339.string($0) } ?? view.account.expiresAt.map(RFC3339.string) ?? "-",
                ]
            }
            TextTable.print(header: ["NAME", "ROLE", "STATE", "CREATED", "EXPIRES"], rows: rows, to: context.stdout)
        }
    }

    /// `hephaestus accounts revoke`.
    struct AccountsRevoke: OperationCommand {
        typealias Performed = AccountsRevokeOperation

        static let configuration = CommandConfiguration(
            commandName: "revoke", abstract: "Revoke an account: its token is refused from the next request on.",
            discussion: withExitStatuses("Every process sharing the store refuses the token at its next request. Revoking twice changes nothing."))

        @OptionGroup(title: "Global options")
        var global: GlobalOptions

        @Argument(help: "The account's name.")
        var name: String

        @OptionGroup(title: "Store")
        var store: StoreOptions

        @Flag(help: "Print one JSON document on stdout.")
        var json = false

        func request(_ context: CommandContext) throws -> AccountsRevokeOperation.Request {
            AccountsRevokeOperation.Request(name: name, store: store.store)
        }

        func render(report: AccountsRevokeOperation.Report, _ context: CommandContext) throws {
            if json {
                try printJSON(report, context)
                return
            }
            context.stdout.line("revoked \(report.account.account.name) at \(report.account.account.revokedAt.map(RFC3339.string) ?? "?")")
        }
    }
}

/// Left-aligned columns separated by two spaces.
enum TextTable {
    static func print(header: [String], rows: [[String]], to output: StandardOutput) {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        for row in all {
            let cells = row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }
            output.line(cells.joined(separator: "  "))
        }
    }
}
