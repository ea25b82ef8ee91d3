import Foundation
import HephaestusPlatform

/// The last step: the signature over the artifact (message signatures) or over the DSSE PAE, whose in-toto
/// statement must name the artifact's digest among its subjects.
enum ArtifactSignatureVerification {
    /// Largest artifact read whole (only Ed25519 managed keys need the whole message).
    static let maximumInMemoryArtifact = 1 << 30

    /// The artifact digest in `algorithm`.
    static func digest(of artifact: ArtifactPolicy, algorithm: DigestAlgorithm) throws -> Digest {
        switch artifact {
        case .file(let path): return try algorithm.hash(fileAt: path)
        case .bytes(let bytes): return algorithm.hash(bytes)
        case .digest(let digest):
            guard digest.algorithm == algorithm else {
                throw VerificationError.artifactMismatch(expected: "a \(algorithm.rawValue) digest", actual: digest.description)
            }
            return digest
        }
    }

    static func verifyMessage(
        _ message: MessageSignature, artifactDigest: Digest, artifact: ArtifactPolicy, key: PublicKey
    ) throws(VerificationError) {
        if let claimed = message.messageDigest, claimed != artifactDigest {
            throw VerificationError.artifactMismatch(expected: claimed.description, actual: artifactDigest.description)
        }
        do {
            if case .ed25519 = key.kind {
                try key.verify(signature: message.signature, message: try wholeArtifact(artifact), scheme: .ed25519)
            } else if case .rsa = key.kind {
                try key.verify(signature: message.signature, digest: artifactDigest, scheme: .rsaPKCS1v15(artifactDigest.algorithm))
            } else {
                try key.verify(signature: message.signature, digest: artifactDigest, scheme: .ecdsa(artifactDigest.algorithm))
            }
        } catch let error as VerificationError {
            throw error
        } catch {
            throw VerificationError.signatureInvalid("signature over \(artifactDigest) does not verify with the signing key (\(error))")
        }
    }

    /// - Returns: the statement's predicate type, if it names one.
    @discardableResult
    static func verifyEnvelope(_ envelope: DSSEEnvelope, artifact: ArtifactPolicy, key: PublicKey) throws(VerificationError) -> String? {
        guard let signature = envelope.signatures.first else {
            throw VerificationError.signatureInvalid("DSSE envelope has no signature")
        }
        guard key.isValidSignature(signature.signature, for: envelope.preAuthenticationEncoding, scheme: key.defaultScheme) else {
            throw VerificationError.signatureInvalid("DSSE signature over the envelope does not verify with the signing key")
        }
        guard envelope.payloadType == "application/vnd.in-toto+json" else {
            throw VerificationError.statementMismatch("payload type is \(envelope.payloadType), not application/vnd.in-toto+json")
        }
        let fail: JSONObject.Failure = { .statementMismatch($0) }
        let statement = try JSONObject.parse(envelope.payload, path: "statement", failure: fail)
        let type = try statement.string("_type", failure: fail)
        guard type.hasPrefix("https://in-toto.io/Statement/") else {
            throw VerificationError.statementMismatch("unknown statement type \(type)")
        }
        let subjects = try statement.objects("subject", failure: fail)
        guard !subjects.isEmpty else { throw VerificationError.statementMismatch("statement has no subject") }
        var wanted: [String: String] = [:]
        for subject in subjects {
            let digests = try subject.object("digest", failure: fail)
            for algorithm in DigestAlgorithm.allCases {
                if let value = try digests.optionalString(algorithm.rawValue, failure: fail) {
                    let artifactDigest: Digest
                    do {
                        artifactDigest = try digest(of: artifact, algorithm: algorithm)
                    } catch {
                        continue
                    }
                    if value.lowercased() == artifactDigest.hex { return try statement.optionalString("predicateType", failure: fail) }
                    wanted[algorithm.rawValue] = artifactDigest.hex
                }
            }
        }
        let described = wanted.isEmpty ? "the artifact" : wanted.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: ", ")
        throw VerificationError.statementMismatch("in-toto statement has no subject for \(described)")
    }

    private static func wholeArtifact(_ artifact: ArtifactPolicy) throws -> [UInt8] {
        switch artifact {
        case .file(let path): return try FileReader.contents(of: path, limit: maximumInMemoryArtifact)
        case .bytes(let bytes): return bytes
        case .digest:
            throw VerificationError.signatureInvalid("an Ed25519 signature needs the artifact itself, not its digest")
        }
    }
}
