internal import CArchive
import Foundation
import Synchronization

/// The decompressed stream of a tar or tar.gz file, handed to libarchive's tar reader chunk by chunk, and audited on
/// the way: the gzip CRC-32 and length (libarchive does not verify them, which also catches multi-member gzip
/// files) and the tar block structure (only zero padding may follow the end-of-archive marker).
final class RawStreamSource {
    let path: String
    private let raw: OpaquePointer
    /// A ring of decompression buffers: libarchive reads the newest while the CRC queue finishes older ones.
    private static let bufferSize = 1 << 20
    private let buffers = (0..<4).map { _ in UnsafeMutableRawPointer.allocate(byteCount: RawStreamSource.bufferSize, alignment: 16) }
    private var current = 0
    private let gzip: Bool
    private let crc = RunningCRC32()
    /// The CRC runs on its own serial queue, overlapping decompression and extraction; at most two blocks wait.
    private let crcQueue = DispatchQueue(label: "hephaestus-gzip-crc")
    private let crcSlots = DispatchSemaphore(value: 2)
    private var length: UInt64 = 0
    private var walker = TarBlockWalker()
    private var ended = false
    private(set) var failure: (any Error)?

    init(path: String) throws {
        self.path = path
        try SharedLibrary.archive.load()
        guard let raw = archive_read_new() else { fatalError("archive_read_new: out of memory") }
        self.raw = raw
        archive_read_support_filter_gzip(raw)
        archive_read_support_format_raw(raw)
        var entry: OpaquePointer?
        guard archive_read_open_filename(raw, NativePath.cString(path), 1 << 16) == ARCHIVE_OK, archive_read_next_header(raw, &entry) == ARCHIVE_OK
        else {
            let reason = archive_error_string(raw).map { String(cString: $0) } ?? "unreadable"
            archive_read_free(raw)
            for buffer in buffers { buffer.deallocate() }
            throw ArchiveError.corrupt(path: path, reason: reason)
        }
        gzip = archive_filter_count(raw) > 1
    }

    deinit {
        crcQueue.sync {}
        archive_read_free(raw)
        for buffer in buffers { buffer.deallocate() }
    }

    /// Bytes read from the file so far.
    var compressedOffset: Int64 { archive_filter_bytes(raw, -1) }

    /// libarchive's read callback: the next chunk, 0 at the end, ARCHIVE_FATAL after a failure.
    func next(_ out: UnsafeMutablePointer<UnsafeRawPointer?>?) -> Int {
        guard failure == nil, !ended else { return failure == nil ? 0 : Int(ARCHIVE_FATAL) }
        // Wait for a free slot: the buffer about to be filled was last handed out four calls ago, and at most two
        // CRC jobs (the two most recent) can still be pending after this wait.
        if gzip { crcSlots.wait() }
        current = (current + 1) % buffers.count
        let buffer = buffers[current]
        let count = archive_read_data(raw, buffer, Self.bufferSize)
        if count <= 0, gzip { crcSlots.signal() }
        if count == 0 {
            ended = true
            return 0
        }
        guard count > 0 else {
            failure = ArchiveError.corrupt(path: path, reason: archive_error_string(raw).map { String(cString: $0) } ?? "read error")
            return Int(ARCHIVE_FATAL)
        }
        let chunk = UnsafeRawBufferPointer(start: buffer, count: count)
        if gzip {
            let crc = self.crc
            let slots = crcSlots
            // The ring guarantees the buffer is not refilled before this job signals its slot.
            let block = RingBlock(base: UnsafeRawPointer(buffer), count: count)
            crcQueue.async {
                crc.update(UnsafeRawBufferPointer(start: block.base, count: block.count))
                slots.signal()
            }
        }
        length += UInt64(count)
        do {
            try walker.consume(chunk, path: path)
        } catch {
            failure = error
            return Int(ARCHIVE_FATAL)
        }
        out?.pointee = UnsafeRawPointer(buffer)
        return count
    }

    /// Drains what the tar reader left, then checks the end marker and the gzip trailer.
    func finish() throws {
        var ignored: UnsafeRawPointer?
        while !ended && failure == nil { _ = next(&ignored) }
        if let failure { throw failure }
        guard walker.sawEndMarker || walker.offset == 0 else {
            throw ArchiveError.corrupt(path: path, reason: "no end-of-archive marker (truncated tar)")
        }
        if gzip {
            crcQueue.sync {}
            let trailer = try Self.trailer(of: path)
            guard trailer.crc == crc.value, trailer.length == UInt32(truncatingIfNeeded: length) else {
                throw ArchiveError.corrupt(
                    path: path, reason: "gzip CRC or length does not match its trailer (corrupt, or concatenated gzip members)")
            }
        }
    }

    /// The last 8 bytes of a gzip file: CRC-32 and ISIZE, little-endian.
    static func trailer(of path: String) throws -> (crc: UInt32, length: UInt32) {
        guard let handle = FileHandle.forReading(nativePath: path) else { throw ArchiveError.unreadable(path: path, reason: "cannot reopen") }
        defer { try? handle.close() }
        let size = try handle.seekToEnd()
        guard size >= 18 else { throw ArchiveError.corrupt(path: path, reason: "gzip file too short") }
        try handle.seek(toOffset: size - 8)
        let bytes = Array(try handle.read(upToCount: 8) ?? Data())
        guard bytes.count == 8 else { throw ArchiveError.corrupt(path: path, reason: "gzip trailer unreadable") }
        let value = { (start: Int) in (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[start + $1]) << (8 * UInt32($1)) } }
        return (value(0), value(4))
    }
}

/// A filled ring buffer handed to the CRC queue.
///
/// Unchecked because it carries a raw pointer. Safe because a buffer is neither refilled nor freed while its job may
/// still read it: ``RawStreamSource`` has four buffers and lets at most two CRC jobs be pending (`crcSlots`, signalled
/// by each job once it has read its block; the queue is serial), so the buffer it refills, handed out four reads
/// earlier, has been read; and it drains the queue before freeing the ring.
struct RingBlock: @unchecked Sendable {
    let base: UnsafeRawPointer
    let count: Int
}

/// A CRC-32 updated on a worker queue and read once that queue has drained. The lock is taken once per 1 MiB block.
final class RunningCRC32: Sendable {
    private let crc = Mutex(CRC32())

    var value: UInt32 { crc.withLock { $0.value } }

    func update(_ block: UnsafeRawBufferPointer) {
        crc.withLock { $0.update(block) }
    }
}

/// Walks tar 512-byte blocks: header, data (size rounded up), … until two zero blocks; then only zeros may follow.
struct TarBlockWalker {
    private(set) var offset: Int64 = 0
    private(set) var sawEndMarker = false
    private var skip: Int64 = 0
    private var zeroHeaders = 0
    private var header: [UInt8] = []

    mutating func consume(_ chunk: UnsafeRawBufferPointer, path: String) throws {
        var index = 0
        while index < chunk.count {
            if sawEndMarker {
                // Everything after the marker must be zero padding.
                for position in index..<chunk.count where chunk[position] != 0 {
                    throw ArchiveError.corrupt(path: path, reason: "data after the end-of-archive marker (concatenated archives)")
                }
                offset += Int64(chunk.count - index)
                return
            }
            if skip > 0 {
                let step = Int(min(skip, Int64(chunk.count - index)))
                skip -= Int64(step)
                index += step
                offset += Int64(step)
                continue
            }
            let step = min(512 - header.count, chunk.count - index)
            header.append(contentsOf: chunk[index..<(index + step)])
            index += step
            offset += Int64(step)
            guard header.count == 512 else { continue }
            defer { header.removeAll(keepingCapacity: true) }
            if header.allSatisfy({ $0 == 0 }) {
                zeroHeaders += 1
                if zeroHeaders == 2 { sawEndMarker = true }
                continue
            }
            guard zeroHeaders == 0 else {
                throw ArchiveError.corrupt(path: path, reason: "data after the end-of-archive marker (concatenated archives)")
            }
            let size = Self.size(header)
            skip = (size + 511) / 512 * 512
        }
    }

    /// The size field (octal, or base-256 for large values).
    static func size(_ header: [UInt8]) -> Int64 {
        let field = header[124..<136]
        if let first = field.first, first & 0x80 != 0 {
            return field.dropFirst().reduce(Int64(0)) { ($0 << 8) | Int64($1) }
        }
        var value: Int64 = 0
        for byte in field {
            if byte == 0 || byte == 0x20 { if value > 0 { break } else { continue } }
            guard (0x30...0x37).contains(byte) else { break }
            value = value * 8 + Int64(byte - 0x30)
        }
        return value
    }
}
