/// Converts ECDSA signatures between DER (`SEQUENCE { r INTEGER, s INTEGER }`, what OpenSSL and X.509 use) and
/// the fixed-width `r || s` form JOSE (JWS ES256/ES384) uses.
public enum ECDSASignatureFormat {
    /// `r || s`, each left-padded to `width` bytes (32 for P-256, 48 for P-384).
    public static func raw(fromDER der: [UInt8], width: Int) throws(CryptoError) -> [UInt8] {
        let sequence = try DERNode.parse(der).expect(DERNode.Universal.sequence, "ECDSA-Sig-Value")
        let parts = try sequence.children()
        guard parts.count == 2 else { throw CryptoError.malformedEncoding(reason: "ECDSA signature is not two INTEGERs") }
        var out: [UInt8] = []
        for part in parts {
            var value = Array(try part.expect(DERNode.Universal.integer, "INTEGER").content)
            while value.count > 1 && value.first == 0 { value.removeFirst() }
            guard value.count <= width else { throw CryptoError.malformedEncoding(reason: "ECDSA integer wider than \(width) bytes") }
            out += [UInt8](repeating: 0, count: width - value.count) + value
        }
        return out
    }

    /// The DER form of an `r || s` signature.
    public static func der(fromRaw raw: [UInt8]) throws(CryptoError) -> [UInt8] {
        guard !raw.isEmpty, raw.count % 2 == 0 else { throw CryptoError.malformedEncoding(reason: "raw ECDSA signature of odd length") }
        func integer(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
            var value = Array(bytes.drop { $0 == 0 })
            if value.isEmpty { value = [0] }
            if value[0] & 0x80 != 0 { value.insert(0, at: 0) }
            return DERWriter.wrap(0x02, value)
        }
        let half = raw.count / 2
        return DERWriter.wrap(0x30, integer(raw[..<half]) + integer(raw[half...]))
    }
}
