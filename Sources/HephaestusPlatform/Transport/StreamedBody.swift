import Foundation
import Glibc

/// A request body read in pieces while it is sent — byte segments and files — so uploads of any size use one buffer's
/// worth of memory. Each attempt starts over from the first segment (files are reopened).
public final class StreamedBody: @unchecked Sendable {
    public enum Segment: Sendable {
        case bytes([UInt8])
        case file(path: String, size: Int64)
    }

    public let segments: [Segment]
    public let length: Int64
    /// Told the bytes handed to the transport so far and the total, after each read (a progress bar's feed). Starts
    /// over with each attempt.
    public var progress: (@Sendable (_ sent: Int64, _ total: Int64) -> Void)?
    private var sent: Int64 = 0
    private var index = 0
    private var offset = 0
    private var descriptor: Int32 = -1
    private var remainingInFile: Int64 = 0

    public init(segments: [Segment]) {
        self.segments = segments
        length = segments.reduce(0) { total, segment in
            switch segment {
            case .bytes(let bytes): total + Int64(bytes.count)
            case .file(_, let size): total + size
            }
        }
    }

    deinit { closeFile() }

    /// Back to the start, for a new attempt.
    public func reset() {
        closeFile()
        index = 0
        offset = 0
        sent = 0
    }

    /// Fills `buffer` with the next bytes, across segments, so the body leaves in as few writes as the buffer allows;
    /// 0 at the end. A file that shrank or cannot be read is an error.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(FileError) -> Int {
        var filled = 0
        while filled < buffer.count, let count = try readSegment(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...])) {
            filled += count
        }
        if filled > 0, let progress {
            sent += Int64(filled)
            progress(sent, length)
        }
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
    private func readSegment(into buffer: UnsafeMutableRawBufferPointer) throws(FileError) -> Int? {
        while index < segments.count {
            switch segments[index] {
            case .bytes(let bytes):
                let count = min(buffer.count, bytes.count - offset)
                if count > 0 {
                    bytes.withUnsafeBytes { source in
                        buffer.baseAddress!.copyMemory(from: source.baseAddress! + offset, byteCount: count)
                    }
                    offset += count
                    return count
                }
            case .file(let path, let size):
                if descriptor < 0 {
                    descriptor = open(path, O_RDONLY | O_CLOEXEC)
                    guard descriptor >= 0 else { throw FileError.fromErrno(errno, path: path) }
                    remainingInFile = size
                }
                if remainingInFile > 0 {
                    let count = Glibc.read(descriptor, buffer.baseAddress, Int(min(Int64(buffer.count), remainingInFile)))
                    if count < 0, errno == EINTR { continue }
                    guard count > 0 else {
                        throw FileError.readFailed(path: path, reason: count == 0 ? "the file shrank while being sent" : String(cString: strerror(errno)))
                    }
                    remainingInFile -= Int64(count)
                    return count
                }
                closeFile()
            }
            index += 1
            offset = 0
        }
        return nil
    }

    private func closeFile() {
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
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
        segments.append(.bytes(Array(
            "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(Self.quoted(name))\"; filename=\"\(Self.quoted(filename))\"\r\nContent-Type: \(contentType)\r\n\r\n".utf8)))
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
