import ArgumentParser
import Foundation
import HephaestusCore
import HephaestusInventory
import HephaestusPlatform
import HephaestusSigstore

extension Hephaestus {
    /// `hephaestus inventory`.
    struct Inventory: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "inventory",
            abstract: "Keep and audit the attestation inventory: what is signed, by whom, and whether it still verifies.",
            subcommands: [InventoryScan.self, InventoryAudit.self, InventoryReport.self])
    }

    /// `hephaestus inventory scan --repository OWNER/REPO…`.
    struct InventoryScan: HephaestusCommand {
        static let configuration = CommandConfiguration(
            commandName: "scan",
            abstract: "Record every release, asset (size, SHA-256, manifest verdict) and bundle (verified) of the repositories.",
            discussion: "Incremental: unchanged assets are not downloaded again; an asset whose SHA-256 changed since the last scan is recorded as such.")

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

        func validate() throws {
            guard !repository.isEmpty else { throw ValidationError("give at least one --repository OWNER/REPO") }
        }

        func execute(_ context: CommandContext) async throws {
            let repositories = try repository.map { try GitHubRepository($0) }
            let store = try inventory.open()
            let scratch = try PrivateDirectory()
            let scan = HephaestusInventory.InventoryScan(
                store: store, github: try network.makeGitHubClient(context: context),
                assessment: BundleAssessment(verifier: BundleVerifier(trustedRoot: try trust.makeSelection().load())), logger: context.logger,
                scratchDirectory: scratch.path)
            var summaries: [HephaestusInventory.InventoryScan.Summary] = []
            for repository in repositories {
                let summary = try scan.scan(repository)
                summaries.append(summary)
                if !json {
                    context.stdout.line(
                        "\(summary.repository): \(summary.releases) releases, \(summary.assets) assets (\(summary.assetsDownloaded) downloaded), "
                            + "\(summary.bundlesVerified) bundles verified (\(summary.bundlesFailing) failing, \(summary.bundlesUnchanged) unchanged), "
                            + "\(summary.unsigned) unsigned")
                    for changed in summary.digestChanges { context.stdout.line("  digest changed: \(changed)") }
                }
            }
            if json {
                context.stdout.line(try ResultDocument(mediaType: MediaType.inventoryScan, runID: context.runID, payload: ScanReport(inventory: store.path, repositories: summaries)).jsonText())
            } else {
                context.stdout.line("inventory: \(store.path)")
            }
        }
    }

    /// `hephaestus inventory audit`.
    struct InventoryAudit: HephaestusCommand {
        static let configuration = CommandConfiguration(
            commandName: "audit",
            abstract: "Re-verify every recorded bundle and report findings (exit 1 on any).",
            discussion: """
                Findings: unsigned-asset, verification-failed, unexpected-identity (not matching any --identity glob), \
                unexpected-issuer (not one of --issuer), digest-changed (since first recorded), manifest-mismatch. Bundles are \
                verified from their stored bytes against each asset's recorded SHA-256, never from stored verdicts.
                """)

        @OptionGroup(title: "Global options")
        var global: GlobalOptions

        @OptionGroup(title: "Inventory")
        var inventory: InventoryOptions

        @Option(help: ArgumentHelp("An expected signer identity (glob, repeatable).", valueName: "PATTERN"))
        var identity: [String] = []

        @Option(help: ArgumentHelp("An expected OIDC issuer (exact, repeatable).", valueName: "URL"))
        var issuer: [String] = []

        @OptionGroup(title: "Trust")
        var trust: TrustOptions

        @Option(help: ArgumentHelp("Parallel verifications (default: all cores).", valueName: "N"))
        var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

        @Flag(help: "Print one JSON document on stdout.")
        var json = false

        func execute(_ context: CommandContext) async throws {
            let audit = HephaestusInventory.InventoryAudit(
                store: try inventory.openExisting(), assessment: BundleAssessment(verifier: BundleVerifier(trustedRoot: try trust.makeSelection().load())),
                expectations: .init(identities: identity, issuers: issuer), jobs: jobs)
            let (summary, findings) = try audit.run()
            if json {
                context.stdout.line(
                    try ResultDocument(mediaType: MediaType.inventoryAudit, runID: context.runID, payload: AuditReport(summary: summary, findings: findings)).jsonText())
            } else {
                for finding in findings {
                    context.stdout.line("\(finding.kind.rawValue)  \(finding.repository)@\(finding.release)  \(finding.asset)  \(finding.detail)")
                }
                context.stdout.line(
                    "\(summary.assets) assets, \(summary.bundles) bundles re-verified in \(String(format: "%.2f", summary.seconds)) s: "
                        + (findings.isEmpty ? "no findings" : "\(findings.count) finding(s)"))
            }
            if !findings.isEmpty {
                context.logger.warning("inventory.findings", metadata: ["count": .stringConvertible(findings.count)])
                context.stdout.flush()
                throw ExitCode(ExitStatus.checkFailed.rawValue)
            }
        }
    }

    /// `hephaestus inventory report --format json|csv|html --output FILE`.
    struct InventoryReport: HephaestusCommand {
        static let configuration = CommandConfiguration(
            commandName: "report",
            abstract: "Write the inventory as JSON, CSV or a self-contained HTML page (summary, timeline chart, identities, findings).")

        enum Format: String, ExpressibleByArgument, CaseIterable {
            case json, csv, html
        }

        @OptionGroup(title: "Global options")
        var global: GlobalOptions

        @OptionGroup(title: "Inventory")
        var inventory: InventoryOptions

        @Option(help: "json, csv or html.")
        var format: Format

        @Option(help: ArgumentHelp("The report file (replaced atomically).", valueName: "FILE"))
        var output: String

        @OptionGroup(title: "Trust")
        var trust: TrustOptions

        func execute(_ context: CommandContext) async throws {
            let store = try inventory.openExisting()
            let audit = HephaestusInventory.InventoryAudit(
                store: store, assessment: BundleAssessment(verifier: BundleVerifier(trustedRoot: try trust.makeSelection().load())),
                expectations: .init(), jobs: ProcessInfo.processInfo.activeProcessorCount)
            let report = try HephaestusInventory.InventoryReport.build(store: store, audit: audit)
            let bytes: [UInt8] =
                switch format {
                case .json: try report.json(runID: context.runID)
                case .csv: report.csv()
                case .html: report.html()
                }
            try AtomicFileWriter.write(bytes, to: output, overwrite: true)
            context.stdout.line(
                "\(output): \(format.rawValue) report of \(report.summary.releases) releases (\(report.summary.signedReleases) signed, "
                    + "\(report.summary.partiallySignedReleases) partially, \(report.summary.unsignedReleases) unsigned), \(report.summary.findings) findings")
        }
    }
}

struct ScanReport: Encodable, Sendable {
    let inventory: String
    let repositories: [HephaestusInventory.InventoryScan.Summary]
}

struct AuditReport: Encodable, Sendable {
    let summary: HephaestusInventory.InventoryAudit.Summary
    let findings: [HephaestusInventory.InventoryAudit.Finding]
}

