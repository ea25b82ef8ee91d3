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
