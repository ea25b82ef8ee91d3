import Glibc
import HephaestusPlatform

/// One removed entry, as the audit manifest records it.
public struct RemovedEntry: Codable, Sendable, Equatable {
    public let path: String
    public let type: EntryKind
    public let size: Int64
}

/// Removes exactly a plan: each entry is reached through the planned directories' descriptors, and its device, inode
/// and kind are compared with the plan before it is unlinked. Anything that differs (a directory swapped for a symbolic
/// link, a file replaced, an entry added since planning) is left in place and reported.
struct CleanupRemoval: Sendable {
    private(set) var removed = CleanupTotals()
    /// Every removed entry, when the audit manifest asked for them.
    private(set) var entries: [RemovedEntry] = []
    private(set) var leftInPlace: [CleanupSkip] = []
    private(set) var failures: [CleanupSkip] = []
    private let recordsEntries: Bool

    private init(recordsEntries: Bool) {
        self.recordsEntries = recordsEntries
    }

    /// Removes `plan`, stopping between entries when `cancellation` says so; what was removed and what was not.
    static func remove(_ plan: CleanupPlan, recordingEntries: Bool, cancellation: () -> Bool) -> CleanupRemoval {
        var removal = CleanupRemoval(recordsEntries: recordingEntries)
        removal.remove(plan, cancellation: cancellation)
        return removal
    }

    private mutating func remove(_ plan: CleanupPlan, cancellation: () -> Bool) {
        for anchor in plan.anchors {
            guard let status = anchor.handle.status(), FileIdentity(status) == anchor.identity else {
                leftInPlace.append(CleanupSkip(path: anchor.path, reason: "changed since planning: nothing in it removed"))
                continue
            }
            removeEntries(anchor.entries, in: anchor.handle, path: anchor.path, cancellation: cancellation)
        }
        removed.targets = plan.targets.count - Set(leftInPlace.map(\.path) + failures.map(\.path)).intersection(plan.targets.map(\.path)).count
    }

    private mutating func removeEntries(_ entries: [PlannedEntry], in directory: DirectoryHandle, path: String, cancellation: () -> Bool) {
        for entry in entries {
            if cancellation() { return }
            var entryPath: String { path + "/" + entry.name.nameString }
            guard let status = directory.status(of: entry.name) else {
                leftInPlace.append(CleanupSkip(path: entryPath, reason: "vanished since planning"))
                continue
            }
            guard FileIdentity(status) == entry.identity, EntryKind(mode: status.st_mode) == entry.kind else {
                leftInPlace.append(
                    CleanupSkip(path: entryPath, reason: "replaced since planning (now a \(EntryKind(mode: status.st_mode).rawValue))"))
                continue
            }
            if entry.kind == .directory {
                // O_NOFOLLOW | O_DIRECTORY, then the identity of what was opened: a swap after the check above is seen here.
                guard let child = directory.openChild(entry.name) else {
                    leftInPlace.append(CleanupSkip(path: entryPath, reason: "replaced since planning (\(errnoText()))"))
                    continue
                }
                guard let opened = child.status(), FileIdentity(opened) == entry.identity else {
                    leftInPlace.append(CleanupSkip(path: entryPath, reason: "replaced since planning"))
                    continue
                }
                removeEntries(entry.children, in: child, path: entryPath, cancellation: cancellation)
                guard entry.whole else { continue }
            }
            unlink(entry, in: directory, path: entryPath)
        }
    }

    /// `path` is made only when something is recorded: most entries need none.
    private mutating func unlink(_ entry: PlannedEntry, in directory: DirectoryHandle, path: @autoclosure () -> String) {
        if let code = directory.remove(entry.name, directory: entry.kind == .directory) {
            if code == ENOTEMPTY || code == EEXIST {
                leftInPlace.append(CleanupSkip(path: path(), reason: "holds entries added since planning"))
            } else if code == ENOENT || code == ENOTDIR {
                leftInPlace.append(CleanupSkip(path: path(), reason: "changed since planning"))
            } else {
                failures.append(CleanupSkip(path: path(), reason: errnoText(code)))
            }
            return
        }
        if entry.kind == .directory {
            removed.directories += 1
        } else {
            removed.files += 1
            removed.bytes += entry.size
        }
        if recordsEntries { entries.append(RemovedEntry(path: path(), type: entry.kind, size: entry.size)) }
    }
}
