import HephaestusPlatform

/// A Sigstore bundle (protobuf-specs `dev.sigstore.bundle.v1.Bundle`), parsed and checked for its version's rules.
public struct SigstoreBundle: Sendable {
    /// The bundle format versions this verifier knows.
    public enum Version: String, Sendable, Comparable {
        // swift-format-ignore: AlwaysUseLowerCamelCase
        case v0_1 = "0.1"
        // swift-format-ignore: AlwaysUseLowerCamelCase
        case v0_2 = "0.2"
        // swift-format-ignore: AlwaysUseLowerCamelCase
        case v0_3 = "0.3"

        public static func < (lhs: Version, rhs: Version) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// The media types accepted, by version.
    public static let mediaTypes: [String: Version] = [
        "application/vnd.dev.sigstore.bundle+json;version=0.1": .v0_1,
        "application/vnd.dev.sigstore.bundle+json;version=0.2": .v0_2,
        "application/vnd.dev.sigstore.bundle+json;version=0.3": .v0_3,
        "application/vnd.dev.sigstore.bundle.v0.3+json": .v0_3,
    ]

    /// Bounds against resource exhaustion (as sigstore-go's `internal/limits`).
    public static let maximumLogEntries = 32
    public static let maximumTimestamps = 32
    /// The most JSON values a bundle's text may hold (objects, arrays, strings, numbers, literals: a genuine bundle has
    /// about 50, one with every list at its bound a few thousand). The parse stops at the one too many, so a large
    /// body of many small values never becomes a parse tree in memory.
    public static let maximumJSONValues = 10_000

    /// What vouches for the signing key.
    public enum VerificationContent: Sendable {
        /// A Fulcio leaf certificate (v0.3 `certificate`, or the leaf of a v0.1/v0.2 chain) and any intermediates the
        /// bundle carried (never a root).
        case certificate(leaf: Certificate, intermediates: [Certificate])
        /// A managed key, identified by a hint; the key itself comes from the verifier (`--key`).
        case publicKey(hint: String?)
    }

    /// What was signed.
    public enum Content: Sendable {
        case messageSignature(MessageSignature)
        case dsseEnvelope(DSSEEnvelope)
    }

    public let mediaType: String
    public let version: Version
    public let verificationContent: VerificationContent
    public let transparencyLogEntries: [TransparencyLogEntry]
    /// DER RFC 3161 TimeStampResp values.
    public let signedTimestamps: [[UInt8]]
    public let content: Content

    /// The signature bytes the transparency log and timestamps refer to.
    public var signature: [UInt8] {
        switch content {
        case .messageSignature(let message): message.signature
        case .dsseEnvelope(let envelope): envelope.signatures.first?.signature ?? []
        }
    }

    /// The leaf certificate, when the bundle carries one.
    public var leafCertificate: Certificate? {
        if case .certificate(let leaf, _) = verificationContent { return leaf }
        return nil
    }
}

/// A signature over an artifact's digest (`MessageSignature`).
public struct MessageSignature: Sendable {
    /// The digest the bundle claims was signed; optional in the format.
    public let messageDigest: Digest?
    public let signature: [UInt8]
}

/// One transparency log entry (`TransparencyLogEntry`).
public struct TransparencyLogEntry: Sendable {
    public let logIndex: Int64
    public let logKeyID: [UInt8]
    public let kind: String
    public let kindVersion: String
    /// Seconds since the epoch; 0 for Rekor v2 entries, whose time is never trusted.
    public let integratedTime: Int64
    public let inclusionPromise: [UInt8]?
    public let inclusionProof: InclusionProof?
    public let canonicalizedBody: [UInt8]
}

/// An RFC 6962 inclusion proof with the checkpoint that commits to its root.
public struct InclusionProof: Sendable {
    /// The entry's index in the tree the proof is for (may differ from the entry's global index).
    public let logIndex: Int64
    public let rootHash: [UInt8]
    public let treeSize: Int64
    public let hashes: [[UInt8]]
    /// The signed note text; nil when absent.
    public let checkpoint: String?
}

/// A DSSE envelope.
public struct DSSEEnvelope: Sendable {
    public struct Signature: Sendable {
        public let signature: [UInt8]
        public let keyID: String?

        public init(signature: [UInt8], keyID: String? = nil) {
            self.signature = signature
            self.keyID = keyID
        }
    }

    public let payloadType: String
    public let payload: [UInt8]
    public let signatures: [Signature]

    public init(payloadType: String, payload: [UInt8], signatures: [Signature]) {
        self.payloadType = payloadType
        self.payload = payload
        self.signatures = signatures
    }

    /// The DSSE pre-authentication encoding: `DSSEv1 LEN(type) type LEN(body) body`.
    public var preAuthenticationEncoding: [UInt8] {
        let type = Array(payloadType.utf8)
        return Array("DSSEv1 \(type.count) ".utf8) + type + Array(" \(payload.count) ".utf8) + payload
    }
}
