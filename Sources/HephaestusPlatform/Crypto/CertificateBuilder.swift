internal import COpenSSL
import Foundation

/// Issues X.509 v3 certificates: used by the local Sigstore test instance (its CA, TSA and Fulcio-style leaves)
/// and by the test suite. Extensions are given as raw DER values, so any profile can be expressed.
public struct CertificateBuilder: Sendable {
    /// Name attributes in order, e.g. `[("O", "sigstore.dev"), ("CN", "sigstore-intermediate")]`.
    public var subject: [(String, String)]
    public var serialNumber: UInt64
    public var notBefore: Date
    public var notAfter: Date
    public var publicKey: PublicKey
    public var extensions: [CertificateExtension]

    public init(
        subject: [(String, String)], serialNumber: UInt64, notBefore: Date, notAfter: Date, publicKey: PublicKey,
        extensions: [CertificateExtension] = []
    ) {
        self.subject = subject
        self.serialNumber = serialNumber
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.publicKey = publicKey
        self.extensions = extensions
    }

    /// Signs the certificate. `issuer` nil means self-signed with `key` (whose public half must be `publicKey`).
    ///
    /// Subject and authority key identifiers are added (first) unless the caller gave them: RFC 5280 requires them
    /// of conforming CAs, and path builders with the Web PKI profile (e.g. Python's `cryptography`) refuse chains
    /// without them.
    public func sign(issuer: Certificate?, key: PrivateKey) throws(CryptoError) -> Certificate {
        var extensions = self.extensions
        let given = Set(extensions.map(\.oid))
        var identifiers: [CertificateExtension] = []
        if !given.contains(CertificateExtension.OID.subjectKeyIdentifier) {
            identifiers.append(
                CertificateExtension(
                    oid: CertificateExtension.OID.subjectKeyIdentifier, isCritical: false,
                    value: DERWriter.wrap(0x04, try ExtensionValue.keyIdentifier(of: publicKey))))
        }
        if !given.contains(CertificateExtension.OID.authorityKeyIdentifier) {
            let authorityKey = try issuer?.publicKey() ?? key.publicKey
            identifiers.append(
                CertificateExtension(
                    oid: CertificateExtension.OID.authorityKeyIdentifier, isCritical: false,
                    value: DERWriter.wrap(0x30, DERWriter.wrap(0x80, try ExtensionValue.keyIdentifier(of: authorityKey)))))
        }
        extensions.insert(contentsOf: identifiers, at: 0)
        OpenSSLErrorQueue.clear()
        guard let certificate = X509_new() else { fatalError("X509_new: out of memory") }
        defer { X509_free(certificate) }
        X509_set_version(certificate, 2)
        let serial = ASN1_INTEGER_new()
        ASN1_INTEGER_set_uint64(serial, serialNumber)
        X509_set_serialNumber(certificate, serial)
        ASN1_INTEGER_free(serial)
        for (time, setter) in [(notBefore, X509_set1_notBefore), (notAfter, X509_set1_notAfter)] {
            let asn1 = ASN1_TIME_set(nil, time_t(time.timeIntervalSince1970))
            _ = setter(certificate, asn1)
            ASN1_STRING_free(asn1)
        }
        guard let name = X509_NAME_new() else { fatalError("X509_NAME_new: out of memory") }
        defer { X509_NAME_free(name) }
        for (field, value) in subject {
            guard X509_NAME_add_entry_by_txt(name, field, hp_MBSTRING_UTF8, value, -1, -1, 0) == 1 else {
                throw CryptoError.malformedCertificate(reason: "bad name attribute \(field)")
            }
        }
        X509_set_subject_name(certificate, name)
        X509_set_issuer_name(certificate, issuer.map { X509_get_subject_name($0.handle) } ?? name)
        X509_set_pubkey(certificate, publicKey.handle)
        for item in extensions {
            guard let object = OBJ_txt2obj(item.oid, 1), let octets = ASN1_OCTET_STRING_new() else {
                throw CryptoError.malformedCertificate(reason: "bad extension OID \(item.oid)")
            }
            defer {
                ASN1_OBJECT_free(object)
                ASN1_OCTET_STRING_free(octets)
            }
            ASN1_OCTET_STRING_set(octets, item.value, Int32(item.value.count))
            guard let extensionHandle = X509_EXTENSION_create_by_OBJ(nil, object, item.isCritical ? 1 : 0, octets) else {
                throw CryptoError.malformedCertificate(reason: "extension \(item.oid)")
            }
            X509_add_ext(certificate, extensionHandle, -1)
            X509_EXTENSION_free(extensionHandle)
        }
        let digest: OpaquePointer? =
            switch key.publicKey.kind {
            case .ed25519: nil
            case .ecdsa(.p384): EVP_sha384()
            case .ecdsa(.p521): EVP_sha512()
            default: EVP_sha256()
            }
        guard X509_sign(certificate, key.handle, digest) > 0 else {
            throw CryptoError.internalFailure(operation: "X509_sign", reason: OpenSSLErrorQueue.drain())
        }
        X509_up_ref(certificate)
        return try Certificate(taking: certificate)
    }
}

/// DER for the common extension values, so callers need not hand-assemble bytes.
public enum ExtensionValue {
    /// A key identifier per RFC 7093 §2 method 1: the leftmost 160 bits of the SHA-256 of the subjectPublicKey
    /// BIT STRING's value.
    public static func keyIdentifier(of key: PublicKey) throws(CryptoError) -> [UInt8] {
        let fields = try DERNode.parse(key.derSubjectPublicKeyInfo).children()
        guard fields.count == 2, fields[1].isUniversal(DERNode.Universal.bitString), fields[1].content.count > 1 else {
            throw CryptoError.malformedKey(reason: "SubjectPublicKeyInfo without a public key BIT STRING")
        }
        return Array(DigestAlgorithm.sha256.hash(Array(fields[1].content.dropFirst())).bytes.prefix(20))
    }

    /// BasicConstraints { cA, pathLenConstraint? }.
    public static func basicConstraints(isCA: Bool, pathLength: Int? = nil) -> [UInt8] {
        var content: [UInt8] = isCA ? [0x01, 0x01, 0xFF] : []
        if let pathLength { content += [0x02, 0x01, UInt8(pathLength)] }
        return derWrap(0x30, content)
    }

    /// KeyUsage with digitalSignature (bit 0) and/or keyCertSign (bit 5) + cRLSign (bit 6).
    public static func keyUsage(digitalSignature: Bool, certificateSigning: Bool) -> [UInt8] {
        var bits: UInt8 = 0
        if digitalSignature { bits |= 0x80 }
        if certificateSigning { bits |= 0x06 }
        let unused = UInt8(bits.trailingZeroBitCount)
        return [0x03, 0x02, unused, bits]
    }

    /// ExtendedKeyUsage with the given OIDs.
    public static func extendedKeyUsage(_ oids: [String]) -> [UInt8] {
        derWrap(0x30, oids.flatMap(objectIdentifier))
    }

    /// SubjectAlternativeName with one email (rfc822Name) or URI.
    public static func subjectAlternativeName(email: String) -> [UInt8] {
        derWrap(0x30, derWrap(0x81, Array(email.utf8)))
    }

    public static func subjectAlternativeName(uri: String) -> [UInt8] {
        derWrap(0x30, derWrap(0x86, Array(uri.utf8)))
    }

    /// A DER UTF8String.
    public static func utf8String(_ text: String) -> [UInt8] {
        derWrap(0x0C, Array(text.utf8))
    }

    /// An OBJECT IDENTIFIER in DER.
    public static func objectIdentifier(_ dotted: String) -> [UInt8] {
        let arcs = dotted.split(separator: ".").compactMap { UInt64($0) }
        var body: [UInt8] = []
        for arc in [arcs[0] * 40 + arcs[1]] + arcs.dropFirst(2) {
            var chunk: [UInt8] = [UInt8(arc & 0x7F)]
            var rest = arc >> 7
            while rest > 0 {
                chunk.insert(UInt8(rest & 0x7F) | 0x80, at: 0)
                rest >>= 7
            }
            body += chunk
        }
        return derWrap(0x06, body)
    }

    /// An OCTET STRING in DER.
    public static func octetString(_ bytes: [UInt8]) -> [UInt8] {
        derWrap(0x04, bytes)
    }

    static func derWrap(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] {
        DERWriter.wrap(tag, content)
    }
}
