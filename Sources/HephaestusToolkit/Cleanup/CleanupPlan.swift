import Glibc
import HephaestusPlatform

/// One entry of a cleanup plan, with the identity (device, inode) and kind it had when planned. Directories on the way
/// to a target are kept (not `whole`) so that removal reaches each target through the very directories that were
/// planned; a `whole` entry is removed with everything planned inside it.
struct PlannedEntry {
    let name: [CChar]
    let identity: FileIdentity
    let kind: EntryKind
    /// The entry's own size in bytes (a file's or symbolic link's length; 0 for a directory).
    let size: Int64
    var children: [PlannedEntry]
    let whole: Bool
}

/// Where a group of planned entries hangs: an open directory (the root, or the parent of an extra path) held from
/// planning to removal, so nothing is looked up again by path.
final class PlanAnchor {
    let handle: DirectoryHandle
    let path: String
    let identity: FileIdentity
    var entries: [PlannedEntry]

    init(handle: DirectoryHandle, path: String, identity: FileIdentity, entries: [PlannedEntry]) {
        self.handle = handle
        self.path = path
        self.identity = identity
        self.entries = entries
    }
}

/// A target as reports show it: a top-level entry to remove with its totals.
public struct CleanupTarget: Codable, Sendable, Equatable {
    public let path: String
    public let type: EntryKind
    /// Bytes of every file and symbolic link it holds (itself, for a file).
    public let bytes: Int64
    /// Files, symbolic links and other non-directories it holds (1 for a file).
    public let files: Int
    /// Directories it holds, itself included.
    public let directories: Int
    /// Why it is removed: the matching pattern, or `extra-path`.
    public let reason: String
}

/// Something the plan leaves alone, and why.
public struct CleanupSkip: Codable, Sendable, Equatable {
    public let path: String
    public let reason: String
}

/// The counts of a plan or of what a run removed.
public struct CleanupTotals: Codable, Sendable, Equatable {
    public var targets = 0
    public var files = 0
    public var directories = 0
    public var bytes: Int64 = 0

    public init() {}
}

/// What a cleanup will remove: computed once, then shown (dry run) or removed exactly. Unchecked Sendable: it (and
/// the directory descriptors it holds) is handed from the planning stage to the removal stage, never used by two at once.
final class CleanupPlan: @unchecked Sendable {
    var anchors: [PlanAnchor] = []
    var targets: [CleanupTarget] = []
    var skipped: [CleanupSkip] = []

    var totals: CleanupTotals {
        var totals = CleanupTotals()
        totals.targets = targets.count
        for target in targets {
            totals.files += target.files
            totals.directories += target.directories
            totals.bytes += target.bytes
        }
        return totals
    }
}

/// Builds plans: walks a root through directory descriptors (never following a symbolic link, never leaving its file
/// system) and records every entry to remove with its identity.
struct CleanupPlanner {
    let patterns: CleanupPatterns
    let plan = CleanupPlan()

    /// The names whose presence protects a directory and everything around it.
    private static let venvMarker = Array("pyvenv.cfg".utf8CString)
    private static let gitName = Array(".git".utf8CString)
    private static let sitePackagesName = Array("site-packages".utf8CString)

    /// Plans the pattern matches under the root `path` (a real path), opened as `handle`.
    func scanRoot(_ handle: DirectoryHandle, path: String) throws(CleanupError) {
        guard let status = handle.status() else { throw CleanupError(.removeFailed, "cannot read the root \(path): \(errnoText())") }
        let identity = FileIdentity(status)
        let entries = scan(handle, path: path, relative: [], device: identity.device)
        plan.anchors.append(PlanAnchor(handle: handle, path: path, identity: identity, entries: entries))
    }

    /// The entries of the directory `handle` (at `path`) leading to pattern matches.
    private func scan(_ handle: DirectoryHandle, path: String, relative: [CChar], device: UInt64) -> [PlannedEntry] {
        guard let entries = handle.entries() else {
            plan.skipped.append(CleanupSkip(path: path, reason: "cannot be read: \(errnoText())"))
            return []
        }
        if entries.contains(where: { $0.name == Self.venvMarker }) {
            plan.skipped.append(CleanupSkip(path: path, reason: "a virtualenv (holds pyvenv.cfg): never touched"))
            return []
        }
        var planned: [PlannedEntry] = []
        for entry in entries {
            if entry.name == Self.gitName || entry.name == Self.sitePackagesName { continue }
            var childPath: String { path + "/" + entry.name.nameString }
            // NUL-terminated, made only when a path pattern asks.
            let childRelative = { () -> [CChar] in relative.isEmpty ? entry.name : relative + [0x2F] + entry.name }
            var kind = entry.kind
            if kind == nil {
                guard let status = handle.status(of: entry.name) else { continue }
                kind = EntryKind(mode: status.st_mode)
            }
            guard let kind, kind == .file || kind == .directory else { continue }
            if let pattern = patterns.match(name: entry.name, relativePath: childRelative, kind: kind) {
                if let target = captureTarget(in: handle, name: entry.name, path: childPath, device: device, reason: pattern.text) {
                    planned.append(target)
                }
                continue
            }
            guard kind == .directory, !patterns.isExcluded(name: entry.name, relativePath: childRelative, kind: kind) else { continue }
            guard let status = handle.status(of: entry.name), EntryKind(mode: status.st_mode) == .directory else { continue }
            guard UInt64(status.st_dev) == device else {
                plan.skipped.append(CleanupSkip(path: childPath, reason: "another file system is mounted here: not entered"))
                continue
            }
            guard let child = handle.openChild(entry.name), let opened = child.status(), FileIdentity(opened) == FileIdentity(status) else {
                plan.skipped.append(CleanupSkip(path: childPath, reason: "changed while planning: not entered"))
                continue
            }
            let children = scan(child, path: childPath, relative: Array(childRelative().dropLast()), device: device)
            if !children.isEmpty {
                planned.append(
                    PlannedEntry(name: entry.name, identity: FileIdentity(status), kind: .directory, size: 0, children: children, whole: false))
            }
        }
        return planned
    }

    /// The entry `name` of `parent` planned for removal with everything in it, and listed as a target; nil (and a
    /// skip recorded) when it holds something protected, another file system, or changed while being planned.
    func captureTarget(in parent: DirectoryHandle, name: [CChar], path: String, device: UInt64?, reason: String) -> PlannedEntry? {
        var counts = CleanupTotals()
        switch capture(in: parent, name: name, parentPath: String(path.dropLast(name.nameString.count + 1)), device: device, counts: &counts) {
        case .success(let entry):
            plan.targets.append(
                CleanupTarget(path: path, type: entry.kind, bytes: counts.bytes, files: counts.files, directories: counts.directories, reason: reason)
            )
            return entry
        case .failure(let refusal):
            plan.skipped.append(CleanupSkip(path: path, reason: refusal.reason))
            return nil
        }
    }

    private struct Refusal: Error {
        let reason: String
    }

    /// The entry's path is made only for a refusal or a directory (not for each of the files that make most trees).
    private func capture(
        in parent: DirectoryHandle, name: [CChar], parentPath: String, device: UInt64?, counts: inout CleanupTotals
    ) -> Result<PlannedEntry, Refusal> {
        var path: String { parentPath + "/" + name.nameString }
        guard let status = parent.status(of: name) else { return .failure(Refusal(reason: "vanished while planning")) }
        let identity = FileIdentity(status)
        let kind = EntryKind(mode: status.st_mode)
        if name == Self.gitName || name == Self.sitePackagesName || name == Self.venvMarker {
            return .failure(Refusal(reason: "holds \(path) (\(name.nameString) is never touched)"))
        }
        if let device, identity.device != device {
            return .failure(Refusal(reason: "holds \(path), on another file system: not touched"))
        }
        guard kind == .directory else {
            counts.files += 1
            counts.bytes += Int64(status.st_size)
            return .success(PlannedEntry(name: name, identity: identity, kind: kind, size: Int64(status.st_size), children: [], whole: true))
        }
        guard let child = parent.openChild(name), let opened = child.status(), FileIdentity(opened) == identity else {
            return .failure(Refusal(reason: "changed while planning"))
        }
        guard let entries = child.entries() else { return .failure(Refusal(reason: "cannot read \(path): \(errnoText())")) }
        let directoryPath = path
        counts.directories += 1
        var children: [PlannedEntry] = []
        children.reserveCapacity(entries.count)
        for entry in entries {
            switch capture(in: child, name: entry.name, parentPath: directoryPath, device: identity.device, counts: &counts) {
            case .success(let planned): children.append(planned)
            case .failure(let refusal): return .failure(refusal)
            }
        }
        return .success(PlannedEntry(name: name, identity: identity, kind: .directory, size: 0, children: children, whole: true))
    }
}

func errnoText(_ code: Int32 = errno) -> String {
    String(cString: strerror(code))
}
