import Glibc

/// A read-only file descriptor that streams a regular file in fixed-size chunks.
///
/// Owns its descriptor and closes it in `deinit`. Memory use is one buffer, whatever the file size.
public final class FileReader {
    /// The chunk size used by ``forEachChunk(_:)``: large enough to keep syscall overhead negligible.
    public static let defaultChunkSize = 1 << 20

    public let path: String
    private let descriptor: Int32
    private let ownsDescriptor: Bool

    /// Opens `path` for reading; directories and other non-regular files (FIFOs, devices) are refused,
    /// as a FIFO could block the reader forever.
    public init(path: String) throws(FileError) {
        self.path = path
        let fd = open(NativePath.cString(path), O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw FileError.fromErrno(errno, path: path) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            close(fd)
            throw FileError.fromErrno(code, path: path)
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG:
            break
        case S_IFDIR:
            close(fd)
            throw FileError.isDirectory(path: path)
        default:
            close(fd)
            throw FileError.notRegularFile(path: path)
        }
        // Regular files never block; clear O_NONBLOCK so reads behave normally.
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        self.descriptor = fd
        self.ownsDescriptor = true
    }

    private init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
        self.ownsDescriptor = false
    }

    /// A reader over standard input (named `-`, as coreutils does); the descriptor is not closed.
    public static func standardInput() -> FileReader {
        FileReader(descriptor: 0, path: "-")
    }

    deinit {
        if ownsDescriptor { close(descriptor) }
    }

    /// Calls `body` with consecutive chunks of the file until the end.
    public func forEachChunk(
        chunkSize: Int = FileReader.defaultChunkSize,
        _ body: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = read(descriptor, buffer.baseAddress, chunkSize)
            if count == 0 { return }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileError.fromErrno(errno, path: path)
            }
            try body(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
    }

    /// The next chunk of at most `size` bytes, or nil at the end of the file.
    public func readChunk(size: Int = 64 << 10) throws(FileError) -> [UInt8]? {
        var chunk = [UInt8](repeating: 0, count: size)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, size) }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileError.fromErrno(errno, path: path)
            }
            if count == 0 { return nil }
            chunk.removeSubrange(count...)
            return chunk
        }
    }

    /// Reads the whole file. For small inputs (bundles, manifests, keys) only.
    public func readAll(limit: Int = 64 << 20) throws -> [UInt8] {
        var bytes: [UInt8] = []
        try forEachChunk(chunkSize: 64 << 10) { chunk in
            guard bytes.count + chunk.count <= limit else {
                throw FileError.readFailed(path: path, reason: "file is larger than \(limit) bytes")
            }
            bytes.append(contentsOf: chunk)
        }
        return bytes
    }

    /// Convenience: the bytes of the file at `path`.
    public static func contents(of path: String, limit: Int = 64 << 20) throws -> [UInt8] {
        try (path == "-" ? FileReader.standardInput() : FileReader(path: path)).readAll(limit: limit)
    }
}
