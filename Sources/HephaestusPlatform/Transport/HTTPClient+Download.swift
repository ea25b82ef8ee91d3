import Foundation
import Glibc
import Synchronization

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

    /// Renames the complete temporary file over the final name, as ``AtomicFileWriter`` does: an existing regular
    /// file is replaced (downloading again is idempotent), anything else there is refused. The file is not fsynced:
    /// every consumer re-checks its SHA-256 before use, so a file damaged by a power loss is refused rather than trusted.
    func commit(to path: String) throws {
        pipeline.close()
        try AtomicFileWriter.commit(temporary: temporaryPath, to: path, overwrite: true)
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
///
/// Not `Sendable`: it belongs to the receiving thread. The hashing queue is handed only the ``RunningDigest`` and
/// plain values (descriptor, path, range).
final class ChunkPipeline {
    static let blockSize = 256 << 10
    private var descriptor: Int32
    private let path: String
    private let digest = RunningDigest(blockSize: ChunkPipeline.blockSize)
    private let hashQueue = DispatchQueue(label: "hephaestus-download-hasher")
    /// Bytes written to the file, and bytes handed to the hashing queue.
    private var written: Int64 = 0
    private var scheduled: Int64 = 0

    init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    /// Writes the received bytes to the file; every full block written is queued for hashing.
    func append(_ chunk: UnsafeRawBufferPointer) throws {
        if let code = DescriptorWriter.writeAll(descriptor, chunk) { throw FileError.fromErrno(code, path: path, writing: true) }
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
        let (digest, descriptor, path) = (self.digest, self.descriptor, self.path)
        hashQueue.async {
            digest.update(reading: descriptor, path: path, from: start, to: end)
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
        written = 0
        scheduled = 0
    }

    func finish() throws -> Digest {
        try flush()
        hashQueue.sync {}
        return try digest.finalize()
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

/// The SHA-256 of a download, computed on its hashing queue from the bytes already written to the file.
///
/// The hasher, its read buffer and the first read failure are guarded by one lock, taken once per scheduled range
/// (at least one 256 KiB block, not per chunk received); the receiving thread takes it only after draining the queue.
final class RunningDigest: Sendable {
    private struct State {
        var hasher = StreamingHasher(algorithm: .sha256)
        let buffer: UnsafeMutableRawPointer
        let blockSize: Int
        /// A read error met while hashing; later ranges are skipped until ``reset()``.
        var failure: FileError?
    }

    private let state: Mutex<State>

    init(blockSize: Int) {
        state = Mutex(State(buffer: .allocate(byteCount: blockSize, alignment: 16), blockSize: blockSize))
    }

    deinit {
        state.withLock { $0.buffer.deallocate() }
    }

    /// Hashes bytes `start..<end` of the file, reading them back in blocks.
    func update(reading descriptor: Int32, path: String, from start: Int64, to end: Int64) {
        state.withLock { state in
            guard state.failure == nil else { return }
            var offset = start
            while offset < end {
                let count = Int(min(Int64(state.blockSize), end - offset))
                let result = pread(descriptor, state.buffer, count, off_t(offset))
                if result < 0, errno == EINTR { continue }
                guard result > 0 else {
                    state.failure =
                        result < 0
                        ? FileError.fromErrno(errno, path: path, writing: false)
                        : FileError.readFailed(path: path, reason: "the file is shorter than what was written")
                    return
                }
                state.hasher.update(UnsafeRawBufferPointer(start: state.buffer, count: result))
                offset += Int64(result)
            }
        }
    }

    /// Starts over (empty hash, no failure).
    func reset() {
        state.withLock { state in
            state.hasher = StreamingHasher(algorithm: .sha256)
            state.failure = nil
        }
    }

    /// The SHA-256 of everything hashed, or the read failure met on the way. The digest must not be updated afterwards.
    func finalize() throws(FileError) -> Digest {
        try state.withLock { state throws(FileError) in
            if let failure = state.failure { throw failure }
            return state.hasher.finalize()
        }
    }
}
