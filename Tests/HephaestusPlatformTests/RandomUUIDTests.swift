import Foundation
import HephaestusPlatform
import Testing

@Suite("Random UUIDs")
struct RandomUUIDTests {
    @Test("an id is a lowercase version-4 UUID that Foundation reads back as the same text")
    func format() throws {
        for _ in 0..<1000 {
            let text = UUID.randomLowercased()
            #expect(text.utf8.count == 36)
            #expect(text == text.lowercased())
            let parsed = try #require(UUID(uuidString: text), "\(text) is not a UUID")
            #expect(parsed.uuidString.lowercased() == text)
            let bytes = withUnsafeBytes(of: parsed.uuid) { Array($0) }
            #expect(bytes[6] >> 4 == 4, "version nibble of \(text)")
            #expect(bytes[8] >> 6 == 0b10, "variant bits of \(text)")
        }
    }

    @Test("ids do not repeat, and every random nibble takes every value")
    func randomness() {
        let ids = (0..<10_000).map { _ in UUID.randomLowercased() }
        #expect(Set(ids).count == ids.count)
        // Position 0 (fully random) sees all 16 hex digits across 10,000 ids; position 14 is always the version.
        #expect(Set(ids.map { $0.utf8.first! }).count == 16)
        #expect(Set(ids.map { Array($0.utf8)[14] }) == [UInt8(ascii: "4")])
    }
}
