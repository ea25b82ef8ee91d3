import Glibc
import HephaestusPlatform

/// A file's identity: the device it lives on and its inode number, as `stat` gives them.
public struct FileIdentity: Hashable, Sendable, Codable {
    public let device: UInt64
    public let inode: UInt64

    init(_ status: stat) {
        device = UInt64(status.st_dev)
        inode = UInt64(status.st_ino)
    }
}

/// What a directory entry is, without following symbolic links.
public enum EntryKind: String, Sendable, Codable, CaseIterable {
    case file
    case directory
    case symlink
    /// A FIFO, socket or device node.
    case other

    init(mode: mode_t) {
        switch mode & S_IFMT {
        case S_IFREG: self = .file
        case S_IFDIR: self = .directory
        case S_IFLNK: self = .symlink
        default: self = .other
        }
    }
}

/// An open directory, reached without following a symbolic link (`O_NOFOLLOW | O_DIRECTORY`): every name looked up
/// through it is resolved inside this very directory, whatever happens to the path it was reached by.
final class DirectoryHandle {
    let descriptor: Int32

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)
    }

    private static let flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC

    /// Opens the directory at `path` (its last component must not be a symbolic link); nil with `errno` set.
    static func open(path: String) -> DirectoryHandle? {
        let descriptor = Glibc.open(NativePath.cString(path), flags)
        return descriptor >= 0 ? DirectoryHandle(descriptor: descriptor) : nil
    }

    /// Opens the subdirectory `name` of this directory, refusing a symbolic link; nil with `errno` set.
    func openChild(_ name: [CChar]) -> DirectoryHandle? {
        let descriptor = openat(self.descriptor, name, Self.flags)
        return descriptor >= 0 ? DirectoryHandle(descriptor: descriptor) : nil
    }

    /// This directory's own status.
    func status() -> stat? {
        var status = stat()
        return fstat(descriptor, &status) == 0 ? status : nil
    }

    /// The status of the entry `name`, not following a symbolic link; nil with `errno` set.
    func status(of name: [CChar]) -> stat? {
        var status = stat()
        return fstatat(descriptor, name, &status, AT_SYMLINK_NOFOLLOW) == 0 ? status : nil
    }

    /// Removes the entry `name` of this directory (an empty directory with `directory`); the `errno` on failure.
    func remove(_ name: [CChar], directory: Bool) -> Int32? {
        unlinkat(descriptor, name, directory ? AT_REMOVEDIR : 0) == 0 ? nil : errno
    }

    /// One entry as `readdir` gives it: the name (NUL-terminated) and the type when the file system tells it.
    struct Entry {
        let name: [CChar]
        /// nil when the file system does not say (`DT_UNKNOWN`): ask ``status(of:)``.
        let kind: EntryKind?

        var isDotOrDotDot: Bool {
            name.count <= 3 && name[0] == 0x2E && (name[1] == 0 || (name[1] == 0x2E && name[2] == 0))
        }
    }

    /// The entries, without `.` and `..`; nil with `errno` set.
    func entries() -> [Entry]? {
        let copy = dup(descriptor)
        guard copy >= 0 else { return nil }
        guard let stream = fdopendir(copy) else {
            let code = errno
            close(copy)
            errno = code
            return nil
        }
        defer { closedir(stream) }
        rewinddir(stream)
        var entries: [Entry] = []
        errno = 0
        while let record = readdir(stream) {
            // One allocation per name, NUL included.
            let name = withUnsafeBytes(of: record.pointee.d_name) { raw -> [CChar] in
                let bytes = raw.bindMemory(to: CChar.self)
                let length = strnlen(bytes.baseAddress!, bytes.count)
                return [CChar](unsafeUninitializedCapacity: length + 1) { buffer, count in
                    _ = buffer.initialize(from: bytes[0..<length])
                    buffer[length] = 0
                    count = length + 1
                }
            }
            let kind: EntryKind? =
                switch Int32(record.pointee.d_type) {
                case Int32(DT_REG): .file
                case Int32(DT_DIR): .directory
                case Int32(DT_LNK): .symlink
                case Int32(DT_UNKNOWN): nil
                default: .other
                }
            let entry = Entry(name: name, kind: kind)
            if !entry.isDotOrDotDot { entries.append(entry) }
            errno = 0
        }
        return errno == 0 ? entries : nil
    }
}

extension Array where Element == CChar {
    /// The name without its terminating NUL, as a String (lossless for names that are not UTF-8, see NativePath).
    var nameString: String {
        NativePath.decode(self.dropLast().map { UInt8(bitPattern: $0) })
    }
}
