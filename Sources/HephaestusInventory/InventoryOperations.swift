import Foundation
import HephaestusCore
import HephaestusPlatform
import HephaestusSigstore
import Logging

extension InventoryStore {
    /// The inventory a request names, or the default one of the run's environment.
    public static func path(_ requested: String?, in context: OperationContext) -> String {
        requested ?? defaultPath(environment: context.environment)
    }
}

extension BundleAssessment {
    /// An assessment against the trusted root `trust` selects (loaded now).
    static func loading(_ trust: TrustSelection, policy: SignerPolicy? = nil) throws -> BundleAssessment {
        BundleAssessment(verifier: BundleVerifier(trustedRoot: try trust.load()), policy: policy)
    }
}

/// Codes every operation reading GitHub can end with.
let gitHubErrorCodes = GitHubError.Code.allCases.map(\.rawValue) + TransportError.Code.allCases.map(\.rawValue)

// MARK: - inventory.scan

/// `inventory.scan`: records every release, asset and bundle of the repositories in the inventory, one repository
/// after the other (each summary is an item as soon as its repository is done).
public enum InventoryScanOperation: HephaestusCore.Operation {
    public struct Request: Codable, Sendable, Equatable {
        /// The repositories to scan (`OWNER/REPO`), at least one.
        public var repositories: [String]
        /// The inventory database (default `$XDG_DATA_HOME/hephaestus/inventory.sqlite`), created on first use.
        public var inventory: String?
        public var trust: TrustChoice
        public var github: GitHubChoice

        public init(repositories: [String], inventory: String? = nil, trust: TrustChoice = TrustChoice(), github: GitHubChoice = GitHubChoice()) {
            self.repositories = repositories
            self.inventory = inventory
            self.trust = trust
            self.github = github
        }

        public func validate() throws(RequestError) {
            guard !repositories.isEmpty else { throw RequestError("give at least one --repository OWNER/REPO") }
            try trust.validate()
        }
    }

    /// The inventory scanned and what each repository's scan found (the `inventory scan --json` document).
    public struct Report: OperationReport, Equatable {
        public let inventory: String
        /// SHA-256 (hex) of the trusted root's bytes the bundles were verified with (recorded with each verdict).
        public let trustedRootSHA256: String
        public let repositories: [InventoryScan.Summary]
    }

    public typealias Item = InventoryScan.Summary

    public static let descriptor = OperationDescriptor(
        name: "inventory.scan", command: "inventory scan",
        summary: "Record every release, asset (size, SHA-256, manifest verdict) and bundle (verified) of the repositories in the inventory.",
        reportMediaType: MediaType.inventoryScan, effect: .idempotent,
        errorCodes: [VerificationError.Code.malformedTrustedRoot.rawValue] + InventoryError.openingCodes + gitHubErrorCodes,
        longRunning: true)

    public static func run(_ request: Request, in context: OperationContext, emit: ItemSink<Item>) async throws -> Report {
        try request.validate()
        let repositories = try request.repositories.map { try GitHubRepository($0) }
        return try await BlockingWork.run {
            let store = try InventoryStore(path: InventoryStore.path(request.inventory, in: context))
            let scratch = try PrivateDirectory()
            let scan = InventoryScan(
                store: store, github: try request.github.client(in: context), assessment: try .loading(request.trust.resolve(in: context)),
                logger: context.logger,
                scratchDirectory: scratch.path)
            var summaries: [InventoryScan.Summary] = []
            for repository in repositories {
                try context.checkCancellation()
                let summary = try scan.scan(repository)
                summaries.append(summary)
                emit(summary)
            }
            return Report(inventory: store.path, trustedRootSHA256: scan.assessment.trustedRootSHA256, repositories: summaries)
        }
    }
}

// MARK: - inventory.audit

/// `inventory.audit`: re-verifies every recorded bundle from its stored bytes and reports findings; any finding is a
/// negative verdict.
public enum InventoryAuditOperation: HephaestusCore.Operation {
    public struct Request: Codable, Sendable, Equatable {
        /// The inventory database (default `$XDG_DATA_HOME/hephaestus/inventory.sqlite`); it must exist.
        public var inventory: String?
        /// Expected signer identities (globs); empty: anyone.
        public var identities: [String]
        /// Expected OIDC issuers (exact); empty: any.
        public var issuers: [String]
        /// A policy file: replaces `identities` and `issuers`.
        public var policy: String?
        public var trust: TrustChoice
        /// Parallel verifications (default: the number of CPU cores).
        public var jobs: Int?

        public init(
            inventory: String? = nil, identities: [String] = [], issuers: [String] = [], trust: TrustChoice = TrustChoice(), jobs: Int? = nil,
            policy: String? = nil
        ) {
            self.policy = policy
            self.inventory = inventory
            self.identities = identities
            self.issuers = issuers
            self.trust = trust
            self.jobs = jobs
        }

        public func validate() throws(RequestError) {
            try trust.validate()
            if let jobs { try RequestError.checkRange(jobs, VerifyBatchOperation.Request.jobsRange, option: "--jobs") }
            if policy != nil && !(identities.isEmpty && issuers.isEmpty) {
                throw RequestError("--policy replaces --identity and --issuer: give one or the other")
            }
        }

        /// Who is expected to sign.
        func expectations() throws -> InventoryAudit.Expectations {
            guard let policy else { return .init(identities: identities, issuers: issuers) }
            return .init(policy: try PolicyFile(path: policy).signerPolicy(templates: [:], command: InventoryAuditOperation.descriptor.command))
        }
    }

    /// What was re-verified and the findings (the `inventory audit --json` document).
    public struct Report: OperationReport {
        public let summary: InventoryAudit.Summary
        public let findings: [InventoryAudit.Finding]

        public init(summary: InventoryAudit.Summary, findings: [InventoryAudit.Finding]) {
            self.summary = summary
            self.findings = findings
        }

        public var failure: (any CodedError)? { findings.isEmpty ? nil : InventoryError.findings(count: findings.count) }
    }

    public static let descriptor = OperationDescriptor(
        name: "inventory.audit", command: "inventory audit",
        summary: "Re-verify every recorded bundle from its stored bytes and report findings.",
        reportMediaType: MediaType.inventoryAudit, effect: .readOnly,
        errorCodes: [
            InventoryError.Code.findings.rawValue, InventoryError.Code.missing.rawValue, VerificationError.Code.malformedTrustedRoot.rawValue,
        ] + InventoryError.openingCodes + TrustErrorCodes.source + TrustErrorCodes.policy,
        longRunning: true)

    public static func run(_ request: Request, in context: OperationContext, emit: ItemSink<Never>) async throws -> Report {
        try request.validate()
        let audit = try await BlockingWork.run {
            InventoryAudit(
                store: try InventoryStore(path: InventoryStore.path(request.inventory, in: context), mustExist: true),
                assessment: try .loading(request.trust.resolve(in: context)), expectations: try request.expectations(),
                jobs: request.jobs ?? ProcessInfo.processInfo.activeProcessorCount)
        }
        let audited = try await audit.run(cancellation: context.cancellation)
        if !audited.findings.isEmpty {
            context.logger.warning("inventory.findings", metadata: ["count": .stringConvertible(audited.findings.count)])
        }
        return Report(summary: audited.summary, findings: audited.findings)
    }
}

// MARK: - inventory.report

/// `inventory.report`: the inventory as one document (summary, timeline, identities, findings, releases), written as
/// JSON, CSV or a self-contained HTML page when an output file is named.
public enum InventoryReportOperation: HephaestusCore.Operation {
    public enum Format: String, Codable, Sendable, CaseIterable {
        case json, csv, html
    }

    public struct Request: Codable, Sendable, Equatable {
        /// The inventory database (default `$XDG_DATA_HOME/hephaestus/inventory.sqlite`); it must exist.
        public var inventory: String?
        public var format: Format
        /// The report file (written whole, then renamed into place); nil writes none (the report is the answer).
        public var output: String?
        /// Replace an existing report file (only ever a regular file).
        public var overwrite: Bool
        public var trust: TrustChoice

        public init(
            inventory: String? = nil, format: Format = .json, output: String? = nil, overwrite: Bool = false, trust: TrustChoice = TrustChoice()
        ) {
            self.inventory = inventory
            self.format = format
            self.output = output
            self.overwrite = overwrite
            self.trust = trust
        }

        public func validate() throws(RequestError) {
            try trust.validate()
        }

        private enum CodingKeys: String, CodingKey { case inventory, format, output, overwrite, trust }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            inventory = try container.decodeIfPresent(String.self, forKey: .inventory)
            format = try container.decodeIfPresent(Format.self, forKey: .format) ?? .json
            output = try container.decodeIfPresent(String.self, forKey: .output)
            overwrite = try container.decodeIfPresent(Bool.self, forKey: .overwrite) ?? false
            trust = try container.decodeIfPresent(TrustChoice.self, forKey: .trust) ?? TrustChoice()
        }
    }

    public typealias Report = InventoryReport

    public static let descriptor = OperationDescriptor(
        name: "inventory.report", command: "inventory report",
        summary: "Write the inventory as JSON, CSV or a self-contained HTML page (summary, timeline chart, identities, findings).",
        reportMediaType: InventoryReport.mediaType, effect: .idempotent,
        errorCodes: [
            InventoryError.Code.missing.rawValue, InventoryError.Code.schema.rawValue, InventoryError.Code.foreign.rawValue,
            VerificationError.Code.malformedTrustedRoot.rawValue,
        ] + FileError.Code.allCases.map(\.rawValue))

    /// Refuses the output file before any work (not a regular file, or existing without `overwrite`), builds the report,
    /// then writes it through ``AtomicFileWriter``.
    public static func run(_ request: Request, in context: OperationContext, emit: ItemSink<Never>) async throws -> Report {
        try request.validate()
        if let output = request.output { try AtomicFileWriter.checkDestination(output, overwrite: request.overwrite) }
        let (store, audit) = try await BlockingWork.run {
            let store = try InventoryStore(path: InventoryStore.path(request.inventory, in: context), mustExist: true)
            return (
                store,
                InventoryAudit(
                    store: store, assessment: try .loading(request.trust.resolve(in: context)), expectations: .init(),
                    jobs: ProcessInfo.processInfo.activeProcessorCount)
            )
        }
        let report = try await InventoryReport.build(store: store, audit: audit, now: context.clock())
        if let output = request.output {
            try await BlockingWork.run {
                let bytes: [UInt8] =
                    switch request.format {
                    case .json: try report.json(runID: context.runID)
                    case .csv: report.csv()
                    case .html: report.html()
                    }
                try AtomicFileWriter.write(bytes, to: output, overwrite: request.overwrite)
            }
        }
        return report
    }
}

extension InventoryReport: OperationReport {}
