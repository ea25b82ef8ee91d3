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
    public let transparencyLog: (any TransparencyLogging)?
    public let timestampAuthorities: [any Timestamping]
    public let clock: @Sendable () -> Date

    public init(
        verifier: BundleVerifier, certificateAuthority: (any CertificateIssuing)?, transparencyLog: (any TransparencyLogging)?,
        timestampAuthorities: [any Timestamping] = [], clock: @escaping @Sendable () -> Date = Date.init
    ) {
        self.verifier = verifier
        self.certificateAuthority = certificateAuthority
        self.transparencyLog = transparencyLog
        self.timestampAuthorities = timestampAuthorities
        self.clock = clock
    }

    /// Signs `artifact`, records it, timestamps it, and verifies the result.
    public func sign(_ artifact: Artifact, as signer: Signer) throws -> SignedBundle {
        let key: PrivateKey
        let chain: [Certificate]
        let expectedIdentity: IdentityPolicy
        switch signer {
        case .keyless(let token):
            try token.checkUsable(at: clock())
            guard let certificateAuthority else {
                throw SigningError.invalidSigningConfig("keyless signing needs a certificate authority (Fulcio)")
            }
            key = PrivateKey.generate(.ecdsaP256)
            let proof = try key.sign(message: Array(token.proofSubject.utf8))
            chain = try certificateAuthority.issueCertificate(publicKey: key.publicKey, proofOfPossession: proof, token: token)
            try Self.checkLeaf(chain, certifies: key.publicKey)
            expectedIdentity = .certificate(identity: .exact(token.certificateIdentity), issuer: .exact(token.issuer), claims: [])
        case .managedKey(let managed, _):
            key = managed
            chain = []
            expectedIdentity = .publicKey(managed.publicKey)
        }

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
        let logEntries = try transparencyLog.map { [try $0.record(entry)] } ?? []
        let timestamps = try timestampAuthorities.map { try $0.timestamp(signature: signature) }
        let hint: String? = if case .managedKey(_, let hint) = signer { hint } else { nil }
        let json = BundleEncoder.data(
            BundleEncoder.bundle(
                certificate: chain.first, publicKeyHint: hint, logEntries: logEntries, timestamps: timestamps,
                messageDigest: artifact.digest, signature: signature))

        let artifactPolicy: ArtifactPolicy = artifact.bytes.map { .bytes($0) } ?? .digest(artifact.digest)
        let result: VerificationResult
        switch selfVerify(json, artifact: artifactPolicy, identity: expectedIdentity) {
        case .success(let verified): result = verified
        case .failure(let error): throw SigningError.selfVerificationFailed(error)
        }
        return SignedBundle(json: json, verification: result, certificate: chain.first)
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
