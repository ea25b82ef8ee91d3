import Foundation
import HephaestusCore
import HephaestusPlatform
import Testing

@testable import HephaestusService

@Suite("Account credentials: tokens, durations, names")
struct AccountCredentialTests {
    @Test("A generated token is hph_ and 43 base64url characters, parses back, and never shows in its description")
    func tokenShape() throws {
        let token = try BearerToken.generate()
        #expect(token.text.hasPrefix("hph_"))
        #expect(token.text.utf8.count == 47)
        #expect(!token.description.contains(token.text.dropFirst(4)))
        #expect(!"\(token)".contains(token.text))
        let parsed = try BearerToken(presented: token.text)
        #expect(parsed.hash.matches(token.hash))
        #expect(token.hash.bytes == DigestAlgorithm.sha256.hash(Array(token.text.utf8)).bytes)
        let other = try BearerToken.generate()
        #expect(!other.hash.matches(token.hash))
        #expect(other.text != token.text)
    }

    @Test(
        "Malformed tokens are refused without quoting them",
        arguments: [
            "", "hph_", "abc", "hph_" + String(repeating: "A", count: 42),
            "hph_" + String(repeating: "A", count: 44), "hph_" + String(repeating: "+", count: 43), "xph_" + String(repeating: "A", count: 43),
        ])
    func malformedTokens(text: String) {
        #expect(throws: AccessError.self) { try BearerToken(presented: text) }
        do {
            _ = try BearerToken(presented: text)
        } catch {
            #expect(text.count < 5 || !error.description.contains(text))
            #expect(error.category == .unauthenticated)
        }
    }

    @Test("Authorization headers: missing, wrong scheme, malformed token, any-case scheme")
    func headers() throws {
        let token = try BearerToken.generate()
        #expect(throws: AccessError.missingCredentials) { try Authenticator.token(in: nil) }
        #expect(throws: AccessError.missingCredentials) { try Authenticator.token(in: "") }
        #expect(throws: AccessError.malformedCredentials(reason: "expected \"Bearer TOKEN\"")) { try Authenticator.token(in: "Basic abc") }
        #expect(throws: AccessError.malformedCredentials(reason: "expected \"Bearer TOKEN\"")) { try Authenticator.token(in: token.text) }
        #expect(try Authenticator.token(in: "bearer \(token.text)").hash.matches(token.hash))
        #expect(try Authenticator.token(in: "Bearer  \(token.text)").hash.matches(token.hash))
    }

    @Test(
        "Durations: 45s 30m 12h 90d 2w and ISO 8601 P90D PT12H P1DT6H30M",
        arguments: [
            ("45s", 45.0), ("30m", 1800), ("12h", 43200), ("90d", 7_776_000), ("2w", 1_209_600), ("P90D", 7_776_000), ("PT12H", 43200),
            ("P1DT6H30M", 109_800), ("PT45S", 45), ("P1W", 604_800),
        ])
    func durations(text: String, seconds: Double) throws {
        #expect(try ExpiryDuration.seconds(text) == seconds)
    }

    @Test(
        "Bad durations are refused naming the accepted forms",
        arguments: ["", "0d", "d", "-5m", "5 m", "5y", "P", "PT", "P1M", "P1DT", "1.5h", "P1H", "PT1D", "9999999999s"])
    func badDurations(text: String) {
        #expect(throws: RequestError.self) { try ExpiryDuration.seconds(text) }
    }

    @Test("Account names: letters, digits, . _ - @, starting with a letter or digit, at most 64")
    func names() throws {
        for name in ["ci", "ci-runner.01", "alice@example.com", "A_b", "7up", String(repeating: "a", count: 64)] {
            try Account.validate(name: name)
        }
        for name in ["", "-ci", ".x", "@x", "a b", "a/b", "é", String(repeating: "a", count: 65), "a\nb"] {
            #expect(throws: RequestError.self) { try Account.validate(name: name) }
        }
    }

    @Test("Constant-time equality: same bytes, different bytes, different lengths")
    func constantTimeEquality() {
        #expect(SecretBytes.equal([1, 2, 3], [1, 2, 3]))
        #expect(!SecretBytes.equal([1, 2, 3], [1, 2, 4]))
        #expect(!SecretBytes.equal([1, 2, 3], [1, 2]))
        #expect(SecretBytes.equal([], []))
    }
}
