import Foundation
import Glibc
import HephaestusCore
import HephaestusPlatform

extension MediaType {
    public static let cleanupReport = "application/vnd.hephaestus.cleanup-report+json;version=1"
    public static let cleanupManifest = "application/vnd.hephaestus.cleanup-manifest+json;version=1"
}

/// `cleanup.run`: build and cache artefacts removed from a project, planned once and removed exactly as planned,
/// through directory descriptors (see ``CleanupRemoval``). A dry run plans and reports, and changes nothing.
public enum CleanupOperation: HephaestusCore.Operation {
    public struct Request: Codable, Sendable, Equatable {
        /// The project root; nil: the git top level of the working directory.
        public var root: String?
        /// Plan and report only.
        public var dryRun: Bool
        /// Further paths to remove whole (files or directories), inside the root unless `allowOutsideRoot`.
        public var extraPaths: [String]
        public var allowOutsideRoot: Bool
        /// Confirms paths outside the root in advance (with `allowOutsideRoot`); logged.
        public var yes: Bool
        /// Where to write the audit manifest (JSON: every removed path, its type and size, the run id).
        public var auditManifest: String?

        public init(
            root: String? = nil, dryRun: Bool = false, extraPaths: [String] = [], allowOutsideRoot: Bool = false, yes: Bool = false,
            auditManifest: String? = nil
        ) {
            self.root = root
            self.dryRun = dryRun
            self.extraPaths = extraPaths
            self.allowOutsideRoot = allowOutsideRoot
            self.yes = yes
            self.auditManifest = auditManifest
        }

        public func validate() throws(CleanupError) {
            if let root, root.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                throw CleanupError(.emptyPath, "the cleanup ROOT is empty or only whitespace")
            }
            if extraPaths.contains(where: { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }) {
                throw CleanupError(.emptyPath, "an --extra-path is empty or only whitespace")
            }
        }
    }

    public static let descriptor = OperationDescriptor(
        name: "cleanup.run", command: "cleanup",
        summary: "Remove build and cache artefacts under a project root, race-safely, exactly as planned (--dry-run: list them).",
        reportMediaType: MediaType.cleanupReport, effect: .destructive,
        errorCodes: CleanupError.Code.allCases.map(\.rawValue) + ProjectConfigurationError.Code.allCases.map(\.rawValue))

    public static func run(_ request: Request, in context: OperationContext, emit: ItemSink<Never>) async throws -> CleanupReport {
        try request.validate()
        let safety = CleanupSafety(environment: context.environment)
        let root = try resolveRoot(request.root, safety: safety)
        let configuration = try ProjectConfiguration.discover(in: root)
        if let manifest = request.auditManifest { try AtomicFileWriter.checkDestination(manifest, overwrite: false) }
        let extras = try request.extraPaths.map { path throws(CleanupError) in try ExtraPath(path, root: root, safety: safety) }
        if let outside = extras.first(where: { $0.isOutsideRoot }), !request.allowOutsideRoot {
            throw CleanupError(.outsideRoot, "refused \(outside.resolved): outside the root \(root) (add --allow-outside-root)")
        }

        let plan = try await BlockingWork.run { () throws(CleanupError) -> CleanupPlan in
            try makePlan(root: root, extras: extras, patterns: CleanupPatterns(configuration: configuration.cleanup))
        }
        context.logger.info(
            "cleanup.planned",
            metadata: ["root": .string(root), "targets": .stringConvertible(plan.targets.count), "bytes": .stringConvertible(plan.totals.bytes)])
        var report = CleanupReport(runId: context.runID.value, root: root, dryRun: request.dryRun, targets: plan.targets, skipped: plan.skipped)
        report.planned = plan.totals
        if !request.dryRun {
            try await confirmOutsideRoot(extras.filter(\.isOutsideRoot), plan: plan, request: request, context: context)
            let cancellation = context.cancellation
            let removal = try await BlockingWork.run {
                CleanupRemoval.remove(plan, recordingEntries: request.auditManifest != nil, cancellation: { cancellation.isCancelled })
            }
            report.removed = removal.removed
            report.leftInPlace = removal.leftInPlace
            report.failed = removal.failures
            if let path = request.auditManifest {
                try CleanupManifest(report: report, entries: removal.entries).write(to: path)
                report.auditManifest = path
            }
            context.logger.notice(
                "cleanup.removed",
                metadata: [
                    "root": .string(root), "files": .stringConvertible(removal.removed.files),
                    "directories": .stringConvertible(removal.removed.directories), "bytes": .stringConvertible(removal.removed.bytes),
                    "left_in_place": .stringConvertible(removal.leftInPlace.count),
                ])
        } else if let path = request.auditManifest {
            // A dry run's manifest lists the planned targets, marked as such.
            let planned = plan.targets.map { RemovedEntry(path: $0.path, type: $0.type, size: $0.bytes) }
            try CleanupManifest(report: report, entries: planned).write(to: path)
            report.auditManifest = path
        }
        return report
    }

    /// The real path of the root: the given one, or the git top level of the working directory; checked against the
    /// blocklist.
    static func resolveRoot(_ given: String?, safety: CleanupSafety) throws(CleanupError) -> String {
        let start = given ?? FileManager.default.currentDirectoryPath
        guard let resolved = CleanupSafety.resolve(start) else { throw CleanupError(.noRoot, "the cleanup root \(start) does not exist") }
        var root = resolved
        if given == nil {
            var candidate = resolved
            while !NativePath.exists(candidate + "/.git") {
                guard candidate != "/" else {
                    throw CleanupError(.noRoot, "\(resolved) is not inside a git work tree: give the project ROOT")
                }
                candidate = (candidate as NSString).deletingLastPathComponent
            }
            root = candidate
        }
        try safety.check(root, as: "root")
        if let reason = CleanupSafety.protectionReason(root) { throw CleanupError(.protectedTarget, "refused root \(root): \(reason)") }
        return root
    }

    private static func makePlan(root: String, extras: [ExtraPath], patterns: CleanupPatterns) throws(CleanupError) -> CleanupPlan {
        guard let handle = DirectoryHandle.open(path: root) else {
            throw CleanupError(.removeFailed, "cannot open the root \(root): \(errnoText())")
        }
        let planner = CleanupPlanner(patterns: patterns)
        try planner.scanRoot(handle, path: root)
        for extra in extras {
            // A path already inside a planned target goes with it; targets inside the path go with the path.
            if planner.plan.targets.contains(where: { extra.resolved == $0.path || extra.resolved.hasPrefix($0.path + "/") }) { continue }
            let covered = Set(planner.plan.targets.filter { $0.path.hasPrefix(extra.resolved + "/") }.map(\.path))
            if !covered.isEmpty {
                planner.plan.targets.removeAll { covered.contains($0.path) }
                for anchor in planner.plan.anchors { anchor.entries = prune(anchor.entries, under: anchor.path, removing: covered) }
            }
            guard let parent = DirectoryHandle.open(path: extra.parent), let status = parent.status() else {
                throw CleanupError(.removeFailed, "cannot open \(extra.parent): \(errnoText())")
            }
            let identity = FileIdentity(status)
            if let entry = planner.captureTarget(
                in: parent, name: NativePath.cString(extra.name), path: extra.resolved, device: nil, reason: "extra-path")
            {
                planner.plan.anchors.append(PlanAnchor(handle: parent, path: extra.parent, identity: identity, entries: [entry]))
            }
        }
        if let refused = planner.plan.skipped.first(where: { skip in extras.contains { $0.resolved == skip.path } }) {
            throw CleanupError(.protectedTarget, "refused \(refused.path): \(refused.reason)")
        }
        return planner.plan
    }

    /// `entries` (under `path`) without the whole entries at the paths in `removing`.
    private static func prune(_ entries: [PlannedEntry], under path: String, removing: Set<String>) -> [PlannedEntry] {
        entries.compactMap { entry in
            let entryPath = path + "/" + entry.name.nameString
            if entry.whole { return removing.contains(entryPath) ? nil : entry }
            var kept = entry
            kept.children = prune(entry.children, under: entryPath, removing: removing)
            return kept.children.isEmpty ? nil : kept
        }
    }

    /// Paths outside the root need `--yes` (logged) or the path typed at the terminal.
    private static func confirmOutsideRoot(
        _ extras: [ExtraPath], plan: CleanupPlan, request: Request, context: OperationContext
    ) async throws(CleanupError) {
        for extra in extras {
            guard let target = plan.targets.first(where: { $0.path == extra.resolved }) else { continue }
            if request.yes {
                context.logger.warning(
                    "cleanup.outside-root-confirmed", metadata: ["path": .string(extra.resolved), "by": .string("--yes")])
                continue
            }
            let answer = await context.confirmation.answer(
                ConfirmationRequest(
                    prompt: "About to remove \(extra.resolved), outside the root (\(target.files) files, \(target.bytes) bytes).",
                    expected: extra.resolved))
            guard let answer else {
                throw CleanupError(
                    .notConfirmed, "refused \(extra.resolved): outside the root and no terminal to confirm it (add --yes to confirm in advance)")
            }
            guard answer == extra.resolved else {
                throw CleanupError(.notConfirmed, "refused \(extra.resolved): the confirmation did not match the path")
            }
            context.logger.warning("cleanup.outside-root-confirmed", metadata: ["path": .string(extra.resolved), "by": .string("terminal")])
        }
    }
}

/// An `--extra-path`, resolved (symbolic links and `..`) and checked against the blocklist and protections.
struct ExtraPath: Sendable {
    let resolved: String
    let parent: String
    let name: String
    let isOutsideRoot: Bool

    init(_ path: String, root: String, safety: CleanupSafety) throws(CleanupError) {
        guard let resolved = CleanupSafety.resolve(path) else { throw CleanupError(.removeFailed, "\(path) does not exist") }
        try safety.check(resolved, as: "path")
        if resolved == root { throw CleanupError(.dangerousTarget, "refused path \(resolved): it is the root itself") }
        if root.hasPrefix(resolved + "/") { throw CleanupError(.dangerousTarget, "refused path \(resolved): it holds the root \(root)") }
        if let reason = CleanupSafety.protectionReason(resolved) { throw CleanupError(.protectedTarget, "refused path \(resolved): \(reason)") }
        self.resolved = resolved
        self.parent = (resolved as NSString).deletingLastPathComponent
        self.name = (resolved as NSString).lastPathComponent
        self.isOutsideRoot = !resolved.hasPrefix(root + "/")
    }
}

/// What `cleanup` planned and removed.
public struct CleanupReport: OperationReport, Equatable {
    public var runId: String
    public var root: String
    public var dryRun: Bool
    /// What the plan removes (or removed): the same list in a dry run and a real run on the same tree.
    public var targets: [CleanupTarget]
    /// What the plan leaves alone, and why (virtualenvs, other file systems, protected contents).
    public var skipped: [CleanupSkip]
    public var planned = CleanupTotals()
    /// What the real run removed (nil in a dry run).
    public var removed: CleanupTotals?
    /// Planned entries found changed at removal (swapped, replaced, added to) and left in place.
    public var leftInPlace: [CleanupSkip] = []
    /// Planned entries the system refused to remove.
    public var failed: [CleanupSkip] = []
    public var auditManifest: String?

    init(runId: String, root: String, dryRun: Bool, targets: [CleanupTarget], skipped: [CleanupSkip]) {
        self.runId = runId
        self.root = root
        self.dryRun = dryRun
        self.targets = targets
        self.skipped = skipped
    }

    public var failure: (any CodedError)? {
        if let first = failed.first {
            return CleanupError(
                .removeFailed, "\(failed.count) planned entr\(failed.count == 1 ? "y" : "ies") not removed; first: \(first.path): \(first.reason)")
        }
        if let first = leftInPlace.first {
            return CleanupError(
                .changedDuringRun,
                "\(leftInPlace.count) planned entr\(leftInPlace.count == 1 ? "y" : "ies") changed since planning and left in place; first: \(first.path): \(first.reason)"
            )
        }
        return nil
    }
}

/// The audit manifest: every removed entry with its type and size, the run id and the totals; written atomically.
struct CleanupManifest: Encodable {
    let mediaType = MediaType.cleanupManifest
    let runId: String
    let root: String
    let dryRun: Bool
    let writtenAt: String
    let entries: [RemovedEntry]
    let totals: CleanupTotals
    let leftInPlace: [CleanupSkip]

    init(report: CleanupReport, entries: [RemovedEntry]) {
        runId = report.runId
        root = report.root
        dryRun = report.dryRun
        writtenAt = RFC3339.string(Date())
        self.entries = entries
        totals = report.removed ?? report.planned
        leftInPlace = report.leftInPlace
    }

    func write(to path: String) throws(FileError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let bytes: [UInt8]
        do { bytes = Array(try encoder.encode(self)) } catch { throw FileError.writeFailed(path: path, reason: "\(error)") }
        try AtomicFileWriter.write(bytes + [0x0A], to: path, overwrite: false)
    }
}
