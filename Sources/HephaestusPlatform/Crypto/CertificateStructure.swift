internal import COpenSSL
import Foundation

/// The OpenSSL `X509` behind a ``Certificate``: parsed when the certificate was made, or on first use.
///
/// Unchecked because it holds a C pointer (which a `Mutex` cannot take in or hand out without region-isolation
/// errors). Safe because `handle` and `failure` are read and written only under `lock`, and the `X509` handed out is
/// only read by its users (OpenSSL 3 guards the extension data it caches lazily with the object's own lock).
final class X509Reference: @unchecked Sendable {
    private let lock = NSLock()
    private var handle: OpaquePointer?
    private var failure: CryptoError?
    private let deferredDER: [UInt8]?

    init(parsed handle: OpaquePointer) {
        self.handle = handle
        deferredDER = nil
    }

    init(deferred der: [UInt8]) {
        deferredDER = der
    }

    deinit {
        if let handle { X509_free(handle) }
    }

    /// OpenSSL's parse of exactly one DER certificate (trailing bytes refused); the caller owns the result.
    static func decode(_ der: [UInt8]) throws(CryptoError) -> OpaquePointer {
        try decodeExactly(
            der, what: "certificate", failure: { .malformedCertificate(reason: $0) }, free: { X509_free($0) },
            decode: { d2i_X509(nil, &$0, $1) })
    }

    /// The handle if OpenSSL has parsed the certificate already (never parses).
    var parsedHandle: OpaquePointer? { lock.withLock { handle } }

    /// The handle, parsing the deferred DER on first use; a certificate OpenSSL refuses throws (every time).
    func get() throws(CryptoError) -> OpaquePointer {
        lock.lock()
        defer { lock.unlock() }
        if let handle { return handle }
        if let failure { throw failure }
        guard let der = deferredDER else { throw CryptoError.malformedCertificate(reason: "no certificate") }
        let parsed: OpaquePointer
        do {
            parsed = try Self.decode(der)
        } catch {
            failure = error
            throw error
        }
        handle = parsed
        return parsed
    }
}

/// A certificate's structure read by our strict DER reader (RFC 5280 §4.1): the outer SEQUENCE of TBSCertificate,
/// signatureAlgorithm and signatureValue; in the TBSCertificate an optional explicit v3 version, a positive serial,
/// the signature AlgorithmIdentifier (equal to the outer one), issuer and subject Names (SEQUENCE OF SET OF
/// AttributeTypeAndValue), validity times in the two forms RFC 5280 allows, the SubjectPublicKeyInfo, and optional
/// unique IDs and extensions in order. Anything else throws (the caller then leaves the parse to OpenSSL).
struct CertificateStructure {
    let serial: DERNode
    let issuer: DERNode
    let subject: DERNode
    let subjectPublicKeyInfo: DERNode
    let extensions: DERNode?
    let notBefore: Date
    let notAfter: Date

    private struct Irregular: Error {}

    init(_ der: [UInt8]) throws {
        let certificate = try DERNode.parse(der)
        guard certificate.isUniversal(DERNode.Universal.sequence) else { throw Irregular() }
        try Self.checkPrimitives(certificate, depth: 0)
        let parts = try certificate.children()
        guard parts.count == 3, parts[0].isUniversal(DERNode.Universal.sequence), parts[1].isUniversal(DERNode.Universal.sequence),
            parts[2].isUniversal(DERNode.Universal.bitString), parts[2].content.first == 0, parts[2].content.count > 1
        else { throw Irregular() }
        var fields = try parts[0].children()[...]
        if let version = fields.first, version.isContext(0) {
            let inner = try version.children()
            guard inner.count == 1, inner[0].isUniversal(DERNode.Universal.integer), inner[0].content == [2] else { throw Irregular() }
            fields = fields.dropFirst()
        }
        guard fields.count >= 6 else { throw Irregular() }
        let serial = fields[fields.startIndex]
        let signature = fields[fields.startIndex + 1]
        let issuer = fields[fields.startIndex + 2]
        let validity = fields[fields.startIndex + 3]
        let subject = fields[fields.startIndex + 4]
        let key = fields[fields.startIndex + 5]
        guard serial.isUniversal(DERNode.Universal.integer), signature.encoded == parts[1].encoded,
            key.isUniversal(DERNode.Universal.sequence)
        else { throw Irregular() }
        try Self.checkAlgorithm(parts[1])
        let keyParts = try key.children()
        guard keyParts.count == 2, keyParts[1].isUniversal(DERNode.Universal.bitString) else { throw Irregular() }
        try Self.checkAlgorithm(keyParts[0])
        try Self.checkName(issuer)
        try Self.checkName(subject)
        let times = try validity.expect(DERNode.Universal.sequence, "Validity").children()
        guard times.count == 2, let notBefore = Self.time(times[0]), let notAfter = Self.time(times[1]) else { throw Irregular() }
        var extensions: DERNode?
        var lastTag: UInt32 = 0
        for optional in fields.dropFirst(6) {
            guard optional.tagClass == .contextSpecific, (1...3).contains(optional.tagNumber), optional.tagNumber > lastTag else { throw Irregular() }
            lastTag = optional.tagNumber
            if optional.tagNumber == 3 {
                let inner = try optional.children()
                guard optional.isConstructed, inner.count == 1, inner[0].isUniversal(DERNode.Universal.sequence) else { throw Irregular() }
                for item in try inner[0].children() {
                    // Extension ::= SEQUENCE { extnID OBJECT IDENTIFIER, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
                    guard item.isUniversal(DERNode.Universal.sequence) else { throw Irregular() }
                    let parts = try item.children()
                    guard (2...3).contains(parts.count), parts[0].isUniversal(DERNode.Universal.objectIdentifier),
                        parts.count == 2 || parts[1].isUniversal(DERNode.Universal.boolean),
                        parts[parts.count - 1].isUniversal(DERNode.Universal.octetString), !parts[parts.count - 1].isConstructed
                    else { throw Irregular() }
                }
                extensions = optional
            } else {
                // issuerUniqueID / subjectUniqueID: [1] / [2] IMPLICIT BIT STRING.
                guard !optional.isConstructed, let unused = optional.content.first, unused <= 7 else { throw Irregular() }
            }
        }
        self.serial = serial
        self.issuer = issuer
        self.subject = subject
        self.subjectPublicKeyInfo = key
        self.extensions = extensions
        self.notBefore = notBefore
        self.notAfter = notAfter
    }

    /// Every universal primitive value in the tree is checked as OpenSSL's decoder checks it: OBJECT IDENTIFIERs well
    /// encoded, BOOLEANs one byte, INTEGERs non-empty and minimal, BIT STRINGs with at most 7 unused bits (none when
    /// empty), NULLs empty, BMPStrings of whole 2-byte and UniversalStrings of whole 4-byte characters; constructed
    /// values (context-specific explicit tags included) are walked. Extension values are OCTET STRINGs here; their
    /// contents are checked where they are used.
    private static func checkPrimitives(_ node: DERNode, depth: Int) throws {
        guard depth < 32 else { throw Irregular() }
        if node.isConstructed {
            for child in try node.children() { try checkPrimitives(child, depth: depth + 1) }
            return
        }
        guard node.tagClass == .universal else { return }
        let content = node.content
        switch node.tagNumber {
        case DERNode.Universal.objectIdentifier:
            _ = try node.objectIdentifierArcs()
        case DERNode.Universal.boolean:
            guard content.count == 1 else { throw Irregular() }
        case DERNode.Universal.integer:
            guard let first = content.first else { throw Irregular() }
            if content.count > 1 {
                let second = content[content.startIndex + 1]
                guard !(first == 0x00 && second & 0x80 == 0), !(first == 0xFF && second & 0x80 != 0) else { throw Irregular() }
            }
        case DERNode.Universal.bitString:
            guard let unused = content.first, unused <= 7, content.count > 1 || unused == 0 else { throw Irregular() }
        case DERNode.Universal.null:
            guard content.isEmpty else { throw Irregular() }
        case 30:  // BMPString
            guard content.count % 2 == 0 else { throw Irregular() }
        case 28:  // UniversalString
            guard content.count % 4 == 0 else { throw Irregular() }
        case DERNode.Universal.sequence, DERNode.Universal.set:
            throw Irregular()  // primitive encoding of a constructed type
        default:
            break
        }
    }

    /// AlgorithmIdentifier ::= SEQUENCE { OBJECT IDENTIFIER, parameters ANY OPTIONAL }.
    private static func checkAlgorithm(_ node: DERNode) throws {
        guard node.isUniversal(DERNode.Universal.sequence) else { throw Irregular() }
        let parts = try node.children()
        guard (1...2).contains(parts.count), parts[0].isUniversal(DERNode.Universal.objectIdentifier) else { throw Irregular() }
    }

    /// String types an attribute value may have (a strict subset of what OpenSSL's decoder takes).
    private static let attributeValueTags: Set<UInt32> = [12, 18, 19, 20, 22, 28, 30]

    /// Name ::= SEQUENCE OF SET OF SEQUENCE { OBJECT IDENTIFIER, value } (an empty Name is allowed); values must be
    /// primitive strings of a common directory type.
    private static func checkName(_ name: DERNode) throws {
        guard name.isUniversal(DERNode.Universal.sequence) else { throw Irregular() }
        for relative in try name.children() {
            guard relative.isUniversal(DERNode.Universal.set) else { throw Irregular() }
            let attributes = try relative.children()
            guard !attributes.isEmpty else { throw Irregular() }
            for attribute in attributes {
                guard attribute.isUniversal(DERNode.Universal.sequence) else { throw Irregular() }
                let pair = try attribute.children()
                guard pair.count == 2, pair[0].isUniversal(DERNode.Universal.objectIdentifier), pair[1].tagClass == .universal,
                    !pair[1].isConstructed, attributeValueTags.contains(pair[1].tagNumber)
                else { throw Irregular() }
            }
        }
    }

    /// UTCTime `YYMMDDHHMMSSZ` (years 1950–2049) or GeneralizedTime `YYYYMMDDHHMMSSZ`, as RFC 5280 requires.
    static func time(_ node: DERNode) -> Date? {
        let digits: Int
        if node.isUniversal(DERNode.Universal.utcTime) {
            digits = 12
        } else if node.isUniversal(DERNode.Universal.generalizedTime) {
            digits = 14
        } else {
            return nil
        }
        let bytes = Array(node.content)
        guard bytes.count == digits + 1, bytes.last == UInt8(ascii: "Z"),
            bytes.dropLast().allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else { return nil }
        var values = bytes.dropLast().map { Int($0 - UInt8(ascii: "0")) }[...]
        func take(_ count: Int) -> Int {
            defer { values = values.dropFirst(count) }
            return values.prefix(count).reduce(0) { $0 * 10 + $1 }
        }
        var year = take(digits == 12 ? 2 : 4)
        if digits == 12 { year += year < 50 ? 2000 : 1900 }
        let month = take(2)
        let day = take(2)
        let hour = take(2)
        let minute = take(2)
        let second = take(2)
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 60 else { return nil }
        var components = tm()
        components.tm_year = Int32(year - 1900)
        components.tm_mon = Int32(month - 1)
        components.tm_mday = Int32(day)
        components.tm_hour = Int32(hour)
        components.tm_min = Int32(minute)
        components.tm_sec = Int32(second)
        let seconds = timegm(&components)
        // timegm normalises impossible dates (February 30th): refuse those rather than accept a shifted time.
        var check = tm()
        var roundTrip = seconds
        gmtime_r(&roundTrip, &check)
        guard check.tm_mday == components.tm_mday, check.tm_mon == Int32(month - 1) else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }
}
