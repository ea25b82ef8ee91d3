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
///
/// It also reads what libarchive would interpret differently from other tar readers, and refuses it before libarchive
/// sees it: entry types other than files, directories, links and special files (a contiguous file `7`, GNU sparse
/// `S` and unknown letters, which tar readers quietly extract as regular files); links, directories and special
/// files that carry data; pax records whose name holds a NUL (C readers cut the name there, Python's does not), pax
/// global headers that set a name, link or size (Python applies them to every entry, libarchive ignores them), GNU
/// sparse records, and two long names for one entry. A pax `size` record moves the walk as it moves libarchive.
struct TarBlockWalker {
    private(set) var offset: Int64 = 0
    private(set) var sawEndMarker = false
    private var skip: Int64 = 0
    private var zeroHeaders = 0
    private var header: [UInt8] = []
    /// The data of an extension entry (pax `x` or `g`, GNU `L` or `K`) being collected.
    private var extensionData: (type: UInt8, remaining: Int64, padding: Int64, bytes: [UInt8])?
    /// What the extensions read so far say about the next entry.
    private var pending = Pending()

    /// Extension entries larger than this are refused (names are at most PATH_MAX; wheelhouses carry no xattrs).
    static let maximumExtensionBytes: Int64 = 1 << 20

    private struct Pending {
        var name: String?
        var names = 0
        var links = 0
        var size: Int64?
    }

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
            if var collecting = extensionData {
                let step = Int(min(collecting.remaining, Int64(chunk.count - index)))
                collecting.bytes.append(contentsOf: chunk[index..<(index + step)])
                collecting.remaining -= Int64(step)
                index += step
                offset += Int64(step)
                extensionData = collecting
                if collecting.remaining == 0 {
                    extensionData = nil
                    skip = collecting.padding
                    try readExtension(collecting.type, collecting.bytes, path: path)
                }
                continue
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
            try readHeader(path: path)
        }
    }

    /// The entry header in `header`: its type decides what follows.
    private mutating func readHeader(path: String) throws {
        let type = header[156]
        let declared = Self.size(header)
        for size in [declared, pending.size ?? 0] where size < 0 || size > 1 << 60 {
            throw ArchiveError.corrupt(path: path, reason: "tar entry size \(size) out of range")
        }
        let padded = { (size: Int64) in (size + 511) / 512 * 512 }
        switch type {
        case UInt8(ascii: "x"), UInt8(ascii: "g"), UInt8(ascii: "L"), UInt8(ascii: "K"):
            guard declared <= Self.maximumExtensionBytes else {
                throw ArchiveError.corrupt(path: path, reason: "tar extension header of \(declared) bytes (more than 1 MiB)")
            }
            if declared == 0 {
                try readExtension(type, [], path: path)
            } else {
                extensionData = (type, declared, padded(declared) - declared, [])
            }
        case UInt8(ascii: "0"), 0:
            skip = padded(pending.size ?? declared)
            pending = Pending()
        case UInt8(ascii: "1"), UInt8(ascii: "2"), UInt8(ascii: "3"), UInt8(ascii: "4"), UInt8(ascii: "5"), UInt8(ascii: "6"):
            // tar readers disagree on whether these have data to skip: none may.
            let size = pending.size ?? declared
            guard size == 0 else {
                throw ArchiveError.unsafeEntry(entry: name, rule: "a link, directory or special file that carries \(size) bytes of data")
            }
            pending = Pending()
        default:
            throw ArchiveError.unsafeEntry(
                entry: name,
                rule:
                    "\(Self.describe(type)), which many tar readers extract as a regular file; only regular files, directories and links are extracted"
            )
        }
    }

    /// The entry's name: from a long-name extension, else the header's `prefix/name`.
    private var name: String {
        if let name = pending.name { return name }
        let field = { (range: Range<Int>) in String(decoding: header[range].prefix { $0 != 0 }, as: UTF8.self) }
        let prefix = Array(header[257..<263]) == Array("ustar".utf8) + [0] ? field(345..<500) : ""
        return prefix.isEmpty ? field(0..<100) : prefix + "/" + field(0..<100)
    }

    private static func describe(_ type: UInt8) -> String {
        let letter = (0x21...0x7E).contains(type) ? "'\(Character(Unicode.Scalar(type)))'" : "0x" + String(type, radix: 16)
        let kinds: [UInt8: String] = [
            UInt8(ascii: "7"): "contiguous file", UInt8(ascii: "S"): "GNU sparse file", UInt8(ascii: "V"): "volume label",
            UInt8(ascii: "M"): "multi-volume continuation", UInt8(ascii: "D"): "GNU directory dump", UInt8(ascii: "N"): "old GNU long name",
            UInt8(ascii: "X"): "Solaris extended header",
        ]
        return kinds[type].map { "entry type \(letter) (\($0))" } ?? "unknown entry type \(letter)"
    }

    /// A pax header's records or a GNU long name or link name.
    private mutating func readExtension(_ type: UInt8, _ bytes: [UInt8], path: String) throws {
        switch type {
        case UInt8(ascii: "L"):
            pending.name = String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            pending.names += 1
        case UInt8(ascii: "K"):
            pending.links += 1
        default:
            let global = type == UInt8(ascii: "g")
            guard let records = Self.paxRecords(bytes) else {
                throw ArchiveError.corrupt(
                    path: path, reason: "malformed pax extended header\(pending.name.map { " before \($0.debugDescription)" } ?? "")")
            }
            // The entry these records describe, for messages.
            let named =
                records.first { ["path", "GNU.sparse.name"].contains($0.key) }.map { String(decoding: $0.value, as: UTF8.self) } ?? pending.name
            for (key, value) in records {
                let shown = String(decoding: value, as: UTF8.self)
                if key.hasPrefix("GNU.sparse.") {
                    throw ArchiveError.unsafeEntry(entry: named ?? "", rule: "GNU sparse file (readers without sparse support see other contents)")
                }
                guard ["path", "linkpath", "size"].contains(key) else { continue }
                if global {
                    throw ArchiveError.unsafeEntry(
                        entry: shown, rule: "pax global header sets \(key) (some readers apply it to every entry, others ignore it)")
                }
                if key != "size", value.contains(0) {
                    throw ArchiveError.unsafeEntry(entry: shown, rule: "NUL in a pax \(key) record (C readers cut the name there)")
                }
                switch key {
                case "path":
                    pending.name = shown
                    pending.names += 1
                case "linkpath":
                    pending.links += 1
                default:
                    guard !value.isEmpty, value.allSatisfy({ (0x30...0x39).contains($0) }), let size = Int64(shown) else {
                        throw ArchiveError.unsafeEntry(entry: named ?? "", rule: "malformed pax size record \(shown.debugDescription)")
                    }
                    pending.size = size
                }
            }
        }
        if pending.names > 1 || pending.links > 1 {
            throw ArchiveError.unsafeEntry(
                entry: pending.name ?? "", rule: "two long names or link names for one entry (readers disagree on which applies)")
        }
    }

    /// `LENGTH KEY=VALUE\n` records, or nil when one is malformed (refused rather than skipped).
    static func paxRecords(_ bytes: [UInt8]) -> [(key: String, value: [UInt8])]? {
        var records: [(String, [UInt8])] = []
        var cursor = 0
        while cursor < bytes.count {
            guard let space = bytes[cursor...].firstIndex(of: 0x20), space > cursor, space - cursor <= 8,
                bytes[cursor..<space].allSatisfy({ (0x30...0x39).contains($0) }),
                let length = Int(String(decoding: bytes[cursor..<space], as: UTF8.self)), length > space - cursor + 2,
                cursor + length <= bytes.count, bytes[cursor + length - 1] == 0x0A,
                let equals = bytes[(space + 1)..<(cursor + length - 1)].firstIndex(of: 0x3D), equals > space + 1
            else {
                if bytes[cursor...].allSatisfy({ $0 == 0 }) { break }  // zero padding inside the declared size
                return nil
            }
            records.append((String(decoding: bytes[(space + 1)..<equals], as: UTF8.self), Array(bytes[(equals + 1)..<(cursor + length - 1)])))
            cursor += length
        }
        return records
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
