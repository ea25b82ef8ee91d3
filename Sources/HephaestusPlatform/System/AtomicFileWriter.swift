import Glibc

/// Writes whole files so that readers see either nothing (or the old file) or the complete new one: the bytes go
/// to a temporary file in the same directory, are flushed to disk, and are then moved into place. Without
/// `overwrite`, an existing file is never replaced, even by a concurrent writer (the move is a hard link, which
/// fails when the name exists).
public enum AtomicFileWriter {
    public static func write(_ bytes: [UInt8], to path: String, overwrite: Bool, permissions: mode_t = 0o644) throws(FileError) {
        let directory = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        var template = Array("\(directory.isEmpty ? "/" : directory)/.hephaestus-tmp-XXXXXX".utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else { throw FileError.fromErrno(errno, path: path, writing: true) }
        let temporary = decodeCString(template)
        var committed = false
        defer {
            if !committed { unlink(temporary) }
        }
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else {
                let code = errno
                close(descriptor)
                throw FileError.fromErrno(code, path: path, writing: true)
            }
            written += count
        }
        guard fchmod(descriptor, permissions) == 0, fsync(descriptor) == 0 else {
            let code = errno
            close(descriptor)
            throw FileError.fromErrno(code, path: path, writing: true)
        }
        close(descriptor)
        if overwrite {
            guard rename(temporary, path) == 0 else { throw FileError.fromErrno(errno, path: path, writing: true) }
        } else {
            if link(temporary, path) == 0 {
                unlink(temporary)
            } else {
                let code = errno
                if code == EEXIST { throw FileError.alreadyExists(path: path) }
                // File systems without hard links: check, then rename (exclusive only against ourselves).
                guard code == EPERM || code == EOPNOTSUPP else { throw FileError.fromErrno(code, path: path, writing: true) }
                if access(path, F_OK) == 0 { throw FileError.alreadyExists(path: path) }
                guard rename(temporary, path) == 0 else { throw FileError.fromErrno(errno, path: path, writing: true) }
            }
        }
        committed = true
    }
}
