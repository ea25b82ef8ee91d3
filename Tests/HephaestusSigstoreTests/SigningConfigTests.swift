import Foundation
import HephaestusPlatform
import HephaestusSigstore
import Testing

/// Service selection from signing configs, as the client specification describes it.
@Suite("Signing config")
struct SigningConfigTests {
    static func date(_ text: String) -> Date { try! Date(text, strategy: .iso8601) }

    static func config(
        _ tlogs: [[String: Any]], tsas: [[String: Any]] = [], selector: [String: Any] = ["selector": "ANY"], ca: String = "https://fulcio.example"
    ) throws -> SigningConfig {
        let object: [String: Any] = [
            "mediaType": SigningConfig.mediaType,
            "caUrls": [["url": ca, "majorApiVersion": 1, "validFor": ["start": "2020-01-01T00:00:00Z"]]],
            "rekorTlogUrls": tlogs, "tsaUrls": tsas, "rekorTlogConfig": selector, "tsaConfig": ["selector": "ANY"],
        ]
        return try SigningConfig(json: Array(try JSONSerialization.data(withJSONObject: object)))
    }

    static func service(_ url: String, _ version: Int, start: String = "2020-01-01T00:00:00Z", end: String? = nil) -> [String: Any] {
        var validFor = ["start": start]
        if let end { validFor["end"] = end }
        return ["url": url, "majorApiVersion": version, "validFor": validFor, "operator": "test"]
    }

    @Test("embedded production config: Fulcio, Rekor v1, the TSA")
    func production() throws {
        let selection = try SigningConfig.production().select(at: Self.date("2026-11-25T00:00:00Z"), keyless: true)
        #expect(selection.certificateAuthority?.url.absoluteString == "https://fulcio.sigstore.dev")
        #expect(selection.transparencyLogs.map(\.url.absoluteString) == ["https://rekor.sigstore.dev"])
        #expect(selection.timestampAuthorities.map(\.url.absoluteString) == ["https://timestamp.sigstore.dev/api/v1/timestamp"])
    }

    @Test("embedded staging config: the Rekor v2 shard valid at the time is chosen over v1")
    func staging() throws {
        let config = try SigningConfig.staging()
        #expect(
            try config.select(at: Self.date("2026-11-25T00:00:00Z"), keyless: true).transparencyLogs.map(\.url.absoluteString) == [
                "https://log2025-alpha3.rekor.sigstage.dev"
            ])
        #expect(
            try config.select(at: Self.date("2025-06-01T00:00:00Z"), keyless: true).transparencyLogs.map(\.url.absoluteString) == [
                "https://log2025-alpha1.rekor.sigstage.dev"
            ])
        // Before any v2 shard existed, v1 is the highest valid version.
        #expect(try config.select(at: Self.date("2025-01-01T00:00:00Z"), keyless: true).transparencyLogs.map(\.majorAPIVersion) == [1])
    }

    @Test("selectors: ALL takes every eligible log, EXACT n takes n or fails; ended windows and unknown versions are skipped")
    func selectors() throws {
        let logs = [
            Self.service("https://old.example", 1, end: "2021-01-01T00:00:00Z"), Self.service("https://a.example", 1),
            Self.service("https://b.example", 1), Self.service("https://future.example", 3),
        ]
        let now = Self.date("2026-01-01T00:00:00Z")
        #expect(
            try Self.config(logs, selector: ["selector": "ALL"]).select(at: now, keyless: true).transparencyLogs.map(\.url.host) == [
                "a.example", "b.example",
            ])
        #expect(try Self.config(logs, selector: ["selector": "ANY"]).select(at: now, keyless: true).transparencyLogs.map(\.url.host) == ["a.example"])
        #expect(try Self.config(logs, selector: ["selector": "EXACT", "count": 2]).select(at: now, keyless: true).transparencyLogs.count == 2)
        #expect(throws: SigningError.self) { try Self.config(logs, selector: ["selector": "EXACT", "count": 3]).select(at: now, keyless: true) }
        #expect(throws: SigningError.self) { try Self.config(logs, selector: ["selector": "SOME"]) }
    }

    @Test("Rekor v2 without a TSA, no valid CA for keyless, insecure URLs and wrong media types are refused")
    func refusals() throws {
        let now = Self.date("2026-01-01T00:00:00Z")
        let error = #expect(throws: SigningError.self) { try Self.config([Self.service("https://log.example", 2)]).select(at: now, keyless: true) }
        #expect(error?.description.contains("a timestamp authority is required") == true)
        let withTSA = try Self.config([Self.service("https://log.example", 2)], tsas: [Self.service("https://tsa.example/api/v1/timestamp", 1)])
        #expect(try withTSA.select(at: now, keyless: true).timestampAuthorities.count == 1)
        let futureCA = try SigningConfig(
            json: Array(
                #"{"mediaType":"application/vnd.dev.sigstore.signingconfig.v0.2+json","caUrls":[{"url":"https://ca.example","majorApiVersion":1,"validFor":{"start":"2030-01-01T00:00:00Z"}}],"rekorTlogUrls":[]}"#
                    .utf8))
        #expect(throws: SigningError.self) { try futureCA.select(at: now, keyless: true) }
        #expect(try futureCA.select(at: now, keyless: false).certificateAuthority == nil)
        #expect(throws: SigningError.self) { try Self.config([Self.service("http://rekor.example", 1)]) }
        #expect(try Self.config([Self.service("http://127.0.0.1:8080", 1)]).transparencyLogs.count == 1)
        #expect(throws: SigningError.self) {
            try SigningConfig(json: Array(#"{"mediaType":"application/vnd.dev.sigstore.signingconfig.v0.1+json"}"#.utf8))
        }
        #expect(throws: SigningError.self) { try Self.config([["url": "https://x.example", "majorApiVersion": 1, "validFor": [String: String]()]]) }
    }
}
