import Foundation
import HephaestusCore
import HephaestusPlatform
import Testing

@Suite("Trust report")
struct TrustReportTests {
    @Test("Embedded material is flagged as stale after six months, not before")
    func staleness() throws {
        let taken = try Date.ISO8601FormatStyle().year().month().day().parse(HephaestusTrust.retrievedAt)
        #expect(try TrustReport(trust: .production, now: taken.addingTimeInterval(30 * 86_400)).stale == false)
        #expect(try TrustReport(trust: .production, now: taken.addingTimeInterval(200 * 86_400)).stale == true)
    }

    @Test("Statuses follow the validity windows at the report's time")
    func statuses() throws {
        let report = try TrustReport(trust: .production, now: Date(timeIntervalSince1970: 1_700_000_000))
        let statuses = report.certificateAuthorities.map(\.status)
        #expect(statuses == [.expired, .active])
        #expect(report.transparencyLogs.map(\.status) == [.active, .notYetValid])
        #expect(report.transparencyLogs.map(\.status.rawValue) == ["active", "not yet valid"])
    }

    @Test(
        "trust.show: the staging root's logs and authorities; staleness judged at the context's clock; a conflicting choice refused as the CLI words it"
    )
    func operation() async throws {
        let taken = try Date.ISO8601FormatStyle().year().month().day().parse(HephaestusTrust.retrievedAt)
        let staging = try await TrustShowOperation.run(
            TrustShowOperation.Request(trust: TrustChoice(staging: true)), in: .quiet(clock: { taken.addingTimeInterval(200 * 86_400) }))
        #expect(staging.source == "embedded Sigstore public-good (staging)")
        #expect(staging.transparencyLogs.count == 4)
        #expect(staging.certificateTransparencyLogs.count == 4)
        #expect(staging.timestampAuthorities.count == 1)
        #expect(staging.stale)
        let fresh = try await TrustShowOperation.run(TrustShowOperation.Request(), in: .quiet(clock: { taken.addingTimeInterval(86_400) }))
        #expect(!fresh.stale)
        #expect(fresh.lines.first == "trusted root: embedded Sigstore public-good (production)")
        await #expect(throws: RequestError("--staging and --trusted-root cannot be used together")) {
            try await TrustShowOperation.run(TrustShowOperation.Request(trust: TrustChoice(trustedRoot: "x.json", staging: true)), in: .quiet())
        }
        await #expect(throws: FileError.notFound(path: "/nonexistent/trusted_root.json")) {
            try await TrustShowOperation.run(
                TrustShowOperation.Request(trust: TrustChoice(trustedRoot: "/nonexistent/trusted_root.json")), in: .quiet())
        }
    }

    @Test("trust.show from JSON: the document a client reads back, statuses as the words the CLI prints")
    func json() async throws {
        let document = try await TrustShowOperation.runJSON(Array(#"{"trust": {"staging": true}}"#.utf8), in: .quiet())
        #expect(document.failure == nil)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(document.json)) as? [String: Any])
        #expect(object["mediaType"] as? String == "application/vnd.hephaestus.trust-report+json;version=1")
        let logs = try #require(object["transparencyLogs"] as? [[String: Any]])
        #expect(Set(logs.compactMap { $0["status"] as? String }).isSubset(of: ["active", "expired", "not yet valid"]))
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let decoded = try decoder.decode(TrustReport.self, from: Data(document.json))
        #expect(decoded.transparencyLogs.count == 4)
        #expect(decoded.source == "embedded Sigstore public-good (staging)")
    }
}
