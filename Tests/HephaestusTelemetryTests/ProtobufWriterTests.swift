import Testing

@testable import HephaestusTelemetry

/// The in-place protobuf writer: nested messages whose length needs one, two or three varint bytes come out as the
/// wire format lays them out; ids written from their words equal their bytes.
@Suite struct ProtobufWriterTests {
    /// The wire format of `field` holding `contents` (length-delimited), written the plain way.
    static func lengthDelimited(_ field: UInt8, _ contents: [UInt8]) -> [UInt8] {
        var length: [UInt8] = []
        var value = contents.count
        while value >= 0x80 {
            length.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        length.append(UInt8(value))
        return [field << 3 | 2] + length + contents
    }

    @Test(arguments: [0, 1, 127, 128, 300, 16_383, 16_384, 70_000])
    func nestedMessagesCarryTheirLength(_ size: Int) {
        let payload = (0..<size).map { UInt8(truncatingIfNeeded: $0 * 7) }
        var writer = ProtobufWriter()
        writer.uint64(1, 150)
        writer.message(2) { nested in
            nested.presentData(3, payload)
            nested.message(4) { $0.string(5, "inner") }
        }
        writer.fixed32(6, 0x101)
        let inner = Self.lengthDelimited(3, payload) + Self.lengthDelimited(4, Self.lengthDelimited(5, Array("inner".utf8)))
        let expected: [UInt8] = [0x08, 0x96, 0x01] + Self.lengthDelimited(2, inner) + [0x35, 0x01, 0x01, 0x00, 0x00]
        #expect(writer.bytes == expected)
    }

    @Test func idsAreWrittenBigEndian() {
        let trace = TraceID(high: 0x0102_0304_0506_0708, low: 0x090A_0B0C_0D0E_0F10)
        let span = SpanID(0xA1B2_C3D4_E5F6_0718)
        var writer = ProtobufWriter()
        writer.bigEndian(1, trace.high, trace.low)
        writer.bigEndian(2, span.value)
        #expect(writer.bytes == Self.lengthDelimited(1, trace.bytes) + Self.lengthDelimited(2, span.bytes))
    }

    @Test func stringsAreTheirUTF8() {
        var writer = ProtobufWriter()
        writer.presentString(1, "")
        writer.string(2, "")
        writer.string(3, "sigstore.verify.tlog-entries ✓")
        #expect(writer.bytes == [0x0A, 0x00] + Self.lengthDelimited(3, Array("sigstore.verify.tlog-entries ✓".utf8)))
    }
}

/// The generator of trace and span ids.
@Suite struct IDGeneratorTests {
    @Test func followsTheReferenceSequence() {
        // xoshiro256** from the state (1, 2, 3, 4): the reference implementation's first outputs.
        var generator = IDGenerator(seed: (1, 2, 3, 4))
        #expect((0..<4).map { _ in generator.next() } == [11520, 0, 1_509_978_240, 1_215_971_899_390_074_240])
    }

    @Test func seedsDifferAndIdsAreValid() {
        var first = IDGenerator()
        var second = IDGenerator()
        let a = (0..<4).map { _ in first.next() }
        let b = (0..<4).map { _ in second.next() }
        #expect(a != b)
        var ids = Set<TraceID>()
        for _ in 0..<10_000 { ids.insert(TraceID.random(using: &first)) }
        #expect(ids.count == 10_000)
        #expect(ids.allSatisfy { $0.isValid })
    }
}
