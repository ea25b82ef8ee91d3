import Foundation
import Glibc
import Synchronization

/// A request body read in pieces while it is sent — byte segments and files — so uploads of any size use one buffer's
/// worth of memory. Each attempt starts over from the first segment (files are reopened).
public final class StreamedBody: Sendable {
    public enum Segment: Sendable {
        case bytes([UInt8])
        case file(path: String, size: Int64)
    }

    public let segments: [Segment]
    public let length: Int64
    /// The read position and the progress callback, under one lock (taken once per ``read(into:)``, not per byte).
    private let state = Mutex(Cursor())

    private struct Cursor {
        var progress: (@Sendable (_ sent: Int64, _ total: Int64) -> Void)?
        var sent: Int64 = 0
        var index = 0
        var offset = 0
        var descriptor: Int32 = -1
        var remainingInFile: Int64 = 0

        mutating func closeFile() {
            if descriptor >= 0 { close(descriptor) }
            descriptor = -1
        }
    }

    /// Told the bytes handed to the transport so far and the total, after each read (a progress bar's feed). Starts
    /// over with each attempt.
    public var progress: (@Sendable (_ sent: Int64, _ total: Int64) -> Void)? {
        get { state.withLock { $0.progress } }
        set { state.withLock { $0.progress = newValue } }
    }

    public init(segments: [Segment]) {
        self.segments = segments
        length = segments.reduce(0) { total, segment in
            switch segment {
            case .bytes(let bytes): total + Int64(bytes.count)
            case .file(_, let size): total + size
            }
        }
    }

    deinit { state.withLock { $0.closeFile() } }

    /// Back to the start, for a new attempt.
    public func reset() {
        state.withLock { cursor in
            cursor.closeFile()
            cursor.index = 0
            cursor.offset = 0
            cursor.sent = 0
        }
    }

    /// Fills `buffer` with the next bytes, across segments, so the body leaves in as few writes as the buffer allows;
    /// 0 at the end. A file that shrank or cannot be read is an error.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(FileError) -> Int {
        typealias Progress = @Sendable (_ sent: Int64, _ total: Int64) -> Void
        let (filled, sent, progress) = try state.withLock { cursor throws(FileError) -> (Int, Int64, Progress?) in
            var filled = 0
            while filled < buffer.count,
                let count = try readSegment(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]), cursor: &cursor)
            {
                filled += count
            }
            guard filled > 0, let progress = cursor.progress else { return (filled, cursor.sent, nil) }
            cursor.sent += Int64(filled)
            return (filled, cursor.sent, progress)
        }
        // Reported outside the lock: the callback may take locks of its own, or set ``progress``.
        progress?(sent, length)
        return filled
    }

    /// The whole body in memory (for small bodies, sent in one write with the request head).
    public func readAll() throws(FileError) -> [UInt8] {
        reset()
        defer { reset() }
        var bytes = [UInt8](repeating: 0, count: Int(length))
        var failure: FileError?
        bytes.withUnsafeMutableBytes { buffer in
            do throws(FileError) { _ = try read(into: buffer) } catch { failure = error }
        }
        if let failure { throw failure }
        return bytes
    }

    /// The next bytes of the current segment, moving on to the next segment as each ends; nil at the end of the body.
    private func readSegment(into buffer: UnsafeMutableRawBufferPointer, cursor: inout Cursor) throws(FileError) -> Int? {
        while cursor.index < segments.count {
            switch segments[cursor.index] {
            case .bytes(let bytes):
                let count = min(buffer.count, bytes.count - cursor.offset)
                if count > 0 {
                    let offset = cursor.offset
                    bytes.withUnsafeBytes { source in
                        buffer.baseAddress!.copyMemory(from: source.baseAddress! + offset, byteCount: count)
                    }
                    cursor.offset += count
                    return count
                }
            case .file(let path, let size):
                if cursor.descriptor < 0 {
                    cursor.descriptor = open(path, O_RDONLY | O_CLOEXEC)
                    guard cursor.descriptor >= 0 else { throw FileError.fromErrno(errno, path: path) }
                    cursor.remainingInFile = size
                }
                if cursor.remainingInFile > 0 {
                    let count = Glibc.read(cursor.descriptor, buffer.baseAddress, Int(min(Int64(buffer.count), cursor.remainingInFile)))
                    if count < 0, errno == EINTR { continue }
                    guard count > 0 else {
                        throw FileError.readFailed(
                            path: path, reason: count == 0 ? "the file shrank while being sent" : String(cString: strerror(errno)))
                    }
                    cursor.remainingInFile -= Int64(count)
                    return count
                }
                cursor.closeFile()
            }
            cursor.index += 1
            cursor.offset = 0
        }
        return nil
    }
}

/// A `multipart/form-data` body (RFC 7578): text fields and file parts, the files streamed from disk.
public struct MultipartForm: Sendable {
    public let boundary: String
    private var segments: [StreamedBody.Segment] = []

    public init(boundary: String = "hephaestus-" + (0..<4).map { _ in String(UInt64.random(in: 0...UInt64.max), radix: 16) }.joined()) {
        self.boundary = boundary
    }

    public var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    public mutating func addField(_ name: String, _ value: String) {
        segments.append(.bytes(Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(Self.quoted(name))\"\r\n\r\n\(value)\r\n".utf8)))
    }

    public mutating func addFile(_ name: String, filename: String, contentType: String, path: String) throws(FileError) {
        let size = try FileStatus.size(of: path)
        segments.append(
            .bytes(
                Array(
                    "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(Self.quoted(name))\"; filename=\"\(Self.quoted(filename))\"\r\nContent-Type: \(contentType)\r\n\r\n"
                        .utf8)))
        segments.append(.file(path: path, size: size))
        segments.append(.bytes(Array("\r\n".utf8)))
    }

    /// The body, closed with the final boundary.
    public func body() -> StreamedBody {
        StreamedBody(segments: segments + [.bytes(Array("--\(boundary)--\r\n".utf8))])
    }

    static func quoted(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\"") || $0 == 13 || $0 == 10 }) else { return text }
        return text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "%22")
            .replacingOccurrences(of: "\r", with: "%0D").replacingOccurrences(of: "\n", with: "%0A")
    }
}
