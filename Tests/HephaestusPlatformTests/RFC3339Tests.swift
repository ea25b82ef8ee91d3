import Foundation
import HephaestusPlatform
import Testing

@Suite("RFC 3339")
struct RFC3339Tests {
    @Test("UTC to the second, as Foundation's ISO 8601 style writes it", arguments: [0.0, 1_700_000_000.75, 951_782_400, -1, 253_402_300_799])
    func formats(seconds: Double) {
        let date = Date(timeIntervalSince1970: seconds)
        #expect(RFC3339.string(date) == date.formatted(Date.ISO8601FormatStyle()))
    }

    @Test("parses whole and fractional seconds and offsets; refuses other text")
    func parses() {
        #expect(RFC3339.date("2024-05-01T12:00:00Z") == Date(timeIntervalSince1970: 1_714_564_800))
        #expect(RFC3339.date("2024-05-01T12:00:00.5Z") == Date(timeIntervalSince1970: 1_714_564_800.5))
        #expect(RFC3339.date("2024-05-01T14:00:00+02:00") == Date(timeIntervalSince1970: 1_714_564_800))
        #expect(RFC3339.date("2024-05-01") == nil)
        #expect(RFC3339.date("yesterday") == nil)
    }
}
