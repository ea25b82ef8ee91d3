import Foundation
import HephaestusPlatform

/// RFC 6962 embedded SCTs: each SCT in the leaf's SCT-list extension is checked against a trusted CT log over the
/// reconstructed precertificate; the threshold counts distinct logs.
enum SignedCertificateTimestampVerification {
    struct SignedCertificateTimestamp {
        let logID: [UInt8]
        let timestamp: UInt64
        let extensions: [UInt8]
        let hashAlgorithm: UInt8
        let signatureAlgorithm: UInt8
        let signature: [UInt8]
    }

    /// - Parameters:
    ///   - leaf: the Fulcio leaf.
    ///   - issuer: the certificate that issued the leaf (its key hash is part of the signed data).
    ///   - threshold: how many distinct trusted logs must have a verifying SCT.
    /// - Returns: the log ids whose SCTs verified.
    @discardableResult
    static func verify(
        leaf: Certificate, issuer: Certificate, trustedRoot: TrustedRoot, threshold: Int = 1,
        signatures: VerifiedSignatureCache? = nil
    ) throws(VerificationError) -> [[UInt8]] {
        guard let list = leaf.extension(oid: CertificateExtension.OID.signedCertificateTimestampList) else {
            throw VerificationError.signedCertificateTimestampInvalid("certificate has no embedded SCT list")
        }
        let timestamps = try parseList(list.value)
        let precertificate = try precertificateTBS(leaf)
        let issuerKeyHash = DigestAlgorithm.sha256.hash(issuer.subjectPublicKeyInfo).bytes
        var verifiedLogs: [[UInt8]] = []
        var failures: [String] = []
        for sct in timestamps {
            guard let log = trustedRoot.certificateTransparencyLogs.first(where: { $0.logID == sct.logID }) else {
                failures.append("SCT from unknown log \(Base64.encode(sct.logID))")
                continue
            }
            let time = Date(timeIntervalSince1970: TimeInterval(sct.timestamp) / 1000)
            guard log.validity.contains(time) else {
                failures.append("SCT time \(RFC3339.string(time)) is outside the CT log's validity \(log.validity)")
                continue
            }
            var signed: [UInt8] = [0, 0]
            signed += bigEndian(sct.timestamp, bytes: 8)
            signed += [0x00, 0x01]
            signed += issuerKeyHash
            signed += bigEndian(UInt64(precertificate.count), bytes: 3) + precertificate
            signed += bigEndian(UInt64(sct.extensions.count), bytes: 2) + sct.extensions
            guard let scheme = scheme(hash: sct.hashAlgorithm, signature: sct.signatureAlgorithm),
                signatures?.isValidSignature(sct.signature, for: signed, key: log.publicKey, scheme: scheme)
                    ?? log.publicKey.isValidSignature(sct.signature, for: signed, scheme: scheme)
            else {
                failures.append("SCT signature by \(log.baseURL) does not verify")
                continue
            }
            if !verifiedLogs.contains(sct.logID) { verifiedLogs.append(sct.logID) }
        }
        guard verifiedLogs.count >= threshold else {
            throw VerificationError.signedCertificateTimestampInvalid(
                "threshold not met: \(verifiedLogs.count) < \(threshold)" + (failures.isEmpty ? "" : " (\(failures.joined(separator: "; ")))"))
        }
        return verifiedLogs
    }

    static func parseList(_ extensionValue: [UInt8]) throws(VerificationError) -> [SignedCertificateTimestamp] {
        let fail = { (reason: String) in VerificationError.signedCertificateTimestampInvalid("malformed SCT list: \(reason)") }
        let octets: ArraySlice<UInt8>
        do {
            octets = try DERNode.parse(extensionValue).octetString()
        } catch {
            throw fail("not an OCTET STRING")
        }
        var reader = TLSReader(octets)
        let listLength = try reader.integer(bytes: 2, fail)
        guard listLength == reader.remaining else { throw fail("list length mismatch") }
        var timestamps: [SignedCertificateTimestamp] = []
        while reader.remaining > 0 {
            let length = Int(try reader.integer(bytes: 2, fail))
            var item = TLSReader(try reader.bytes(length, fail))
            guard try item.integer(bytes: 1, fail) == 0 else { throw fail("unsupported SCT version") }
            let logID = Array(try item.bytes(32, fail))
            let timestamp = try item.integer(bytes: 8, fail)
            let extensions = Array(try item.bytes(Int(try item.integer(bytes: 2, fail)), fail))
            let hash = UInt8(try item.integer(bytes: 1, fail))
            let signatureAlgorithm = UInt8(try item.integer(bytes: 1, fail))
            let signature = Array(try item.bytes(Int(try item.integer(bytes: 2, fail)), fail))
            guard item.remaining == 0 else { throw fail("trailing bytes in SCT") }
            timestamps.append(
                SignedCertificateTimestamp(
                    logID: logID, timestamp: timestamp, extensions: extensions, hashAlgorithm: hash,
                    signatureAlgorithm: signatureAlgorithm, signature: signature))
        }
        guard !timestamps.isEmpty else { throw fail("empty") }
        return timestamps
    }

    /// The leaf's TBSCertificate with the SCT-list extension removed (RFC 6962 §3.2).
    static func precertificateTBS(_ leaf: Certificate) throws(VerificationError) -> [UInt8] {
        do {
            let tbs = try DERNode.parse(leaf.tbsBytes)
            var parts: [[UInt8]] = []
            for child in try tbs.children() {
                guard child.isContext(3) else {
                    parts.append(Array(child.encoded))
                    continue
                }
                let extensions = try child.children()[0].children()
                let kept = try extensions.filter { node throws(CryptoError) in
                    try node.children()[0].objectIdentifier() != CertificateExtension.OID.signedCertificateTimestampList
                }
                let sequence = DERWriter.wrap(0x30, kept.flatMap { Array($0.encoded) })
                parts.append(DERWriter.wrap(0xA3, sequence))
            }
            return DERWriter.wrap(0x30, parts.flatMap { $0 })
        } catch {
            throw VerificationError.signedCertificateTimestampInvalid("cannot rebuild the precertificate: \(error)")
        }
    }

    /// RFC 5246 SignatureAndHashAlgorithm: hash 4 = SHA-256, 5 = SHA-384; signature 3 = ECDSA, 1 = RSA.
    static func scheme(hash: UInt8, signature: UInt8) -> SignatureScheme? {
        let digest: DigestAlgorithm? = hash == 4 ? .sha256 : hash == 5 ? .sha384 : hash == 6 ? .sha512 : nil
        guard let digest else { return nil }
        switch signature {
        case 3: return .ecdsa(digest)
        case 1: return .rsaPKCS1v15(digest)
        default: return nil
        }
    }

    static func bigEndian(_ value: UInt64, bytes: Int) -> [UInt8] {
        (0..<bytes).reversed().map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
    }
}

/// Reads TLS presentation-language integers and opaque vectors.
struct TLSReader {
    private var bytes: ArraySlice<UInt8>

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
    }

    var remaining: Int { bytes.count }

    mutating func integer(bytes count: Int, _ fail: (String) -> VerificationError) throws(VerificationError) -> UInt64 {
        guard bytes.count >= count else { throw fail("truncated") }
        let value = bytes.prefix(count).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        bytes = bytes.dropFirst(count)
        return value
    }

    mutating func bytes(_ count: Int, _ fail: (String) -> VerificationError) throws(VerificationError) -> ArraySlice<UInt8> {
        guard count >= 0, bytes.count >= count else { throw fail("truncated") }
        let value = bytes.prefix(count)
        bytes = bytes.dropFirst(count)
        return value
    }
}
