import Foundation

/// A fast acceptance test for the common case of path validation: a leaf issued directly by a trusted CA
/// certificate, signed with ECDSA — what every Fulcio leaf is. It accepts only when *all* of the checks below hold,
/// each at least as strict as OpenSSL's `X509_verify_cert` for such a path; in any other case it answers `false` and
/// the caller validates with OpenSSL, which then decides (and words the error). It never rejects on its own.
///
/// Checked: the leaf is within its validity at `time`; its issuer Name is byte-for-byte the issuer's subject Name;
/// an authority key identifier, if any, is a bare key identifier equal to the issuer's subject key identifier; the
/// leaf's critical extensions are all ones OpenSSL handles (key usage, extended key usage, subject alternative name,
/// basic constraints), the extensions OpenSSL decodes are well formed, and none of those only OpenSSL decodes
/// (name constraints, CRL distribution points, …) is present; the issuer is a CA (basic constraints cA, key usage absent or with keyCertSign) within its
/// validity, with no name or policy constraints and no critical extension beyond those; the signature algorithm is
/// ECDSA with SHA-256 or SHA-384 without parameters, the same inside the TBSCertificate, and the signature verifies
/// with the issuer's EC key over the TBSCertificate bytes.
public enum DirectIssuance {
    static let handledCritical: Set<String> = [
        CertificateExtension.OID.keyUsage, CertificateExtension.OID.extendedKeyUsage,
        CertificateExtension.OID.subjectAlternativeName, CertificateExtension.OID.basicConstraints,
    ]
    /// Name constraints, policy mappings, policy constraints, inhibit anyPolicy: OpenSSL's business.
    static let constraining: Set<String> = ["2.5.29.30", "2.5.29.33", "2.5.29.36", "2.5.29.54"]
    /// Extensions OpenSSL decodes when it caches a certificate's extensions, and whose malformed encoding makes it
    /// refuse the certificate; a leaf carrying one the checks here do not decode goes to OpenSSL: proxy certificate
    /// info, Netscape certificate type, name constraints, CRL distribution points, RFC 3779 address and AS blocks.
    static let decodedByOpenSSL: Set<String> = [
        "1.3.6.1.5.5.7.1.14", "2.16.840.1.113730.1.1", "2.5.29.30", "2.5.29.31", "1.3.6.1.5.5.7.1.7", "1.3.6.1.5.5.7.1.8",
    ]

    /// - Parameter signatures: signatures verified earlier in the run; the leaf's signature is looked up there (by
    ///   its exact bytes and the issuer's key) before it is checked. Every other check runs on every call.
    public static func accepts(
        _ leaf: Certificate, issuedBy issuer: Certificate, at time: Date, signatures: VerifiedSignatureCache? = nil
    ) -> Bool {
        guard leaf.isValid(at: time), issuer.isValid(at: time), leaf.issuerNameDER == issuer.subjectNameDER else { return false }
        guard leaf.extensions.allSatisfy({ (!$0.isCritical || handledCritical.contains($0.oid)) && !decodedByOpenSSL.contains($0.oid) }),
            wellFormed(leaf),
            issuer.extensions.allSatisfy({ (!$0.isCritical || handledCritical.contains($0.oid)) && !constraining.contains($0.oid) })
        else { return false }
        guard (try? issuer.isCertificateAuthority()) == true else { return false }
        if let usage = issuer.extension(oid: CertificateExtension.OID.keyUsage) {
            guard (try? KeyUsage(der: usage.value))?.keyCertSign == true else { return false }
        }
        if let authority = leaf.extension(oid: CertificateExtension.OID.authorityKeyIdentifier) {
            guard let fields = try? DERNode.parse(authority.value).expect(DERNode.Universal.sequence, "AuthorityKeyIdentifier").children(),
                fields.allSatisfy({ $0.isContext(0) }), fields.count <= 1
            else { return false }
            if let keyID = fields.first, let subjectKeyID = issuer.extension(oid: CertificateExtension.OID.subjectKeyIdentifier) {
                guard let issuerKeyID = try? DERNode.parse(subjectKeyID.value).expect(DERNode.Universal.octetString, "SubjectKeyIdentifier"),
                    issuerKeyID.content.elementsEqual(keyID.content)
                else { return false }
            }
        }
        guard let hash = signatureHash(of: leaf), let key = try? issuer.publicKey(), case .ecdsa = key.kind else { return false }
        guard let signatures else { return key.isValidSignature(leaf.signature, for: leaf.tbsBytes, scheme: .ecdsa(hash)) }
        return signatures.isValidSignature(leaf.signature, for: leaf.tbsBytes, key: key, scheme: .ecdsa(hash))
    }

    /// The extensions OpenSSL would decode and refuse when malformed decode here too: key usage, extended key usage,
    /// basic constraints, subject alternative name, subject key identifier.
    static func wellFormed(_ leaf: Certificate) -> Bool {
        do {
            _ = try leaf.keyUsage()
            _ = try leaf.extendedKeyUsage()
            _ = try leaf.isCertificateAuthority()
            _ = try leaf.subjectAlternativeNames()
            if let keyID = leaf.extension(oid: CertificateExtension.OID.subjectKeyIdentifier) {
                _ = try DERNode.parse(keyID.value).expect(DERNode.Universal.octetString, "SubjectKeyIdentifier")
            }
            return true
        } catch {
            return false
        }
    }

    /// SHA-256 or SHA-384 for ecdsa-with-SHA256/384 without parameters, the same in the TBSCertificate; else nil.
    static func signatureHash(of certificate: Certificate) -> DigestAlgorithm? {
        guard !certificate.signatureAlgorithmDER.isEmpty, certificate.signatureAlgorithmDER == certificate.tbsSignatureAlgorithmDER,
            let algorithm = try? DERNode.parse(certificate.signatureAlgorithmDER).expect(DERNode.Universal.sequence, "AlgorithmIdentifier")
                .children(),
            algorithm.count == 1
        else { return nil }
        switch try? algorithm[0].objectIdentifier() {
        case "1.2.840.10045.4.3.2": return .sha256
        case "1.2.840.10045.4.3.3": return .sha384
        default: return nil
        }
    }
}
