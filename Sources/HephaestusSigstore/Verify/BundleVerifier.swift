import Foundation
import HephaestusPlatform

/// Verifies Sigstore bundles against one trusted root, following the Sigstore client specification §4.
///
/// Built once per deployment (trust root + thresholds); each ``verify(_:policy:)`` call brings the artifact and the
/// expected signer, so one verifier serves a whole batch. Never uses the network.
public struct BundleVerifier: Sendable {
    public let trustedRoot: TrustedRoot
    public let configuration: VerifierConfiguration
    /// "Now", read at each verification: only to refuse integrated times from the future.
    public let clock: @Sendable () -> Date
    /// Signatures this verifier has already verified, by their exact bytes and key: a leaf's signature by its issuer,
    /// its SCTs and log checkpoints, which many bundles of a batch share (one signing run's certificate, one tree
    /// head). The bundle-specific signatures (the SET, the signature over the artifact) are checked every time.
    public let signatures: VerifiedSignatureCache

    public init(
        trustedRoot: TrustedRoot, configuration: VerifierConfiguration = .publicGood,
        clock: @escaping @Sendable () -> Date = Date.init, signatures: VerifiedSignatureCache = VerifiedSignatureCache()
    ) {
        self.trustedRoot = trustedRoot
        self.configuration = configuration
        self.clock = clock
        self.signatures = signatures
    }

    /// Verifies `bundle` against `policy` (spec §4, in its order); traced step by step when a span is active.
    public func verify(_ bundle: SigstoreBundle, policy: VerificationPolicy) throws(VerificationError) -> VerificationResult {
        let trace = VerificationTrace.start(mediaType: bundle.mediaType)
        do {
            let result = try verify(bundle, policy: policy, trace: trace)
            trace.end(nil)
            return result
        } catch {
            trace.end(error)
            throw error
        }
    }

    private func verify(
        _ bundle: SigstoreBundle, policy: VerificationPolicy, trace: VerificationTrace
    ) throws(VerificationError) -> VerificationResult {
        // Spec: the signing key is the certificate's (keyless) or the one the verifier was given (managed key).
        let key: PublicKey
        let leaf: Certificate?
        let intermediates: [Certificate]
        switch (bundle.verificationContent, policy.identity) {
        case (.certificate(let certificate, let chain), .certificates), (.certificate(let certificate, let chain), .signerRule):
            leaf = certificate
            intermediates = chain
            do { key = try certificate.publicKey() } catch {
                throw VerificationError.certificateProfileInvalid("leaf public key: \(error)")
            }
        case (.publicKey, .publicKey(let managed)):
            leaf = nil
            intermediates = []
            key = managed
        case (.publicKey, .certificates), (.publicKey, .signerRule):
            throw VerificationError.invalidPolicy("the bundle is signed with a managed key: verify it with --key")
        case (.certificate, .publicKey):
            throw VerificationError.invalidPolicy("the bundle carries a certificate: verify it with an identity and issuer, not --key")
        }

        // The artifact digest, in the algorithm the bundle signed with.
        let algorithm: DigestAlgorithm
        if case .messageSignature(let message) = bundle.content, let claimed = message.messageDigest {
            algorithm = claimed.algorithm
        } else if case .digest(let given) = policy.artifact {
            // Only the digest is known (gh's --digest-alg sha512): the statement must name it in that algorithm.
            algorithm = given.algorithm
        } else {
            algorithm = .sha256
        }
        let artifactDigest = try trace.step("artifact-digest") { () throws(VerificationError) -> Digest in
            let artifactDigest: Digest
            do {
                artifactDigest = try ArtifactSignatureVerification.digest(of: policy.artifact, algorithm: algorithm)
            } catch let error as VerificationError {
                throw error
            } catch {
                throw VerificationError.artifactMismatch(expected: "a readable artifact", actual: "\(error)")
            }
            // The bundle's claimed digest must be the artifact's before anything else is worth checking.
            if case .messageSignature(let message) = bundle.content, let claimed = message.messageDigest, claimed != artifactDigest {
                throw VerificationError.artifactMismatch(expected: claimed.description, actual: artifactDigest.description)
            }
            return artifactDigest
        }
        let envelope: DSSEEnvelope? = if case .dsseEnvelope(let envelope) = bundle.content { envelope } else { nil }
        let material = SignedMaterial(
            signature: bundle.signature, verifierDER: leaf?.derEncoded ?? key.derSubjectPublicKeyInfo,
            verifierIsCertificate: leaf != nil, artifactDigest: envelope == nil ? artifactDigest : nil, envelope: envelope)

        // Spec §4.1–4.2: establish verified times — SETs (Rekor v1 integrated times) and RFC 3161 timestamps.
        // Rekor v2 entries have no signed integrated time; an inclusion proof alone proves no time.
        let logOutcomes = try trace.step("transparency-log") { () throws(VerificationError) in
            try TransparencyLogVerification.verify(
                bundle.transparencyLogEntries, material: material, trustedRoot: trustedRoot, now: clock(), signatures: signatures)
        }
        let timestamps = try trace.step("signed-timestamps") { () throws(VerificationError) in
            try SignedTimestampVerification.verify(bundle.signedTimestamps, signature: bundle.signature, trustedRoot: trustedRoot)
        }
        var verifiedTimes = logOutcomes.compactMap { outcome in
            outcome.verifiedTime.map { VerificationResult.VerifiedTimestamp(source: "transparency-log", authority: outcome.log.baseURL, time: $0) }
        }
        verifiedTimes += timestamps.verified.map {
            VerificationResult.VerifiedTimestamp(source: "timestamp-authority", authority: $0.authority.uri, time: $0.time)
        }
        guard verifiedTimes.count >= configuration.verifiedTimeThreshold else {
            let detail = timestamps.failures.isEmpty ? "" : " (\(timestamps.failures.joined(separator: "; ")))"
            throw VerificationError.noVerifiedTime(
                "\(verifiedTimes.count) < \(configuration.verifiedTimeThreshold): the bundle needs an inclusion promise or a verifiable RFC 3161 timestamp"
                    + detail)
        }
        guard timestamps.verified.count >= configuration.signedTimestampThreshold else {
            let detail = timestamps.failures.isEmpty ? "" : " (\(timestamps.failures.joined(separator: "; ")))"
            throw VerificationError.noVerifiedTime(
                "\(timestamps.verified.count) < \(configuration.signedTimestampThreshold) verified RFC 3161 timestamps" + detail)
        }
        guard logOutcomes.count >= configuration.transparencyLogThreshold else {
            throw VerificationError.transparencyLogEntryInvalid(
                "threshold not met: \(logOutcomes.count) < \(configuration.transparencyLogThreshold) verified log entries")
        }

        var summary: FulcioCertificate?
        var scts: [[UInt8]]?
        var signingCertificate: VerificationResult.SigningCertificate?
        if let leaf {
            // Spec §4.3: certification path validation to a trusted Fulcio CA at each verified time.
            let path = try trace.step("certificate-chain") { () throws(VerificationError) in
                let path = try CertificateVerification.verify(
                    leaf: leaf, intermediates: intermediates, at: verifiedTimes.map(\.time), trustedRoot: trustedRoot, signatures: signatures)
                guard path.count >= 2 else {
                    throw VerificationError.certificateChainInvalid("the leaf must be issued by a CA certificate, not be one")
                }
                return path
            }
            // Spec §4.4: embedded SCTs from trusted CT logs (none are asked for when the threshold is 0).
            if configuration.signedCertificateTimestampThreshold > 0 {
                scts = try trace.step("signed-certificate-timestamps") { () throws(VerificationError) in
                    try SignedCertificateTimestampVerification.verify(
                        leaf: leaf, issuer: path[1], trustedRoot: trustedRoot,
                        threshold: configuration.signedCertificateTimestampThreshold, signatures: signatures)
                }
            }
            // Spec §4.5: the identity policy (SAN, issuer, CI claims).
            let fulcio = try trace.step("identity") { () throws(VerificationError) in
                let fulcio = try FulcioCertificate(leaf)
                if case .signerRule(let rule) = policy.identity {
                    try rule.check(fulcio)
                } else {
                    try policy.identity.check(identity: fulcio.identity, issuer: fulcio.issuer, claims: fulcio.claims)
                }
                return fulcio
            }
            summary = fulcio
            signingCertificate = .init(leaf)
        }

        // Spec §4.7: the signature over the artifact (or over the DSSE PAE, with the statement naming the artifact).
        let predicateType: String? = try trace.step("signature") { () throws(VerificationError) in
            switch bundle.content {
            case .messageSignature(let message):
                try ArtifactSignatureVerification.verifyMessage(message, artifactDigest: artifactDigest, artifact: policy.artifact, key: key)
                return nil
            case .dsseEnvelope(let envelope):
                return try ArtifactSignatureVerification.verifyEnvelope(envelope, artifact: policy.artifact, key: key)
            }
        }

        var result = VerificationResult(
            bundleMediaType: bundle.mediaType, artifactDigest: artifactDigest.description,
            identity: summary?.identity ?? "key:sha256:\(DigestAlgorithm.sha256.hash(key.derSubjectPublicKeyInfo).hex)",
            issuer: summary?.issuer, claims: summary?.claims ?? [:],
            logEntries: logOutcomes.map { outcome in
                .init(
                    logIndex: outcome.entry.logIndex, logID: Base64.encode(outcome.entry.logKeyID), log: outcome.log.baseURL,
                    kind: outcome.entry.kind, kindVersion: outcome.entry.kindVersion, integratedTime: outcome.verifiedTime,
                    inclusionProofTreeSize: outcome.entry.inclusionProof?.treeSize)
            },
            verifiedTimestamps: verifiedTimes.sorted { $0.time < $1.time }, certificate: signingCertificate)
        result.signedCertificateTimestamps = scts?.count
        result.predicateType = predicateType
        // The policy's other rules, on the verified facts.
        try policy.requirements.check(result, now: clock())
        return result
    }
}
