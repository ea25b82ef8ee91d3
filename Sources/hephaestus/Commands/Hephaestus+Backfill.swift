import ArgumentParser
import Foundation
import HephaestusCore
import HephaestusInventory

extension Hephaestus {
    /// `hephaestus backfill`.
    struct Backfill: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "backfill",
            abstract: "Add Sigstore bundles to releases published before signing existed (see runbooks/sigstore-backfill.md).",
            subcommands: [BackfillPlan.self, BackfillRun.self, BackfillStatus.self, BackfillRollback.self])
    }

    /// Options every backfill subcommand that reads GitHub takes.
    struct BackfillSource: ParsableArguments {
        @Option(help: ArgumentHelp("The repository.", valueName: "OWNER/REPO"))
        var repository: String

        @Option(help: ArgumentHelp("Only releases published at or after this tag's release, or this date (YYYY-MM-DD).", valueName: "TAG|DATE"))
        var since: String?
    }

    /// `hephaestus backfill plan`.
    struct BackfillPlan: OperationCommand {
        typealias Performed = BackfillPlanOperation

        static let configuration = CommandConfiguration(
            commandName: "plan", abstract: "List the assets of published releases that lack a bundle, and whether they can be signed.",
            discussion: withExitStatuses(""))

        @OptionGroup(title: "Global options")
        var global: GlobalOptions

        @OptionGroup(title: "Source")
        var source: BackfillSource

        @OptionGroup(title: "Network")
        var network: NetworkOptions

        @Flag(help: "Print one JSON document on stdout.")
        var json = false

        var httpSettings: HTTPSettings? { network.http.settings }

        func request(_ context: CommandContext) throws -> BackfillPlanOperation.Request {
            BackfillPlanOperation.Request(repository: source.repository, since: source.since, github: network.choice)
        }

        func render(report: BackfillPlanOperation.Report, _ context: CommandContext) throws {
            if json {
                try printJSON(report, context)
                return
            }
            let plan = report.items
            guard !plan.isEmpty else {
                context.stdout.line("\(report.repository): every asset of every release in range has a bundle")
                return
            }
            let width = max(7, plan.map(\.release.count).max() ?? 7)
            context.stdout.line("RELEASE".padding(toLength: width, withPad: " ", startingAt: 0) + "  ACTION  ASSET")
            for item in plan {
                context.stdout.line(
                    item.release.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                        + item.action.rawValue.padding(toLength: 6, withPad: " ", startingAt: 0)
                        + "  \(item.asset)" + (item.reason.map { "  (\($0))" } ?? ""))
            }
            context.stdout.line("\(plan.count) unsigned asset(s): \(report.signable) to sign, \(plan.count - report.signable) refused")
        }
    }

    /// `hephaestus backfill run`.
    struct BackfillRun: OperationCommand {
        typealias Performed = BackfillRunOperation

        /// The rendered report says everything: a failed run ends with its exit status alone.
        var failureEvent: String? { nil }

        static let configuration = CommandConfiguration(
            commandName: "run",
            abstract: "Download, tie to the SHA-256 manifest, sign and upload a bundle for every planned asset; resumable.",
            discussion: withExitStatuses(
                """
                An asset whose bytes cannot be tied to the release's SHA-256 manifest is never signed. Each step is recorded in \
                the inventory before and after it happens: a run killed at any point and started again finishes with exactly \
                one bundle per asset and no duplicate upload. Backfilled bundles carry today's signer and time, not the \
                original build's. Exit 1 when an asset was refused or conflicted.
                """))

        @OptionGroup(title: "Global options")
        var global: GlobalOptions

        @OptionGroup(title: "Source")
        var source: BackfillSource

        @OptionGroup(title: "Signing")
        var signing: SigningOptions

        @OptionGroup(title: "Trust")
        var trust: TrustOptions

        @OptionGroup
        var policy: PolicyOptions

        @OptionGroup(title: "Inventory")
        var inventory: InventoryOptions

        @Flag(help: "Show every action and change nothing (no download, signature, upload or inventory write).")
        var dryRun = false

        @Option(help: ArgumentHelp("Sign and upload at most N assets per minute.", valueName: "N"))
        var maxPerMinute: Double?

        @OptionGroup(title: "Network")
        var network: NetworkOptions

        @Flag(help: "Print one JSON document on stdout.")
        var json = false

        private var runRequest: BackfillRunOperation.Request {
            BackfillRunOperation.Request(
                repository: source.repository, since: source.since, signing: signing.choice, trust: trust.choice, inventory: inventory.inventory,
                dryRun: dryRun, maxPerMinute: maxPerMinute, github: network.choice, policy: policy.policy)
        }

        func validate() throws {
            do { try runRequest.validate() } catch { throw ValidationError(error.message) }
        }

        var httpSettings: HTTPSettings? { network.http.settings }

        func request(_ context: CommandContext) throws -> BackfillRunOperation.Request { runRequest }

        func render(item line: BackfillRunner.Line, _ context: CommandContext) {
            guard !json else { return }
            context.stdout.line(
                "\(line.release)  \(line.asset)  \(line.action.rawValue): \(line.outcome.rawValue)" + (line.detail.map { "  \($0)" } ?? ""))
            context.stdout.flush()
        }

        func render(report: BackfillRunner.Report, _ context: CommandContext) throws {
            if json {
                try printJSON(report, context)
            } else {
                context.stdout.line(
                    (report.dryRun ? "dry run, nothing changed: " : "run \(report.runId): ")
                        + "\(report.uploaded) uploaded, \(report.skipped) skipped, \(report.refused) refused, \(report.failed) failed")
            }
        }
    }

    /// `hephaestus backfill status`.
    struct BackfillStatus: OperationCommand {
        typealias Performed = BackfillStatusOperation

        static let configuration = CommandConfiguration(
            commandName: "status", abstract: "List backfill runs and what each did.", discussion: withExitStatuses(""))

        @OptionGroup(title: "Global options")
        var global: GlobalOptions

        @Option(help: ArgumentHelp("Only runs of this repository.", valueName: "OWNER/REPO"))
        var repository: String?

        @Option(help: ArgumentHelp("Show this run's actions.", valueName: "ID"))
        var run: String?

        @OptionGroup(title: "Inventory")
        var inventory: InventoryOptions

        @Flag(help: "Print one JSON document on stdout.")
        var json = false

        func request(_ context: CommandContext) throws -> BackfillStatusOperation.Request {
            BackfillStatusOperation.Request(repository: repository, run: run, inventory: inventory.inventory)
        }

        func render(report: BackfillStatusOperation.Report, _ context: CommandContext) throws {
            if json {
                try printJSON(report, context)
                return
            }
            for record in report.runs {
                context.stdout.line(
                    "\(record.id)  \(record.repository)  \(record.status.rawValue)  started \(record.startedAt)"
                        + (record.finishedAt.map { ", finished \($0)" } ?? "")
                        + "  uploaded \(record.uploaded), skipped \(record.skipped), refused \(record.refused), failed \(record.failed)"
                        + (record.rolledBack > 0 ? ", rolled back \(record.rolledBack)" : ""))
            }
            for action in report.actions {
                context.stdout.line(
                    "  \(action.at)  \(action.release)  \(action.asset)  \(action.action.rawValue): \(action.outcome.rawValue)"
                        + (action.detail.map { "  \($0)" } ?? ""))
            }
            if report.runs.isEmpty { context.stdout.line("no backfill runs recorded in \(inventory.path)") }
        }
    }

    /// `hephaestus backfill rollback --run ID`.
    struct BackfillRollback: OperationCommand {
        typealias Performed = BackfillRollbackOperation

        static let configuration = CommandConfiguration(
            commandName: "rollback", abstract: "Delete exactly the bundle assets a backfill run uploaded (see runbooks/release-rollback.md).",
            discussion: withExitStatuses(""))

        @OptionGroup(title: "Global options")
        var global: GlobalOptions

        @Option(help: ArgumentHelp("The run to undo (see `backfill status`).", valueName: "ID"))
        var run: String

        @Flag(help: "Roll back a run still marked running (its process is known to be gone).")
        var force = false

        @OptionGroup(title: "Trust")
        var trust: TrustOptions

        @OptionGroup(title: "Inventory")
        var inventory: InventoryOptions

        @OptionGroup(title: "Network")
        var network: NetworkOptions

        @Flag(help: "Print one JSON document on stdout.")
        var json = false

        var httpSettings: HTTPSettings? { network.http.settings }

        func request(_ context: CommandContext) throws -> BackfillRollbackOperation.Request {
            BackfillRollbackOperation.Request(run: run, force: force, trust: trust.choice, inventory: inventory.inventory, github: network.choice)
        }

        func render(report: BackfillRollbackOperation.Report, _ context: CommandContext) throws {
            if json {
                try printJSON(report, context)
                return
            }
            for line in report.lines {
                context.stdout.line("\(line.release)  \(line.asset)  \(line.action.rawValue): \(line.outcome.rawValue)  \(line.detail ?? "")")
            }
            context.stdout.line("run \(report.run) rolled back: \(report.deleted) asset(s) deleted")
        }
    }
}
