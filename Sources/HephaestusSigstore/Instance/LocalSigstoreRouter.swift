import Foundation
import HephaestusPlatform

/// The HTTP face of a local test instance: Fulcio v2 `signingCert` and Rekor v1 `log/entries`, answered by the
/// in-process CA and log with the wire formats of the real services. Transport-agnostic (a socket server or a test
/// transport calls ``respond(method:path:body:)``). Test instance only: it does not verify token signatures yet.
public struct LocalSigstoreRouter: Sendable {
    public struct Response: Sendable {
        public let status: Int
        public let body: [UInt8]

        public init(status: Int, body: [UInt8]) {
            self.status = status
            self.body = body
        }

        static func json(_ status: Int, _ object: Any) -> Response {
            Response(status: status, body: Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()))
        }

        static func error(_ status: Int, _ message: String) -> Response { json(status, ["code": status, "message": message]) }
    }

    public let certificateAuthority: LocalCertificateAuthority
    public let transparencyLog: LocalTransparencyLog

    public init(certificateAuthority: LocalCertificateAuthority, transparencyLog: LocalTransparencyLog) {
        self.certificateAuthority = certificateAuthority
        self.transparencyLog = transparencyLog
    }

    public func respond(method: String, path: String, body: [UInt8]) -> Response {
        switch (method, path) {
        case ("POST", "/api/v2/signingCert"): return signingCertificate(body)
        case ("POST", "/api/v1/log/entries"): return createLogEntry(body)
        default: return .error(404, "no route for \(method) \(path)")
        }
    }

    /// Fulcio: credentials + public key + proof of possession → chain with an embedded SCT.
    func signingCertificate(_ body: [UInt8]) -> Response {
        guard let request = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
            let credentials = request["credentials"] as? [String: Any], let tokenText = credentials["oidcIdentityToken"] as? String,
            let keyRequest = request["publicKeyRequest"] as? [String: Any],
            let keyObject = keyRequest["publicKey"] as? [String: Any], let keyPEM = keyObject["content"] as? String,
            let proofText = keyRequest["proofOfPossession"] as? String, let proof = Base64.decode(proofText)
        else { return .error(400, "malformed signingCert request") }
        let token: IdentityToken
        do { token = try IdentityToken(tokenText) } catch { return .error(401, "\(error)") }
        let publicKey: PublicKey
        do { publicKey = try PublicKey(pem: keyPEM) } catch { return .error(400, "public key: \(error)") }
        do {
            let chain = try certificateAuthority.issueCertificate(publicKey: publicKey, proofOfPossession: proof, token: token)
            return .json(201, ["signedCertificateEmbeddedSct": ["chain": ["certificates": chain.map(\.pem)]]])
        } catch let error as SigningError {
            if case .identityTokenNotUsable = error { return .error(401, error.description) }
            return .error(400, error.description)
        } catch {
            return .error(500, "\(error)")
        }
    }

    /// Rekor v1: a `hashedrekord` 0.0.1 proposal whose signature verifies is appended; the answer is the
    /// `{uuid: LogEntry}` document with SET and inclusion proof.
    func createLogEntry(_ body: [UInt8]) -> Response {
        guard let proposal = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
            proposal["kind"] as? String == "hashedrekord", proposal["apiVersion"] as? String == "0.0.1",
            let spec = proposal["spec"] as? [String: Any],
            let data = spec["data"] as? [String: Any], let hash = data["hash"] as? [String: Any],
            hash["algorithm"] as? String == "sha256", let hex = hash["value"] as? String,
            let digest = Digest(algorithm: .sha256, hex: hex),
            let signatureObject = spec["signature"] as? [String: Any], let signatureText = signatureObject["content"] as? String,
            let signature = Base64.decode(signatureText), let keyObject = signatureObject["publicKey"] as? [String: Any],
            let verifierText = keyObject["content"] as? String, let verifierPEMBytes = Base64.decode(verifierText)
        else { return .error(400, "unsupported or malformed entry (this instance accepts hashedrekord 0.0.1)") }
        let verifierPEM = String(decoding: verifierPEMBytes, as: UTF8.self)
        let key: PublicKey
        if let certificate = try? Certificate.parsePEM(verifierPEM).first, let certified = try? certificate.publicKey() {
            key = certified
        } else if let plain = try? PublicKey(pem: verifierPEM) {
            key = plain
        } else {
            return .error(400, "the verifier is neither a PEM certificate nor a PEM public key")
        }
        // hashedrekord signatures are over the digest (prehashed): Ed25519 cannot make one.
        let scheme: SignatureScheme
        switch key.kind {
        case .ecdsa: scheme = .ecdsa(digest.algorithm)
        case .rsa: scheme = .rsaPKCS1v15(digest.algorithm)
        default: return .error(400, "hashedrekord needs a key that signs digests (ECDSA or RSA), not \(key.kind)")
        }
        guard (try? key.verify(signature: signature, digest: digest, scheme: scheme)) != nil else {
            return .error(400, "the signature does not verify over the digest with the given verifier")
        }
        let canonical = RekorEntryBody.hashedRekordV001(digest: digest, signature: signature, verifierPEM: verifierPEM)
        do {
            let receipt = try transparencyLog.append(body: canonical, integratedTime: Int64(Date().timeIntervalSince1970))
            let uuid = Hex.encode(MerkleInclusion.leafHash(canonical))
            var verification: [String: Any] = [
                "inclusionProof": [
                    "checkpoint": receipt.checkpoint, "hashes": receipt.proof.map(Hex.encode), "logIndex": receipt.logIndex,
                    "rootHash": Hex.encode(receipt.rootHash), "treeSize": receipt.treeSize,
                ],
            ]
            if let set = receipt.signedEntryTimestamp { verification["signedEntryTimestamp"] = Base64.encode(set) }
            return .json(201, [
                uuid: [
                    "body": Base64.encode(canonical), "integratedTime": receipt.integratedTime, "logID": Hex.encode(receipt.logID),
                    "logIndex": receipt.logIndex, "verification": verification,
                ],
            ])
        } catch {
            return .error(500, "\(error)")
        }
    }
}
