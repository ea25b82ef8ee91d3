import Foundation
import HephaestusCore
import HephaestusPlatform
import HephaestusSigstore

extension MediaType {
    public static let backfillRollback = "application/vnd.hephaestus.backfill-rollback+json;version=1"
}

// MARK: - backfill.plan

/// `backfill.plan`: the assets of published releases that lack a bundle, and whether each can be signed.
public enum BackfillPlanOperation: HephaestusCore.Operation {
    public struct Request: Codable, Sendable, Equatable {
        /// `OWNER/REPO`.
        public var repository: String
        /// Only releases published at or after this tag's release, or this date (`YYYY-MM-DD`).
        public var since: String?
        public var github: GitHubChoice

        public init(repository: String, since: String? = nil, github: GitHubChoice = GitHubChoice()) {
            self.repository = repository
            self.since = since
            self.github = github
        }
    }

    /// The plan (the `backfill plan --json` document).
    public struct Report: OperationReport {
        public let repository: String
        public let items: [BackfillPlanner.Item]

        public init(repository: String, items: [BackfillPlanner.Item]) {
            self.repository = repository
            self.items = items
        }

        /// The items that will be signed.
        public var signable: Int { items.filter { $0.action == .sign }.count }
    }

    public static let descriptor = OperationDescriptor(
        name: "backfill.plan", command: "backfill plan",
        summary: "List the assets of published releases that lack a bundle, and whether they can be signed.",
        reportMediaType: MediaType.backfillPlan, effect: .readOnly, errorCodes: gitHubErrorCodes)

    public static func run(_ request: Request, in context: OperationContext, emit: ItemSink<Never>) async throws -> Report {
        let repository = try GitHubRepository(request.repository)
        let items = try await BlockingWork.run {
            try BackfillPlanner(github: try request.github.client(in: context)).plan(repository, since: request.since.map(BackfillSince.parse))
        }
        return Report(repository: repository.description, items: items)
    }
}

// MARK: - backfill.run

/// `backfill.run`: downloads, ties to the SHA-256 manifest, signs and uploads a bundle for every planned asset,
/// recording each step in the inventory before and after it happens (resumable); each line is an item as it happens.
/// A dry run shows every action and changes nothing.
public enum BackfillRunOperation: HephaestusCore.Operation {
    public struct Request: Codable, Sendable, Equatable {
        /// `OWNER/REPO`.
        public var repository: String
        /// Only releases published at or after this tag's release, or this date (`YYYY-MM-DD`).
        public var since: String?
        public var signing: SigningChoice
        public var trust: TrustChoice
        /// A policy file: an asset's existing bundle counts as signed only when it meets it (else it is a conflict left
        /// to a human, never signed over).
        public var policy: String?
        /// The inventory database (default `$XDG_DATA_HOME/hephaestus/inventory.sqlite`), created on first use.
        public var inventory: String?
        /// Show every action and change nothing (no download, signature, upload or inventory write).
        public var dryRun: Bool
        /// Sign and upload at most this many assets per minute.
        public var maxPerMinute: Double?
        public var github: GitHubChoice

        public init(
            repository: String, since: String? = nil, signing: SigningChoice = SigningChoice(), trust: TrustChoice = TrustChoice(),
            inventory: String? = nil, dryRun: Bool = false, maxPerMinute: Double? = nil, github: GitHubChoice = GitHubChoice(),
            policy: String? = nil
        ) {
            self.policy = policy
            self.repository = repository
            self.since = since
            self.signing = signing
            self.trust = trust
            self.inventory = inventory
            self.dryRun = dryRun
            self.maxPerMinute = maxPerMinute
            self.github = github
        }

        public func validate() throws(RequestError) {
            try trust.validate()
            try signing.validate(staging: trust.staging)
            if let maxPerMinute, !(maxPerMinute > 0 && maxPerMinute.isFinite) { throw RequestError("--max-per-minute must be positive") }
        }

        private enum CodingKeys: String, CodingKey { case repository, since, signing, trust, inventory, dryRun, maxPerMinute, github, policy }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.init(
                repository: try container.decode(String.self, forKey: .repository), since: try container.decodeIfPresent(String.self, forKey: .since),
                signing: try container.decodeIfPresent(SigningChoice.self, forKey: .signing) ?? SigningChoice(),
                trust: try container.decodeIfPresent(TrustChoice.self, forKey: .trust) ?? TrustChoice(),
                inventory: try container.decodeIfPresent(String.self, forKey: .inventory),
                dryRun: try container.decodeIfPresent(Bool.self, forKey: .dryRun) ?? false,
                maxPerMinute: try container.decodeIfPresent(Double.self, forKey: .maxPerMinute),
                github: try container.decodeIfPresent(GitHubChoice.self, forKey: .github) ?? GitHubChoice(),
                policy: try container.decodeIfPresent(String.self, forKey: .policy))
        }
    }

    public typealias Report = BackfillRunner.Report
    public typealias Item = BackfillRunner.Line

    public static let descriptor = OperationDescriptor(
        name: "backfill.run", command: "backfill run",
        summary: "Download, tie to the SHA-256 manifest, sign and upload a bundle for every planned asset; resumable.",
        reportMediaType: MediaType.backfillRun, effect: .destructive,
        errorCodes: [
            InventoryError.Code.backfillIncomplete.rawValue, VerificationError.Code.malformedTrustedRoot.rawValue,
        ] + InventoryError.openingCodes + SigningError.Code.allCases.map(\.rawValue) + gitHubErrorCodes + TrustErrorCodes.source
            + TrustErrorCodes.policy,
        longRunning: true)

    public static func run(_ request: Request, in context: OperationContext, emit: ItemSink<Item>) async throws -> Report {
        try request.validate()
        let repository = try GitHubRepository(request.repository)
        return try await BlockingWork.run {
            let github = try request.github.client(in: context, requireToken: !request.dryRun)
            let plan = try BackfillPlanner(github: github).plan(repository, since: request.since.map(BackfillSince.parse))
            let trust = try request.trust.resolve(in: context)
            let policy = try request.policy.map { try PolicyFile(path: $0).signerPolicy(templates: [:], command: descriptor.command) }
            let assessment = try BundleAssessment.loading(trust, policy: policy)
            let scratch = try PrivateDirectory()
            if request.dryRun {
                let runner = BackfillRunner(
                    store: nil, github: github, session: nil, assessment: assessment, repository: repository, runID: context.runID.description,
                    logger: context.logger, maximumPerMinute: request.maxPerMinute, scratchDirectory: scratch.path, clock: context.clock)
                let signer = request.signing.key.map { "the key in \($0)" } ?? "the keyless identity of the OIDC token"
                return runner.dryRun(plan, signer: signer) { emit($0) }
            }
            let session = try SigningSession(
                credential: request.signing.credential(in: context), signingConfig: request.signing.configSelection(trust: trust),
                trust: trust, http: try context.network.client(), logger: context.logger, clock: context.clock)
            let runner = BackfillRunner(
                store: try InventoryStore(path: InventoryStore.path(request.inventory, in: context)), github: github, session: session,
                assessment: assessment, repository: repository, runID: context.runID.description, logger: context.logger,
                maximumPerMinute: request.maxPerMinute, scratchDirectory: scratch.path, clock: context.clock)
            return try runner.run(plan, signer: session.signerDescription, cancellation: context.cancellation) { emit($0) }
        }
    }
}

extension BackfillRunner.Report: OperationReport {}

// MARK: - backfill.status

/// `backfill.status`: the recorded backfill runs (of a repository), and one run's actions.
public enum BackfillStatusOperation: HephaestusCore.Operation {
    public struct Request: Codable, Sendable, Equatable {
        /// Only runs of this repository (`OWNER/REPO`).
        public var repository: String?
        /// Only this run, with its actions.
        public var run: String?
        /// The inventory database (default `$XDG_DATA_HOME/hephaestus/inventory.sqlite`); it must exist.
        public var inventory: String?

        public init(repository: String? = nil, run: String? = nil, inventory: String? = nil) {
            self.repository = repository
            self.run = run
            self.inventory = inventory
        }
    }

    /// The runs and, for one run, its actions (the `backfill status --json` document).
    public struct Report: OperationReport {
        public let runs: [InventoryStore.RunRecord]
        public let actions: [InventoryStore.ActionRecord]

        public init(runs: [InventoryStore.RunRecord], actions: [InventoryStore.ActionRecord]) {
            self.runs = runs
            self.actions = actions
        }
    }

    public static let descriptor = OperationDescriptor(
        name: "backfill.status", command: "backfill status", summary: "List backfill runs and what each did.",
        reportMediaType: MediaType.backfillStatus, effect: .readOnly,
        errorCodes: [InventoryError.Code.runNotFound.rawValue, InventoryError.Code.missing.rawValue] + InventoryError.openingCodes)

    public static func run(_ request: Request, in context: OperationContext, emit: ItemSink<Never>) async throws -> Report {
        try await BlockingWork.run {
            let store = try InventoryStore(path: InventoryStore.path(request.inventory, in: context), mustExist: true)
            let runs = try store.runs(repository: request.repository).filter { request.run == nil || $0.id == request.run }
            if let run = request.run, runs.isEmpty { throw InventoryError.runNotFound(run) }
            return Report(runs: runs, actions: try request.run.map { try store.actions(runID: $0) } ?? [])
        }
    }
}

// MARK: - backfill.rollback

/// `backfill.rollback`: deletes exactly the bundle assets a backfill run uploaded.
public enum BackfillRollbackOperation: HephaestusCore.Operation {
    public struct Request: Codable, Sendable, Equatable {
        /// The run to undo.
        public var run: String
        /// Roll back a run still marked running (its process is known to be gone).
        public var force: Bool
        public var trust: TrustChoice
        /// The inventory database (default `$XDG_DATA_HOME/hephaestus/inventory.sqlite`); it must exist.
        public var inventory: String?
        public var github: GitHubChoice

        public init(
            run: String, force: Bool = false, trust: TrustChoice = TrustChoice(), inventory: String? = nil, github: GitHubChoice = GitHubChoice()
        ) {
            self.run = run
            self.force = force
            self.trust = trust
            self.inventory = inventory
            self.github = github
        }

        public func validate() throws(RequestError) {
            try trust.validate()
        }

        private enum CodingKeys: String, CodingKey { case run, force, trust, inventory, github }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.init(
                run: try container.decode(String.self, forKey: .run), force: try container.decodeIfPresent(Bool.self, forKey: .force) ?? false,
                trust: try container.decodeIfPresent(TrustChoice.self, forKey: .trust) ?? TrustChoice(),
                inventory: try container.decodeIfPresent(String.self, forKey: .inventory),
                github: try container.decodeIfPresent(GitHubChoice.self, forKey: .github) ?? GitHubChoice())
        }
    }

    /// What the rollback did to each upload of the run.
    public struct Report: OperationReport {
        /// The run rolled back.
        public let run: String
        public let lines: [BackfillRunner.Line]
        /// How many bundle assets were deleted (the others were already gone).
        public let deleted: Int

        public init(run: String, lines: [BackfillRunner.Line]) {
            self.run = run
            self.lines = lines
            deleted = lines.filter { $0.outcome == .deleted }.count
        }
    }

    public static let descriptor = OperationDescriptor(
        name: "backfill.rollback", command: "backfill rollback",
        summary: "Delete exactly the bundle assets a backfill run uploaded.",
        reportMediaType: MediaType.backfillRollback, effect: .destructive,
        errorCodes: [
            InventoryError.Code.runNotFound.rawValue, InventoryError.Code.runInProgress.rawValue, InventoryError.Code.missing.rawValue,
            VerificationError.Code.malformedTrustedRoot.rawValue,
        ] + InventoryError.openingCodes + gitHubErrorCodes)

    public static func run(_ request: Request, in context: OperationContext, emit: ItemSink<Never>) async throws -> Report {
        try request.validate()
        return try await BlockingWork.run {
            let rollback = BackfillRollback(
                store: try InventoryStore(path: InventoryStore.path(request.inventory, in: context), mustExist: true),
                github: try request.github.client(in: context, requireToken: true), assessment: try .loading(request.trust.resolve(in: context)),
                logger: context.logger)
            return Report(run: request.run, lines: try rollback.rollback(runID: request.run, force: request.force))
        }
    }
}
