import Foundation
import HephaestusPlatform
import HephaestusSigstore

extension LocalSigstoreRouter {
    /// Fulcio v2 `signingCert` in either request form: `publicKeyRequest` (public key + a signature over the
    /// token's subject) with the token in `credentials`, or `certificateSigningRequest` (a PKCS#10 CSR whose
    /// self-signature proves possession) with the token as `Authorization: Bearer`, as sigstore-python sends it.
    /// The answer is the chain with an embedded SCT.
    func signingCertificate(_ body: [UInt8], authorization: String?) -> Response {
        guard let request = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            return .error(400, "malformed signingCert request: not a JSON object")
        }
        let bearer = authorization.flatMap { value -> String? in
            let parts = value.split(separator: " ", maxSplits: 1)
            return parts.count == 2 && parts[0].lowercased() == "bearer" ? String(parts[1]) : nil
        }
        guard let tokenText = ((request["credentials"] as? [String: Any])?["oidcIdentityToken"] as? String) ?? bearer else {
            return .error(401, "no OIDC token (credentials.oidcIdentityToken or Authorization: Bearer)")
        }
        let token: IdentityToken
        do {
            token = try oidcIssuer.map { issuer throws(SigningError) in try issuer.verify(tokenText) } ?? IdentityToken(tokenText)
        } catch {
            return .error(401, "\(error)")
        }
        let publicKey: PublicKey
        let proof: [UInt8]?
        if let csrText = request["certificateSigningRequest"] as? String {
            guard let csrPEM = Base64.decode(csrText), let csr = try? CertificateSigningRequest(pem: String(decoding: csrPEM, as: UTF8.self)) else {
                return .error(400, "certificateSigningRequest is not a Base64 PEM CSR")
            }
            guard csr.isSelfSignatureValid else { return .error(400, "the CSR's signature (proof of possession) does not verify") }
            publicKey = csr.publicKey
            proof = nil
        } else {
            guard let keyRequest = request["publicKeyRequest"] as? [String: Any],
                let keyObject = keyRequest["publicKey"] as? [String: Any], let keyPEM = keyObject["content"] as? String,
                let proofText = keyRequest["proofOfPossession"] as? String, let decoded = Base64.decode(proofText)
            else { return .error(400, "malformed signingCert request: neither publicKeyRequest nor certificateSigningRequest") }
            do { publicKey = try PublicKey(pem: keyPEM) } catch { return .error(400, "public key: \(error)") }
            proof = decoded
        }
        do {
            let chain =
                try proof.map { try certificateAuthority.issueCertificate(publicKey: publicKey, proofOfPossession: $0, token: token) }
                ?? certificateAuthority.issueCertificate(possessionProvenFor: publicKey, token: token)
            return .json(201, ["signedCertificateEmbeddedSct": ["chain": ["certificates": chain.map(\.pem)]]])
        } catch let error as SigningError {
            if case .identityTokenNotUsable = error { return .error(401, error.description) }
            return .error(400, error.description)
        } catch {
            return .error(500, "\(error)")
        }
    }
}
