import Foundation
import HephaestusPlatform

/// What a transparency log is asked to record: the signature, what it signs and who can check it.
/// Each log client turns this into the entry kind its API takes (Rekor v1 `hashedrekord`/`dsse`, Rekor v2
/// `hashedrekord` 0.0.2).
public struct ProposedLogEntry: Sendable {
    /// The signed content.
    public enum Content: Sendable {
        /// A message signature over an artifact with this digest.
        case messageDigest(Digest)
        /// A DSSE envelope (its JSON as it appears in the bundle).
        case envelope(DSSEEnvelope, json: [UInt8])
    }

    public let content: Content
    public let signature: [UInt8]
    /// The leaf certificate (keyless) or nil for a managed key.
    public let certificate: Certificate?
    public let publicKey: PublicKey

    public init(content: Content, signature: [UInt8], certificate: Certificate?, publicKey: PublicKey) {
        self.content = content
        self.signature = signature
        self.certificate = certificate
        self.publicKey = publicKey
    }

    /// The canonical Rekor v1 body (`hashedrekord` 0.0.1 or `dsse` 0.0.1) and its kind.
    public func rekorV1Body() -> (kind: String, body: [UInt8]) {
        let verifierPEM = certificate?.pem ?? publicKey.pem
        switch content {
        case .messageDigest(let digest):
            return ("hashedrekord", RekorEntryBody.hashedRekordV001(digest: digest, signature: signature, verifierPEM: verifierPEM))
        case .envelope(let envelope, let json):
            return ("dsse", RekorEntryBody.dsseV001(envelope: envelope, envelopeJSON: json, verifierPEM: verifierPEM))
        }
    }

    /// What a Rekor v1 client POSTs: the `hashedrekord` body itself, or for DSSE the `proposedContent` (envelope
    /// JSON and verifier) from which the log derives the canonical `dsse` body.
    public func rekorV1Proposal() -> [UInt8] {
        switch content {
        case .messageDigest:
            return rekorV1Body().body
        case .envelope(_, let json):
            let verifierPEM = certificate?.pem ?? publicKey.pem
            return CanonicalJSON.object([
                "apiVersion": .string("0.0.1"), "kind": .string("dsse"),
                "spec": .object([
                    "proposedContent": .object([
                        "envelope": .string(String(decoding: json, as: UTF8.self)),
                        "verifiers": .array([.string(Base64.encode(Array(verifierPEM.utf8)))]),
                    ])
                ]),
            ]).serialized
        }
    }

    /// The Rekor v2 `hashedrekord` 0.0.2 body (DSSE is logged by the digest of its pre-authentication encoding).
    public func rekorV2Body() -> [UInt8] {
        let details = RekorEntryBody.keyDetails(publicKey)
        let verifier: RekorEntryBody.Verifier =
            certificate.map { .certificate($0.derEncoded, keyDetails: details) }
            ?? .publicKey(publicKey.derSubjectPublicKeyInfo, keyDetails: details)
        let digest: Digest
        switch content {
        case .messageDigest(let value): digest = value
        case .envelope(let envelope, _): digest = DigestAlgorithm.sha256.hash(envelope.preAuthenticationEncoding)
        }
        return RekorEntryBody.hashedRekordV002(digest: digest, signature: signature, verifier: verifier)
    }
}

/// A Fulcio-like certificate authority.
public protocol CertificateIssuing {
    /// Requests a code-signing certificate for `publicKey`, proving possession with a signature over the token's
    /// ``IdentityToken/proofSubject``. Returns the chain, leaf first.
    func issueCertificate(publicKey: PublicKey, proofOfPossession: [UInt8], token: IdentityToken) throws -> [Certificate]
}

/// A Rekor-like transparency log.
public protocol TransparencyLogging {
    /// Records `entry` and returns the bundle's `tlogEntries` item for it (proto3 JSON object).
    func record(_ entry: ProposedLogEntry) throws -> [String: Any]
}

/// An RFC 3161 timestamp authority.
public protocol Timestamping {
    /// A DER `TimeStampResponse`'s token over `signature`.
    func timestamp(signature: [UInt8]) throws -> [UInt8]
}
