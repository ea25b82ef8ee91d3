import Foundation
import HephaestusCore
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
}
