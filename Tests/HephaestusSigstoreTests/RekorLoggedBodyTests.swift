import Foundation
import HephaestusPlatform
import HephaestusSigstore
import Testing

/// The log's answer must carry the entry we proposed: compared as typed JSON values (key order and whitespace aside),
/// never as Foundation containers, whose equality differs when Foundation is linked statically.
@Suite("Rekor logged body")
struct RekorLoggedBodyTests {
    /// A proposal with arrays inside objects — the shape Foundation's static build compared unequal to itself.
    static let proposed =
        #"{"apiVersion":"0.0.1","kind":"dsse","spec":{"proposedContent":{"envelope":"{}","verifiers":["LS0tLS1CRUdJTg=="]},"tags":[1,2.5,true,null]}}"#

    /// A Rekor v1 `{uuid: LogEntry}` answer logging `body`.
    static func answer(logging body: String) -> [UInt8] {
        let entry: [String: Any] = [
            "body": Base64.encode(Array(body.utf8)), "logIndex": 7, "integratedTime": 1_700_000_000,
            "logID": String(repeating: "ab", count: 32),
            "verification": [
                "signedEntryTimestamp": Base64.encode([1, 2, 3]),
                "inclusionProof": [
                    "logIndex": 7, "treeSize": 8, "rootHash": String(repeating: "cd", count: 32),
                    "hashes": [String(repeating: "ef", count: 32)], "checkpoint": "log\n8\nAAAA\n",
                ],
            ],
        ]
        return Array(try! JSONSerialization.data(withJSONObject: ["24296fb24b8ad77a": entry]))
    }

    static func failure(logging body: String) -> String? {
        do {
            _ = try RekorV1Client.bundleEntry(fromResponse: answer(logging: body), kind: "dsse", proposedBody: Array(proposed.utf8))
            return nil
        } catch { return "\(error)" }
    }

    @Test("the same entry, canonicalised otherwise (key order, spacing, 2.50 for 2.5), is accepted")
    func sameEntry() {
        let reordered =
            #"{ "spec": {"tags": [1, 2.50, true, null], "proposedContent": {"verifiers": ["LS0tLS1CRUdJTg=="], "envelope": "{}"}}, "kind": "dsse", "apiVersion": "0.0.1" }"#
        #expect(Self.failure(logging: reordered) == nil)
        #expect(Self.failure(logging: Self.proposed) == nil)
    }

    @Test(
        "another body is refused, naming the first field that differs",
        arguments: [
            (
                #"{"apiVersion":"0.0.1","kind":"dsse","spec":{"proposedContent":{"envelope":"{}","verifiers":["TUFMTE9SWQ=="]},"tags":[1,2.5,true,null]}}"#,
                "$.spec.proposedContent.verifiers[0]"
            ),
            (
                #"{"apiVersion":"0.0.1","kind":"dsse","spec":{"proposedContent":{"envelope":"{}","verifiers":["LS0tLS1CRUdJTg=="]},"tags":[1,2.5,true]}}"#,
                "$.spec.tags (3 elements against 4)"
            ),
            (
                #"{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{"proposedContent":{"envelope":"{}","verifiers":["LS0tLS1CRUdJTg=="]},"tags":[1,2.5,true,null]}}"#,
                "$.kind"
            ),
            (
                #"{"apiVersion":"0.0.1","kind":"dsse","spec":{"proposedContent":{"envelope":"{}","verifiers":["LS0tLS1CRUdJTg=="]},"tags":[1,"2.5",true,null]}}"#,
                "$.spec.tags[1] (a string against a number)"
            ),
            (
                #"{"apiVersion":"0.0.1","kind":"dsse","extra":0,"spec":{"proposedContent":{"envelope":"{}","verifiers":["LS0tLS1CRUdJTg=="]},"tags":[1,2.5,true,null]}}"#,
                "$.extra (present in one only)"
            ),
        ])
    func anotherBody(logged: String, field: String) {
        let failure = Self.failure(logging: logged)
        #expect(failure?.contains("the logged body differs from the proposed entry at \(field)") == true, "\(failure ?? "accepted")")
    }
}
