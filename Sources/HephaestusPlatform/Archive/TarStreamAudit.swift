import Foundation
internal import CArchive

/// A second look at a tar or tar.gz archive's raw stream, for what libarchive does not check:
/// - gzip: the trailer's CRC-32 and length must match the decompressed stream (libarchive does not verify them), which
///   also refuses multi-member (concatenated) gzip files;
/// - tar: after the end-of-archive marker only zero padding may follow (a second archive glued on is refused).
enum TarStreamAudit {
    static func audit(_ path: String) throws {
        guard let handle = archive_read_new() else { fatalError("archive_read_new: out of memory") }
        defer { archive_read_free(handle) }
        archive_read_support_filter_gzip(handle)
        archive_read_support_format_raw(handle)
        guard archive_read_open_filename(handle, path, 1 << 16) == ARCHIVE_OK else {
            throw ArchiveError.corrupt(path: path, reason: archive_error_string(handle).map { String(cString: $0) } ?? "unreadable")
        }
        var entry: OpaquePointer?
        guard archive_read_next_header(handle, &entry) == ARCHIVE_OK else {
            throw ArchiveError.corrupt(path: path, reason: archive_error_string(handle).map { String(cString: $0) } ?? "unreadable")
        }
        let gzip = archive_filter_count(handle) > 1
        var crc = CRC32()
        var length: UInt64 = 0
        var walker = TarBlockWalker()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = archive_read_data(handle, buffer.baseAddress, buffer.count)
            if count == 0 { break }
            guard count > 0 else {
                throw ArchiveError.corrupt(path: path, reason: archive_error_string(handle).map { String(cString: $0) } ?? "read error")
            }
            let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
            if gzip { crc.update(chunk) }
            length += UInt64(count)
            try walker.consume(chunk, path: path)
        }
        guard walker.sawEndMarker || walker.offset == 0 else {
            throw ArchiveError.corrupt(path: path, reason: "no end-of-archive marker (truncated tar)")
        }
        if gzip {
            let trailer = try Self.trailer(of: path)
            guard trailer.crc == crc.value, trailer.length == UInt32(truncatingIfNeeded: length) else {
                throw ArchiveError.corrupt(path: path, reason: "gzip CRC or length does not match its trailer (corrupt, or concatenated gzip members)")
            }
        }
    }

    /// The last 8 bytes of a gzip file: CRC-32 and ISIZE, little-endian.
    static func trailer(of path: String) throws -> (crc: UInt32, length: UInt32) {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ArchiveError.unreadable(path: path, reason: "cannot reopen") }
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
