/// One X.509v3 extension: its OID, criticality and the DER of its `extnValue` contents.
public struct CertificateExtension: Sendable, Equatable {
    public let oid: String
    public let isCritical: Bool
    /// The DER bytes inside the extnValue OCTET STRING.
    public let value: [UInt8]

    public init(oid: String, isCritical: Bool, value: [UInt8]) {
        self.oid = oid
        self.isCritical = isCritical
        self.value = value
    }

    /// Well-known extension OIDs.
    public enum OID {
        public static let subjectKeyIdentifier = "2.5.29.14"
        public static let keyUsage = "2.5.29.15"
        public static let subjectAlternativeName = "2.5.29.17"
        public static let basicConstraints = "2.5.29.19"
        public static let authorityKeyIdentifier = "2.5.29.35"
        public static let extendedKeyUsage = "2.5.29.37"
        /// RFC 6962 embedded SCT list.
        public static let signedCertificateTimestampList = "1.3.6.1.4.1.11129.2.4.2"
        /// RFC 6962 precertificate poison.
        public static let precertificatePoison = "1.3.6.1.4.1.11129.2.4.3"
        /// id-kp-codeSigning.
        public static let codeSigningUsage = "1.3.6.1.5.5.7.3.3"
        /// id-kp-timeStamping.
        public static let timeStampingUsage = "1.3.6.1.5.5.7.3.8"
    }
}

/// The KeyUsage bit string.
public struct KeyUsage: Sendable, Equatable {
    public let bits: UInt16

    public init(der: [UInt8]) throws(CryptoError) {
        let node = try DERNode.parse(der).expect(DERNode.Universal.bitString, "KeyUsage BIT STRING")
        guard let unused = node.content.first, unused < 8 else {
            throw CryptoError.malformedEncoding(reason: "KeyUsage BIT STRING")
        }
        let bytes = node.content.dropFirst()
        var value: UInt16 = 0
        for (index, byte) in bytes.prefix(2).enumerated() {
            value |= UInt16(byte) << (8 * (1 - index))
        }
        self.bits = value
    }

    public var digitalSignature: Bool { bits & 0x8000 != 0 }
    public var keyCertSign: Bool { bits & 0x0400 != 0 }
}

/// A GeneralName from a SubjectAlternativeName (RFC 5280 §4.2.1.6), every type kept.
public enum GeneralName: Sendable, Equatable, CustomStringConvertible {
    case otherName(typeID: String, value: [UInt8])
    case email(String)
    case dns(String)
    case x400Address([UInt8])
    case directoryName([UInt8])
    case ediPartyName([UInt8])
    case uri(String)
    case ipAddress([UInt8])
    case registeredID(String)

    public var description: String {
        switch self {
        case .otherName(let typeID, _): "othername:\(typeID)"
        case .email(let value): "email:\(value)"
        case .dns(let value): "DNS:\(value)"
        case .x400Address: "X400Name"
        case .directoryName: "DirName"
        case .ediPartyName: "EdiPartyName"
        case .uri(let value): "URI:\(value)"
        case .ipAddress(let bytes): "IP:\(bytes.map(String.init).joined(separator: "."))"
        case .registeredID(let oid): "RID:\(oid)"
        }
    }

    /// Parses the DER of a SubjectAlternativeName extension (SEQUENCE OF GeneralName).
    public static func parseSequence(_ der: [UInt8]) throws(CryptoError) -> [GeneralName] {
        let sequence = try DERNode.parse(der).expect(DERNode.Universal.sequence, "GeneralNames")
        let names = try sequence.children()
        guard !names.isEmpty else { throw CryptoError.malformedEncoding(reason: "empty GeneralNames") }
        return try names.map { node throws(CryptoError) in try GeneralName(node) }
    }

    init(_ node: DERNode) throws(CryptoError) {
        guard node.tagClass == .contextSpecific else {
            throw CryptoError.malformedEncoding(reason: "GeneralName is not context-tagged")
        }
        func text() throws(CryptoError) -> String {
            guard let text = String(validating: node.content, as: UTF8.self), text.utf8.allSatisfy({ $0 < 0x80 })
            else { throw CryptoError.malformedEncoding(reason: "GeneralName is not IA5String") }
            return text
        }
        switch node.tagNumber {
        case 0:
            // otherName ::= SEQUENCE { type-id OBJECT IDENTIFIER, value [0] EXPLICIT ANY }
            let parts = try node.children()
            guard parts.count == 2, parts[1].isContext(0), parts[1].isConstructed else {
                throw CryptoError.malformedEncoding(reason: "malformed otherName")
            }
            let inner = try parts[1].children()
            guard inner.count == 1 else { throw CryptoError.malformedEncoding(reason: "malformed otherName value") }
            self = .otherName(typeID: try parts[0].objectIdentifier(), value: Array(inner[0].encoded))
        case 1: self = .email(try text())
        case 2: self = .dns(try text())
        case 3: self = .x400Address(Array(node.content))
        case 4: self = .directoryName(Array(node.content))
        case 5: self = .ediPartyName(Array(node.content))
        case 6: self = .uri(try text())
        case 7: self = .ipAddress(Array(node.content))
        case 8:
            let oid = DERNode(
                tagClass: .universal, isConstructed: false, tagNumber: DERNode.Universal.objectIdentifier,
                content: node.content, encoded: node.encoded)
            self = .registeredID(try oid.objectIdentifier())
        default:
            throw CryptoError.malformedEncoding(reason: "unknown GeneralName tag \(node.tagNumber)")
        }
    }
}
