import Glibc

/// Gives each distinct byte string a small integer, without allocating for strings already seen: an open-addressing
/// table of hashes over one arena of bytes.
struct ByteInterner {
    /// The text of each identifier.
    private(set) var strings: [String] = []
    private var arena: [UInt8] = []
    private var spans: [(offset: Int, count: Int, hash: UInt64)] = []
    private var table = [Int32](repeating: -1, count: 1024)

    /// The identifier of `bytes`; a new string is admitted only when `valid` turns it into text (nil: not admitted).
    mutating func identifier(_ bytes: UnsafeRawBufferPointer, valid: (UnsafeRawBufferPointer) -> String?) -> Int32? {
        let hash = Self.hash(bytes)
        let mask = table.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while table[slot] >= 0 {
            let id = Int(table[slot])
            let span = spans[id]
            if span.hash == hash, span.count == bytes.count,
                bytes.isEmpty || arena.withUnsafeBytes({ memcmp($0.baseAddress! + span.offset, bytes.baseAddress!, bytes.count) == 0 })
            {
                return Int32(id)
            }
            slot = (slot + 1) & mask
        }
        guard let text = valid(bytes) else { return nil }
        let id = Int32(spans.count)
        spans.append((arena.count, bytes.count, hash))
        arena.append(contentsOf: bytes)
        strings.append(text)
        table[slot] = id
        if spans.count * 2 > table.count { grow() }
        return id
    }

    /// FNV-1a style over 8-byte words, then the tail bytes, with a final mix so that the low bits (the slot) depend on
    /// every byte.
    static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        var offset = 0
        while offset + 8 <= bytes.count {
            hash = (hash ^ bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) &* 0x100_0000_01B3
            offset += 8
        }
        while offset < bytes.count {
            hash = (hash ^ UInt64(bytes[offset])) &* 0x100_0000_01B3
            offset += 1
        }
        hash ^= hash >> 33
        hash = hash &* 0xFF51_AFD7_ED55_8CCD
        return hash ^ (hash >> 33)
    }

    private mutating func grow() {
        table = [Int32](repeating: -1, count: table.count * 2)
        let mask = table.count - 1
        for (id, span) in spans.enumerated() {
            var slot = Int(truncatingIfNeeded: span.hash) & mask
            while table[slot] >= 0 { slot = (slot + 1) & mask }
            table[slot] = Int32(id)
        }
    }

    mutating func removeAll() {
        strings.removeAll(keepingCapacity: true)
        arena.removeAll(keepingCapacity: true)
        spans.removeAll(keepingCapacity: true)
        table = [Int32](repeating: -1, count: 1024)
    }
}
