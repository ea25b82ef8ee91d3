import ArgumentParser
import Foundation
import HephaestusCore
import HephaestusInventory

extension InventoryReportOperation.Format: ExpressibleByArgument {}

extension Hephaestus {
    /// `hephaestus inventory`.
    struct Inventory: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "inventory",
            abstract: "Keep and audit the attestation inventory: what is signed, by whom, and whether it still verifies.",
            subcommands: [InventoryScan.self, InventoryAudit.self, InventoryReport.self])
    }

    /// `hephaestus inventory scan --repository OWNER/REPO…`.
    struct InventoryScan: OperationCommand {
        typealias Performed = InventoryScanOperation

        static let configuration = CommandConfiguration(
            commandName: "scan",
            abstract: "Record every release, asset (size, SHA-256, manifest verdict) and bundle (verified) of the repositories.",
            discussion: withExitStatuses(
                "Incremental: unchanged assets are not downloaded again, and an unchanged bundle is verified again only when its verdict was "
                    + "made with another trusted root; an asset whose SHA-256 changed since the last scan is recorded as such."))

        @OptionGroup(title: "Global options")
        var global: GlobalOptions

        @Option(help: ArgumentHelp("A repository to scan (repeatable).", valueName: "OWNER/REPO"))
        var repository: [String]

        @OptionGroup(title: "Inventory")
        var inventory: InventoryOptions

        @OptionGroup(title: "Trust")
        var trust: TrustOptions

        @OptionGroup(title: "Network")
        var network: NetworkOptions

        @Flag(help: "Print one JSON document on stdout.")
        var json = false

        private var scanRequest: InventoryScanOperation.Request {
            InventoryScanOperation.Request(repositories: repository, inventory: inventory.inventory, trust: trust.choice, github: network.choice)
        }

        func validate() throws {
            do { try scanRequest.validate() } catch { throw ValidationError(error.message) }
        }

        var httpSettings: HTTPSettings? { network.http.settings }

        func request(_ context: CommandContext) throws -> InventoryScanOperation.Request { scanRequest }

        func render(item summary: Performed.Item, _ context: CommandContext) {
            guard !json else { return }
            context.stdout.line(
                "\(summary.repository): \(summary.releases) releases, \(summary.assets) assets (\(summary.assetsDownloaded) downloaded), "
                    + "\(summary.bundlesVerified) bundles verified (\(summary.bundlesFailing) failing, \(summary.bundlesUnchanged) unchanged), "
                    + "\(summary.unsigned) unsigned")
            for changed in summary.digestChanges { context.stdout.line("  digest changed: \(changed)") }
        }

        func render(report: InventoryScanOperation.Report, _ context: CommandContext) throws {
            if json {
                try printJSON(report, context)
            } else {
                context.stdout.line("inventory: \(report.inventory)")
            }
        }
    }

    /// `hephaestus inventory audit`.
    struct InventoryAudit: OperationCommand {
        typealias Performed = InventoryAuditOperation

        /// The rendered report says everything: a failed run ends with its exit status alone.
        var failureEvent: String? { nil }

        static let configuration = CommandConfiguration(
            commandName: "audit",
            abstract: "Re-verify every recorded bundle and report findings (exit 1 on any).",
            discussion: withExitStatuses(
                """
                Findings: unsigned-asset, verification-failed, unexpected-identity (not matching any --identity glob), \
                unexpected-issuer (not one of --issuer), policy-violation (a claim or rule of --policy, which replaces --identity \
                and --issuer), digest-changed (since first recorded), manifest-mismatch. Bundles are \
                verified from their stored bytes against each asset's recorded SHA-256 with the trusted root given now, never \
                from stored verdicts.
                """))

        @OptionGroup(title: "Global options")
        var global: GlobalOptions

        @OptionGroup(title: "Inventory")
        var inventory: InventoryOptions

        @Option(help: ArgumentHelp("An expected signer identity (glob, repeatable).", valueName: "PATTERN"))
        var identity: [String] = []

        @Option(help: ArgumentHelp("An expected OIDC issuer (exact, repeatable).", valueName: "URL"))
        var issuer: [String] = []

        @OptionGroup
        var policy: PolicyOptions

        @OptionGroup(title: "Trust")
        var trust: TrustOptions

        @Option(help: ArgumentHelp("Parallel verifications (default: all cores).", valueName: "N"))
        var jobs: Int?

        @Flag(help: "Print one JSON document on stdout.")
        var json = false

        func request(_ context: CommandContext) throws -> InventoryAuditOperation.Request {
            InventoryAuditOperation.Request(
                inventory: inventory.inventory, identities: identity, issuers: issuer, trust: trust.choice, jobs: jobs, policy: policy.policy)
        }

        func render(report: InventoryAuditOperation.Report, _ context: CommandContext) throws {
            if json {
                try printJSON(report, context)
            } else {
                for finding in report.findings {
                    context.stdout.line("\(finding.kind.rawValue)  \(finding.repository)@\(finding.release)  \(finding.asset)  \(finding.detail)")
                }
                context.stdout.line(
                    "\(report.summary.assets) assets, \(report.summary.bundles) bundles re-verified in \(String(format: "%.2f", report.summary.seconds)) s: "
                        + (report.findings.isEmpty ? "no findings" : "\(report.findings.count) finding(s)"))
            }
        }
    }

    /// `hephaestus inventory report --format json|csv|html --output FILE`.
    struct InventoryReport: OperationCommand {
        typealias Performed = InventoryReportOperation

        static let configuration = CommandConfiguration(
            commandName: "report",
            abstract: "Write the inventory as JSON, CSV or a self-contained HTML page (summary, timeline chart, identities, findings).",
            discussion: withExitStatuses(
                """
                Every bundle is verified again with the trust root given (the report shows the audit's verdicts and findings, \
                never a stored verdict). A release is signed, partial, signed-failing (a bundle that does not verify: never \
                counted as unsigned) or unsigned.
                """))

        @OptionGroup(title: "Global options")
        var global: GlobalOptions

        @OptionGroup(title: "Inventory")
        var inventory: InventoryOptions

        @Option(help: "json, csv or html.")
        var format: InventoryReportOperation.Format

        @Option(help: ArgumentHelp("The report file (written whole, then renamed into place).", valueName: "FILE"))
        var output: String

        @Flag(help: "Replace an existing report file (only ever a regular file).")
        var overwrite = false

        @OptionGroup(title: "Trust")
        var trust: TrustOptions

        func request(_ context: CommandContext) throws -> InventoryReportOperation.Request {
            InventoryReportOperation.Request(
                inventory: inventory.inventory, format: format, output: output, overwrite: overwrite, trust: trust.choice)
        }

        func render(report: HephaestusInventory.InventoryReport, _ context: CommandContext) throws {
            let summary = report.summary
            context.stdout.line(
                "\(output): \(format.rawValue) report of \(summary.releases) releases (\(summary.signedReleases) signed, "
                    + "\(summary.partiallySignedReleases) partially, \(summary.failingReleases) signed but failing, \(summary.unsignedReleases) unsigned), "
                    + "\(summary.findings) findings")
        }
    }
}
