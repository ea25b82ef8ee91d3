import Foundation

/// The file names of a zip archive's central directory, read directly from the file (zip64 included).
///
/// libarchive's zip readers name entries after the local headers; tools that use the central directory (pip's
/// `zipfile`, most installers) may see different names. Comparing the two closes that gap.
enum ZipCentralDirectory {
    struct Malformed: Error, CustomStringConvertible {
        let description: String
    }

    static func names(of path: String) throws -> [String] {
        let reader = try FileReader(path: path)
        _ = reader
        guard let handle = FileHandle.forReading(nativePath: path) else { throw Malformed(description: "unreadable") }
        defer { try? handle.close() }
        let size = try handle.seekToEnd()
        let tailLength = min(size, 65_557)
        try handle.seek(toOffset: size - tailLength)
        let tail = Array(try handle.read(upToCount: Int(tailLength)) ?? Data())
        guard let end = lastIndex(of: [0x50, 0x4B, 0x05, 0x06], in: tail), end + 22 <= tail.count else {
            throw Malformed(description: "no end-of-central-directory record")
        }
        var count = UInt64(le16(tail, end + 10))
        var offset = UInt64(le32(tail, end + 16))
        var length = UInt64(le32(tail, end + 12))
        if count == 0xFFFF || offset == 0xFFFF_FFFF || length == 0xFFFF_FFFF {
            // zip64: the locator sits just before the end record.
            guard end >= 20, Array(tail[(end - 20)..<(end - 16)]) == [0x50, 0x4B, 0x06, 0x07] else {
                throw Malformed(description: "zip64 locator missing")
            }
            let recordOffset = le64(tail, end - 12)
            try handle.seek(toOffset: recordOffset)
            let record = Array(try handle.read(upToCount: 56) ?? Data())
            guard record.count == 56, Array(record[0..<4]) == [0x50, 0x4B, 0x06, 0x06] else {
                throw Malformed(description: "zip64 end record missing")
            }
            count = le64(record, 32)
            length = le64(record, 40)
            offset = le64(record, 48)
        }
        guard offset + length <= size, length <= 256 << 20, count <= 1_000_000 else {
            throw Malformed(description: "central directory out of bounds")
        }
        try handle.seek(toOffset: offset)
        let directory = Array(try handle.read(upToCount: Int(length)) ?? Data())
        var names: [String] = []
        var cursor = 0
        for _ in 0..<count {
            guard cursor + 46 <= directory.count, Array(directory[cursor..<(cursor + 4)]) == [0x50, 0x4B, 0x01, 0x02] else {
                throw Malformed(description: "bad central directory entry")
            }
            let nameLength = Int(le16(directory, cursor + 28))
            let extraLength = Int(le16(directory, cursor + 30))
            let commentLength = Int(le16(directory, cursor + 32))
            guard cursor + 46 + nameLength <= directory.count else { throw Malformed(description: "truncated name") }
            names.append(String(decoding: directory[(cursor + 46)..<(cursor + 46 + nameLength)], as: UTF8.self))
            cursor += 46 + nameLength + extraLength + commentLength
        }
        return names
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

    private static func le16(_ bytes: [UInt8], _ at: Int) -> UInt16 { UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8 }
    private static func le32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[at + $1]) << (8 * UInt32($1)) }
    }
    private static func le64(_ bytes: [UInt8], _ at: Int) -> UInt64 {
        (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[at + $1]) << (8 * UInt64($1)) }
    }
}
