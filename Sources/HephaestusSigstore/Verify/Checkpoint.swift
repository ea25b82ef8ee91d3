import HephaestusPlatform

/// A transparency-log checkpoint in C2SP signed-note form (tlog-checkpoint): origin, tree size, root hash, optional
/// extension lines, then signature lines `— NAME BASE64(keyhint || signature)`.
public struct Checkpoint: Sendable, Equatable {
    public struct SignatureLine: Sendable, Equatable {
        public let name: String
        public let keyHint: [UInt8]
        public let signature: [UInt8]
    }

    public let origin: String
    public let treeSize: Int64
    public let rootHash: [UInt8]
    /// The signed text: every line before the blank line, each with its newline.
    public let signedText: [UInt8]
    public let signatures: [SignatureLine]

    /// Parses a signed note; malformed notes are rejected whole.
    public init(note: String) throws(VerificationError) {
        let bytes = Array(note.utf8)
        guard bytes.count <= 1 << 16 else { throw VerificationError.checkpointInvalid("note is larger than 64 KiB") }
        let separator: [UInt8] = [0x0A, 0x0A]
        guard let split = Self.firstIndex(of: separator, in: bytes) else {
            throw VerificationError.checkpointInvalid("note has no blank line before its signatures")
        }
        signedText = Array(bytes[..<(split + 1)])
        let bodyLines = String(decoding: signedText.dropLast(), as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        guard bodyLines.count >= 3 else { throw VerificationError.checkpointInvalid("checkpoint needs origin, size and root hash lines") }
        origin = String(bodyLines[0])
        guard !origin.isEmpty else { throw VerificationError.checkpointInvalid("empty origin") }
        guard let size = Int64(bodyLines[1]), size >= 0, String(size) == bodyLines[1] else {
            throw VerificationError.checkpointInvalid("tree size \"\(bodyLines[1])\" is not a decimal number")
        }
        treeSize = size
        guard let root = Base64.decode(bodyLines[2]), root.count == 32 else {
            throw VerificationError.checkpointInvalid("root hash is not 32 bytes of Base64")
        }
        rootHash = root
        let signatureText = bytes[(split + 2)...]
        guard signatureText.last == 0x0A else { throw VerificationError.checkpointInvalid("signature lines must end with a newline") }
        var lines: [SignatureLine] = []
        for line in String(decoding: signatureText.dropLast(), as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false) {
            guard line.hasPrefix("— ") else { throw VerificationError.checkpointInvalid("malformed signature line") }
            let parts = line.dropFirst(2).split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, let blob = Base64.decode(parts[1]), blob.count > 4 else {
                throw VerificationError.checkpointInvalid("malformed signature line")
            }
            lines.append(SignatureLine(name: String(parts[0]), keyHint: Array(blob.prefix(4)), signature: Array(blob.dropFirst(4))))
        }
        guard !lines.isEmpty else { throw VerificationError.checkpointInvalid("note has no signatures") }
        guard lines.count <= 100 else { throw VerificationError.checkpointInvalid("note has too many signatures") }
        signatures = lines
    }

    /// Verifies the note's signature by `log`. Lines whose key hint is not the log's are other parties'
    /// (witness cosignatures) and ignored; a line with the log's hint must verify.
    ///
    /// Key hints: for ECDSA logs (Rekor v1) the first 4 bytes of the log id; for Ed25519 logs (Rekor v2) the first
    /// 4 bytes of SHA-256(name || "\n" || 0x01 || raw key), per C2SP signed-note.
    /// `cache` remembers checkpoint signatures already verified in the run (see ``VerifiedSignatureCache``).
    public func verify(log: TransparencyLogInstance, cache: VerifiedSignatureCache? = nil) throws(VerificationError) {
        var verified = 0
        for line in signatures {
            guard line.keyHint == Self.keyHint(for: log, name: line.name) else { continue }
            let valid =
                cache?.isValidSignature(line.signature, for: signedText, key: log.publicKey, scheme: log.scheme)
                ?? log.publicKey.isValidSignature(line.signature, for: signedText, scheme: log.scheme)
            guard valid else {
                throw VerificationError.checkpointInvalid("signature by \(line.name) does not verify with the log's key")
            }
            verified += 1
        }
        guard verified > 0 else {
            throw VerificationError.checkpointInvalid("no signature by the log's key (key hint \(Hex.encode(Self.keyHint(for: log, name: origin))))")
        }
    }

    static func keyHint(for log: TransparencyLogInstance, name: String) -> [UInt8] {
        switch log.publicKey.kind {
        case .ed25519:
            let raw = Array(log.publicKey.derSubjectPublicKeyInfo.suffix(32))
            return Array(DigestAlgorithm.sha256.hash(Array(name.utf8) + [0x0A, 0x01] + raw).bytes.prefix(4))
        default:
            return Array(log.logID.prefix(4))
        }
    }

    private static func firstIndex(of pattern: [UInt8], in bytes: [UInt8]) -> Int? {
        guard bytes.count >= pattern.count else { return nil }
        for index in 0...(bytes.count - pattern.count) where bytes[index] == pattern[0] && Array(bytes[index..<(index + pattern.count)]) == pattern {
            return index
        }
        return nil
    }
}
