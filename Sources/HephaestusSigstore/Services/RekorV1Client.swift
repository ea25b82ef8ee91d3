import Foundation
import HephaestusPlatform

/// Rekor v1's REST API (`POST /api/v1/log/entries`): proposes a `hashedrekord` or `dsse` 0.0.1 entry and turns the
/// `LogEntry` answer into the bundle's `tlogEntries` item.
public struct RekorV1Client: TransparencyLogging {
    public let baseURL: URL
    public let http: HTTPClient

    public init(baseURL: URL, http: HTTPClient) {
        self.baseURL = baseURL
        self.http = http
    }

    public func record(_ entry: ProposedLogEntry) throws -> [String: Any] {
        let (kind, body) = entry.rekorV1Body()
        var headers = HTTPHeaders()
        headers.add("Content-Type", "application/json")
        headers.add("Accept", "application/json")
        let request = HTTPRequest(
            method: "POST", url: baseURL.appendingPathComponent("api/v1/log/entries"), headers: headers, body: entry.rekorV1Proposal())
        let response = try http.send(request, maximumBody: 4 << 20)
        guard response.status == 201 || response.status == 200 || response.status == 409 else {
            throw TransportError.httpStatus(url: HTTPClient.redacted(request.url), status: response.status, message: response.errorMessage)
        }
        if response.status == 409 {
            throw SigningError.malformedServiceResponse(service: "Rekor", reason: "an identical entry already exists (HTTP 409)")
        }
        return try Self.bundleEntry(fromResponse: response.body, kind: kind, proposedBody: body)
    }

    /// Converts `{uuid: LogEntry}` into a bundle `TransparencyLogEntry` (hex fields become Base64, numbers strings).
    public static func bundleEntry(fromResponse bytes: [UInt8], kind: String, proposedBody: [UInt8]) throws(SigningError) -> [String: Any] {
        func bad(_ reason: String) -> SigningError { .malformedServiceResponse(service: "Rekor", reason: reason) }
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any], object.count == 1,
            let entry = object.values.first as? [String: Any]
        else { throw bad("expected a JSON object with exactly one log entry") }
        guard let bodyText = entry["body"] as? String, let body = Base64.decode(bodyText) else { throw bad("no Base64 body") }
        guard let logIndex = (entry["logIndex"] as? NSNumber)?.int64Value, let integratedTime = (entry["integratedTime"] as? NSNumber)?.int64Value,
            let logIDHex = entry["logID"] as? String, let logID = Hex.decode(logIDHex)
        else { throw bad("missing logIndex, integratedTime or logID") }
        guard let verification = entry["verification"] as? [String: Any],
            let setText = verification["signedEntryTimestamp"] as? String, let set = Base64.decode(setText),
            let proof = verification["inclusionProof"] as? [String: Any],
            let proofIndex = (proof["logIndex"] as? NSNumber)?.int64Value, let treeSize = (proof["treeSize"] as? NSNumber)?.int64Value,
            let rootHex = proof["rootHash"] as? String, let rootHash = Hex.decode(rootHex),
            let hashesHex = proof["hashes"] as? [String], let checkpoint = proof["checkpoint"] as? String
        else { throw bad("missing verification.signedEntryTimestamp or a complete inclusionProof") }
        let hashes = hashesHex.compactMap { Hex.decode($0) }
        guard hashes.count == hashesHex.count else { throw bad("an inclusion-proof hash is not hex") }
        // The log must have recorded what we proposed (it canonicalises, so compare meaning, not bytes).
        try checkLoggedBody(body, proposed: proposedBody, service: "Rekor")
        return [
            "logIndex": String(logIndex), "logId": ["keyId": Base64.encode(logID)],
            "kindVersion": ["kind": kind, "version": "0.0.1"], "integratedTime": String(integratedTime),
            "inclusionPromise": ["signedEntryTimestamp": Base64.encode(set)],
            "inclusionProof": [
                "logIndex": String(proofIndex), "rootHash": Base64.encode(rootHash), "treeSize": String(treeSize),
                "hashes": hashes.map { Base64.encode($0) }, "checkpoint": ["envelope": checkpoint],
            ],
            "canonicalizedBody": Base64.encode(body),
        ]
    }

    /// The body the log answered must be the entry we proposed, as JSON values (key order and whitespace aside),
    /// compared as typed values — never as Foundation containers. The error names the first field that differs.
    static func checkLoggedBody(_ logged: [UInt8], proposed: [UInt8], service: String) throws(SigningError) {
        if let difference = JSONValue.firstDifference(between: logged, and: proposed) {
            throw .malformedServiceResponse(
                service: service, reason: "the logged body differs from the proposed entry at \(difference)")
        }
    }
}
