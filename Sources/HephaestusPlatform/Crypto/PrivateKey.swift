internal import COpenSSL
import Foundation

/// A private signing key held by OpenSSL; owns its `EVP_PKEY`. Used by signing and by the local test instance.
///
/// Unchecked because `handle` is a C pointer. Safe because the `EVP_PKEY` is immutable after init: it is only read
/// (each signature gets its own `EVP_MD_CTX`/`EVP_PKEY_CTX`; encoders and the TSA only read or up-reference it), and
/// OpenSSL 3 permits concurrent use of a key no thread modifies.
public final class PrivateKey: @unchecked Sendable {
    let handle: OpaquePointer
    public let publicKey: PublicKey

    /// The key types Hephaestus generates.
    public enum Algorithm: String, Sendable, CaseIterable {
        case ecdsaP256 = "ecdsa-p256"
        case ecdsaP384 = "ecdsa-p384"
        case ed25519
    }

    init(taking handle: OpaquePointer) throws(CryptoError) {
        self.handle = handle
        var pointer: UnsafeMutablePointer<UInt8>?
        let length = i2d_PUBKEY(handle, &pointer)
        guard length > 0, let pointer else {
            EVP_PKEY_free(handle)
            throw CryptoError.malformedKey(reason: "private key has no public half")
        }
        let der = Array(UnsafeBufferPointer(start: pointer, count: Int(length)))
        hp_OPENSSL_free(pointer)
        do {
            publicKey = try PublicKey(derSubjectPublicKeyInfo: der)
        } catch {
            EVP_PKEY_free(handle)
            throw error
        }
    }

    deinit {
        EVP_PKEY_free(handle)
    }

    /// A fresh random key.
    public static func generate(_ algorithm: Algorithm) -> PrivateKey {
        let name = algorithm == .ed25519 ? "ED25519" : "EC"
        guard let context = EVP_PKEY_CTX_new_from_name(nil, name, nil) else { fatalError("EVP_PKEY_CTX_new_from_name") }
        defer { EVP_PKEY_CTX_free(context) }
        guard EVP_PKEY_keygen_init(context) == 1 else { fatalError("EVP_PKEY_keygen_init: \(OpenSSLErrorQueue.drain())") }
        switch algorithm {
        case .ecdsaP256: EVP_PKEY_CTX_set_group_name(context, "P-256")
        case .ecdsaP384: EVP_PKEY_CTX_set_group_name(context, "P-384")
        case .ed25519: break
        }
        var key: OpaquePointer?
        guard EVP_PKEY_generate(context, &key) == 1, let key else { fatalError("EVP_PKEY_generate: \(OpenSSLErrorQueue.drain())") }
        // A key OpenSSL just generated with a supported algorithm is always accepted: a failure here is a bug.
        do { return try PrivateKey(taking: key) } catch { fatalError("a freshly generated \(algorithm) key was refused: \(error)") }
    }

    /// Parses a PEM private key (PKCS#8 or traditional); encrypted keys are refused.
    public convenience init(pem: String) throws(CryptoError) {
        OpenSSLErrorQueue.clear()
        let bio = MemoryBIO(reading: Array(pem.utf8))
        guard let key = PEM_read_bio_PrivateKey(bio.handle, nil, nil, nil) else {
            throw CryptoError.malformedKey(reason: "not an unencrypted PEM private key (\(OpenSSLErrorQueue.drain()))")
        }
        try self.init(taking: key)
    }

    /// PKCS#8 PEM.
    public var pem: String {
        let bio = MemoryBIO()
        PEM_write_bio_PrivateKey(bio.handle, handle, nil, nil, 0, nil, nil)
        return String(decoding: bio.contents, as: UTF8.self)
    }

    /// Signs `message` (ECDSA with the curve's hash unless `scheme` says otherwise; pure Ed25519).
    public func sign(message: [UInt8], scheme: SignatureScheme? = nil) throws(CryptoError) -> [UInt8] {
        let scheme = scheme ?? publicKey.defaultScheme
        OpenSSLErrorQueue.clear()
        guard let context = EVP_MD_CTX_new() else { fatalError("EVP_MD_CTX_new: out of memory") }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestSignInit(context, nil, scheme.digestAlgorithm?.evpMessageDigest, nil, handle) == 1 else {
            throw CryptoError.internalFailure(operation: "EVP_DigestSignInit", reason: OpenSSLErrorQueue.drain())
        }
        var length = 0
        guard
            message.withUnsafeBufferPointer({ EVP_DigestSign(context, nil, &length, $0.baseAddress ?? UnsafePointer(bitPattern: 1), $0.count) }) == 1
        else { throw CryptoError.internalFailure(operation: "EVP_DigestSign", reason: OpenSSLErrorQueue.drain()) }
        var signature = [UInt8](repeating: 0, count: length)
        guard
            message.withUnsafeBufferPointer({ EVP_DigestSign(context, &signature, &length, $0.baseAddress ?? UnsafePointer(bitPattern: 1), $0.count) }
            ) == 1
        else { throw CryptoError.internalFailure(operation: "EVP_DigestSign", reason: OpenSSLErrorQueue.drain()) }
        return Array(signature.prefix(length))
    }

    /// Signs a precomputed digest (ECDSA only).
    public func sign(digest: Digest) throws(CryptoError) -> [UInt8] {
        OpenSSLErrorQueue.clear()
        guard case .ecdsa = publicKey.kind else {
            throw CryptoError.keySchemeMismatch(key: publicKey.kind.description, scheme: "prehashed signing")
        }
        guard let context = EVP_PKEY_CTX_new(handle, nil) else { fatalError("EVP_PKEY_CTX_new: out of memory") }
        defer { EVP_PKEY_CTX_free(context) }
        guard EVP_PKEY_sign_init(context) == 1, EVP_PKEY_CTX_set_signature_md(context, digest.algorithm.evpMessageDigest) == 1
        else { throw CryptoError.internalFailure(operation: "EVP_PKEY_sign_init", reason: OpenSSLErrorQueue.drain()) }
        var length = 0
        guard EVP_PKEY_sign(context, nil, &length, digest.bytes, digest.bytes.count) == 1 else {
            throw CryptoError.internalFailure(operation: "EVP_PKEY_sign", reason: OpenSSLErrorQueue.drain())
        }
        var signature = [UInt8](repeating: 0, count: length)
        guard EVP_PKEY_sign(context, &signature, &length, digest.bytes, digest.bytes.count) == 1 else {
            throw CryptoError.internalFailure(operation: "EVP_PKEY_sign", reason: OpenSSLErrorQueue.drain())
        }
        return Array(signature.prefix(length))
    }
}
