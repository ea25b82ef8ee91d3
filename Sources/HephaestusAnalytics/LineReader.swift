import Glibc
import HephaestusPlatform

/// Where a ``LineReader`` reads its bytes: a file descriptor, or a stream handed over from another task
/// (``ByteChannel``, a request body).
public protocol ByteSource {
    /// Reads at most `buffer.count` bytes into `buffer`, blocking until some are available; 0 at the end of the input.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// A file descriptor as a ``ByteSource`` (not closed here); `name` is used in read errors.
public struct DescriptorByteSource: ByteSource {
    public let descriptor: Int32
    public let name: String

    public init(descriptor: Int32, name: String) {
        self.descriptor = descriptor
        self.name = name
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let count = Glibc.read(descriptor, buffer.baseAddress, buffer.count)
            if count >= 0 { return count }
            if errno != EINTR { throw FileError.fromErrno(errno, path: name) }
        }
    }
}

extension ByteChannel: ByteSource {}

/// Reads the lines of a descriptor through one fixed-size buffer: memory stays at the buffer's size whatever the
/// input. A line longer than `maxLineLength` is never buffered: it is skipped to its end and reported as overlong.
///
/// Lines are handed without their `\n` (and without a `\r` before it); a last line without `\n` is handed too.
public struct LineReader {
    /// One line of the input.
    public enum Line {
        /// The bytes of a line, valid only during the callback.
        case complete(UnsafeRawBufferPointer)
        /// A line longer than the bound (its bytes were skipped).
        case overlong
    }

    private let source: any ByteSource
    private let bufferSize: Int
    public let maxLineLength: Int

    /// Reads `source`. The buffer is at least 64 KiB more than the longest line.
    public init(source: any ByteSource, bufferSize: Int = 1 << 20, maxLineLength: Int = 64 << 10) {
        self.source = source
        self.bufferSize = max(bufferSize, maxLineLength + (64 << 10))
        self.maxLineLength = maxLineLength
    }

    /// Reads `descriptor` (not closed here); `name` is used in read errors.
    public init(descriptor: Int32, name: String, bufferSize: Int = 1 << 20, maxLineLength: Int = 64 << 10) {
        self.init(source: DescriptorByteSource(descriptor: descriptor, name: name), bufferSize: bufferSize, maxLineLength: maxLineLength)
    }

    /// Calls `body` with each line in order; returns the number of bytes read.
    @discardableResult
    public func forEachLine(_ body: (Line) throws -> Void) throws -> Int {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        let base = buffer.baseAddress!
        var filled = 0
        var skipping = false
        var total = 0
        while true {
            let count = try source.read(into: UnsafeMutableRawBufferPointer(start: base + filled, count: bufferSize - filled))
            if count == 0 { break }
            total += count
            let end = filled + count
            var lineStart = 0
            var scan = filled
            while scan < end, let found = memchr(base + scan, 0x0A, end - scan) {
                let newline = base.distance(to: found)
                if skipping || newline - lineStart > maxLineLength {
                    skipping = false
                    try body(.overlong)
                } else {
                    try body(.complete(Self.trimmed(base, lineStart, newline)))
                }
                lineStart = newline + 1
                scan = lineStart
            }
            let partial = end - lineStart
            if skipping || partial > maxLineLength {
                skipping = true
                filled = 0
            } else {
                if lineStart > 0 && partial > 0 { memmove(base, base + lineStart, partial) }
                filled = partial
            }
        }
        if skipping {
            try body(.overlong)
        } else if filled > 0 {
            try body(.complete(Self.trimmed(base, 0, filled)))
        }
        return total
    }

    private static func trimmed(_ base: UnsafeMutableRawPointer, _ start: Int, _ end: Int) -> UnsafeRawBufferPointer {
        var end = end
        if end > start && base.load(fromByteOffset: end - 1, as: UInt8.self) == 0x0D { end -= 1 }
        return UnsafeRawBufferPointer(start: base + start, count: end - start)
    }
}
