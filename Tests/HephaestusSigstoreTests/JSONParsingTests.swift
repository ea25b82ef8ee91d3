import Foundation
import HephaestusSigstore
import Testing

/// The strict JSON reader behind bundle and trusted-root parsing, seen through the public parsers.
@Suite("Strict JSON")
struct JSONParsingTests {
    static let valid =
        #"{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json", "verificationMaterial": {"publicKey": {"hint": "k"}, "tlogEntries": []}, "messageSignature": {"signature": "AAAA"}}"#

    static func error(_ text: String) -> String? {
        do {
            _ = try SigstoreBundle(json: Array(text.utf8))
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test("Well-formed JSON reaches the bundle rules (this one lacks a log entry and a timestamp)")
    func reachesBundleRules() {
        #expect(Self.error(Self.valid)?.contains("no transparency log entry and no signed timestamp") == true)
    }

    @Test(
        "Malformed JSON is refused before any bundle rule",
        arguments: [
            #"{"a": 1,}"#, #"{"a": 1 "b": 2}"#, #"{"a": 1} x"#, #"{"a": "\ud800"}"#, #"{"a": "\udc00\ud800"}"#, #"{"a": "\x"}"#,
            "{\"a\": \"tab\tinside\"}", #"{"a": 01}"#, #"{"a": .5}"#, #"{"a": 1.}"#, #"{"a": tru}"#, #"{'a': 1}"#, #"[1, 2]"#,
            String(repeating: "[", count: 100) + String(repeating: "]", count: 100), #"{"a": 1, "a": 2}"#, "", "{", #"{"a"}"#,
        ])
    func refused(text: String) {
        let message = Self.error(text) ?? "accepted"
        #expect(message.contains("not valid JSON") || message.contains("is not a JSON object"), "\(text): \(message)")
    }

    @Test("Escapes, surrogate pairs and integers decode")
    func decoding() throws {
        let bundle =
            #"{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json", "verificationMaterial": {"publicKey": {"hint": "\u00e9\ud83d\ude00\n\"/"}, "tlogEntries": [{"logIndex": 7, "logId": {"keyId": "AAAA"}, "kindVersion": {"kind": "hashedrekord", "version": "0.0.1"}, "canonicalizedBody": "e30=", "inclusionProof": {"logIndex": "7", "rootHash": "AAAA", "treeSize": "8", "hashes": [], "checkpoint": {"envelope": "x"}}}]}, "messageSignature": {"signature": "AAAA"}}"#
        let parsed = try SigstoreBundle(json: Array(bundle.utf8))
        guard case .publicKey(let hint) = parsed.verificationContent else {
            Issue.record("no public key hint")
            return
        }
        #expect(hint == "é😀\n\"/")
        #expect(parsed.transparencyLogEntries.first?.logIndex == 7)
    }
}
