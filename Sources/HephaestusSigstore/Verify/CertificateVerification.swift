import Foundation
import HephaestusPlatform

/// The signing certificate: a path to a trusted Fulcio CA at *each* verified time, and the leaf profile Fulcio
/// issues (digitalSignature, codeSigning, not a CA).
enum CertificateVerification {
    /// - Returns: the validated path (leaf first) at the first verified time.
    static func verify(
        leaf: Certificate, intermediates: [Certificate], at times: [Date], trustedRoot: TrustedRoot,
        signatures: VerifiedSignatureCache? = nil
    ) throws(VerificationError) -> [Certificate] {
        try checkProfile(leaf)
        var firstPath: [Certificate]?
        for time in times {
            let authorities = trustedRoot.certificateAuthorities.filter { $0.validity.contains(time) }
            guard !authorities.isEmpty else {
                throw VerificationError.certificateChainInvalid("no trusted certificate authority is valid at \(RFC3339.string(time))")
            }
            var reasons: [String] = []
            var path: [Certificate]?
            for authority in authorities {
                do {
                    path = try authority.validate(leaf, untrustedIntermediates: intermediates, at: time, signatures: signatures)
                    break
                } catch {
                    reasons.append("\(authority.subject): \(error)")
                }
            }
            guard let path else {
                throw VerificationError.certificateChainInvalid(
                    "no path to a trusted CA at \(RFC3339.string(time)): \(reasons.joined(separator: "; "))")
            }
            firstPath = firstPath ?? path
        }
        guard let firstPath else { throw VerificationError.noVerifiedTime("no time to validate the certificate at") }
        return firstPath
    }

    static func checkProfile(_ leaf: Certificate) throws(VerificationError) {
        do {
            guard try leaf.keyUsage()?.digitalSignature == true else {
                throw VerificationError.certificateProfileInvalid("leaf key usage lacks digitalSignature")
            }
            guard try leaf.extendedKeyUsage()?.contains(CertificateExtension.OID.codeSigningUsage) == true else {
                throw VerificationError.certificateProfileInvalid("leaf extended key usage lacks codeSigning")
            }
            guard try !leaf.isCertificateAuthority() else {
                throw VerificationError.certificateProfileInvalid("leaf is a CA certificate")
            }
        } catch let error as VerificationError {
            throw error
        } catch {
            throw VerificationError.certificateProfileInvalid("unreadable leaf extensions: \(error)")
        }
    }
}
