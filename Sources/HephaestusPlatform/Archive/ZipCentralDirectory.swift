internal import CArchive
import Foundation

/// A zip archive's central directory, read directly from the file (zip64 included), and checked against the rest of
/// the file before anything is extracted.
///
/// A zip describes its entries twice: in the central directory (what pip's `zipfile` and most installers use) and in
/// the local headers (what libarchive and streaming tools use). Where the two disagree, two tools see two archives.
/// So every entry's local header must repeat its central record's name, method, CRC-32 and sizes (or leave them to a
/// data descriptor that repeats them), the entries must tile the file from its first byte to the central directory
/// with nothing between them (no bytes only a streaming reader would see), and, as each entry's data is read, its
/// CRC-32 and length must be the ones recorded (``DataCheck``).
struct ZipCentralDirectory {
    struct Record {
        /// The name's bytes as stored.
        let name: [UInt8]
        let flags: UInt16
        let method: UInt16
        let crc: UInt32
        let compressedSize: UInt64
        let size: UInt64
        let localOffset: UInt64

        var displayName: String { String(decoding: name, as: UTF8.self) }
        var hasDataDescriptor: Bool { flags & 0x08 != 0 }
    }

    /// The records in file order (by local header offset).
    let records: [Record]

    /// Reads the central directory and checks every local header against it. `path` names the archive in errors.
    init(path: String) throws(ArchiveError) {
        let file: ZipFile
        do {
            file = try ZipFile(path: path)
        } catch {
            throw ArchiveError.unreadable(path: path, reason: "\(error)")
        }
        defer { file.close() }
        do {
            let (records, directoryOffset) = try Self.readDirectory(file)
            try Self.checkLocalHeaders(records, directoryOffset: directoryOffset, file: file, path: path)
            self.records = records
        } catch let error as ArchiveError {
            throw error
        } catch {
            throw ArchiveError.corrupt(path: path, reason: "zip central directory: \(error)")
        }
    }

    /// The records sorted by local offset, and where the central directory starts.
    private static func readDirectory(_ file: ZipFile) throws -> ([Record], UInt64) {
        let size = file.size
        let tailLength = min(size, 65_557)
        let tail = try file.read(at: size - tailLength, count: Int(tailLength))
        guard let end = lastIndex(of: [0x50, 0x4B, 0x05, 0x06], in: tail), end + 22 <= tail.count else {
            throw Malformed("no end-of-central-directory record")
        }
        let endOffset = size - tailLength + UInt64(end)
        var count = UInt64(tail.le16(end + 10))
        var length = UInt64(tail.le32(end + 12))
        var offset = UInt64(tail.le32(end + 16))
        guard endOffset + 22 + UInt64(tail.le16(end + 20)) == size else { throw Malformed("data after the end-of-central-directory record") }
        // Where the central directory must end: the end record, or the zip64 end record before its locator.
        var directoryEnd = endOffset
        if count == 0xFFFF || offset == 0xFFFF_FFFF || length == 0xFFFF_FFFF {
            guard end >= 20, Array(tail[(end - 20)..<(end - 16)]) == [0x50, 0x4B, 0x06, 0x07] else {
                throw Malformed("zip64 locator missing")
            }
            let recordOffset = tail.le64(end - 12)
            guard recordOffset <= endOffset - 20, 56 <= endOffset - 20 - recordOffset else { throw Malformed("zip64 end record out of bounds") }
            let record = try file.read(at: recordOffset, count: 56)
            guard Array(record[0..<4]) == [0x50, 0x4B, 0x06, 0x06] else { throw Malformed("zip64 end record missing") }
            guard record.le64(4) == endOffset - 20 - recordOffset - 12 else { throw Malformed("data after the zip64 end record") }
            count = record.le64(32)
            length = record.le64(40)
            offset = record.le64(48)
            directoryEnd = recordOffset
        }
        guard offset <= directoryEnd, length <= 256 << 20, count <= 1_000_000 else { throw Malformed("central directory out of bounds") }
        guard offset + length == directoryEnd else { throw Malformed("bytes between the central directory and its end record") }
        let directory = try file.read(at: offset, count: Int(length))
        var records: [Record] = []
        var cursor = 0
        for _ in 0..<count {
            guard cursor + 46 <= directory.count, Array(directory[cursor..<(cursor + 4)]) == [0x50, 0x4B, 0x01, 0x02] else {
                throw Malformed("bad central directory entry")
            }
            let nameLength = Int(directory.le16(cursor + 28))
            let extraLength = Int(directory.le16(cursor + 30))
            let commentLength = Int(directory.le16(cursor + 32))
            guard cursor + 46 + nameLength + extraLength + commentLength <= directory.count else { throw Malformed("truncated entry") }
            let name = Array(directory[(cursor + 46)..<(cursor + 46 + nameLength)])
            let extra = Array(directory[(cursor + 46 + nameLength)..<(cursor + 46 + nameLength + extraLength)])
            var sizes = Zip64Fields(
                size: UInt64(directory.le32(cursor + 24)), compressedSize: UInt64(directory.le32(cursor + 20)),
                offset: UInt64(directory.le32(cursor + 42)))
            _ = try sizes.resolve(extra: extra)
            records.append(
                Record(
                    name: name, flags: directory.le16(cursor + 8), method: directory.le16(cursor + 10), crc: directory.le32(cursor + 16),
                    compressedSize: sizes.compressedSize, size: sizes.size, localOffset: sizes.offset))
            cursor += 46 + nameLength + extraLength + commentLength
        }
        guard cursor == directory.count else { throw Malformed("bytes after the last central directory entry") }
        return (records.sorted { $0.localOffset < $1.localOffset }, offset)
    }

    /// Each local header must agree with its record, and the entries must follow one another from offset 0 to the
    /// central directory.
    private static func checkLocalHeaders(_ records: [Record], directoryOffset: UInt64, file: ZipFile, path: String) throws {
        var expected: UInt64 = 0
        for record in records {
            func disagree(_ what: String, _ central: String, _ local: String) -> ArchiveError {
                .unsafeEntry(
                    entry: record.displayName,
                    rule: "zip central directory and local headers disagree on the \(what) (central directory \(central), local header \(local))")
            }
            guard record.localOffset == expected else {
                throw ArchiveError.unsafeEntry(
                    entry: record.displayName,
                    rule: record.localOffset < expected
                        ? "zip entry overlaps the previous one"
                        : "zip has \(record.localOffset - expected) bytes before this entry that no entry describes (a hidden entry?)")
            }
            guard record.flags & 0x01 == 0 else { throw ArchiveError.unsafeEntry(entry: record.displayName, rule: "encrypted zip entry") }
            guard !record.name.contains(0) else {
                throw ArchiveError.unsafeEntry(entry: record.displayName, rule: "NUL in name (C readers and zipfile cut the name there)")
            }
            guard record.flags & 0x0800 != 0 || record.name.allSatisfy({ $0 < 0x80 }) else {
                throw ArchiveError.unsafeEntry(
                    entry: record.displayName, rule: "zip entry name is neither ASCII nor flagged UTF-8 (readers would decode it differently)")
            }
            guard record.localOffset + 30 <= directoryOffset else { throw Malformed("local header of \(record.displayName) out of bounds") }
            let header = try file.read(at: record.localOffset, count: 30)
            guard Array(header[0..<4]) == [0x50, 0x4B, 0x03, 0x04] else { throw Malformed("no local header for \(record.displayName)") }
            let nameLength = Int(header.le16(26))
            let extraLength = Int(header.le16(28))
            let dataOffset = record.localOffset + 30 + UInt64(nameLength + extraLength)
            guard dataOffset <= directoryOffset else { throw Malformed("local header of \(record.displayName) out of bounds") }
            let variable = try file.read(at: record.localOffset + 30, count: nameLength + extraLength)
            let name = Array(variable[0..<nameLength])
            guard name == record.name else {
                throw disagree("name", record.displayName.debugDescription, String(decoding: name, as: UTF8.self).debugDescription)
            }
            guard header.le16(8) == record.method else { throw disagree("compression method", "\(record.method)", "\(header.le16(8))") }
            // Bit 3: sizes in a data descriptor; bit 11: UTF-8 names. Readers of either table must decode the same.
            guard header.le16(6) & 0x0808 == record.flags & 0x0808 else { throw disagree("flags", "\(record.flags)", "\(header.le16(6))") }
            var local = Zip64Fields(size: UInt64(header.le32(22)), compressedSize: UInt64(header.le32(18)), offset: 0)
            // A local header with a zip64 field has a data descriptor with 64-bit sizes.
            let zip64 = try local.resolve(extra: Array(variable[nameLength...]))
            var crc = header.le32(14)
            guard record.compressedSize <= directoryOffset - dataOffset else { throw Malformed("data of \(record.displayName) out of bounds") }
            var end = dataOffset + record.compressedSize
            if record.hasDataDescriptor {
                // Sizes and CRC follow the data; the local header may leave them zero.
                let fieldSize = zip64 ? 8 : 4
                guard end + 4 <= directoryOffset else { throw Malformed("data descriptor of \(record.displayName) out of bounds") }
                let signed = try file.read(at: end, count: 4) == [0x50, 0x4B, 0x07, 0x08]
                let length = (signed ? 4 : 0) + 4 + 2 * fieldSize
                guard end + UInt64(length) <= directoryOffset else { throw Malformed("data descriptor of \(record.displayName) out of bounds") }
                let descriptor = Array(try file.read(at: end, count: length).dropFirst(signed ? 4 : 0))
                let descriptorCRC = descriptor.le32(0)
                let compressed = zip64 ? descriptor.le64(4) : UInt64(descriptor.le32(4))
                let size = zip64 ? descriptor.le64(12) : UInt64(descriptor.le32(8))
                for (what, value, stated) in [
                    ("CRC-32", UInt64(descriptorCRC), UInt64(crc)), ("compressed size", compressed, local.compressedSize), ("size", size, local.size),
                ]
                where stated != 0 && stated != value {
                    throw disagree(what, "\(value) (data descriptor)", "\(stated)")
                }
                crc = descriptorCRC
                local = Zip64Fields(size: size, compressedSize: compressed, offset: 0)
                end += UInt64(length)
            }
            guard crc == record.crc else { throw disagree("CRC-32", Self.hex(record.crc), Self.hex(crc)) }
            guard local.compressedSize == record.compressedSize else {
                throw disagree("compressed size", "\(record.compressedSize)", "\(local.compressedSize)")
            }
            guard local.size == record.size else { throw disagree("size", "\(record.size)", "\(local.size)") }
            if record.method == 8, let problem = try Self.deflateStreamProblem(file, at: dataOffset, compressedSize: record.compressedSize) {
                throw ArchiveError.unsafeEntry(entry: record.displayName, rule: problem)
            }
            guard end <= directoryOffset else { throw Malformed("data of \(record.displayName) out of bounds") }
            expected = end
        }
        guard expected == directoryOffset else {
            throw ArchiveError.corrupt(
                path: path,
                reason: "zip has \(directoryOffset - expected) bytes before its central directory that no entry describes (a hidden entry?)")
        }
    }

    static func hex(_ value: UInt32) -> String { "0x" + String(value, radix: 16) }

    /// Why a deflated entry's stream does not fill its recorded compressed size exactly, or nil when it does. Bytes
    /// after the end of the stream but inside the entry are data one reader skips and another may read (streaming
    /// readers stop at the end of the stream, readers that trust the sizes do not).
    private static func deflateStreamProblem(_ file: ZipFile, at offset: UInt64, compressedSize: UInt64) throws -> String? {
        var stream = z_stream()
        guard inflateInit2_(&stream, -15, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw Malformed("zlib could not start inflating")
        }
        defer { inflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: 1 << 16)
        var consumed: UInt64 = 0
        while consumed < compressedSize {
            var input = try file.read(at: offset + consumed, count: Int(min(compressedSize - consumed, 1 << 16)))
            let length = input.count
            var status: Int32 = Z_OK
            var left = 0
            input.withUnsafeMutableBufferPointer { inputBytes in
                stream.next_in = inputBytes.baseAddress
                stream.avail_in = UInt32(length)
                repeat {
                    status = output.withUnsafeMutableBufferPointer { outputBytes in
                        stream.next_out = outputBytes.baseAddress
                        stream.avail_out = UInt32(outputBytes.count)
                        return inflate(&stream, Z_NO_FLUSH)
                    }
                } while status == Z_OK && (stream.avail_in > 0 || stream.avail_out == 0)
                left = Int(stream.avail_in)
            }
            consumed += UInt64(length - left)
            switch status {
            case Z_STREAM_END:
                let slack = compressedSize - consumed
                return slack == 0 ? nil : "zip entry's deflate stream ends \(slack) bytes before its recorded compressed size \(compressedSize)"
            case Z_OK, Z_BUF_ERROR: continue
            default: return "zip entry's deflate data are corrupt (zlib status \(status))"
            }
        }
        return "zip entry's deflate stream does not end within its recorded compressed size \(compressedSize)"
    }

    /// The CRC-32 and length of one entry's data as it is read, compared with its record at the end.
    struct DataCheck {
        let record: Record
        private var crc = CRC32()
        private var length: UInt64 = 0

        init(_ record: Record) {
            self.record = record
        }

        mutating func update(_ bytes: UnsafeRawBufferPointer) {
            crc.update(bytes)
            length += UInt64(bytes.count)
        }

        func finish(path: String) throws(ArchiveError) {
            guard length == record.size else {
                throw ArchiveError.corrupt(
                    path: path,
                    reason: "zip entry \(record.displayName.debugDescription) holds \(length) bytes, its central directory says \(record.size)")
            }
            guard crc.value == record.crc else {
                throw ArchiveError.corrupt(
                    path: path,
                    reason:
                        "zip entry \(record.displayName.debugDescription): data do not match their CRC-32 (\(ZipCentralDirectory.hex(crc.value)), recorded \(ZipCentralDirectory.hex(record.crc)))"
                )
            }
        }
    }

    struct Malformed: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// Sizes and offset that zip64 moves into the extra field when the 32-bit ones read 0xFFFFFFFF.
    private struct Zip64Fields {
        var size: UInt64
        var compressedSize: UInt64
        var offset: UInt64

        /// Reads the zip64 field of `extra`, if any; returns whether there was one.
        mutating func resolve(extra: [UInt8]) throws -> Bool {
            var found = false
            var cursor = 0
            while cursor + 4 <= extra.count {
                let id = extra.le16(cursor)
                let length = Int(extra.le16(cursor + 2))
                guard cursor + 4 + length <= extra.count else { throw Malformed("truncated extra field") }
                if id == 0x0001 {
                    found = true
                    var field = cursor + 4
                    for keyPath in [\Zip64Fields.size, \.compressedSize, \.offset] where self[keyPath: keyPath] == 0xFFFF_FFFF {
                        guard field + 8 <= cursor + 4 + length else { throw Malformed("truncated zip64 extra field") }
                        self[keyPath: keyPath] = extra.le64(field)
                        field += 8
                    }
                }
                cursor += 4 + length
            }
            return found
        }
    }

    private static func lastIndex(of pattern: [UInt8], in bytes: [UInt8]) -> Int? {
        guard bytes.count >= pattern.count else { return nil }
        var index = bytes.count - pattern.count
        while index >= 0 {
            if bytes[index] == pattern[0] && Array(bytes[index..<(index + pattern.count)]) == pattern { return index }
            index -= 1
        }
        return nil
    }
}

/// Positioned reads of a zip file.
private final class ZipFile {
    private let handle: FileHandle
    let size: UInt64

    init(path: String) throws {
        _ = try FileReader(path: path)  // the usual file errors (missing, directory, unreadable) first
        guard let handle = FileHandle.forReading(nativePath: path) else { throw ZipCentralDirectory.Malformed("unreadable") }
        self.handle = handle
        size = try handle.seekToEnd()
    }

    /// Exactly `count` bytes at `offset`, or an error.
    func read(at offset: UInt64, count: Int) throws -> [UInt8] {
        guard count > 0 else { return [] }
        guard offset <= size, UInt64(count) <= size - offset else { throw ZipCentralDirectory.Malformed("read beyond the end of the file") }
        try handle.seek(toOffset: offset)
        let bytes = Array(try handle.read(upToCount: count) ?? Data())
        guard bytes.count == count else { throw ZipCentralDirectory.Malformed("short read") }
        return bytes
    }

    func close() {
        try? handle.close()
    }
}

extension Array where Element == UInt8 {
    fileprivate func le16(_ at: Int) -> UInt16 { UInt16(self[at]) | UInt16(self[at + 1]) << 8 }
    fileprivate func le32(_ at: Int) -> UInt32 { (0..<4).reduce(UInt32(0)) { $0 | UInt32(self[at + $1]) << (8 * UInt32($1)) } }
    fileprivate func le64(_ at: Int) -> UInt64 { (0..<8).reduce(UInt64(0)) { $0 | UInt64(self[at + $1]) << (8 * UInt64($1)) } }
}
