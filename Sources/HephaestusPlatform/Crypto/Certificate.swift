internal import COpenSSL
import Foundation
import Synchronization

/// An X.509 certificate parsed by OpenSSL; owns one reference to its `X509`.
///
/// The commonly needed fields are read once at parse time; extensions are exposed by OID with their raw DER value
/// so that callers (the Sigstore verifier) can interpret Fulcio's private extensions themselves.
public final class Certificate: Sendable, CustomStringConvertible {
    private let x509: X509Reference

    /// The OpenSSL `X509`, for certificates parsed by OpenSSL at creation (trust material, built certificates).
    /// Certificates made with ``init(deferringOpenSSLParse:)`` are reached through ``openSSLHandle()`` instead.
    var handle: OpaquePointer {
        do { return try x509.get() } catch { fatalError("certificate handle used without openSSLHandle(): \(error)") }
    }

    /// The OpenSSL `X509`, parsed now if it was deferred; a certificate OpenSSL refuses throws here.
    func openSSLHandle() throws(CryptoError) -> OpaquePointer { try x509.get() }

    /// The `X509` if OpenSSL has parsed this certificate (never parses).
    var x509ParsedHandle: OpaquePointer? { x509.parsedHandle }

    /// True while OpenSSL has not parsed this certificate (made with ``init(deferringOpenSSLParse:)`` and not yet
    /// needed by OpenSSL).
    public var isOpenSSLParseDeferred: Bool { x509.parsedHandle == nil }

    /// The subject as an RFC 2253 string (e.g. `O=sigstore.dev,CN=sigstore-intermediate`); computed on use. Like
    /// ``issuer`` and ``serialNumber``, rendered by OpenSSL from this field's DER alone, so reading it never costs
    /// the whole certificate's parse (its key decoders) that a deferred certificate has avoided.
    public var subject: String { Self.rfc2253(nameDER: subjectNameDER) }
    /// The issuer as an RFC 2253 string; computed on use.
    public var issuer: String { Self.rfc2253(nameDER: issuerNameDER) }
    /// The issuer's organisation names (`O=`, OID 2.5.4.10) in the order the Name holds them, read from its DER.
    public var issuerOrganizations: [String] { Self.attributes(oid: "2.5.4.10", inName: issuerNameDER) }
    /// The serial number in uppercase hex, as OpenSSL prints it; computed on use.
    public var serialNumber: String { (try? Self.serial(der: serialNumberDER)) ?? "" }
    /// The DER of the serial number (an INTEGER), as encoded in the certificate.
    let serialNumberDER: [UInt8]
    /// The DER of the issuer and subject Names, as encoded in the certificate.
    public let issuerNameDER: [UInt8]
    public let subjectNameDER: [UInt8]
    public let notBefore: Date
    public let notAfter: Date
    /// Every extension in certificate order.
    public let extensions: [CertificateExtension]
    /// The DER encoding of the whole certificate.
    public let derEncoded: [UInt8]
    /// The DER SubjectPublicKeyInfo, as it appears in the certificate (read from the DER, not re-encoded).
    public let subjectPublicKeyInfo: [UInt8]
    /// The subject public key once parsed: the same bytes always make the same key, so it is parsed once.
    private let parsedPublicKey = Mutex<PublicKey?>(nil)

    /// Takes ownership of one `X509` reference; `der` is its encoding when the caller already has it.
    init(taking handle: OpaquePointer, der: [UInt8]? = nil) throws(CryptoError) {
        x509 = X509Reference(parsed: handle)
        _ = try Self.serial(of: handle)
        self.notBefore = try Self.date(X509_get0_notBefore(handle), field: "notBefore")
        self.notAfter = try Self.date(X509_get0_notAfter(handle), field: "notAfter")
        let encoded = der ?? Self.encode(handle)
        self.derEncoded = encoded
        let fields = try Self.tbsFields(of: encoded)
        self.subjectPublicKeyInfo = Array(fields.subjectPublicKeyInfo.encoded)
        self.serialNumberDER = Array(fields.serial.encoded)
        self.issuerNameDER = Array(fields.issuer.encoded)
        self.signed = SignedParts(encoded)
        self.subjectNameDER = Array(fields.subject.encoded)
        self.extensions = try Self.extensions(in: fields.extensions)
    }

    /// A certificate read from strict DER by our own reader, OpenSSL's parse deferred to the first use of
    /// ``openSSLHandle()``: OpenSSL 3.0 spends ~90 us per certificate setting up its key decoders, and a bundle's
    /// leaf usually needs nothing from OpenSSL but a signature check (``LeafIssuance``). The structure is checked here
    /// (every TBSCertificate field, Names, validity times in RFC 5280 form, extensions, the signature fields); a
    /// certificate that does not read cleanly is parsed by OpenSSL at once, as ``init(derEncoded:)`` does.
    public convenience init(deferringOpenSSLParse der: [UInt8]) throws(CryptoError) {
        guard let structure = try? CertificateStructure(der) else {
            try self.init(derEncoded: der)
            return
        }
        try self.init(deferred: der, structure: structure)
    }

    private init(deferred der: [UInt8], structure: CertificateStructure) throws(CryptoError) {
        x509 = X509Reference(deferred: der)
        notBefore = structure.notBefore
        notAfter = structure.notAfter
        derEncoded = der
        subjectPublicKeyInfo = Array(structure.subjectPublicKeyInfo.encoded)
        serialNumberDER = Array(structure.serial.encoded)
        issuerNameDER = Array(structure.issuer.encoded)
        signed = SignedParts(der)
        subjectNameDER = Array(structure.subject.encoded)
        extensions = try Self.extensions(in: structure.extensions)
    }

    /// Parses one DER certificate; trailing bytes are refused.
    public convenience init(derEncoded der: [UInt8]) throws(CryptoError) {
        let parsed = try X509Reference.decode(der)
        try self.init(taking: parsed, der: der)
    }

    /// Parses every `CERTIFICATE` block of a PEM text, in order. At least one is required.
    public static func parsePEM(_ pem: String) throws(CryptoError) -> [Certificate] {
        OpenSSLErrorQueue.clear()
        let bio = MemoryBIO(reading: Array(pem.utf8))
        var certificates: [Certificate] = []
        while let next = PEM_read_bio_X509(bio.handle, nil, nil, nil) {
            certificates.append(try Certificate(taking: next))
        }
        OpenSSLErrorQueue.clear()
        guard !certificates.isEmpty else {
            throw CryptoError.malformedCertificate(reason: "no PEM CERTIFICATE block found")
        }
        return certificates
    }

    /// PEM or DER, whichever `bytes` holds (one certificate).
    public static func parse(pemOrDER bytes: [UInt8]) throws(CryptoError) -> Certificate {
        if bytes.first == 0x30 {
            return try Certificate(derEncoded: bytes)
        }
        return try parsePEM(String(decoding: bytes, as: UTF8.self))[0]
    }

    /// The PEM encoding.
    public var pem: String {
        let body = Base64.encode(derEncoded)
        var lines = ["-----BEGIN CERTIFICATE-----"]
        var index = body.startIndex
        while index < body.endIndex {
            let end = body.index(index, offsetBy: 64, limitedBy: body.endIndex) ?? body.endIndex
            lines.append(String(body[index..<end]))
            index = end
        }
        lines.append("-----END CERTIFICATE-----")
        return lines.joined(separator: "\n") + "\n"
    }

    /// The DER encoding of the TBSCertificate, the bytes the issuer signed (as they appear in the certificate).
    public var tbsBytes: [UInt8] { signed.tbs }

    /// The issuer's signature over ``tbsBytes``.
    public var signature: [UInt8] { signed.signature }

    /// The outer signatureAlgorithm and the TBSCertificate's signature AlgorithmIdentifier, as encoded.
    public var signatureAlgorithmDER: [UInt8] { signed.algorithm }
    public var tbsSignatureAlgorithmDER: [UInt8] { signed.tbsAlgorithm }

    /// The signed parts of the certificate, read once when it is made (every verification uses them).
    private let signed: SignedParts

    struct SignedParts {
        var tbs: [UInt8] = []
        var signature: [UInt8] = []
        var algorithm: [UInt8] = []
        var tbsAlgorithm: [UInt8] = []

        init(_ der: [UInt8]) {
            guard let parts = try? DERNode.parse(der).children(), parts.count == 3, let fields = try? parts[0].children() else { return }
            tbs = Array(parts[0].encoded)
            algorithm = Array(parts[1].encoded)
            if parts[2].isUniversal(DERNode.Universal.bitString), parts[2].content.first == 0 { signature = Array(parts[2].content.dropFirst()) }
            let offset = fields.first?.isContext(0) == true ? 1 : 0
            if fields.count > offset + 1 { tbsAlgorithm = Array(fields[offset + 1].encoded) }
        }
    }

    /// The signature algorithm's long name (e.g. `ecdsa-with-SHA384`).
    public var signatureAlgorithm: String {
        (try? x509.get()).map { String(cString: OBJ_nid2ln(X509_get_signature_nid($0))) } ?? ""
    }

    /// The subject public key (from OpenSSL's parse when there is one, else from the SubjectPublicKeyInfo).
    public func publicKey() throws(CryptoError) -> PublicKey {
        if let key = parsedPublicKey.withLock({ $0 }) { return key }
        let key: PublicKey
        if let handle = x509.parsedHandle {
            guard let parsed = X509_get_pubkey(handle) else {
                throw CryptoError.malformedKey(reason: "certificate public key: \(OpenSSLErrorQueue.drain())")
            }
            key = try PublicKey(taking: parsed)
        } else {
            key = try PublicKey(derSubjectPublicKeyInfo: subjectPublicKeyInfo)
        }
        return parsedPublicKey.withLock { stored in
            if stored == nil { stored = key }
            return stored ?? key
        }
    }

    /// The extension with `oid`, if present (certificates may not repeat an extension).
    public func `extension`(oid: String) -> CertificateExtension? {
        extensions.first { $0.oid == oid }
    }

    /// The subject alternative names, in order; empty when the extension is absent.
    public func subjectAlternativeNames() throws(CryptoError) -> [GeneralName] {
        guard let san = self.extension(oid: CertificateExtension.OID.subjectAlternativeName) else { return [] }
        return try GeneralName.parseSequence(san.value)
    }

    /// The key usage bits, or nil when the extension is absent.
    public func keyUsage() throws(CryptoError) -> KeyUsage? {
        guard let usage = self.extension(oid: CertificateExtension.OID.keyUsage) else { return nil }
        return try KeyUsage(der: usage.value)
    }

    /// The extended key usage OIDs, or nil when the extension is absent.
    public func extendedKeyUsage() throws(CryptoError) -> [String]? {
        guard let usage = self.extension(oid: CertificateExtension.OID.extendedKeyUsage) else { return nil }
        let node = try DERNode.parse(usage.value).expect(DERNode.Universal.sequence, "ExtendedKeyUsage")
        return try node.children().map { node throws(CryptoError) in try node.objectIdentifier() }
    }

    /// The basic constraints' cA flag (false when the extension is absent).
    public func isCertificateAuthority() throws(CryptoError) -> Bool {
        guard let constraints = self.extension(oid: CertificateExtension.OID.basicConstraints) else { return false }
        let node = try DERNode.parse(constraints.value).expect(DERNode.Universal.sequence, "BasicConstraints")
        guard let first = try node.children().first, first.isUniversal(DERNode.Universal.boolean) else { return false }
        return first.content.first.map { $0 != 0 } ?? false
    }

    /// True when `date` lies in [notBefore, notAfter].
    public func isValid(at date: Date) -> Bool {
        notBefore <= date && date <= notAfter
    }

    public var description: String { "Certificate(subject: \(subject), serial: \(serialNumber))" }

    /// A new reference to the same `X509`, for handing to OpenSSL containers that take ownership.
    func retainedHandle() throws(CryptoError) -> OpaquePointer {
        let handle = try openSSLHandle()
        X509_up_ref(handle)
        return handle
    }

    // MARK: - Reading fields

    /// Names already rendered, by their DER: every leaf a CA issues carries the same issuer Name, so its rendering is
    /// made once, not per certificate. A pure function of the bytes, and bounded: at most ``cachedNames`` Names of at
    /// most ``cachedNameBytes`` bytes each (a CA's Name is under 200; certificates sent to the service are anyone's),
    /// forgotten all at once when full.
    private static let renderedNames = Mutex<[[UInt8]: String]>([:])
    static let cachedNames = 256
    static let cachedNameBytes = 512

    /// Whether the rendering of `nameDER` is held (for tests).
    static func holdsRendering(of nameDER: [UInt8]) -> Bool { renderedNames.withLock { $0[nameDER] != nil } }

    /// OpenSSL's RFC 2253 rendering of a DER Name; an unreadable Name renders empty.
    private static func rfc2253(nameDER: [UInt8]) -> String {
        guard nameDER.count <= cachedNameBytes else { return renderRFC2253(nameDER: nameDER) }
        if let known = renderedNames.withLock({ $0[nameDER] }) { return known }
        let rendered = renderRFC2253(nameDER: nameDER)
        renderedNames.withLock { names in
            if names.count >= cachedNames { names.removeAll(keepingCapacity: true) }
            names[nameDER] = rendered
        }
        return rendered
    }

    private static func renderRFC2253(nameDER: [UInt8]) -> String {
        guard
            let name = try? decodeExactly(
                nameDER, what: "Name", failure: { .malformedCertificate(reason: $0) }, free: { X509_NAME_free($0) },
                decode: { d2i_X509_NAME(nil, &$0, $1) })
        else { return "" }
        defer { X509_NAME_free(name) }
        let bio = MemoryBIO()
        X509_NAME_print_ex(bio.handle, name, 0, hp_XN_FLAG_RFC2253)
        return String(decoding: bio.contents, as: UTF8.self)
    }

    /// Name ::= SEQUENCE OF RelativeDistinguishedName (SET OF AttributeTypeAndValue { type OID, value }): the string
    /// values of every attribute of type `oid`; an unreadable Name has none.
    private static func attributes(oid: String, inName der: [UInt8]) -> [String] {
        guard let relativeNames = try? DERNode.parse(der).children() else { return [] }
        var values: [String] = []
        for relativeName in relativeNames {
            for attribute in (try? relativeName.children()) ?? [] {
                guard let parts = try? attribute.children(), parts.count == 2, (try? parts[0].objectIdentifier()) == oid,
                    let value = try? parts[1].string()
                else { continue }
                values.append(value)
            }
        }
        return values
    }

    private static func serial(of handle: OpaquePointer) throws(CryptoError) -> String {
        guard let integer = X509_get0_serialNumber(handle) else { throw CryptoError.malformedCertificate(reason: "unreadable serial number") }
        return try serial(integer)
    }

    /// The serial number of its DER INTEGER, as ``serial(of:)`` reads it from a parsed certificate.
    private static func serial(der: [UInt8]) throws(CryptoError) -> String {
        let integer: UnsafeMutablePointer<ASN1_INTEGER>? = der.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_ASN1_INTEGER(nil, &cursor, buffer.count)
        }
        guard let integer else { throw CryptoError.malformedCertificate(reason: "unreadable serial number") }
        defer { ASN1_INTEGER_free(integer) }
        return try serial(integer)
    }

    private static func serial(_ integer: UnsafePointer<ASN1_INTEGER>) throws(CryptoError) -> String {
        guard let number = ASN1_INTEGER_to_BN(integer, nil) else { throw CryptoError.malformedCertificate(reason: "unreadable serial number") }
        defer { BN_free(number) }
        guard let hex = BN_bn2hex(number) else { throw CryptoError.malformedCertificate(reason: "serial number") }
        defer { hp_OPENSSL_free(hex) }
        return String(cString: hex)
    }

    private static func date(_ time: UnsafePointer<ASN1_TIME>?, field: String) throws(CryptoError) -> Date {
        var components = tm()
        guard let time, ASN1_TIME_to_tm(time, &components) == 1 else {
            throw CryptoError.malformedCertificate(reason: "unreadable \(field)")
        }
        return Date(timeIntervalSince1970: TimeInterval(timegm(&components)))
    }

    /// Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version?, serial, signature, issuer, validity, subject,
    /// subjectPublicKeyInfo, [1] issuerUID?, [2] subjectUID?, [3] extensions? }, … } — read from the DER that OpenSSL
    /// has already accepted.
    private static func tbsFields(
        of der: [UInt8]
    ) throws(CryptoError) -> (
        serial: DERNode, subjectPublicKeyInfo: DERNode, issuer: DERNode, subject: DERNode, extensions: DERNode?
    ) {
        let tbs = try DERNode.parse(der).children().first
        guard let fields = try tbs?.children() else { throw CryptoError.malformedCertificate(reason: "no TBSCertificate") }
        let offset = fields.first?.isContext(0) == true ? 1 : 0
        guard fields.count > offset + 5 else { throw CryptoError.malformedCertificate(reason: "short TBSCertificate") }
        return (fields[offset], fields[offset + 5], fields[offset + 2], fields[offset + 4], fields.dropFirst(offset + 6).first { $0.isContext(3) })
    }

    /// Extensions ::= SEQUENCE OF Extension { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }.
    private static func extensions(in node: DERNode?) throws(CryptoError) -> [CertificateExtension] {
        guard let node else { return [] }
        guard let sequence = try node.children().first else { return [] }
        var extensions: [CertificateExtension] = []
        for item in try sequence.children() {
            let parts = try item.children()
            guard parts.count == 2 || parts.count == 3 else { throw CryptoError.malformedCertificate(reason: "malformed extension") }
            let oid = try parts[0].objectIdentifier()
            let critical = parts.count == 3 && parts[1].isUniversal(DERNode.Universal.boolean) && parts[1].content.first.map { $0 != 0 } == true
            let value = Array(try parts[parts.count - 1].octetString())
            guard !extensions.contains(where: { $0.oid == oid }) else {
                throw CryptoError.malformedCertificate(reason: "extension \(oid) appears twice")
            }
            extensions.append(CertificateExtension(oid: oid, isCritical: critical, value: value))
        }
        return extensions
    }

    private static func encode(_ handle: OpaquePointer) -> [UInt8] {
        var pointer: UnsafeMutablePointer<UInt8>?
        let length = i2d_X509(handle, &pointer)
        guard length > 0, let pointer else { return [] }
        defer { hp_OPENSSL_free(pointer) }
        return Array(UnsafeBufferPointer(start: pointer, count: Int(length)))
    }
}
