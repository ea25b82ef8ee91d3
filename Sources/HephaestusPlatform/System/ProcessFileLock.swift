import Foundation
import Synchronization

/// An exclusive advisory lock (`flock`) on a file, held by this process until ``release()`` — or until the process
/// ends, however it ends (the kernel drops it with the descriptor), which is what makes it a claim by a *live* process.
/// The file is created (mode 0600) if missing and never removed: removing it would let a second process lock a new
/// file of the same name while the first still holds the old one.
public final class ProcessFileLock: Sendable {
    public let path: String
    private let descriptor: Mutex<Int32?>

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = Mutex(descriptor)
    }

    /// The lock, or nil when another open descriptor (another process) holds it. Throws when the file cannot be opened.
    public static func tryLocking(_ path: String) throws(FileError) -> ProcessFileLock? {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw FileError.writeFailed(path: path, reason: String(cString: strerror(errno))) }
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            let failure = errno
            if failure == EINTR { continue }
            close(descriptor)
            if failure == EWOULDBLOCK { return nil }
            throw FileError.writeFailed(path: path, reason: "cannot lock it: \(String(cString: strerror(failure)))")
        }
        return ProcessFileLock(path: path, descriptor: descriptor)
    }

    /// Gives the lock up (at most once).
    public func release() {
        descriptor.withLock { descriptor in
            if let open = descriptor { close(open) }
            descriptor = nil
        }
    }

    deinit { release() }
}
