internal import CArchive

/// CRC-32 (IEEE 802.3, as gzip and zip use), computed by zlib (which libarchive already links).
public struct CRC32: Sendable {
    public private(set) var value: UInt32 = 0

    public init() {}

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        var remaining = bytes.count
        var pointer = base.assumingMemoryBound(to: UInt8.self)
        var crc = UInt(value)
        // zlib takes a 32-bit length: feed at most 1 GiB at a time.
        while remaining > 0 {
            let step = min(remaining, 1 << 30)
            crc = UInt(crc32(crc, pointer, UInt32(step)))
            pointer += step
            remaining -= step
        }
        value = UInt32(crc)
    }
}
