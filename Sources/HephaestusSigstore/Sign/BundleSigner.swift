import Foundation
import HephaestusPlatform

/// Produces bundle v0.3 signatures over artifacts, keyless (OIDC → CA → log → TSA) or with a managed key, and
/// verifies every bundle it produces with ``BundleVerifier`` before handing it out: a bundle that does not verify
/// with the same trust root and the signer's own identity is an error, never an output.
public struct BundleSigner {
    /// Who signs.
    public enum Signer {
        /// An ephemeral ECDSA P-256 key certified for the token's identity.
        case keyless(IdentityToken)
        /// A long-lived key; the bundle carries a public-key hint instead of a certificate.
        case managedKey(PrivateKey, hint: String)
    }

    /// What is signed: an artifact known by its SHA-256 digest (and its bytes, needed only for Ed25519 keys,
    /// which sign the message itself).
    public struct Artifact: Sendable {
        public let digest: Digest
        public let bytes: [UInt8]?

        public init(digest: Digest, bytes: [UInt8]? = nil) {
            self.digest = digest
            self.bytes = bytes
        }

        public init(bytes: [UInt8]) {
            self.init(digest: DigestAlgorithm.sha256.hash(bytes), bytes: bytes)
        }
    }

    /// A bundle that verified, with the verification's result.
    public struct SignedBundle {
        public let json: [UInt8]
        public let verification: VerificationResult
        /// The signing certificate (keyless) for reports.
        public let certificate: Certificate?
    }

    public let verifier: BundleVerifier
    public let certificateAuthority: (any CertificateIssuing)?
    public let transparencyLogs: [any TransparencyLogging]
    public let timestampAuthorities: [any Timestamping]
    public let clock: @Sendable () -> Date

    public init(
        verifier: BundleVerifier, certificateAuthority: (any CertificateIssuing)?, transparencyLogs: [any TransparencyLogging],
        timestampAuthorities: [any Timestamping] = [], clock: @escaping @Sendable () -> Date = Date.init
    ) {
        self.verifier = verifier
        self.certificateAuthority = certificateAuthority
        self.transparencyLogs = transparencyLogs
        self.timestampAuthorities = timestampAuthorities
        self.clock = clock
    }

    public init(
        verifier: BundleVerifier, certificateAuthority: (any CertificateIssuing)?, transparencyLog: (any TransparencyLogging)?,
        timestampAuthorities: [any Timestamping] = [], clock: @escaping @Sendable () -> Date = Date.init
    ) {
        self.init(
            verifier: verifier, certificateAuthority: certificateAuthority, transparencyLogs: transparencyLog.map { [$0] } ?? [],
            timestampAuthorities: timestampAuthorities, clock: clock)
    }

    /// The key that signs, with its certificate chain (keyless) and the identity bundles must verify for. One
    /// keyless preparation (one certificate) can sign many artifacts while the certificate is valid.
    public struct KeyMaterial {
        public let key: PrivateKey
        public let chain: [Certificate]
        public let identity: IdentityPolicy
        public let hint: String?

        /// Whether the signing certificate is still valid for `margin` seconds after `now` (always for managed keys).
        public func isUsable(at now: Date, margin: TimeInterval = 60) -> Bool {
            guard let leaf = chain.first else { return true }
            return leaf.notAfter.timeIntervalSince(now) > margin
        }
    }

    /// Signs `artifact`, records it, timestamps it, and verifies the result.
    public func sign(_ artifact: Artifact, as signer: Signer) throws -> SignedBundle {
        try sign(artifact, using: try prepare(signer))
    }

    /// Signs `artifact` with prepared key material.
    public func sign(_ artifact: Artifact, using material: KeyMaterial) throws -> SignedBundle {
        let (key, chain, identity) = (material.key, material.chain, material.identity)
        let signature: [UInt8]
        if case .ed25519 = key.publicKey.kind {
            guard let bytes = artifact.bytes else {
                throw SigningError.invalidSigningConfig("Ed25519 keys sign the artifact itself: its bytes are needed")
            }
            signature = try key.sign(message: bytes)
        } else {
            signature = try key.sign(digest: artifact.digest)
        }
        let entry = ProposedLogEntry(
            content: .messageDigest(artifact.digest), signature: signature, certificate: chain.first, publicKey: key.publicKey)
        let (logEntries, timestamps) = try record(entry)
        let json = BundleEncoder.data(
            BundleEncoder.bundle(
                certificate: chain.first, publicKeyHint: material.hint, logEntries: logEntries, timestamps: timestamps,
                messageDigest: artifact.digest, signature: signature))
        let artifactPolicy: ArtifactPolicy = artifact.bytes.map { .bytes($0) } ?? .digest(artifact.digest)
        return try finish(json, artifact: artifactPolicy, identity: identity, certificate: chain.first)
    }

    /// Signs an in-toto statement as a DSSE envelope (payload type `application/vnd.in-toto+json`); the bundle is
    /// verified against the statement's first SHA-256 subject.
    public func attest(statement: [UInt8], as signer: Signer) throws -> SignedBundle {
        try attest(statement: statement, using: try prepare(signer))
    }

    public func attest(statement: [UInt8], using material: KeyMaterial) throws -> SignedBundle {
        let subject = try Self.firstSubjectDigest(statement)
        let (key, chain, identity) = (material.key, material.chain, material.identity)
        let unsigned = DSSEEnvelope(payloadType: "application/vnd.in-toto+json", payload: statement, signatures: [])
        let signature = try key.sign(message: unsigned.preAuthenticationEncoding)
        let envelope = DSSEEnvelope(payloadType: unsigned.payloadType, payload: statement, signatures: [.init(signature: signature)])
        let envelopeJSON = BundleEncoder.data(BundleEncoder.envelopeJSON(envelope))
        let entry = ProposedLogEntry(
            content: .envelope(envelope, json: envelopeJSON), signature: signature, certificate: chain.first, publicKey: key.publicKey)
        let (logEntries, timestamps) = try record(entry)
        let json = BundleEncoder.data(
            BundleEncoder.bundle(
                certificate: chain.first, publicKeyHint: material.hint, logEntries: logEntries, timestamps: timestamps,
                messageDigest: nil, signature: nil, envelope: envelope))
        return try finish(json, artifact: .digest(subject), identity: identity, certificate: chain.first)
    }

    /// Generates the ephemeral key and obtains its certificate (keyless), or wraps the managed key.
    public func prepare(_ signer: Signer) throws -> KeyMaterial {
        switch signer {
        case .keyless(let token):
            try token.checkUsable(at: clock())
            guard let certificateAuthority else {
                throw SigningError.invalidSigningConfig("keyless signing needs a certificate authority (Fulcio)")
            }
            let key = PrivateKey.generate(.ecdsaP256)
            let proof = try key.sign(message: Array(token.proofSubject.utf8))
            let chain = try certificateAuthority.issueCertificate(publicKey: key.publicKey, proofOfPossession: proof, token: token)
            try Self.checkLeaf(chain, certifies: key.publicKey)
            return KeyMaterial(
                key: key, chain: chain, identity: .certificate(identity: .exact(token.certificateIdentity), issuer: .exact(token.issuer), claims: []),
                hint: nil)
        case .managedKey(let managed, let hint):
            return KeyMaterial(key: managed, chain: [], identity: .publicKey(managed.publicKey), hint: hint)
        }
    }

    private func record(_ entry: ProposedLogEntry) throws -> (logEntries: [[String: Any]], timestamps: [[UInt8]]) {
        let logEntries = try transparencyLogs.map { try $0.record(entry) }
        let timestamps = try timestampAuthorities.map { try $0.timestamp(signature: entry.signature) }
        return (logEntries, timestamps)
    }

    private func finish(_ json: [UInt8], artifact: ArtifactPolicy, identity: IdentityPolicy, certificate: Certificate?) throws -> SignedBundle {
        switch selfVerify(json, artifact: artifact, identity: identity) {
        case .success(let verified): return SignedBundle(json: json, verification: verified, certificate: certificate)
        case .failure(let error): throw SigningError.selfVerificationFailed(error)
        }
    }

    /// The first subject's SHA-256 of an in-toto statement (v0.1 or v1).
    static func firstSubjectDigest(_ statement: [UInt8]) throws(SigningError) -> Digest {
        guard let object = try? JSONSerialization.jsonObject(with: Data(statement)) as? [String: Any] else {
            throw .invalidStatement("not a JSON object")
        }
        guard let type = object["_type"] as? String, type.hasPrefix("https://in-toto.io/Statement/") else {
            throw .invalidStatement("\"_type\" is not an in-toto Statement type")
        }
        guard object["predicateType"] is String else { throw .invalidStatement("no \"predicateType\"") }
        guard let subjects = object["subject"] as? [[String: Any]], !subjects.isEmpty else {
            throw .invalidStatement("no \"subject\" entries")
        }
        for subject in subjects {
            if let hex = (subject["digest"] as? [String: Any])?["sha256"] as? String, let digest = Digest(algorithm: .sha256, hex: hex) {
                return digest
            }
        }
        throw .invalidStatement("no subject has a sha256 digest")
    }

    /// Verifies the bundle we built exactly as a consumer would: parsed back from its JSON.
    private func selfVerify(
        _ json: [UInt8], artifact: ArtifactPolicy, identity: IdentityPolicy
    ) -> Result<VerificationResult, VerificationError> {
        Result { () throws(VerificationError) -> VerificationResult in
            let bundle = try SigstoreBundle(json: json)
            return try verifier.verify(bundle, policy: try VerificationPolicy(artifact: artifact, identity: identity))
        }
    }

    /// The certificate must certify the key we hold, or the CA answered for someone else.
    static func checkLeaf(_ chain: [Certificate], certifies key: PublicKey) throws(SigningError) {
        guard let leaf = chain.first else { throw .certificateRejected("the certificate chain is empty") }
        let certified: PublicKey
        do { certified = try leaf.publicKey() } catch {
            throw .certificateRejected("the leaf's public key cannot be read: \(error)")
        }
        guard certified.derSubjectPublicKeyInfo == key.derSubjectPublicKeyInfo else {
            throw .certificateRejected("the leaf certifies another public key than the one we generated")
        }
    }
}
