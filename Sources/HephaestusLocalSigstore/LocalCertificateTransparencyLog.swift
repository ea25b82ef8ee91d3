import Foundation
import HephaestusPlatform
import HephaestusSigstore

/// A CT log for local test instances: signs RFC 6962 precertificate SCTs for the instance's CA.
public final class LocalCertificateTransparencyLog: Sendable {
    public let key: PrivateKey
    public let baseURL: String
    public var logID: [UInt8] { DigestAlgorithm.sha256.hash(key.publicKey.derSubjectPublicKeyInfo).bytes }

    public init(baseURL: String, key: PrivateKey = .generate(.ecdsaP256)) {
        self.key = key
        self.baseURL = baseURL
    }

    /// The DER value of an SCT-list extension holding one SCT over `precertificateTBS`.
    public func signedCertificateTimestampList(
        precertificateTBS: [UInt8], issuerKey: PublicKey, at time: Date
    ) throws(CryptoError) -> [UInt8] {
        let milliseconds = UInt64(time.timeIntervalSince1970 * 1000)
        let issuerKeyHash = DigestAlgorithm.sha256.hash(issuerKey.derSubjectPublicKeyInfo).bytes
        var signed: [UInt8] = [0, 0] + Self.bigEndian(milliseconds, bytes: 8) + [0x00, 0x01] + issuerKeyHash
        signed += Self.bigEndian(UInt64(precertificateTBS.count), bytes: 3) + precertificateTBS + [0x00, 0x00]
        let signature = try key.sign(message: signed)
        var sct: [UInt8] = [0] + logID + Self.bigEndian(milliseconds, bytes: 8) + [0x00, 0x00]
        sct += [4, 3] + Self.bigEndian(UInt64(signature.count), bytes: 2) + signature
        let item = Self.bigEndian(UInt64(sct.count), bytes: 2) + sct
        let list = Self.bigEndian(UInt64(item.count), bytes: 2) + item
        return DERWriter.wrap(0x04, list)
    }

    /// The trusted-root `ctlogs` entry.
    public func trustedRootEntry(validFrom: Date) -> [String: Any] {
        [
            "baseUrl": baseURL, "hashAlgorithm": "SHA2_256",
            "publicKey": [
                "rawBytes": Base64.encode(key.publicKey.derSubjectPublicKeyInfo), "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                "validFor": ["start": RFC3339.string(validFrom)],
            ],
            "logId": ["keyId": Base64.encode(logID)],
        ]
    }

    static func bigEndian(_ value: UInt64, bytes: Int) -> [UInt8] {
        (0..<bytes).reversed().map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
    }
}
