/// The protocol buffers wire format, as much of it as OTLP's trace messages need: varints, fixed64/fixed32, and
/// length-delimited fields (strings, bytes, nested messages). Fields at their default value are omitted, as proto3
/// encoders do.
///
/// Everything is written into one buffer: a nested message is built in place after a one-byte length, which is
/// widened (the message moved up by the extra bytes) only when the message turns out 128 bytes or longer.
struct ProtobufWriter {
    private(set) var bytes: [UInt8] = []

    private enum WireType: UInt64 {
        case varint = 0
        case fixed64 = 1
        case lengthDelimited = 2
        case fixed32 = 5
    }

    init(capacity: Int = 0) {
        bytes.reserveCapacity(capacity)
    }

    private mutating func tag(_ field: UInt64, _ type: WireType) {
        varint(field << 3 | type.rawValue)
    }

    mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    mutating func uint64(_ field: UInt64, _ value: UInt64) {
        guard value != 0 else { return }
        tag(field, .varint)
        varint(value)
    }

    /// int64 and enums: two's complement as a 64-bit varint.
    mutating func int64(_ field: UInt64, _ value: Int64) {
        uint64(field, UInt64(bitPattern: value))
    }

    mutating func bool(_ field: UInt64, _ value: Bool) {
        uint64(field, value ? 1 : 0)
    }

    mutating func fixed64(_ field: UInt64, _ value: UInt64) {
        guard value != 0 else { return }
        presentFixed64(field, value)
    }

    mutating func fixed32(_ field: UInt64, _ value: UInt32) {
        guard value != 0 else { return }
        tag(field, .fixed32)
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    mutating func double(_ field: UInt64, _ value: Double) {
        guard value != 0 || value.sign == .minus else { return }
        presentFixed64(field, value.bitPattern)
    }

    mutating func string(_ field: UInt64, _ value: String) {
        guard !value.isEmpty else { return }
        presentString(field, value)
    }

    mutating func data(_ field: UInt64, _ value: [UInt8]) {
        guard !value.isEmpty else { return }
        presentData(field, value)
    }

    /// One or two big-endian 64-bit words as one bytes field (span and trace ids), without an intermediate array.
    mutating func bigEndian(_ field: UInt64, _ first: UInt64, _ second: UInt64? = nil) {
        tag(field, .lengthDelimited)
        varint(second == nil ? 8 : 16)
        appendBigEndian(first)
        if let second { appendBigEndian(second) }
    }

    private mutating func appendBigEndian(_ word: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
    }

    /// A nested message, written even when empty (a present message differs from an absent one).
    mutating func message(_ field: UInt64, _ build: (inout ProtobufWriter) -> Void) {
        tag(field, .lengthDelimited)
        let lengthIndex = bytes.count
        bytes.append(0)
        build(&self)
        let length = bytes.count - lengthIndex - 1
        guard length >= 0x80 else {
            bytes[lengthIndex] = UInt8(length)
            return
        }
        var encoded = ProtobufWriter()
        encoded.varint(UInt64(length))
        bytes.insert(contentsOf: repeatElement(0, count: encoded.bytes.count - 1), at: lengthIndex + 1)
        for (offset, byte) in encoded.bytes.enumerated() { bytes[lengthIndex + offset] = byte }
    }

    // A oneof member is written even at its default value (its presence is the information).

    mutating func presentVarint(_ field: UInt64, _ value: UInt64) {
        tag(field, .varint)
        varint(value)
    }

    mutating func presentFixed64(_ field: UInt64, _ bits: UInt64) {
        tag(field, .fixed64)
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift))) }
    }

    mutating func presentData(_ field: UInt64, _ value: [UInt8]) {
        tag(field, .lengthDelimited)
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    /// A string written even when empty, from its UTF-8 view (no copy into an array first).
    mutating func presentString(_ field: UInt64, _ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            tag(field, .lengthDelimited)
            varint(UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }
}
