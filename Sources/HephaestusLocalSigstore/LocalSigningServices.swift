import Foundation
import HephaestusPlatform
import HephaestusSigstore

// The local test instance's services answer the signer directly (in process) through the same protocols the
// network clients implement, so the signer cannot tell them apart.

extension LocalCertificateAuthority: CertificateIssuing {
    /// Issues a 10-minute leaf for the token's identity after checking the proof of possession, as Fulcio does.
    /// The token's own signature is the caller's to check (the instance's OIDC issuer verifies it before this).
    public func issueCertificate(publicKey: PublicKey, proofOfPossession: [UInt8], token: IdentityToken) throws -> [Certificate] {
        try token.checkUsable(at: Date())
        guard publicKey.isValidSignature(proofOfPossession, for: Array(token.proofSubject.utf8), scheme: publicKey.defaultScheme) else {
            throw SigningError.certificateRejected("the proof of possession does not verify for \(token.proofSubject)")
        }
        return try issueCertificate(possessionProvenFor: publicKey, token: token)
    }

    /// Issues the leaf once possession of `publicKey` is proven (by a signature over the subject or a CSR).
    /// GitHub Actions tokens get Fulcio's workflow extensions from their claims.
    public func issueCertificate(possessionProvenFor publicKey: PublicKey, token: IdentityToken) throws -> [Certificate] {
        try token.checkUsable(at: Date())
        let identity: Identity = token.namesEmail ? .email(token.certificateIdentity) : .uri(token.certificateIdentity)
        var request = LeafRequest(publicKey: publicKey, identity: identity, issuer: token.issuer, notBefore: Date().addingTimeInterval(-1))
        request.claims = token.fulcioClaims
        return [try issueLeaf(request), intermediate]
    }
}

extension LocalTransparencyLog: TransparencyLogging {
    /// Appends the entry in this log's format and returns the bundle entry with its inclusion proof and checkpoint
    /// (and, for Rekor v1, the signed entry timestamp).
    public func record(_ entry: ProposedLogEntry) throws -> [String: Any] {
        switch flavor {
        case .rekorV1:
            let (kind, body) = entry.rekorV1Body()
            let receipt = try append(body: body, integratedTime: Int64(Date().timeIntervalSince1970))
            return receipt.bundleEntry(kind: kind, kindVersion: "0.0.1", body: body)
        case .rekorV2:
            let body = entry.rekorV2Body()
            let receipt = try append(body: body, integratedTime: 0)
            return receipt.bundleEntry(kind: "hashedrekord", kindVersion: "0.0.2", body: body)
        }
    }
}

extension LocalTimestampAuthority: Timestamping {
    public func timestamp(signature: [UInt8]) throws -> [UInt8] {
        try timestamp(signature: signature, at: Date())
    }
}
