import Foundation
import HephaestusPlatform

/// RFC 3161 timestamps over the bundle's signature: the message imprint must be the signature's hash, and the
/// token must be signed by a trusted TSA whose chain is valid at the token's own genTime.
enum SignedTimestampVerification {
    struct Outcome {
        let time: Date
        let authority: CertificateAuthority
    }

    /// Verifies every timestamp; tokens that do not verify are reported in `failures` and do not count.
    ///
    /// A bundle carrying timestamps is refused outright when the trusted root names no TSA at all: the signer meant
    /// those times to be checked, and silently ignoring them would be failing open.
    static func verify(
        _ tokens: [[UInt8]], signature: [UInt8], trustedRoot: TrustedRoot
    ) throws(VerificationError) -> (verified: [Outcome], failures: [String]) {
        guard !tokens.isEmpty else { return ([], []) }
        guard !trustedRoot.timestampAuthorities.isEmpty else {
            throw VerificationError.timestampInvalid("the bundle has signed timestamps but the trusted root has no timestamp authority")
        }
        var verified: [Outcome] = []
        var failures: [String] = []
        for (index, token) in tokens.enumerated() {
            do {
                verified.append(try verify(token, signature: signature, trustedRoot: trustedRoot))
            } catch {
                failures.append("timestamp \(index): \(error)")
            }
        }
        return (verified, failures)
    }

    static func verify(_ token: [UInt8], signature: [UInt8], trustedRoot: TrustedRoot) throws -> Outcome {
        let response = try TimestampResponse(derEncoded: token)
        guard let algorithm = response.imprintAlgorithm else {
            throw VerificationError.timestampInvalid("unsupported message imprint algorithm \(response.imprintAlgorithmOID)")
        }
        guard response.imprint == algorithm.hash(signature).bytes else {
            throw VerificationError.timestampInvalid("message imprint is not the hash of the bundle's signature")
        }
        var reasons: [String] = []
        for authority in trustedRoot.timestampAuthorities {
            guard authority.validity.contains(response.generationTime) else {
                reasons.append("\(authority.subject): time \(RFC3339.string(response.generationTime)) outside \(authority.validity)")
                continue
            }
            do {
                try response.verifySignature(
                    trustAnchors: [authority.certificates.last!], intermediates: Array(authority.certificates.dropLast()))
                return Outcome(time: response.generationTime, authority: authority)
            } catch {
                reasons.append("\(authority.subject): \(error)")
            }
        }
        throw VerificationError.timestampInvalid("no trusted timestamp authority verifies it (\(reasons.joined(separator: "; ")))")
    }
}
