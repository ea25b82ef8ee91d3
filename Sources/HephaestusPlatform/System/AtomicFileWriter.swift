import Glibc

/// The one way Hephaestus writes a file a user named (reports, manifests, bundles, advisories, packed archives,
/// downloads): readers see either nothing (or the old file) or the complete new one, never a partial file.
///
/// - Only a regular file is ever replaced: a destination that is a directory, a symbolic link, a device, a FIFO or a
///   socket is refused (``FileError/notReplaceable(path:kind:)``), so `--output /dev/full` cannot replace a device
///   node even as root, and a symbolic link is never followed to somewhere else.
/// - Without `overwrite`, an existing file is refused (``FileError/alreadyExists(path:)``), even against a concurrent
///   writer: the move into place is a hard link, which fails when the name exists.
/// - The bytes go to a temporary file in the destination's directory, are flushed to disk, and are then renamed into
///   place; on any failure the temporary file is removed.
public enum AtomicFileWriter {
    /// Writes `bytes` to `path` (see ``AtomicFileWriter``).
    public static func write(_ bytes: [UInt8], to path: String, overwrite: Bool, permissions: mode_t = 0o644) throws(FileError) {
        let file = try StagedFile(destination: path, overwrite: overwrite, permissions: permissions)
        try file.write(bytes)
        try file.commit()
    }

    /// Refuses `path` as a destination now, before any work: not a regular file (a directory, symbolic link, device,
    /// FIFO or socket), or an existing file without `overwrite`. Commands check every output this way before they
    /// write the first; the commit checks again.
    public static func checkDestination(_ path: String, overwrite: Bool) throws(FileError) {
        var status = stat()
        guard lstat(NativePath.cString(path), &status) == 0 else {
            let code = errno
            if code == ENOENT { return }
            throw FileError.fromErrno(code, path: path, writing: true)
        }
        let type = status.st_mode & S_IFMT
        guard type == S_IFREG else { throw FileError.notReplaceable(path: path, kind: kindName(type)) }
        if !overwrite { throw FileError.alreadyExists(path: path) }
    }

    /// Moves the complete file `temporary` (in the directory of `path`) to `path`, with the rules of
    /// ``AtomicFileWriter``. On failure `temporary` is left for the caller to remove.
    public static func commit(temporary: String, to path: String, overwrite: Bool) throws(FileError) {
        try checkDestination(path, overwrite: overwrite)
        if overwrite {
            guard rename(NativePath.cString(temporary), NativePath.cString(path)) == 0 else {
                throw FileError.fromErrno(errno, path: path, writing: true)
            }
            return
        }
        if link(NativePath.cString(temporary), NativePath.cString(path)) == 0 {
            unlink(NativePath.cString(temporary))
            return
        }
        let code = errno
        if code == EEXIST { throw FileError.alreadyExists(path: path) }
        // File systems without hard links: check, then rename (exclusive only against ourselves).
        guard code == EPERM || code == EOPNOTSUPP else { throw FileError.fromErrno(code, path: path, writing: true) }
        try checkDestination(path, overwrite: false)
        guard rename(NativePath.cString(temporary), NativePath.cString(path)) == 0 else {
            throw FileError.fromErrno(errno, path: path, writing: true)
        }
    }

    /// Commits `files` in order, all or nothing: when one cannot be committed, those already committed are removed
    /// again (a file they replaced with `overwrite` is not restored) and the uncommitted ones are discarded.
    public static func commit(_ files: [StagedFile]) throws(FileError) {
        var committed: [StagedFile] = []
        do {
            for file in files {
                try file.commit()
                committed.append(file)
            }
        } catch {
            for file in committed { unlink(NativePath.cString(file.path)) }
            for file in files { file.discard() }
            throw error
        }
    }

    /// What a file type is called in messages.
    static func kindName(_ type: mode_t) -> String {
        switch type {
        case S_IFDIR: "a directory"
        case S_IFLNK: "a symbolic link"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFIFO: "a FIFO"
        case S_IFSOCK: "a socket"
        default: "not a regular file"
        }
    }
}

/// A file being written for ``AtomicFileWriter``: a temporary file beside its destination, renamed into place by
/// ``commit()``, removed by ``discard()`` or when dropped uncommitted.
public final class StagedFile {
    /// Where the file goes.
    public let path: String
    /// The temporary file.
    public let temporaryPath: String
    /// Open for writing until ``commit()`` or ``discard()``.
    public private(set) var descriptor: Int32
    private let overwrite: Bool
    private let permissions: mode_t
    private var committed = false
    private var discarded = false

    /// Checks the destination (``AtomicFileWriter/checkDestination(_:overwrite:)``), then creates the temporary file.
    public init(destination path: String, overwrite: Bool, permissions: mode_t = 0o644) throws(FileError) {
        try AtomicFileWriter.checkDestination(path, overwrite: overwrite)
        let directory = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        // The names pass through as the bytes they stand for (NativePath), so a name that is not UTF-8 works too.
        var template = NativePath.cString("\(directory.isEmpty ? "/" : directory)/.hephaestus-tmp-XXXXXX")
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else { throw FileError.fromErrno(errno, path: path, writing: true) }
        self.path = path
        self.temporaryPath = NativePath.decode(template.dropLast().map { UInt8(bitPattern: $0) })
        self.descriptor = descriptor
        self.overwrite = overwrite
        self.permissions = permissions
    }

    deinit {
        discard()
    }

    /// Appends `bytes`.
    public func write(_ bytes: [UInt8]) throws(FileError) {
        if let code = DescriptorWriter.writeAll(descriptor, bytes) { throw FileError.fromErrno(code, path: path, writing: true) }
    }

    /// Sets the permissions, flushes the file to disk and moves it into place.
    public func commit() throws(FileError) {
        guard !committed else { return }
        guard !discarded else { throw FileError.writeFailed(path: path, reason: "discarded before it was committed") }
        guard fchmod(descriptor, permissions) == 0, fsync(descriptor) == 0 else {
            let code = errno
            discard()
            throw FileError.fromErrno(code, path: path, writing: true)
        }
        close(descriptor)
        descriptor = -1
        do {
            try AtomicFileWriter.commit(temporary: temporaryPath, to: path, overwrite: overwrite)
        } catch {
            discard()
            throw error
        }
        committed = true
    }

    /// Removes the temporary file (idempotent; nothing once committed).
    public func discard() {
        guard !committed, !discarded else { return }
        discarded = true
        if descriptor >= 0 {
            close(descriptor)
            descriptor = -1
        }
        unlink(NativePath.cString(temporaryPath))
    }
}
