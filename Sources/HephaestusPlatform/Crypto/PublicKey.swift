internal import COpenSSL

/// The kind of a public key, as far as signature verification cares.
public enum PublicKeyKind: Sendable, Equatable, CustomStringConvertible {
    case ecdsa(curve: EllipticCurve)
    case ed25519
    case rsa(bits: Int)

    public var description: String {
        switch self {
        case .ecdsa(let curve): "ECDSA \(curve.rawValue)"
        case .ed25519: "Ed25519"
        case .rsa(let bits): "RSA-\(bits)"
        }
    }
}

/// The NIST curves accepted for ECDSA.
public enum EllipticCurve: String, Sendable {
    case p256 = "P-256"
    case p384 = "P-384"
    case p521 = "P-521"

    init?(openSSLGroupName name: String) {
        switch name {
        case "prime256v1", "P-256", "secp256r1": self = .p256
        case "secp384r1", "P-384": self = .p384
        case "secp521r1", "P-521": self = .p521
        default: return nil
        }
    }
}

/// How a signature was made: the algorithm and, where it applies, the hash.
public enum SignatureScheme: Sendable, Equatable, CustomStringConvertible {
    /// ECDSA with the given hash; the curve is the key's own.
    case ecdsa(DigestAlgorithm)
    /// Pure Ed25519 over the message.
    case ed25519
    /// RSASSA-PKCS1-v1_5 with the given hash.
    case rsaPKCS1v15(DigestAlgorithm)
    /// RSASSA-PSS with the given hash, MGF1 with the same hash, salt length recovered from the signature.
    case rsaPSS(DigestAlgorithm)

    public var description: String {
        switch self {
        case .ecdsa(let hash): "ECDSA-\(hash.rawValue.uppercased())"
        case .ed25519: "Ed25519"
        case .rsaPKCS1v15(let hash): "RSA-PKCS1v15-\(hash.rawValue.uppercased())"
        case .rsaPSS(let hash): "RSA-PSS-\(hash.rawValue.uppercased())"
        }
    }

    /// The hash the scheme applies to the message (nil for Ed25519, which hashes internally).
    public var digestAlgorithm: DigestAlgorithm? {
        switch self {
        case .ecdsa(let hash), .rsaPKCS1v15(let hash), .rsaPSS(let hash): hash
        case .ed25519: nil
        }
    }
}

/// A public key parsed by OpenSSL; owns its `EVP_PKEY`.
///
/// Unchecked because `handle` is a C pointer. Safe because the `EVP_PKEY` is immutable after init: it is only read
/// (verified with, encoded, up-referenced into certificates being built), and OpenSSL 3 permits concurrent use of a
/// key no thread modifies (the provider key cache it fills lazily is guarded by the key's own lock).
public final class PublicKey: @unchecked Sendable {
    let handle: OpaquePointer
    public let kind: PublicKeyKind

    /// Takes ownership of an `EVP_PKEY` reference.
    init(taking handle: OpaquePointer) throws(CryptoError) {
        self.handle = handle
        do {
            self.kind = try Self.classify(handle)
        } catch {
            EVP_PKEY_free(handle)
            throw error
        }
    }

    deinit {
        EVP_PKEY_free(handle)
    }

    /// Parses a PEM `PUBLIC KEY` (SubjectPublicKeyInfo).
    public convenience init(pem: String) throws(CryptoError) {
        OpenSSLErrorQueue.clear()
        let bio = MemoryBIO(reading: Array(pem.utf8))
        guard let key = PEM_read_bio_PUBKEY(bio.handle, nil, nil, nil) else {
            throw CryptoError.malformedKey(reason: "not a PEM public key (\(OpenSSLErrorQueue.drain()))")
        }
        try self.init(taking: key)
    }

    /// Parses a DER SubjectPublicKeyInfo; trailing bytes are refused.
    public convenience init(derSubjectPublicKeyInfo der: [UInt8]) throws(CryptoError) {
        OpenSSLErrorQueue.clear()
        if let named = Self.namedCurvePoint(der) {
            // The common case (Fulcio leaves, log keys): build the key from its point, without OpenSSL 3.0's slow
            // DER decoders. Anything else takes the general path below.
            let key = named.point.withUnsafeBufferPointer { hp_ec_public_key_from_point(named.group, $0.baseAddress, $0.count) }
            guard let key else {
                throw CryptoError.malformedKey(reason: "EC point is not on \(named.group) (\(OpenSSLErrorQueue.drain()))")
            }
            try self.init(taking: key)
            return
        }
        let parsed = try decodeExactly(
            der, what: "SubjectPublicKeyInfo", failure: { .malformedKey(reason: $0) }, free: { EVP_PKEY_free($0) },
            decode: { d2i_PUBKEY(nil, &$0, $1) })
        try self.init(taking: parsed)
    }

    /// `SEQUENCE { SEQUENCE { id-ecPublicKey, namedCurve }, BIT STRING point }` in strict DER with nothing after it,
    /// for P-256, P-384 and P-521: the OpenSSL group name and the encoded point; nil for any other key or encoding.
    static func namedCurvePoint(_ der: [UInt8]) -> (group: String, point: [UInt8])? {
        guard let node = try? DERNode.parse(der), node.isUniversal(DERNode.Universal.sequence),
            let parts = try? node.children(), parts.count == 2,
            parts[0].isUniversal(DERNode.Universal.sequence), let algorithm = try? parts[0].children(), algorithm.count == 2,
            (try? algorithm[0].objectIdentifier()) == "1.2.840.10045.2.1",
            parts[1].isUniversal(DERNode.Universal.bitString), parts[1].content.first == 0, parts[1].content.count > 1
        else { return nil }
        let group: String
        switch try? algorithm[1].objectIdentifier() {
        case "1.2.840.10045.3.1.7": group = "P-256"
        case "1.3.132.0.34": group = "P-384"
        case "1.3.132.0.35": group = "P-521"
        default: return nil
        }
        return (group, Array(parts[1].content.dropFirst()))
    }

    /// PEM or DER, whichever `bytes` holds.
    public convenience init(pemOrDER bytes: [UInt8]) throws(CryptoError) {
        if bytes.starts(with: Array("-----BEGIN".utf8)) || bytes.first.map({ $0 != 0x30 }) == true {
            try self.init(pem: String(decoding: bytes, as: UTF8.self))
        } else {
            try self.init(derSubjectPublicKeyInfo: bytes)
        }
    }

    /// The DER SubjectPublicKeyInfo.
    public var derSubjectPublicKeyInfo: [UInt8] {
        var pointer: UnsafeMutablePointer<UInt8>?
        let length = i2d_PUBKEY(handle, &pointer)
        guard length > 0, let pointer else { return [] }
        defer { hp_OPENSSL_free(pointer) }
        return Array(UnsafeBufferPointer(start: pointer, count: Int(length)))
    }

    /// The PEM `PUBLIC KEY` block.
    public var pem: String {
        let bio = MemoryBIO()
        PEM_write_bio_PUBKEY(bio.handle, handle)
        return String(decoding: bio.contents, as: UTF8.self)
    }

    /// The scheme a signature by this key most likely uses (ECDSA with the curve's hash, Ed25519, RSA PKCS#1 SHA-256).
    public var defaultScheme: SignatureScheme {
        switch kind {
        case .ecdsa(.p256): .ecdsa(.sha256)
        case .ecdsa(.p384): .ecdsa(.sha384)
        case .ecdsa(.p521): .ecdsa(.sha512)
        case .ed25519: .ed25519
        case .rsa: .rsaPKCS1v15(.sha256)
        }
    }

    /// Verifies `signature` over `message`; throws ``CryptoError/invalidSignature`` when it does not verify.
    public func verify(signature: [UInt8], message: [UInt8], scheme: SignatureScheme) throws(CryptoError) {
        try checkCompatible(scheme)
        OpenSSLErrorQueue.clear()
        guard let context = EVP_MD_CTX_new() else { fatalError("EVP_MD_CTX_new: out of memory") }
        defer { EVP_MD_CTX_free(context) }
        var keyContext: OpaquePointer?
        guard EVP_DigestVerifyInit(context, &keyContext, scheme.digestAlgorithm?.evpMessageDigest, nil, handle) == 1
        else {
            throw CryptoError.internalFailure(operation: "EVP_DigestVerifyInit", reason: OpenSSLErrorQueue.drain())
        }
        if case .rsaPSS = scheme, let keyContext {
            EVP_PKEY_CTX_set_rsa_padding(keyContext, hp_RSA_PKCS1_PSS_PADDING)
            EVP_PKEY_CTX_set_rsa_pss_saltlen(keyContext, hp_RSA_PSS_SALTLEN_AUTO)
        }
        let result = signature.withUnsafeBufferPointer { signatureBuffer in
            message.withUnsafeBufferPointer { messageBuffer in
                EVP_DigestVerify(
                    context, signatureBuffer.baseAddress, signatureBuffer.count,
                    messageBuffer.baseAddress ?? UnsafePointer(bitPattern: 1), messageBuffer.count)
            }
        }
        OpenSSLErrorQueue.clear()
        guard result == 1 else { throw CryptoError.invalidSignature }
    }

    /// Verifies `signature` over a message already hashed to `digest` (ECDSA and RSA only: Ed25519 signs messages).
    public func verify(signature: [UInt8], digest: Digest, scheme: SignatureScheme) throws(CryptoError) {
        try checkCompatible(scheme)
        guard let hash = scheme.digestAlgorithm else {
            throw CryptoError.keySchemeMismatch(key: kind.description, scheme: "prehashed \(scheme)")
        }
        guard hash == digest.algorithm else {
            throw CryptoError.keySchemeMismatch(key: kind.description, scheme: "\(scheme) over a \(digest.algorithm.rawValue) digest")
        }
        OpenSSLErrorQueue.clear()
        guard let context = EVP_PKEY_CTX_new(handle, nil) else { fatalError("EVP_PKEY_CTX_new: out of memory") }
        defer { EVP_PKEY_CTX_free(context) }
        guard EVP_PKEY_verify_init(context) == 1, EVP_PKEY_CTX_set_signature_md(context, hash.evpMessageDigest) == 1
        else {
            throw CryptoError.internalFailure(operation: "EVP_PKEY_verify_init", reason: OpenSSLErrorQueue.drain())
        }
        if case .rsaPSS = scheme {
            EVP_PKEY_CTX_set_rsa_padding(context, hp_RSA_PKCS1_PSS_PADDING)
            EVP_PKEY_CTX_set_rsa_pss_saltlen(context, hp_RSA_PSS_SALTLEN_AUTO)
        } else if case .rsaPKCS1v15 = scheme {
            EVP_PKEY_CTX_set_rsa_padding(context, hp_RSA_PKCS1_PADDING)
        }
        let result = signature.withUnsafeBufferPointer { signatureBuffer in
            digest.bytes.withUnsafeBufferPointer { digestBuffer in
                EVP_PKEY_verify(
                    context, signatureBuffer.baseAddress, signatureBuffer.count,
                    digestBuffer.baseAddress, digestBuffer.count)
            }
        }
        OpenSSLErrorQueue.clear()
        guard result == 1 else { throw CryptoError.invalidSignature }
    }

    /// True when `signature` verifies; never throws for a bad signature.
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8], scheme: SignatureScheme) -> Bool {
        (try? verify(signature: signature, message: message, scheme: scheme)) != nil
    }

    private func checkCompatible(_ scheme: SignatureScheme) throws(CryptoError) {
        let compatible: Bool
        switch (kind, scheme) {
        case (.ecdsa, .ecdsa), (.ed25519, .ed25519), (.rsa, .rsaPKCS1v15), (.rsa, .rsaPSS): compatible = true
        default: compatible = false
        }
        guard compatible else { throw CryptoError.keySchemeMismatch(key: kind.description, scheme: scheme.description) }
    }

    private static func classify(_ key: OpaquePointer) throws(CryptoError) -> PublicKeyKind {
        let base = EVP_PKEY_get_base_id(key)
        switch base {
        case hp_EVP_PKEY_EC:
            var buffer = [CChar](repeating: 0, count: 64)
            var length = 0
            guard EVP_PKEY_get_group_name(key, &buffer, buffer.count, &length) == 1,
                let curve = EllipticCurve(openSSLGroupName: decodeCString(buffer))
            else {
                throw CryptoError.unsupportedKey(reason: "EC key on an unsupported curve \(decodeCString(buffer))")
            }
            return .ecdsa(curve: curve)
        case hp_EVP_PKEY_ED25519:
            return .ed25519
        case hp_EVP_PKEY_RSA, hp_EVP_PKEY_RSA_PSS:
            let bits = Int(EVP_PKEY_get_bits(key))
            guard bits >= 2048 else { throw CryptoError.unsupportedKey(reason: "RSA key of \(bits) bits is too weak") }
            return .rsa(bits: bits)
        default:
            throw CryptoError.unsupportedKey(reason: "key type \(base) is not ECDSA, Ed25519 or RSA")
        }
    }
}
