import Foundation
import HephaestusPlatform
import HephaestusSigstore
import Synchronization

/// A Fulcio-like CA for local test instances: a root, an intermediate, and short-lived code-signing leaves carrying
/// Fulcio's identity extensions and an embedded SCT from the instance's CT log. Not a production CA.
public final class LocalCertificateAuthority: Sendable {
    /// The signer identity a leaf carries in its SAN.
    public enum Identity: Sendable, Equatable {
        case email(String)
        case uri(String)

        public var value: String {
            switch self {
            case .email(let value), .uri(let value): value
            }
        }

        /// An identity as users write it: URIs contain "://".
        public static func parse(_ text: String) -> Identity {
            text.contains("://") ? .uri(text) : .email(text)
        }
    }

    /// Everything a leaf says; defaults follow Fulcio.
    public struct LeafRequest: Sendable {
        public var publicKey: PublicKey
        public var identity: Identity
        public var issuer: String
        /// The legacy raw issuer (.1.1); nil writes the same value as .1.8.
        public var legacyIssuer: String?
        /// CI claims by OID (.1.9–.1.22 as DER UTF8String).
        public var claims: [String: String]
        public var notBefore: Date
        public var lifetime: TimeInterval
        public var includeSCT: Bool
        /// Extra extensions appended as given (tests use this to break the profile).
        public var extraExtensions: [CertificateExtension]
        public var extendedKeyUsage: [String]
        /// Edits the SCT-list extension value before the leaf is signed (tests use this to forge SCTs).
        public var sctListEdit: (@Sendable (inout [UInt8]) -> Void)?

        public init(publicKey: PublicKey, identity: Identity, issuer: String, notBefore: Date = Date()) {
            self.publicKey = publicKey
            self.identity = identity
            self.issuer = issuer
            self.legacyIssuer = nil
            self.claims = [:]
            self.notBefore = notBefore
            self.lifetime = 600
            self.includeSCT = true
            self.extraExtensions = []
            self.extendedKeyUsage = [CertificateExtension.OID.codeSigningUsage]
            self.sctListEdit = nil
        }
    }

    public let name: String
    public let baseURL: String
    public let rootKey: PrivateKey
    public let intermediateKey: PrivateKey
    public let root: Certificate
    public let intermediate: Certificate
    public let ctLog: LocalCertificateTransparencyLog
    public let validFrom: Date
    /// The last leaf serial number issued.
    private let nextSerial: Mutex<UInt64>

    /// A CA with fresh keys: a root and an intermediate valid from `validFrom` for `validity`. The intermediate's key
    /// is P-256 unless `intermediateAlgorithm` says otherwise (public-good Fulcio's intermediate is P-384, and signs
    /// leaves with ECDSA-SHA384).
    public convenience init(
        name: String, validFrom: Date, validity: TimeInterval = 10 * 365 * 86_400,
        ctLog: LocalCertificateTransparencyLog, intermediateValidity: TimeInterval? = nil,
        intermediateAlgorithm: PrivateKey.Algorithm = .ecdsaP256
    ) throws(CryptoError) {
        let rootKey = PrivateKey.generate(.ecdsaP256)
        let intermediateKey = PrivateKey.generate(intermediateAlgorithm)
        let caExtensions = [
            CertificateExtension(
                oid: CertificateExtension.OID.basicConstraints, isCritical: true, value: ExtensionValue.basicConstraints(isCA: true)),
            CertificateExtension(
                oid: CertificateExtension.OID.keyUsage, isCritical: true,
                value: ExtensionValue.keyUsage(digitalSignature: false, certificateSigning: true)),
        ]
        let root = try CertificateBuilder(
            subject: [("O", name), ("CN", "\(name) root")], serialNumber: 1, notBefore: validFrom,
            notAfter: validFrom.addingTimeInterval(validity), publicKey: rootKey.publicKey, extensions: caExtensions
        ).sign(issuer: nil, key: rootKey)
        let intermediate = try CertificateBuilder(
            subject: [("O", name), ("CN", "\(name) intermediate")], serialNumber: 2, notBefore: validFrom,
            notAfter: validFrom.addingTimeInterval(intermediateValidity ?? validity), publicKey: intermediateKey.publicKey,
            extensions: caExtensions
        ).sign(issuer: root, key: rootKey)
        self.init(
            name: name, validFrom: validFrom, ctLog: ctLog, rootKey: rootKey, intermediateKey: intermediateKey, root: root, intermediate: intermediate
        )
    }

    /// A CA from kept material (a restarted local instance).
    public init(
        name: String, validFrom: Date, ctLog: LocalCertificateTransparencyLog, rootKey: PrivateKey, intermediateKey: PrivateKey,
        root: Certificate, intermediate: Certificate
    ) {
        self.name = name
        self.baseURL = "https://fulcio.\(name)"
        self.validFrom = validFrom
        self.ctLog = ctLog
        self.rootKey = rootKey
        self.intermediateKey = intermediateKey
        self.root = root
        self.intermediate = intermediate
        nextSerial = Mutex(UInt64(Date().timeIntervalSince1970 * 1000))
    }

    /// Issues a leaf: built once without the SCT (the precertificate TBS the CT log signs), then with it.
    public func issueLeaf(_ request: LeafRequest) throws(CryptoError) -> Certificate {
        let serial = nextSerial.withLock { serial in
            serial += 1
            return serial
        }
        var extensions = [
            CertificateExtension(
                oid: CertificateExtension.OID.keyUsage, isCritical: true,
                value: ExtensionValue.keyUsage(digitalSignature: true, certificateSigning: false)),
            CertificateExtension(
                oid: CertificateExtension.OID.extendedKeyUsage, isCritical: false, value: ExtensionValue.extendedKeyUsage(request.extendedKeyUsage)),
            CertificateExtension(
                oid: CertificateExtension.OID.subjectAlternativeName, isCritical: true,
                value: {
                    switch request.identity {
                    case .email(let email): ExtensionValue.subjectAlternativeName(email: email)
                    case .uri(let uri): ExtensionValue.subjectAlternativeName(uri: uri)
                    }
                }()),
            CertificateExtension(oid: "1.3.6.1.4.1.57264.1.1", isCritical: false, value: Array((request.legacyIssuer ?? request.issuer).utf8)),
            CertificateExtension(oid: "1.3.6.1.4.1.57264.1.8", isCritical: false, value: ExtensionValue.utf8String(request.issuer)),
        ]
        for (oid, value) in request.claims.sorted(by: { $0.key < $1.key }) {
            extensions.append(CertificateExtension(oid: oid, isCritical: false, value: ExtensionValue.utf8String(value)))
        }
        extensions += request.extraExtensions
        var builder = CertificateBuilder(
            subject: [], serialNumber: serial, notBefore: request.notBefore,
            notAfter: request.notBefore.addingTimeInterval(request.lifetime), publicKey: request.publicKey, extensions: extensions)
        guard request.includeSCT else { return try builder.sign(issuer: intermediate, key: intermediateKey) }
        let precertificate = try builder.sign(issuer: intermediate, key: intermediateKey)
        var list = try ctLog.signedCertificateTimestampList(
            precertificateTBS: precertificate.tbsBytes, issuerKey: intermediate.publicKey(), at: request.notBefore)
        request.sctListEdit?(&list)
        builder.extensions.append(
            CertificateExtension(oid: CertificateExtension.OID.signedCertificateTimestampList, isCritical: false, value: list))
        return try builder.sign(issuer: intermediate, key: intermediateKey)
    }

    /// The trusted-root `certificateAuthorities` entry (intermediate first, root last).
    public func trustedRootEntry() -> [String: Any] {
        [
            "subject": ["organization": name, "commonName": "\(name) intermediate"], "uri": baseURL,
            "certChain": ["certificates": [intermediate, root].map { ["rawBytes": Base64.encode($0.derEncoded)] }],
            "validFor": ["start": RFC3339.string(validFrom)],
        ]
    }
}
