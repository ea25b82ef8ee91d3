import ArgumentParser
import Foundation
import HephaestusCore
import HephaestusInventory
import HephaestusPlatform
import HephaestusSigstore

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
    struct BackfillPlan: HephaestusCommand {
        static let configuration = CommandConfiguration(
            commandName: "plan", abstract: "List the assets of published releases that lack a bundle, and whether they can be signed.")

        @OptionGroup(title: "Global options")
        var global: GlobalOptions

        @OptionGroup(title: "Source")
        var source: BackfillSource

        @OptionGroup(title: "Network")
        var network: NetworkOptions

        @Flag(help: "Print one JSON document on stdout.")
        var json = false

        func execute(_ context: CommandContext) async throws {
            let repository = try GitHubRepository(source.repository)
            let plan = try BackfillPlanner(github: try network.makeGitHubClient(context: context))
                .plan(repository, since: source.since.map(BackfillSince.parse))
            if json {
                context.stdout.line(try ResultDocument(mediaType: MediaType.backfillPlan, runID: context.runID, payload: PlanReport(repository: repository.description, items: plan)).jsonText())
                return
            }
            guard !plan.isEmpty else {
                context.stdout.line("\(repository): every asset of every release in range has a bundle")
                return
            }
            let width = max(7, plan.map(\.release.count).max() ?? 7)
            context.stdout.line("RELEASE".padding(toLength: width, withPad: " ", startingAt: 0) + "  ACTION  ASSET")
            for item in plan {
                context.stdout.line(
                    item.release.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + item.action.padding(toLength: 6, withPad: " ", startingAt: 0)
                        + "  \(item.asset)" + (item.reason.map { "  (\($0))" } ?? ""))
            }
            let signable = plan.filter { $0.action == "sign" }.count
            context.stdout.line("\(plan.count) unsigned asset(s): \(signable) to sign, \(plan.count - signable) refused")
        }
    }

    /// `hephaestus backfill run`.
    struct BackfillRun: HephaestusCommand {
        static let configuration = CommandConfiguration(
            commandName: "run",
            abstract: "Download, tie to the SHA-256 manifest, sign and upload a bundle for every planned asset; resumable.",
            discussion: """
                An asset whose bytes cannot be tied to the release's SHA-256 manifest is never signed. Each step is recorded in \
                the inventory before and after it happens: a run killed at any point and started again finishes with exactly \
                one bundle per asset and no duplicate upload. Backfilled bundles carry today's signer and time, not the \
                original build's. Exit 1 when an asset was refused or conflicted.
                """)

        @OptionGroup(title: "Global options")
        var global: GlobalOptions

        @OptionGroup(title: "Source")
        var source: BackfillSource

        @OptionGroup(title: "Signing")
        var signing: SigningOptions

        @OptionGroup(title: "Trust")
        var trust: TrustOptions

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

        func validate() throws {
            try signing.validate(staging: trust.staging)
            if let maxPerMinute, maxPerMinute <= 0 { throw ValidationError("--max-per-minute must be positive") }
        }

        func execute(_ context: CommandContext) async throws {
            let repository = try GitHubRepository(source.repository)
            let github = try network.makeGitHubClient(context: context, requireToken: !dryRun)
            let plan = try BackfillPlanner(github: github).plan(repository, since: source.since.map(BackfillSince.parse))
            let assessment = BundleAssessment(verifier: BundleVerifier(trustedRoot: try trust.makeSelection().load()))
            let scratch = try PrivateDirectory()
            if dryRun {
                let runner = BackfillRunner(
                    store: nil, github: github, session: nil, assessment: assessment, repository: repository, runID: context.runID.description,
                    logger: context.logger, maximumPerMinute: maxPerMinute, scratchDirectory: scratch.path)
                let signer = signing.key.map { "the key in \($0)" } ?? "the keyless identity of the OIDC token"
                render(runner.dryRun(plan, signer: signer), context)
                return
            }
            let client = try network.makeHTTPClient(logger: context.logger)
            let session = try SigningSession(
                credential: signing.credential(context: context, http: network.http.settings), signingConfig: signing.configSelection(staging: trust.staging), trust: trust.makeSelection(),
                http: client, logger: context.logger)
            let runner = BackfillRunner(
                store: try inventory.open(), github: github, session: session, assessment: assessment, repository: repository,
                runID: context.runID.description, logger: context.logger, maximumPerMinute: maxPerMinute, scratchDirectory: scratch.path)
            let report = try runner.run(plan, signer: session.signerDescription) { line in
                guard !json else { return }
                context.stdout.line("\(line.release)  \(line.asset)  \(line.action): \(line.outcome)" + (line.detail.map { "  \($0)" } ?? ""))
                context.stdout.flush()
            }
            render(report, context, linesAlreadyShown: true)
            if report.refused > 0 || report.failed > 0 { throw ExitCode(ExitStatus.checkFailed.rawValue) }
        }

        private func render(_ report: BackfillRunner.Report, _ context: CommandContext, linesAlreadyShown: Bool = false) {
            if json {
                if let text = try? ResultDocument(mediaType: MediaType.backfillRun, runID: context.runID, payload: report).jsonText() { context.stdout.line(text) }
                return
            }
            if !linesAlreadyShown {
                for line in report.lines {
                    context.stdout.line("\(line.release)  \(line.asset)  \(line.action): \(line.outcome)" + (line.detail.map { "  \($0)" } ?? ""))
                }
            }
            context.stdout.line(
                (report.dryRun ? "dry run, nothing changed: " : "run \(report.runId): ")
                    + "\(report.uploaded) uploaded, \(report.skipped) skipped, \(report.refused) refused, \(report.failed) failed")
        }
    }

    /// `hephaestus backfill status`.
    struct BackfillStatus: HephaestusCommand {
        static let configuration = CommandConfiguration(commandName: "status", abstract: "List backfill runs and what each did.")

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

        func execute(_ context: CommandContext) async throws {
            let store = try inventory.openExisting()
            let runs = try store.runs(repository: repository).filter { run == nil || $0.id == run }
            if let run, runs.isEmpty { throw InventoryError.runNotFound(run) }
            let actions = try run.map { try store.actions(runID: $0) } ?? []
            if json {
                context.stdout.line(try ResultDocument(mediaType: MediaType.backfillStatus, runID: context.runID, payload: StatusReport(runs: runs, actions: actions)).jsonText())
                return
            }
            for record in runs {
                context.stdout.line(
                    "\(record.id)  \(record.repository)  \(record.status)  started \(record.startedAt)" + (record.finishedAt.map { ", finished \($0)" } ?? "")
                        + "  uploaded \(record.uploaded), skipped \(record.skipped), refused \(record.refused), failed \(record.failed)"
                        + (record.rolledBack > 0 ? ", rolled back \(record.rolledBack)" : ""))
            }
            for action in actions {
                context.stdout.line("  \(action.at)  \(action.release)  \(action.asset)  \(action.action): \(action.outcome)" + (action.detail.map { "  \($0)" } ?? ""))
            }
            if runs.isEmpty { context.stdout.line("no backfill runs recorded in \(store.path)") }
        }
    }

    /// `hephaestus backfill rollback --run ID`.
    struct BackfillRollback: HephaestusCommand {
        static let configuration = CommandConfiguration(
            commandName: "rollback", abstract: "Delete exactly the bundle assets a backfill run uploaded (see runbooks/release-rollback.md).")

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

        func execute(_ context: CommandContext) async throws {
            let lines = try HephaestusInventory.BackfillRollback(
                store: try inventory.openExisting(), github: try network.makeGitHubClient(context: context, requireToken: true),
                assessment: BundleAssessment(verifier: BundleVerifier(trustedRoot: try trust.makeSelection().load())), logger: context.logger
            ).rollback(runID: run, force: force)
            for line in lines { context.stdout.line("\(line.release)  \(line.asset)  \(line.action): \(line.outcome)  \(line.detail ?? "")") }
            context.stdout.line("run \(run) rolled back: \(lines.filter { $0.outcome == "deleted" }.count) asset(s) deleted")
        }
    }
}

struct PlanReport: Encodable, Sendable {
    let repository: String
    let items: [BackfillPlanner.Item]
}

struct StatusReport: Encodable, Sendable {
    let runs: [InventoryStore.RunRecord]
    let actions: [InventoryStore.ActionRecord]
}
