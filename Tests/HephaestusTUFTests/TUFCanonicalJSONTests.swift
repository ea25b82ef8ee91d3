import Foundation
import Testing

@testable import HephaestusSigstore
@testable import HephaestusTUF

@Suite struct TUFCanonicalJSONTests {
    @Test func sortsByCodePointAndEscapesOnlyQuoteAndBackslash() throws {
        let value = try JSONValue.parse(Array(#"{"b": [1, true, null], "a": "x\"y\\z\n\u0001", "\uff61": 1, "\ud83d\ude00": 2}"#.utf8))
        let expected = Array(#"{"a":"x\"y\\z"#.utf8) + [0x0A, 0x01] + Array(#"","b":[1,true,null],"｡":1,"😀":2}"#.utf8)
        #expect(try TUFCanonicalJSON.serialize(value) == expected)
    }

    @Test func refusesFractionalNumbers() throws {
        #expect(throws: TUFCanonicalJSON.Unsupported.self) { try TUFCanonicalJSON.serialize(try JSONValue.parse(Array("[1.5]".utf8))) }
    }
}

/// The embedded public-good TUF roots (what `trust update` is bootstrapped from) verify as self-signed roots: TUF's
/// canonical JSON and the ECDSA keys as Sigstore's own repositories sign them.
@Suite struct EmbeddedTUFRootTests {
    @Test(arguments: [false, true])
    func embeddedRootIsSignedByItsOwnThreshold(staging: Bool) throws {
        let root = try TUFUpdater.selfSignedRoot(TrustedRoot.embeddedTUFRoot(staging: staging))
        #expect(root.version >= 1)
        #expect(root.consistentSnapshot)
    }

    @Test func aTamperedEmbeddedRootIsRefused() throws {
        let bytes = TrustedRoot.embeddedTUFRoot(staging: false)
        let text = String(decoding: bytes, as: UTF8.self)
        let tampered = text.replacingOccurrences(of: "\"consistent_snapshot\": true", with: "\"consistent_snapshot\": false")
        #expect(tampered != text)
        #expect(throws: TUFError.self) { try TUFUpdater.selfSignedRoot(Array(tampered.utf8)) }
    }
}
