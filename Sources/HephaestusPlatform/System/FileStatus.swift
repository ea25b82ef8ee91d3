import Glibc

/// What `stat(2)` says of a path, without Foundation's attribute dictionary (which also looks up the owner's user and
/// group names in /etc/passwd and /etc/group on every call).
public enum FileStatus {
    /// The size in bytes of the regular file at `path` (symbolic links followed).
    public static func size(of path: String) throws(FileError) -> Int64 {
        var info = stat()
        guard stat(NativePath.cString(path), &info) == 0 else { throw FileError.fromErrno(errno, path: path) }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return Int64(info.st_size)
        case S_IFDIR: throw FileError.isDirectory(path: path)
        default: throw FileError.notRegularFile(path: path)
        }
    }
}
