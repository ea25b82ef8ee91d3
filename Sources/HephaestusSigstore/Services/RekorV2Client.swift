import Foundation
import HephaestusPlatform

/// Rekor v2's REST API (`POST /api/v2/log/entries`): proposes a `hashedRekordRequestV002`; the answer already is the
/// bundle's `TransparencyLogEntry` (inclusion proof with checkpoint, no SET).
public struct RekorV2Client: TransparencyLogging {
    public let baseURL: URL
    public let http: HTTPClient

    public init(baseURL: URL, http: HTTPClient) {
        self.baseURL = baseURL
        self.http = http
    }

    /// The request body for a message-digest entry.
    public static func requestBody(_ entry: ProposedLogEntry) throws(SigningError) -> [UInt8] {
        guard case .messageDigest(let digest) = entry.content else {
            throw .invalidSigningConfig("Rekor v2 entries for DSSE envelopes are not supported yet; use a Rekor v1 log for --in-toto")
        }
        let details = RekorEntryBody.keyDetails(entry.publicKey)
        let verifier: [String: Any] =
            if let certificate = entry.certificate {
                ["x509Certificate": ["rawBytes": Base64.encode(certificate.derEncoded)], "keyDetails": details]
            } else {
                ["publicKey": ["rawBytes": Base64.encode(entry.publicKey.derSubjectPublicKeyInfo)], "keyDetails": details]
            }
        let request: [String: Any] = [
            "hashedRekordRequestV002": [
                "digest": Base64.encode(digest.bytes),
                "signature": ["content": Base64.encode(entry.signature), "verifier": verifier],
            ]
        ]
        return Array((try? JSONSerialization.data(withJSONObject: request, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data())
    }

    public func record(_ entry: ProposedLogEntry) throws -> [String: Any] {
        var headers = HTTPHeaders()
        headers.add("Content-Type", "application/json")
        headers.add("Accept", "application/json")
        let request = HTTPRequest(
            method: "POST", url: baseURL.appendingPathComponent("api/v2/log/entries"), headers: headers, body: try Self.requestBody(entry))
        let response = try http.send(request, maximumBody: 4 << 20)
        guard (200..<300).contains(response.status) else {
            throw TransportError.httpStatus(url: HTTPClient.redacted(request.url), status: response.status, message: response.errorMessage)
        }
        return try Self.bundleEntry(fromResponse: response.body, proposedBody: entry.rekorV2Body())
    }

    /// Checks the answer is a complete `TransparencyLogEntry` for what we proposed and returns it as the bundle entry.
    public static func bundleEntry(fromResponse bytes: [UInt8], proposedBody: [UInt8]) throws(SigningError) -> [String: Any] {
        func bad(_ reason: String) -> SigningError { .malformedServiceResponse(service: "Rekor v2", reason: reason) }
        guard let entry = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            throw bad("the response is not a JSON object")
        }
        guard let kindVersion = entry["kindVersion"] as? [String: Any], kindVersion["kind"] as? String == "hashedrekord",
            kindVersion["version"] as? String == "0.0.2"
        else { throw bad("the entry is not hashedrekord 0.0.2") }
        guard let bodyText = entry["canonicalizedBody"] as? String, let body = Base64.decode(bodyText) else {
            throw bad("no Base64 canonicalizedBody")
        }
        guard let proof = entry["inclusionProof"] as? [String: Any], proof["rootHash"] is String, proof["hashes"] is [Any],
            let checkpoint = proof["checkpoint"] as? [String: Any], checkpoint["envelope"] is String,
            (entry["logId"] as? [String: Any])?["keyId"] is String
        else { throw bad("missing logId or a complete inclusionProof with checkpoint") }
        try RekorV1Client.checkLoggedBody(body, proposed: proposedBody, service: "Rekor v2")
        return entry
    }
}
