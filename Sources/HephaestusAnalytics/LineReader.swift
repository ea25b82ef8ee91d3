import Glibc
import HephaestusPlatform

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

    private let descriptor: Int32
    private let name: String
    private let bufferSize: Int
    public let maxLineLength: Int

    /// Reads `descriptor` (not closed here); `name` is used in read errors. The buffer is at least 64 KiB more than
    /// the longest line.
    public init(descriptor: Int32, name: String, bufferSize: Int = 1 << 20, maxLineLength: Int = 64 << 10) {
        self.descriptor = descriptor
        self.name = name
        self.bufferSize = max(bufferSize, maxLineLength + (64 << 10))
        self.maxLineLength = maxLineLength
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
            let count = read(descriptor, base + filled, bufferSize - filled)
            if count < 0 {
                if errno == EINTR { continue }
                throw FileError.fromErrno(errno, path: name)
            }
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
