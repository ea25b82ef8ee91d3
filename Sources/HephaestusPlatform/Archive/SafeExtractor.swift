import Foundation
import Glibc

/// Extracts tar, tar.gz and zip archives into a fresh directory, refusing anything that could escape it.
///
/// Every write goes through directory file descriptors opened with `O_NOFOLLOW` from the destination down, and every
/// file is created with `O_EXCL | O_NOFOLLOW`, so nothing can be written outside the destination, even transiently,
/// whatever the archive holds. Refused, with the entry name and the rule: absolute paths, `..` components,
/// backslashes, NUL and control characters, names that Unicode compatibility normalisation changes (full-width dots
/// and slashes), paths longer than PATH_MAX and components longer than NAME_MAX, duplicate names and names that
/// collide after Unicode normalisation or case folding, symlinks and hard links that resolve outside (also through
/// earlier links), paths through a symlink, devices, FIFOs, sockets, contiguous, sparse and unknown types, and what
/// tar or zip readers would read differently (``TarBlockWalker``, ``ZipCentralDirectory``); setuid, setgid and
/// sticky bits are stripped; the limits stop bombs. Corrupt, truncated and concatenated archives are refused, and on
/// any refusal the destination is removed whole.
public struct SafeExtractor: Sendable {
    public let limits: ExtractionLimits
    public let rules: ExtractionRules

    public init(limits: ExtractionLimits = ExtractionLimits(), rules: ExtractionRules = .none) {
        self.limits = limits
        self.rules = rules
    }

    public struct Report: Sendable, Equatable {
        public var files: [String] = []
        public var directories = 0
        public var links = 0
        public var bytes: Int64 = 0
    }

    /// Extracts `archive` into `destination`, which must not exist or be an empty directory.
    @discardableResult
    public func extract(_ archive: String, into destination: String) throws -> Report {
        var created = false
        var info = stat()
        if lstat(NativePath.cString(destination), &info) == 0 {
            switch info.st_mode & S_IFMT {
            case S_IFDIR: break
            case S_IFLNK: throw ArchiveError.destinationNotDirectory(path: destination, kind: "a symbolic link")
            case S_IFREG: throw ArchiveError.destinationNotDirectory(path: destination, kind: "a regular file")
            default: throw ArchiveError.destinationNotDirectory(path: destination, kind: "a special file")
            }
            guard NativePath.entries(ofDirectory: destination)?.isEmpty == true else {
                throw ArchiveError.destinationExists(path: destination)
            }
        } else {
            try? NativePath.createDirectories(URL(fileURLWithPath: destination).deletingLastPathComponent().path)
            guard mkdir(NativePath.cString(destination), 0o700) == 0 else {
                throw ArchiveError.writeFailed(path: destination, reason: String(cString: strerror(errno)))
            }
            created = true
        }
        do {
            return try extractChecked(archive, into: destination)
        } catch {
            if let rule = (error as? ArchiveError)?.refusalRule { HephaestusMetric.extractionRefusals.increment(rule) }
            // Never leave a half-extracted tree behind.
            if created {
                NativePath.removeTree(destination)
            } else if let items = NativePath.entries(ofDirectory: destination) {
                for item in items { NativePath.removeTree(destination + "/" + item) }
            }
            throw error
        }
    }

    private func extractChecked(_ archive: String, into destination: String) throws -> Report {
        let root = open(NativePath.cString(destination), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard root >= 0 else { throw ArchiveError.writeFailed(path: destination, reason: String(cString: strerror(errno))) }
        defer { close(root) }
        let reader = try ArchiveReader(path: archive)
        var state = ExtractionState()
        state.prefixLength = URL(fileURLWithPath: destination).standardizedFileURL.path.utf8.count + 1
        var report = Report()
        while let entry = try reader.nextEntry() {
            state.entryCount += 1
            guard state.entryCount <= limits.entries else {
                throw ArchiveError.limitExceeded(entry: entry.path, limit: "more than \(limits.entries) entries")
            }
            if case .directory = entry.kind, entry.path == "." || entry.path == "./" { continue }
            let components = try state.admit(entry)
            try rules.admit(entry, components)
            switch entry.kind {
            case .directory:
                try withParent(root: root, components: components + ["."]) { _, _ in }
                report.directories += 1
            case .regularFile:
                if let size = entry.size, size > limits.entryBytes {
                    throw ArchiveError.limitExceeded(
                        entry: entry.path, limit: "declares \(size) bytes, more than the \(limits.entryBytes) allowed per entry")
                }
                try withParent(root: root, components: components) { parent, leaf in
                    let mode = mode_t(entry.permissions & 0o755 | 0o600)
                    let file = openat(parent, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
                    guard file >= 0 else { throw Self.writeError(entry.path, errno) }
                    defer { close(file) }
                    var written: Int64 = 0
                    try reader.readData { chunk in
                        written += Int64(chunk.count)
                        report.bytes += Int64(chunk.count)
                        guard written <= limits.entryBytes else {
                            throw ArchiveError.limitExceeded(entry: entry.path, limit: "more than \(limits.entryBytes) bytes in one entry")
                        }
                        guard report.bytes <= limits.totalBytes else {
                            throw ArchiveError.limitExceeded(entry: entry.path, limit: "more than \(limits.totalBytes) bytes in all")
                        }
                        if report.bytes > ExtractionLimits.ratioFloor,
                            Double(report.bytes) / Double(max(reader.compressedOffset, 1)) > limits.compressionRatio
                        {
                            throw ArchiveError.limitExceeded(
                                entry: entry.path, limit: "compression ratio above \(Int(limits.compressionRatio)):1 (a bomb?)")
                        }
                        var offset = 0
                        while offset < chunk.count {
                            let result = write(file, chunk.baseAddress! + offset, chunk.count - offset)
                            if result < 0 {
                                if errno == EINTR { continue }
                                throw Self.writeError(entry.path, errno)
                            }
                            offset += result
                        }
                    }
                    // Permissions without setuid, setgid or sticky bits, whatever the archive said.
                    fchmod(file, mode)
                }
                report.files.append(components.joined(separator: "/"))
            case .symbolicLink(let target):
                try withParent(root: root, components: components) { parent, leaf in
                    guard symlinkat(target, parent, leaf) == 0 else { throw Self.writeError(entry.path, errno) }
                }
                report.links += 1
            case .hardLink(let target):
                let source = try state.hardLinkSource(target, entry: entry.path)
                try withParent(root: root, components: source) { sourceParent, sourceLeaf in
                    try withParent(root: root, components: components) { parent, leaf in
                        guard linkat(sourceParent, sourceLeaf, parent, leaf, 0) == 0 else { throw Self.writeError(entry.path, errno) }
                    }
                }
                report.links += 1
            default:
                throw ArchiveError.unsafeEntry(entry: entry.path, rule: "special file (device, FIFO, socket or unknown type)")
            }
        }
        try reader.finishAudit()
        try rules.complete(report)
        return report
    }

    /// Walks to the parent of `components` through directory descriptors opened with `O_NOFOLLOW`, creating
    /// missing directories; a symlink anywhere on the way is refused.
    private func withParent(root: Int32, components: [String], _ body: (Int32, String) throws -> Void) throws {
        var current = dup(root)
        defer { close(current) }
        for component in components.dropLast() {
            if mkdirat(current, component, 0o755) != 0 && errno != EEXIST {
                throw Self.writeError(components.joined(separator: "/"), errno)
            }
            let next = openat(current, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard next >= 0 else {
                if errno == ELOOP || errno == ENOTDIR {
                    throw ArchiveError.unsafeEntry(entry: components.joined(separator: "/"), rule: "path passes through a symbolic link or a file")
                }
                throw Self.writeError(components.joined(separator: "/"), errno)
            }
            close(current)
            current = next
        }
        guard let leaf = components.last, leaf != "." else { return }
        try body(current, leaf)
    }

    static func writeError(_ entry: String, _ code: Int32) -> ArchiveError {
        if code == EEXIST { return ArchiveError.unsafeEntry(entry: entry, rule: "the path already exists (duplicate entry)") }
        return ArchiveError.writeFailed(path: entry, reason: String(cString: strerror(code)))
    }

}

/// Rules a caller adds to the extractor's own: a wheelhouse, for one, holds no directory named like a wheel and at
/// least one wheel. A refusal removes the destination as any other does.
public struct ExtractionRules: Sendable {
    /// Sees each entry and its validated path components before anything of it is written.
    public var admit: @Sendable (ArchiveEntry, [String]) throws -> Void
    /// Sees what was extracted before the extraction counts as done.
    public var complete: @Sendable (SafeExtractor.Report) throws -> Void

    public init(
        admit: @escaping @Sendable (ArchiveEntry, [String]) throws -> Void, complete: @escaping @Sendable (SafeExtractor.Report) throws -> Void
    ) {
        self.admit = admit
        self.complete = complete
    }

    /// The extractor's own rules only.
    public static let none = ExtractionRules(admit: { _, _ in }, complete: { _ in })
}

/// Validation of archive entry names, shared by extraction and wheel inspection.
public enum ArchiveEntryName {
    /// The components of a safe relative name, or the rule it breaks.
    public static func components(_ name: String) throws(ArchiveError) -> [String] {
        try ExtractionState.components(of: name)
    }
}

/// What extraction has admitted so far: names, their folded forms, links.
struct ExtractionState {
    var entryCount = 0
    /// Bytes the destination adds in front of every name (its absolute path and a slash).
    var prefixLength = 0
    /// Longest path, with its terminating NUL, and longest component.
    static let pathMax = Int(PATH_MAX)
    static let nameMax = Int(NAME_MAX)
    /// Exact byte strings: Swift `String` equality is canonical, which would hide normalisation collisions.
    private var seen = Set<[UInt8]>()
    private var folded = [String: String]()
    private var kinds = [String: ArchiveEntry.Kind]()

    /// Validates an entry's name and link target; returns its path components.
    mutating func admit(_ entry: ArchiveEntry) throws(ArchiveError) -> [String] {
        let components = try Self.components(of: entry.path, prefixLength: prefixLength)
        let path = components.joined(separator: "/")
        func refuse(_ rule: String) -> ArchiveError { .unsafeEntry(entry: entry.path, rule: rule) }
        guard !seen.contains(Array(path.utf8)) else { throw refuse("duplicate entry name") }
        let key = path.precomposedStringWithCanonicalMapping.lowercased()
        if let other = folded[key] {
            throw refuse("collides with \(ArchiveError.shown(other)) after Unicode normalisation or case folding")
        }
        // An entry below an earlier symlink or file would be written through it.
        for depth in 1..<max(components.count, 1) {
            let prefix = components.prefix(depth).joined(separator: "/")
            switch kinds[prefix] {
            case .symbolicLink: throw refuse("path passes through the symbolic link \(prefix)")
            case .regularFile, .hardLink: throw refuse("path passes through the file \(prefix)")
            default: continue
            }
        }
        if case .symbolicLink(let target) = entry.kind {
            try checkLinkTarget(target, from: Array(components.dropLast()), entry: entry.path, depth: 0)
        }
        seen.insert(Array(path.utf8))
        folded[key] = path
        kinds[path] = entry.kind
        return components
    }

    /// A hard link's source: an earlier regular file of this archive.
    func hardLinkSource(_ target: String, entry: String) throws(ArchiveError) -> [String] {
        let components = try Self.components(of: target)
        guard case .regularFile = kinds[components.joined(separator: "/")] else {
            throw ArchiveError.unsafeEntry(entry: entry, rule: "hard link target \(target.debugDescription) is not an earlier file of this archive")
        }
        return components
    }

    /// Resolves a link target against the archive's own symlinks; it must stay inside the destination.
    private func checkLinkTarget(_ target: String, from directory: [String], entry: String, depth: Int) throws(ArchiveError) {
        guard depth < 40 else { throw ArchiveError.unsafeEntry(entry: entry, rule: "symbolic link chain too deep") }
        guard target.utf8.count < Self.pathMax else {
            throw ArchiveError.unsafeEntry(entry: entry, rule: "symbolic link target longer than \(Self.pathMax - 1) bytes (PATH_MAX)")
        }
        guard !target.isEmpty, !target.hasPrefix("/") else {
            throw ArchiveError.unsafeEntry(entry: entry, rule: "symbolic link to an absolute path \(target.debugDescription)")
        }
        var resolved = directory
        for component in target.split(separator: "/", omittingEmptySubsequences: true) {
            switch component {
            case ".": continue
            case "..":
                guard !resolved.isEmpty else {
                    throw ArchiveError.unsafeEntry(
                        entry: entry, rule: "symbolic link target \(target.debugDescription) resolves outside the destination")
                }
                resolved.removeLast()
            default:
                resolved.append(String(component))
                if case .symbolicLink(let next) = kinds[resolved.joined(separator: "/")] {
                    // Through an earlier link: resolve it from its own directory.
                    try checkLinkTarget(next, from: Array(resolved.dropLast()), entry: entry, depth: depth + 1)
                    var through = Array(resolved.dropLast())
                    for part in next.split(separator: "/") {
                        if part == ".." { through = Array(through.dropLast()) } else if part != "." { through.append(String(part)) }
                    }
                    resolved = through
                }
            }
        }
    }

    /// Splits and validates a name: relative, no `..`, no backslash, no control characters, no empty components, no
    /// character that Unicode compatibility normalisation changes, at most PATH_MAX bytes with the `prefixLength`
    /// bytes of the destination in front, components of at most NAME_MAX bytes.
    static func components(of name: String, prefixLength: Int = 0) throws(ArchiveError) -> [String] {
        func refuse(_ rule: String) -> ArchiveError { .unsafeEntry(entry: name, rule: rule) }
        guard !name.isEmpty else { throw refuse("empty name") }
        guard prefixLength + name.utf8.count < pathMax else {
            throw refuse(
                prefixLength == 0
                    ? "path longer than \(Self.pathMax - 1) bytes (PATH_MAX)"
                    : "path longer than \(Self.pathMax - 1) bytes (PATH_MAX) under the destination")
        }
        guard !name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw refuse(name.contains("\0") ? "NUL in name (C readers cut the name there)" : "control character in name")
        }
        guard !name.hasPrefix("/") else { throw refuse("absolute path") }
        guard !name.contains("\\") else { throw refuse("backslash in name (a Windows path separator)") }
        // Full-width dots and slashes, dot leaders, ligatures…: a normalising consumer would see another path. (Swift
        // compares strings canonically, so only compatibility mappings count here; NFC vs NFD is a collision check.)
        if !name.utf8.allSatisfy({ $0 < 0x80 }) {
            let compatible = name.precomposedStringWithCompatibilityMapping
            guard compatible == name else {
                throw refuse("name changes under Unicode compatibility normalisation (NFKC) into \(ArchiveError.shown(compatible))")
            }
        }
        var parts = name.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        while parts.first == "." { parts.removeFirst() }
        if parts.last == "" { parts.removeLast() }
        guard !parts.isEmpty else { throw refuse("empty name") }
        for part in parts {
            if part == ".." { throw refuse("'..' path component") }
            if part.isEmpty || part == "." { throw refuse("empty or '.' path component") }
            if part.utf8.count > nameMax { throw refuse("path component longer than \(nameMax) bytes (NAME_MAX)") }
        }
        return parts
    }
}
