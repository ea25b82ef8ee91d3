import Foundation
import HephaestusPlatform

/// Fulcio's v2 REST API (`POST /api/v2/signingCert`) through the one HTTP client (retries 5xx, never 4xx).
public struct FulcioClient: CertificateIssuing {
    public let baseURL: URL
    public let http: HTTPClient

    public init(baseURL: URL, http: HTTPClient) {
        self.baseURL = baseURL
        self.http = http
    }

    /// The request body: the token as credential and a public key with its proof of possession.
    public static func requestBody(publicKey: PublicKey, proofOfPossession: [UInt8], token: IdentityToken) -> [UInt8] {
        let algorithm: String
        switch publicKey.kind {
        case .ed25519: algorithm = "ED25519"
        case .rsa: algorithm = "RSA"
        default: algorithm = "ECDSA"
        }
        return Array(
            (try? JSONSerialization.data(
                withJSONObject: [
                    "credentials": ["oidcIdentityToken": token.rawValue],
                    "publicKeyRequest": [
                        "publicKey": ["algorithm": algorithm, "content": publicKey.pem],
                        "proofOfPossession": Base64.encode(proofOfPossession),
                    ],
                ], options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data())
    }

    public func issueCertificate(publicKey: PublicKey, proofOfPossession: [UInt8], token: IdentityToken) throws -> [Certificate] {
        var headers = HTTPHeaders()
        headers.add("Content-Type", "application/json")
        headers.add("Accept", "application/json")
        let request = HTTPRequest(
            method: "POST", url: baseURL.appendingPathComponent("api/v2/signingCert"), headers: headers,
            body: Self.requestBody(publicKey: publicKey, proofOfPossession: proofOfPossession, token: token))
        let response = try http.send(request, maximumBody: 1 << 20)
        guard (200..<300).contains(response.status) else {
            throw TransportError.httpStatus(url: HTTPClient.redacted(request.url), status: response.status, message: response.errorMessage)
        }
        return try Self.parseChain(response.body)
    }

    /// The certificate chain of a `SigningCertificate` response (embedded SCT; detached SCTs are refused: the
    /// bundle format has nowhere to keep them).
    public static func parseChain(_ body: [UInt8]) throws(SigningError) -> [Certificate] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            throw .malformedServiceResponse(service: "Fulcio", reason: "the response is not a JSON object")
        }
        if object["signedCertificateDetachedSct"] != nil {
            throw .malformedServiceResponse(service: "Fulcio", reason: "certificate with a detached SCT (only embedded SCTs are supported)")
        }
        guard let signed = object["signedCertificateEmbeddedSct"] as? [String: Any],
            let chain = signed["chain"] as? [String: Any], let pems = chain["certificates"] as? [String], !pems.isEmpty
        else {
            throw .malformedServiceResponse(service: "Fulcio", reason: "no signedCertificateEmbeddedSct.chain.certificates")
        }
        var certificates: [Certificate] = []
        for (index, pem) in pems.enumerated() {
            do {
                let parsed = try Certificate.parsePEM(pem)
                guard parsed.count == 1 else { throw CryptoError.malformedCertificate(reason: "\(parsed.count) PEM blocks in one entry") }
                certificates.append(parsed[0])
            } catch {
                throw .malformedServiceResponse(service: "Fulcio", reason: "certificate \(index) of the chain: \(error)")
            }
        }
        return certificates
    }
}
