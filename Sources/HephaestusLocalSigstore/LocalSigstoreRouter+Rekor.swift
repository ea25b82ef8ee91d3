import Foundation
import HephaestusPlatform
import HephaestusSigstore

extension LocalSigstoreRouter {
    // MARK: Rekor v1

    /// Rekor v1 `POST /api/v1/log/entries`: a `hashedrekord` 0.0.1 proposal whose signature verifies is appended;
    /// the answer is the `{uuid: LogEntry}` document with SET and inclusion proof.
    func createLogEntry(_ body: [UInt8]) -> Response {
        guard let proposal = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            return .error(400, "the proposed entry is not a JSON object")
        }
        if proposal["kind"] as? String == "dsse" { return createDSSEEntry(proposal) }
        guard proposal["kind"] as? String == "hashedrekord", proposal["apiVersion"] as? String == "0.0.1",
            let spec = proposal["spec"] as? [String: Any],
            let data = spec["data"] as? [String: Any], let hash = data["hash"] as? [String: Any],
            hash["algorithm"] as? String == "sha256", let hex = hash["value"] as? String,
            let digest = Digest(algorithm: .sha256, hex: hex),
            let signatureObject = spec["signature"] as? [String: Any], let signatureText = signatureObject["content"] as? String,
            let signature = Base64.decode(signatureText), let keyObject = signatureObject["publicKey"] as? [String: Any],
            let verifierText = keyObject["content"] as? String, let verifierPEMBytes = Base64.decode(verifierText)
        else { return .error(400, "unsupported or malformed entry (this instance accepts hashedrekord and dsse 0.0.1)") }
        let verifierPEM = String(decoding: verifierPEMBytes, as: UTF8.self)
        guard let key = Self.verifierKey(pem: verifierPEM) else {
            return .error(400, "the verifier is neither a PEM certificate nor a PEM public key")
        }
        if let problem = Self.checkDigestSignature(signature, digest: digest, key: key) { return .error(400, problem) }
        let canonical = RekorEntryBody.hashedRekordV001(digest: digest, signature: signature, verifierPEM: verifierPEM)
        return appendRekorV1(canonical)
    }

    /// A `dsse` 0.0.1 proposal (`proposedContent`: envelope JSON + PEM verifiers): every signature must verify
    /// over the envelope's pre-authentication encoding with some verifier.
    func createDSSEEntry(_ proposal: [String: Any]) -> Response {
        guard proposal["apiVersion"] as? String == "0.0.1", let spec = proposal["spec"] as? [String: Any],
            let content = spec["proposedContent"] as? [String: Any], let envelopeText = content["envelope"] as? String,
            let verifierTexts = content["verifiers"] as? [String], verifierTexts.count == 1,
            let verifierBytes = Base64.decode(verifierTexts[0]),
            let envelopeObject = try? JSONSerialization.jsonObject(with: Data(envelopeText.utf8)) as? [String: Any],
            let payloadType = envelopeObject["payloadType"] as? String,
            let payload = (envelopeObject["payload"] as? String).flatMap({ Base64.decode($0) }),
            let signatureObjects = envelopeObject["signatures"] as? [[String: Any]], !signatureObjects.isEmpty
        else { return .error(400, "malformed dsse 0.0.1 proposal (one verifier, an envelope with payload and signatures)") }
        let verifierPEM = String(decoding: verifierBytes, as: UTF8.self)
        guard let key = Self.verifierKey(pem: verifierPEM) else {
            return .error(400, "the verifier is neither a PEM certificate nor a PEM public key")
        }
        var signatures: [DSSEEnvelope.Signature] = []
        for object in signatureObjects {
            guard let signature = (object["sig"] as? String).flatMap({ Base64.decode($0) }) else {
                return .error(400, "a DSSE signature is not Base64")
            }
            signatures.append(DSSEEnvelope.Signature(signature: signature, keyID: object["keyid"] as? String))
        }
        let envelope = DSSEEnvelope(payloadType: payloadType, payload: payload, signatures: signatures)
        for signature in signatures
        where !key.isValidSignature(signature.signature, for: envelope.preAuthenticationEncoding, scheme: key.defaultScheme) {
            return .error(400, "a DSSE signature does not verify over the envelope with the given verifier")
        }
        return appendRekorV1(RekorEntryBody.dsseV001(envelope: envelope, envelopeJSON: Array(envelopeText.utf8), verifierPEM: verifierPEM))
    }

    private func appendRekorV1(_ canonical: [UInt8]) -> Response {
        if let existing = transparencyLog.index(ofLeafHash: MerkleInclusion.leafHash(canonical)) {
            return .error(409, "an equivalent entry already exists in the log at index \(existing)")
        }
        do {
            let receipt = try transparencyLog.append(body: canonical, integratedTime: Int64(Date().timeIntervalSince1970))
            return .json(201, Self.rekorV1Document(receipt: receipt, body: canonical))
        } catch {
            return .error(500, "\(error)")
        }
    }

    static func verifierKey(pem: String) -> PublicKey? {
        if let certificate = try? Certificate.parsePEM(pem).first, let certified = try? certificate.publicKey() { return certified }
        return try? PublicKey(pem: pem)
    }

    /// Rekor v1 `GET /api/v1/log/entries?logIndex=N`.
    func logEntry(index text: String?) -> Response {
        guard let text, let index = Int64(text), index >= 0 else { return .error(400, "logIndex must be a non-negative integer") }
        return logEntry(at: index)
    }

    /// Rekor v1 `GET /api/v1/log/entries/{uuid}` (the entry's leaf hash, hex; a 16-hex-digit tree id prefix is allowed).
    func logEntry(uuid: String) -> Response {
        let leafHex = uuid.count == 80 ? String(uuid.suffix(64)) : uuid
        guard let leafHash = Hex.decode(leafHex), leafHash.count == 32 else { return .error(400, "malformed entry UUID") }
        guard let index = transparencyLog.index(ofLeafHash: leafHash) else { return .error(404, "no entry with UUID \(uuid)") }
        return logEntry(at: index)
    }

    private func logEntry(at index: Int64) -> Response {
        do {
            guard let (entry, receipt) = try transparencyLog.entry(at: index) else { return .error(404, "no entry at index \(index)") }
            return .json(200, Self.rekorV1Document(receipt: receipt, body: entry.body))
        } catch {
            return .error(500, "\(error)")
        }
    }

    /// Rekor v1 `GET /api/v1/log`: tree size, root hash and the signed checkpoint.
    func logInfo() -> Response {
        do {
            let head = try transparencyLog.currentCheckpoint()
            return .json(
                200,
                [
                    "rootHash": Hex.encode(head.root), "treeSize": head.size, "signedTreeHead": head.note,
                    "treeID": String(transparencyLog.treeID), "inactiveShards": [Any](),
                ])
        } catch {
            return .error(500, "\(error)")
        }
    }

    static func rekorV1Document(receipt: LocalTransparencyLog.Receipt, body: [UInt8]) -> [String: Any] {
        var verification: [String: Any] = [
            "inclusionProof": [
                "checkpoint": receipt.checkpoint, "hashes": receipt.proof.map(Hex.encode), "logIndex": receipt.logIndex,
                "rootHash": Hex.encode(receipt.rootHash), "treeSize": receipt.treeSize,
            ]
        ]
        if let set = receipt.signedEntryTimestamp { verification["signedEntryTimestamp"] = Base64.encode(set) }
        return [
            Hex.encode(MerkleInclusion.leafHash(body)): [
                "body": Base64.encode(body), "integratedTime": receipt.integratedTime, "logID": Hex.encode(receipt.logID),
                "logIndex": receipt.logIndex, "verification": verification,
            ]
        ]
    }

    // MARK: Rekor v2

    /// Rekor v2 `POST /api/v2/log/entries` with a `hashedRekordRequestV002`: the answer is the bundle's
    /// `TransparencyLogEntry` (inclusion proof and checkpoint; no SET, no integrated time).
    func createRekorV2Entry(_ body: [UInt8]) -> Response {
        guard let rekorV2 else { return .error(404, "this instance has no Rekor v2 log") }
        guard let request = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
            let hashed = request["hashedRekordRequestV002"] as? [String: Any],
            let digestText = hashed["digest"] as? String, let digestBytes = Base64.decode(digestText), digestBytes.count == 32,
            let signatureObject = hashed["signature"] as? [String: Any],
            let signatureText = signatureObject["content"] as? String, let signature = Base64.decode(signatureText),
            let verifierObject = signatureObject["verifier"] as? [String: Any], let keyDetails = verifierObject["keyDetails"] as? String
        else { return .error(400, "unsupported or malformed request (this log accepts hashedRekordRequestV002 with a SHA-256 digest)") }
        let verifier: RekorEntryBody.Verifier
        let key: PublicKey
        if let certificateObject = verifierObject["x509Certificate"] as? [String: Any],
            let raw = (certificateObject["rawBytes"] as? String).flatMap({ Base64.decode($0) }),
            let certificate = try? Certificate(derEncoded: raw), let certified = try? certificate.publicKey()
        {
            verifier = .certificate(raw, keyDetails: keyDetails)
            key = certified
        } else if let keyObject = verifierObject["publicKey"] as? [String: Any],
            let raw = (keyObject["rawBytes"] as? String).flatMap({ Base64.decode($0) }), let plain = try? PublicKey(derSubjectPublicKeyInfo: raw)
        {
            verifier = .publicKey(raw, keyDetails: keyDetails)
            key = plain
        } else {
            return .error(400, "the verifier is neither an x509Certificate nor a publicKey")
        }
        guard keyDetails == RekorEntryBody.keyDetails(key) else {
            return .error(400, "keyDetails \(keyDetails) does not match the verifier's key (\(RekorEntryBody.keyDetails(key)))")
        }
        let digest = Digest(algorithm: .sha256, bytes: digestBytes)
        if let problem = Self.checkDigestSignature(signature, digest: digest, key: key) { return .error(400, problem) }
        let canonical = RekorEntryBody.hashedRekordV002(digest: digest, signature: signature, verifier: verifier)
        do {
            let receipt = try rekorV2.append(body: canonical, integratedTime: 0)
            return .json(201, receipt.bundleEntry(kind: "hashedrekord", kindVersion: "0.0.2", body: canonical))
        } catch {
            return .error(500, "\(error)")
        }
    }

    /// Rekor v2 `GET /api/v2/checkpoint`: the latest signed checkpoint as text.
    func rekorV2Checkpoint() -> Response {
        guard let rekorV2 else { return .error(404, "this instance has no Rekor v2 log") }
        do {
            return Response(status: 200, contentType: "text/plain; charset=utf-8", body: Array(try rekorV2.currentCheckpoint().note.utf8))
        } catch {
            return .error(500, "\(error)")
        }
    }

    /// hashedrekord signatures are over the digest (prehashed): Ed25519 keys cannot make one.
    static func checkDigestSignature(_ signature: [UInt8], digest: Digest, key: PublicKey) -> String? {
        let scheme: SignatureScheme
        switch key.kind {
        case .ecdsa: scheme = .ecdsa(digest.algorithm)
        case .rsa: scheme = .rsaPKCS1v15(digest.algorithm)
        default: return "hashedrekord needs a key that signs digests (ECDSA or RSA), not \(key.kind)"
        }
        guard (try? key.verify(signature: signature, digest: digest, scheme: scheme)) != nil else {
            return "the signature does not verify over the digest with the given verifier"
        }
        return nil
    }
}
