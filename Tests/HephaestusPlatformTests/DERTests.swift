import HephaestusPlatform
import Testing

@Suite("DER reader")
struct DERTests {
    @Test(
        "Object identifiers decode to dotted form",
        arguments: [
            ([0x06, 0x03, 0x55, 0x1D, 0x11] as [UInt8], "2.5.29.17"),
            ([0x06, 0x0A, 0x2B, 0x06, 0x01, 0x04, 0x01, 0x83, 0xBF, 0x30, 0x01, 0x08], "1.3.6.1.4.1.57264.1.8"),
            ([0x06, 0x03, 0x88, 0x37, 0x03], "2.999.3"),
        ])
    func objectIdentifiers(der: [UInt8], dotted: String) throws {
        #expect(try DERNode.parse(der).objectIdentifier() == dotted)
    }

    @Test(
        "Non-DER encodings are refused",
        arguments: [
            [0x04, 0x81, 0x01, 0x00] as [UInt8],  // non-minimal long length
            [0x30, 0x80, 0x00, 0x00],  // indefinite length
            [0x04, 0x05, 0x00],  // length beyond the input
            [0x04, 0x01, 0x00, 0x00],  // trailing bytes
            [0x06, 0x02, 0x80, 0x01],  // non-minimal OID arc
            [0x1F],  // truncated high tag
        ])
    func refusals(der: [UInt8]) {
        #expect(throws: CryptoError.self) {
            let node = try DERNode.parse(der)
            if node.isUniversal(DERNode.Universal.objectIdentifier) { _ = try node.objectIdentifier() }
        }
    }

    @Test("Nested sequences and strings")
    func nested() throws {
        // SEQUENCE { UTF8String "hi", INTEGER 300 }
        let node = try DERNode.parse([0x30, 0x08, 0x0C, 0x02, 0x68, 0x69, 0x02, 0x02, 0x01, 0x2C])
        let children = try node.children()
        #expect(children.count == 2)
        #expect(try children[0].string() == "hi")
        #expect(try children[1].unsignedInteger() == 300)
        #expect(Array(children[1].encoded) == [0x02, 0x02, 0x01, 0x2C])
    }
}
