import HephaestusPlatform

/// Canonicalized Rekor entry bodies, as logs store them and bundles carry them in `canonicalizedBody`.
public enum RekorEntryBody {
    /// Rekor v1 `hashedrekord` 0.0.1: digest (hex), signature, and the verifier as Base64 PEM.
    public static func hashedRekordV001(digest: Digest, signature: [UInt8], verifierPEM: String) -> [UInt8] {
        CanonicalJSON.object([
            "apiVersion": .string("0.0.1"), "kind": .string("hashedrekord"),
            "spec": .object([
                "data": .object(["hash": .object(["algorithm": .string(digest.algorithm.rawValue), "value": .string(digest.hex)])]),
                "signature": .object([
                    "content": .string(Base64.encode(signature)),
                    "publicKey": .object(["content": .string(Base64.encode(Array(verifierPEM.utf8)))]),
                ]),
            ]),
        ]).serialized
    }

    /// Rekor v1 `dsse` 0.0.1: payload and envelope hashes, signatures with Base64 PEM verifiers.
    public static func dsseV001(envelope: DSSEEnvelope, envelopeJSON: [UInt8], verifierPEM: String) -> [UInt8] {
        CanonicalJSON.object([
            "apiVersion": .string("0.0.1"), "kind": .string("dsse"),
            "spec": .object([
                "envelopeHash": .object(["algorithm": .string("sha256"), "value": .string(DigestAlgorithm.sha256.hash(envelopeJSON).hex)]),
                "payloadHash": .object(["algorithm": .string("sha256"), "value": .string(DigestAlgorithm.sha256.hash(envelope.payload).hex)]),
                "signatures": .array(
                    envelope.signatures.map {
                        .object(["signature": .string(Base64.encode($0.signature)), "verifier": .string(Base64.encode(Array(verifierPEM.utf8)))])
                    }),
            ]),
        ]).serialized
    }

    /// Rekor v2 `hashedrekord` 0.0.2: digest (Base64), signature and a certificate or key verifier.
    public static func hashedRekordV002(digest: Digest, signature: [UInt8], verifier: Verifier) -> [UInt8] {
        CanonicalJSON.object([
            "apiVersion": .string("0.0.2"), "kind": .string("hashedrekord"),
            "spec": .object([
                "hashedRekordV002": .object([
                    "data": .object(["algorithm": .string(protoName(digest.algorithm)), "digest": .string(Base64.encode(digest.bytes))]),
                    "signature": .object(["content": .string(Base64.encode(signature)), "verifier": verifier.json]),
                ])
            ]),
        ]).serialized
    }

    /// A Rekor v2 verifier: the signing certificate or public key with its key details.
    public enum Verifier: Sendable {
        case certificate([UInt8], keyDetails: String)
        case publicKey([UInt8], keyDetails: String)

        var json: CanonicalJSON {
            switch self {
            case .certificate(let der, let details):
                .object(["keyDetails": .string(details), "x509Certificate": .object(["rawBytes": .string(Base64.encode(der))])])
            case .publicKey(let der, let details):
                .object(["keyDetails": .string(details), "publicKey": .object(["rawBytes": .string(Base64.encode(der))])])
            }
        }
    }

    static func protoName(_ algorithm: DigestAlgorithm) -> String {
        switch algorithm {
        case .sha256: "SHA2_256"
        case .sha384: "SHA2_384"
        case .sha512: "SHA2_512"
        }
    }

    /// protobuf-specs key details for a key.
    public static func keyDetails(_ key: PublicKey) -> String {
        switch key.kind {
        case .ecdsa(.p256): "PKIX_ECDSA_P256_SHA_256"
        case .ecdsa(.p384): "PKIX_ECDSA_P384_SHA_384"
        case .ecdsa(.p521): "PKIX_ECDSA_P521_SHA_512"
        case .ed25519: "PKIX_ED25519"
        case .rsa: "PKIX_RSA_PKCS1V15_2048_SHA256"
        }
    }
}
