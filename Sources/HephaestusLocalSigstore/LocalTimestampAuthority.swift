import Foundation
import HephaestusPlatform
import HephaestusSigstore

/// An RFC 3161 TSA for local test instances: its own root and a timeStamping leaf. Not a production TSA.
public final class LocalTimestampAuthority: Sendable {
    public let name: String
    public let root: Certificate
    public let certificate: Certificate
    public let responder: TimestampResponder
    public let signingKey: PrivateKey
    public let validFrom: Date

    /// A TSA from kept material (a restarted local instance).
    public init(name: String, validFrom: Date, root: Certificate, certificate: Certificate, key: PrivateKey) {
        self.name = name
        self.validFrom = validFrom
        self.root = root
        self.certificate = certificate
        self.signingKey = key
        responder = TimestampResponder(certificate: certificate, chain: [], key: key)
    }

    /// A TSA with fresh keys.
    public convenience init(name: String, validFrom: Date, validity: TimeInterval = 10 * 365 * 86_400) throws(CryptoError) {
        let rootKey = PrivateKey.generate(.ecdsaP256)
        let leafKey = PrivateKey.generate(.ecdsaP256)
        let root = try CertificateBuilder(
            subject: [("O", name), ("CN", "\(name) TSA root")], serialNumber: 1, notBefore: validFrom,
            notAfter: validFrom.addingTimeInterval(validity), publicKey: rootKey.publicKey,
            extensions: [
                CertificateExtension(
                    oid: CertificateExtension.OID.basicConstraints, isCritical: true, value: ExtensionValue.basicConstraints(isCA: true)),
                CertificateExtension(
                    oid: CertificateExtension.OID.keyUsage, isCritical: true,
                    value: ExtensionValue.keyUsage(digitalSignature: false, certificateSigning: true)),
            ]
        ).sign(issuer: nil, key: rootKey)
        let certificate = try CertificateBuilder(
            subject: [("O", name), ("CN", "\(name) TSA")], serialNumber: 2, notBefore: validFrom,
            notAfter: validFrom.addingTimeInterval(validity), publicKey: leafKey.publicKey,
            extensions: [
                CertificateExtension(
                    oid: CertificateExtension.OID.basicConstraints, isCritical: true, value: ExtensionValue.basicConstraints(isCA: false)),
                CertificateExtension(
                    oid: CertificateExtension.OID.keyUsage, isCritical: true,
                    value: ExtensionValue.keyUsage(digitalSignature: true, certificateSigning: false)),
                CertificateExtension(
                    oid: CertificateExtension.OID.extendedKeyUsage, isCritical: true,
                    value: ExtensionValue.extendedKeyUsage([CertificateExtension.OID.timeStampingUsage])),
            ]
        ).sign(issuer: root, key: rootKey)
        self.init(name: name, validFrom: validFrom, root: root, certificate: certificate, key: leafKey)
    }

    /// A TimeStampResp over the SHA-256 of `signature`.
    public func timestamp(signature: [UInt8], at time: Date) throws(CryptoError) -> [UInt8] {
        try responder.respond(toDigestOf: signature, at: time)
    }

    /// The trusted-root `timestampAuthorities` entry (leaf first, root last).
    public func trustedRootEntry() -> [String: Any] {
        [
            "subject": ["organization": name, "commonName": "\(name) TSA"], "uri": "https://tsa.\(name)/api/v1/timestamp",
            "certChain": ["certificates": [certificate, root].map { ["rawBytes": Base64.encode($0.derEncoded)] }],
            "validFor": ["start": RFC3339.string(validFrom)],
        ]
    }
}
