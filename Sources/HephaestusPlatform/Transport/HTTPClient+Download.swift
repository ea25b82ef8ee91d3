import Foundation
import Glibc

/// A file to fetch and the facts it must match.
public struct DownloadRequest: Sendable {
    public var url: URL
    public var headers: HTTPHeaders
    public var destinationDirectory: String
    /// The file name inside `destinationDirectory` (already sanitised by the caller).
    public var fileName: String
    /// The size the release API declared; a body of any other size is refused.
    public var expectedSize: Int64?
    /// The digest the release API declared, when it gives one.
    public var expectedDigest: Digest?
    /// Bodies beyond this are cut off and refused (endless or bomb-like responses).
    public var maximumSize: Int64
    public var progress: (@Sendable (_ received: Int64, _ total: Int64?) -> Void)?

    public init(
        url: URL, headers: HTTPHeaders = HTTPHeaders(), destinationDirectory: String, fileName: String,
        expectedSize: Int64? = nil, expectedDigest: Digest? = nil, maximumSize: Int64 = 8 << 30
    ) {
        self.url = url
        self.headers = headers
        self.destinationDirectory = destinationDirectory
        self.fileName = fileName
        self.expectedSize = expectedSize
        self.expectedDigest = expectedDigest
        self.maximumSize = maximumSize
        self.progress = nil
    }
}

/// A completed download.
public struct DownloadedFile: Sendable, Equatable {
    public let path: String
    public let size: Int64
    public let sha256: Digest
}

extension HTTPClient {
    /// Streams `request.url` into a temporary file beside the destination, hashing in the same pass, and renames it
    /// into place only when size and digest hold. A retry after a partial body resumes with `Range` when the server
    /// answers 206, and restarts otherwise. Nothing is left behind on failure.
    public func download(_ request: DownloadRequest) throws -> DownloadedFile {
        let finalPath = request.destinationDirectory + "/" + request.fileName
        let sink = try DownloadSink(request: request)
        var completed = false
        defer { if !completed { sink.discard() } }
        var headers = request.headers
        if headers["Accept"] == nil { headers.set("Accept", "application/octet-stream") }
        let (head, url, _) = try execute(
            HTTPRequest(url: request.url, headers: headers), sink: { sink }, onRetry: { sink.prepareRetry() },
            prepare: { attempt in
                if sink.offset > 0 {
                    attempt.headers.set("Range", "bytes=\(sink.offset)-")
                    self.report(.resume(url: HTTPClient.redacted(attempt.url), offset: sink.offset))
                } else {
                    attempt.headers.remove("Range")
                }
            })
        guard (200...299).contains(head.status) else {
            throw TransportError.httpStatus(url: HTTPClient.redacted(url), status: head.status, message: sink.errorText)
        }
        if let declared = sink.declaredTotal, declared != sink.offset {
            throw TransportError.sizeMismatch(url: HTTPClient.redacted(url), expected: declared, actual: sink.offset)
        }
        if let expected = request.expectedSize, expected != sink.offset {
            throw TransportError.sizeMismatch(url: HTTPClient.redacted(url), expected: expected, actual: sink.offset)
        }
        let digest = try sink.finish()
        if let expected = request.expectedDigest, expected != digest {
            throw TransportError.digestMismatch(url: HTTPClient.redacted(url), expected: expected.description, actual: digest.description)
        }
        try sink.commit(to: finalPath)
        completed = true
        return DownloadedFile(path: finalPath, size: sink.offset, sha256: digest)
    }

    func report(_ event: TransportEvent) {
        observeEvent(event)
    }
}

/// Writes one download into its temporary file across attempts.
///
/// Receiving, writing and hashing overlap: curl's callback writes each chunk to the file, and ``ChunkPipeline``
/// hashes the written bytes on another thread (memory stays constant).
final class DownloadSink: HTTPBodySink {
    let request: DownloadRequest
    let temporaryPath: String
    private let pipeline: ChunkPipeline
    private(set) var offset: Int64 = 0
    private(set) var declaredTotal: Int64?
    private var requestedOffset: Int64 = 0
    private var discarding = false
    private var errorBody: [UInt8] = []

    init(request: DownloadRequest) throws {
        self.request = request
        var template = Array("\(request.destinationDirectory)/.\(request.fileName).part-XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        guard fd >= 0 else { throw FileError.fromErrno(errno, path: request.destinationDirectory, writing: true) }
        temporaryPath = decodeCString(template)
        pipeline = ChunkPipeline(descriptor: fd, path: temporaryPath)
    }

    var errorText: String {
        String(decoding: errorBody.prefix(200), as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
    }

    /// Before each retry: keep what we have, so the next attempt can ask for the rest.
    func prepareRetry() {
        try? flush()
        requestedOffset = offset
    }

    func begin(_ head: HTTPResponseHead) throws {
        discarding = false
        errorBody = []
        let url = HTTPClient.redacted(request.url)
        switch head.status {
        case 206 where requestedOffset > 0 && Self.rangeStart(head.headers["content-range"]) == requestedOffset:
            declaredTotal = head.contentLength.map { requestedOffset + $0 }
        case 200...299:
            try restart()
            declaredTotal = head.contentLength
        default:
            discarding = true
            return
        }
        if let total = declaredTotal {
            if total > request.maximumSize { throw TransportError.bodyTooLarge(url: url, limit: request.maximumSize) }
            if let expected = request.expectedSize, total != expected {
                throw TransportError.sizeMismatch(url: url, expected: expected, actual: total)
            }
        }
    }

    func write(_ chunk: UnsafeRawBufferPointer) throws {
        if discarding {
            if errorBody.count < 4096 { errorBody.append(contentsOf: chunk.prefix(4096 - errorBody.count)) }
            return
        }
        let url = HTTPClient.redacted(request.url)
        guard offset + Int64(chunk.count) <= request.maximumSize else {
            throw TransportError.bodyTooLarge(url: url, limit: request.maximumSize)
        }
        if let expected = request.expectedSize, offset + Int64(chunk.count) > expected {
            throw TransportError.sizeMismatch(url: url, expected: expected, actual: offset + Int64(chunk.count))
        }
        // Written here, straight from curl's buffer; hashed from the file on the pipeline's queue.
        try pipeline.append(chunk)
        offset += Int64(chunk.count)
        request.progress?(offset, declaredTotal ?? request.expectedSize)
    }

    private func restart() throws {
        pipeline.discardPending()
        if offset > 0 {
            try pipeline.truncate()
            offset = 0
        }
    }

    /// Writes the gathered block to the file and queues it for hashing.
    func flush() throws {
        try pipeline.flush()
    }

    /// Waits for every chunk to be written; the SHA-256 of the whole file.
    func finish() throws -> Digest {
        try pipeline.finish()
    }

    /// Renames the complete temporary file over the final name. The file is not fsynced: every consumer re-checks
    /// its SHA-256 before use, so a file damaged by a power loss is refused rather than trusted.
    func commit(to path: String) throws {
        pipeline.close()
        guard rename(temporaryPath, path) == 0 else { throw FileError.fromErrno(errno, path: path, writing: true) }
    }

    func discard() {
        pipeline.close()
        unlink(temporaryPath)
    }

    /// `bytes START-END/TOTAL` → START.
    static func rangeStart(_ header: String?) -> Int64? {
        guard let header, header.hasPrefix("bytes ") else { return nil }
        return header.dropFirst(6).split(separator: "-").first.flatMap { Int64($0) }
    }
}

/// Owns the download's file descriptor and its SHA-256. The receiving thread writes each chunk straight from
/// libcurl's buffer to the file — exactly the work `curl -o` does — and a serial queue hashes what has been written,
/// reading it back from the page cache in 256 KiB blocks. The file is the buffer between them: receiving never waits
/// for hashing, and memory stays constant (one read buffer) however far the hash lags; `finish()` waits for it.
final class ChunkPipeline: @unchecked Sendable {
    static let blockSize = 256 << 10
    private var descriptor: Int32
    private let path: String
    private let digest = RunningDigest()
    private let hashQueue = DispatchQueue(label: "hephaestus-download-hasher")
    private let readBuffer = UnsafeMutableRawPointer.allocate(byteCount: ChunkPipeline.blockSize, alignment: 16)
    /// Bytes written to the file, and bytes handed to the hashing queue (receiving thread only).
    private var written: Int64 = 0
    private var scheduled: Int64 = 0
    /// A read error met by the hashing queue (read only after draining it).
    private var hashFailure: FileError?

    init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    deinit {
        hashQueue.sync {}
        readBuffer.deallocate()
    }

    /// Writes the received bytes to the file; every full block written is queued for hashing.
    func append(_ chunk: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < chunk.count {
            let result = Glibc.write(descriptor, chunk.baseAddress! + done, chunk.count - done)
            if result < 0 {
                if errno == EINTR { continue }
                throw FileError.fromErrno(errno, path: path, writing: true)
            }
            done += result
        }
        written += Int64(chunk.count)
        if written - scheduled >= Int64(Self.blockSize) { schedule(upTo: written - written % Int64(Self.blockSize)) }
    }

    /// Queues everything written so far for hashing.
    func flush() throws {
        if written > scheduled { schedule(upTo: written) }
    }

    private func schedule(upTo end: Int64) {
        let start = scheduled
        scheduled = end
        let descriptor = self.descriptor
        hashQueue.async { [self] in
            guard hashFailure == nil else { return }
            var offset = start
            while offset < end {
                let count = Int(min(Int64(Self.blockSize), end - offset))
                let result = pread(descriptor, readBuffer, count, off_t(offset))
                if result < 0, errno == EINTR { continue }
                guard result > 0 else {
                    hashFailure = result < 0 ? FileError.fromErrno(errno, path: path, writing: false) : FileError.readFailed(path: path, reason: "the file is shorter than what was written")
                    return
                }
                digest.update(UnsafeRawBufferPointer(start: readBuffer, count: result))
                offset += Int64(result)
            }
        }
    }

    /// Nothing is held in memory: every received byte is already in the file.
    func discardPending() {}

    /// Empties the file and the hash (the server restarted the body).
    func truncate() throws {
        hashQueue.sync {}
        guard ftruncate(descriptor, 0) == 0, lseek(descriptor, 0, SEEK_SET) == 0 else {
            throw FileError.fromErrno(errno, path: path, writing: true)
        }
        digest.reset()
        hashFailure = nil
        written = 0
        scheduled = 0
    }

    func finish() throws -> Digest {
        try flush()
        hashQueue.sync {}
        if let hashFailure { throw hashFailure }
        return digest.finalize()
    }

    /// Waits for pending hashes and closes the file (idempotent).
    func close() {
        hashQueue.sync {}
        if descriptor >= 0 {
            Glibc.close(descriptor)
            descriptor = -1
        }
    }
}

/// A filled ring buffer handed to a hashing queue; the ring's semaphore keeps it unchanged until the job is done.
struct RingBlock: @unchecked Sendable {
    let base: UnsafeRawPointer
    let count: Int
}

/// A SHA-256 updated by one worker thread; read only after that worker has drained.
final class RunningDigest: @unchecked Sendable {
    private var hasher = StreamingHasher(algorithm: .sha256)

    func update(_ block: UnsafeRawBufferPointer) { hasher.update(block) }
    func reset() { hasher = StreamingHasher(algorithm: .sha256) }
    func finalize() -> Digest { hasher.finalize() }
}
