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
        let (head, url) = try execute(
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
/// Receiving, hashing and writing overlap: curl's callback copies each chunk into a bounded queue (at most
/// ``ChunkPipeline/depth`` chunks of up to 512 KiB, so memory stays constant), and a worker thread hashes and writes
/// them in order.
final class DownloadSink: HTTPBodySink {
    let request: DownloadRequest
    let temporaryPath: String
    private let pipeline: ChunkPipeline
    private(set) var offset: Int64 = 0
    private(set) var declaredTotal: Int64?
    private var requestedOffset: Int64 = 0
    private var discarding = false
    private var errorBody: [UInt8] = []
    private var pending: [UInt8] = []
    static let blockSize = 512 << 10

    init(request: DownloadRequest) throws {
        self.request = request
        var template = Array("\(request.destinationDirectory)/.\(request.fileName).part-XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        guard fd >= 0 else { throw FileError.fromErrno(errno, path: request.destinationDirectory, writing: true) }
        temporaryPath = String(cString: template)
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
        // curl delivers 16 KiB at a time: gather blocks, write them here, hash them on the worker thread.
        pending.append(contentsOf: chunk)
        if pending.count >= Self.blockSize {
            try flush()
            pending.reserveCapacity(Self.blockSize + (1 << 16))
        }
        offset += Int64(chunk.count)
        request.progress?(offset, declaredTotal ?? request.expectedSize)
    }

    private func restart() throws {
        pending.removeAll(keepingCapacity: true)
        if offset > 0 {
            try pipeline.truncate()
            offset = 0
        }
    }

    /// Writes the gathered block to the file and queues it for hashing.
    func flush() throws {
        guard !pending.isEmpty else { return }
        try pipeline.write(pending)
        try pipeline.submit(pending)
        pending = []
    }

    /// Waits for every chunk to be written; the SHA-256 of the whole file.
    func finish() throws -> Digest {
        try flush()
        return try pipeline.finish()
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

/// Owns the download's file descriptor (written on the receiving thread) and its SHA-256, computed on an
/// ``OrderedWorker`` so that hashing overlaps receiving (at most four 512 KiB blocks in flight).
final class ChunkPipeline: @unchecked Sendable {
    private var descriptor: Int32
    private let path: String
    private let digest = RunningDigest()
    private let worker: OrderedWorker

    init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
        let digest = self.digest
        worker = OrderedWorker(depth: 4, name: "hephaestus-download-hasher") { block in digest.update(block) }
    }

    /// Appends a block to the file (on the caller's thread).
    func write(_ block: [UInt8]) throws {
        try block.withUnsafeBytes { bytes in
            var written = 0
            while written < bytes.count {
                let result = Glibc.write(descriptor, bytes.baseAddress! + written, bytes.count - written)
                if result < 0 {
                    if errno == EINTR { continue }
                    throw FileError.fromErrno(errno, path: path, writing: true)
                }
                written += result
            }
        }
    }

    /// Queues a block for hashing.
    func submit(_ block: [UInt8]) throws {
        worker.submit(block)
    }

    /// Empties the file and the hash (the server restarted the body).
    func truncate() throws {
        worker.drain()
        guard ftruncate(descriptor, 0) == 0, lseek(descriptor, 0, SEEK_SET) == 0 else {
            throw FileError.fromErrno(errno, path: path, writing: true)
        }
        digest.reset()
    }

    func finish() throws -> Digest {
        worker.drain()
        return digest.finalize()
    }

    /// Stops the worker and closes the file (idempotent).
    func close() {
        worker.close()
        if descriptor >= 0 {
            Glibc.close(descriptor)
            descriptor = -1
        }
    }
}

/// A SHA-256 updated by one worker thread; read only after that worker has drained.
final class RunningDigest: @unchecked Sendable {
    private var hasher = StreamingHasher(algorithm: .sha256)

    func update(_ block: [UInt8]) { hasher.update(block) }
    func reset() { hasher = StreamingHasher(algorithm: .sha256) }
    func finalize() -> Digest { hasher.finalize() }
}
