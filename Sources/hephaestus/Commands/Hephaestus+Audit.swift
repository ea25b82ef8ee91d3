import ArgumentParser
import Foundation
import HephaestusCore
import HephaestusPlatform
import HephaestusService

extension Hephaestus {
    /// `hephaestus audit`.
    struct Audit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "audit", abstract: "Read and verify the service's tamper-evident audit log (see runbooks/service-operations.md).",
            subcommands: [AuditShow.self, AuditVerify.self])
    }

    /// `hephaestus audit show`.
    struct AuditShow: OperationCommand {
        typealias Performed = AuditShowOperation

        static let configuration = CommandConfiguration(
            commandName: "show", abstract: "List audit records, oldest first, filtered by time and account.", discussion: withExitStatuses(""))

        @OptionGroup(title: "Global options")
        var global: GlobalOptions

        @Option(help: ArgumentHelp("Records at or after this time: RFC 3339, or a duration back from now (24h, P7D).", valueName: "T"))
        var since: String?

        @Option(help: ArgumentHelp("Records of this account only.", valueName: "NAME"))
        var account: String?

        @Option(help: ArgumentHelp("At most the N most recent records.", valueName: "N"))
        var limit: Int?

        @OptionGroup(title: "Store")
        var store: StoreOptions

        @Flag(help: "Print one JSON document on stdout.")
        var json = false

        func request(_ context: CommandContext) throws -> AuditShowOperation.Request {
            AuditShowOperation.Request(since: since, account: account, limit: limit, store: store.store)
        }

        func render(report: AuditShowOperation.Report, _ context: CommandContext) throws {
            if json {
                try printJSON(report, context)
                return
            }
            let rows = report.records.map { record in
                let entry = record.entry
                return [
                    String(record.sequence), RFC3339.string(entry.time), entry.transport.rawValue, entry.account ?? "-", entry.role?.rawValue ?? "-",
                    entry.operation, entry.target ?? "", entry.outcome.rawValue, entry.status, entry.code ?? "", entry.requestID,
                ]
            }
            TextTable.print(
                header: ["SEQ", "TIME", "TRANSPORT", "ACCOUNT", "ROLE", "OPERATION", "TARGET", "OUTCOME", "STATUS", "CODE", "REQUEST"], rows: rows,
                to: context.stdout)
        }
    }

    /// `hephaestus audit verify`.
    struct AuditVerify: OperationCommand {
        typealias Performed = AuditVerifyOperation

        static let configuration = CommandConfiguration(
            commandName: "verify", abstract: "Check the audit log's hash chain; exit 1 naming the first record altered, removed or reordered.",
            discussion: withExitStatuses(
                """
                Prints the head (last sequence number and hash) of an intact log: keep it elsewhere and pass it later as \
                --expect-head, so that a rewrite of the whole tail (records and head together) is detected too.
                """))

        @OptionGroup(title: "Global options")
        var global: GlobalOptions

        @Option(help: ArgumentHelp("A head printed by an earlier audit verify: the log must still contain it.", valueName: "SEQ:sha256:HEX"))
        var expectHead: String?

        @OptionGroup(title: "Store")
        var store: StoreOptions

        @Flag(help: "Print one JSON document on stdout.")
        var json = false

        var failureEvent: String? { "audit.broken" }

        func request(_ context: CommandContext) throws -> AuditVerifyOperation.Request {
            AuditVerifyOperation.Request(expectHead: expectHead, store: store.store)
        }

        func render(report: AuditVerifyOperation.Report, _ context: CommandContext) throws {
            if json {
                try printJSON(report, context)
                return
            }
            let verification = report.verification
            if verification.broken != nil {
                context.stdout.line("audit log BROKEN: \(verification.verified) record(s) verified before the break")
            } else if let head = verification.head {
                context.stdout.line("audit log intact: \(verification.verified) record(s); head \(head)")
            } else {
                context.stdout.line("audit log intact: no records yet")
            }
        }
    }
}
