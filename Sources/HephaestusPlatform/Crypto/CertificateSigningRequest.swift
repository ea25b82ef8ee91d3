internal import COpenSSL
import Foundation

/// A PKCS#10 certificate signing request (what Fulcio's `certificateSigningRequest` form carries): its public key
/// and whether its self-signature — the proof of possession — verifies.
public final class CertificateSigningRequest: Sendable {
    public let publicKey: PublicKey
    /// True when the request's signature verifies with its own public key.
    public let isSelfSignatureValid: Bool

    /// Parses one PEM `CERTIFICATE REQUEST`.
    public init(pem: String) throws(CryptoError) {
        OpenSSLErrorQueue.clear()
        let bio = MemoryBIO(reading: Array(pem.utf8))
        guard let request = PEM_read_bio_X509_REQ(bio.handle, nil, nil, nil) else {
            throw CryptoError.malformedEncoding(reason: "not a PEM certificate signing request (\(OpenSSLErrorQueue.drain()))")
        }
        defer { X509_REQ_free(request) }
        guard let key = X509_REQ_get_pubkey(request) else {
            throw CryptoError.malformedKey(reason: "signing request public key: \(OpenSSLErrorQueue.drain())")
        }
        publicKey = try PublicKey(taking: key)
        isSelfSignatureValid = X509_REQ_verify(request, publicKey.handle) == 1
        OpenSSLErrorQueue.clear()
    }
}
