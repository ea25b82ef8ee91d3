import Foundation
import HephaestusAnalytics
import HephaestusCore
import HephaestusPlatform
import HephaestusTestSupport
import Logging
import Testing

/// The three operations run in-process on the scripted fixture repository.
@Suite("analytics operations")
struct AnalyticsOperationTests {
    static func context(now: Date = Date(timeIntervalSince1970: 20600 * 86400)) -> OperationContext {
        OperationContext(logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }), clock: { now })
    }

    typealias Fixture = AnalyticsFixture

    static let fixture = AnalyticsFixture.shared

    @Test("rankings: every tracked text file, renames followed, --include/--exclude, --limit, events from the store")
    func rankings() async throws {
        let fixture = try Self.fixture.get()
        let root = fixture.repository.root
        // Events for a file by its path at HEAD.
        let events = fixture.directory.file("events.ndjson")
        try (0..<3).map { #"{"time": "2025-02-0\#($0 + 1)T00:00:00Z", "file": "lib/tools.py", "kind": "defect"}"# }.joined(separator: "\n")
            .write(toFile: events, atomically: true, encoding: .utf8)
        let store = fixture.directory.file("events.sqlite")
        let ingested = try await AnalyticsIngestOperation.run(.init(input: events, store: store), in: Self.context())
        #expect(ingested.summary.accepted == 3)
        #expect(ingested.failure == nil)

        let report = try await AnalyticsRankingsOperation.run(
            .init(strategy: .riskWeighted, repository: root + "/src", events: store), in: Self.context())
        #expect(report.commits == 49)
        #expect(report.events == store)
        let files = Dictionary(uniqueKeysWithValues: report.files.map { ($0.inputs.path, $0.inputs) })
        #expect(files["lib/tools.py"]?.defects == 3)
        // util.py → helpers.py → lib/tools.py: its whole history.
        #expect(files["lib/tools.py"]?.revisions == 12)
        #expect(files["src/app/util.py"] == nil)
        #expect(files["manual/guide.md"]?.revisions == 10)
        #expect(files["src/app/legacy.py"] == nil)
        #expect(files["src/app/verify.py"]?.complexity.language == "python")
        #expect(report.rankedFiles == files.count)
        #expect(report.files.map(\.rank) == Array(1...files.count))

        let filtered = try await AnalyticsRankingsOperation.run(
            .init(strategy: .churnBased, repository: root, limit: 2, include: ["src/*", "lib/*"], exclude: ["*/cli.py"]), in: Self.context())
        #expect(filtered.rankedFiles == 4)
        #expect(filtered.files.count == 2)
        #expect(filtered.files.allSatisfy { $0.inputs.path.hasPrefix("src/") || $0.inputs.path.hasPrefix("lib/") })

        let since = try await AnalyticsRankingsOperation.run(
            .init(strategy: .composite, repository: root, since: "2025-02-20", events: store), in: Self.context())
        #expect(since.commits < 20)
        #expect(since.files.first { $0.inputs.path == "lib/tools.py" }?.inputs.defects == 0)
    }

    @Test("requests are checked before anything is read")
    func requests() async throws {
        await #expect(throws: RequestError.self) {
            try await AnalyticsRankingsOperation.run(.init(strategy: .coverageFirst), in: Self.context())
        }
        await #expect(throws: RequestError.self) {
            try await AnalyticsRankingsOperation.run(.init(strategy: .composite, since: "last week"), in: Self.context())
        }
        await #expect(throws: RequestError.self) {
            try await AnalyticsHotspotsOperation.run(.init(trustPathWeight: .nan), in: Self.context())
        }
        await #expect(throws: RequestError.self) {
            try await AnalyticsIngestOperation.run(.init(retentionBytes: 10), in: Self.context())
        }
        let directory = try TemporaryDirectory()
        await #expect(throws: AnalyticsError.self) {
            try await AnalyticsRankingsOperation.run(.init(strategy: .composite, repository: directory.path), in: Self.context())
        }
    }

    @Test("ingest from a stream (a service request's body): the same counts; a stream cut short stores nothing")
    func ingestStream() async throws {
        let directory = try TemporaryDirectory()
        let store = "sqlite://" + directory.file("events.sqlite")
        let lines = (0..<3000).map { index in
            index % 1000 == 999 ? "{oops" : #"{"time": "2026-05-0\#(1 + index % 9)T00:00:00Z", "file": "f\#(index % 40).py", "kind": "defect"}"#
        }
        let body = Array((lines.joined(separator: "\n") + "\n").utf8)
        let channel = ByteChannel(capacity: 1000)
        async let report = AnalyticsIngestOperation.run(.init(input: "request.body", store: store), reading: channel, in: Self.context())
        for start in stride(from: 0, to: body.count, by: 777) { try await channel.send(Array(body[start..<min(start + 777, body.count)])) }
        channel.finish()
        let ingested = try await report
        #expect(ingested.summary.lines == 3000 && ingested.summary.accepted == 2997 && ingested.summary.malformed == 3)
        #expect(ingested.summary.malformedLines == [1000, 2000, 3000])
        #expect(ingested.store == directory.file("events.sqlite") && ingested.storedEvents == 2997)

        struct Gone: Error {}
        let cut = ByteChannel()
        let failed = Task { try await AnalyticsIngestOperation.run(.init(input: "request.body", store: store), reading: cut, in: Self.context()) }
        try await cut.send(Array(body.prefix(5000)))
        cut.finish(throwing: Gone())
        await #expect(throws: Gone.self) { try await failed.value }
        let after = try await AnalyticsIngestOperation.run(.init(input: try directory.write("empty.ndjson", ""), store: store), in: Self.context())
            .storedEvents
        #expect(after == 2997, "the cut stream stored nothing")

        await #expect(throws: RequestError.self) {
            try await AnalyticsIngestOperation.run(.init(store: "mysql://db/events"), in: Self.context())
        }
    }

    @Test("hotspots: code-maat's thresholds, large change sets left out, trust path weighted, couplings")
    func hotspots() async throws {
        let fixture = try Self.fixture.get()
        let report = try await AnalyticsHotspotsOperation.run(.init(repository: fixture.repository.root), in: Self.context())
        #expect(report.hotspots.allSatisfy { $0.inputs.boundedRevisions >= 5 })
        #expect(report.hotspots.map(\.rank) == Array(1...report.hotspots.count))
        let verify = try #require(report.hotspots.first { $0.inputs.path == "src/app/verify.py" })
        #expect(verify.trustPath == "verification")
        #expect(verify.weight == 2)
        #expect(verify.score == Double(verify.inputs.boundedRevisions) * verify.inputs.complexity.totalIndentation * 2)
        // The two commits of more than 30 files do not count.
        #expect(report.hotspots.allSatisfy { !$0.inputs.path.hasPrefix("gen/") })
        #expect(report.couplings.contains { $0.entity == "src/app/signing.py" && $0.coupled == "src/app/verify.py" && $0.degree == 100 })

        let unweighted = try await AnalyticsHotspotsOperation.run(
            .init(repository: fixture.repository.root, minRevisions: 1, trustPathWeight: 1, trustPaths: ["*.swift"]), in: Self.context())
        #expect(unweighted.hotspots.contains { $0.inputs.path.hasPrefix("gen/") } == false)
        #expect(unweighted.hotspots.first { $0.inputs.path == "src/app/verify.py" }?.trustPath == nil)
        #expect(unweighted.hotspots.first { $0.inputs.path == "Sources/Tool/Main.swift" }?.trustPath == "custom")
        #expect(unweighted.belowMinRevisions < report.belowMinRevisions)
    }

    @Test("strategies: the documented weights on hand-made inputs")
    func strategies() {
        func file(_ path: String, revisions: Int, churn: Int, authors: Int, complexity: Double, coverage: Double?, defects: Double) -> FileInputs {
            var measured = SourceComplexity()
            measured.totalIndentation = complexity
            return FileInputs(
                path: path, revisions: revisions, boundedRevisions: revisions, added: churn, deleted: 0, churn: churn, authors: authors,
                lastChange: nil, complexity: measured, coverage: coverage.map { .init(statements: 100, covered: Int($0 * 100)) }, defects: defects)
        }
        let files = [
            file("a", revisions: 10, churn: 100, authors: 2, complexity: 50, coverage: 0.5, defects: 4),
            file("b", revisions: 5, churn: 200, authors: 4, complexity: 100, coverage: nil, defects: 0),
        ]
        let maxima = RankingStrategy.Maxima(files)
        #expect(abs(RankingStrategy.churnBased.score(files[0], maxima) - (0.5 * 0.5 + 0.3 * 1 + 0.2 * 0.5)) < 1e-12)
        #expect(abs(RankingStrategy.coverageFirst.score(files[1], maxima) - (0.6 * 1 + 0.25 * 1 + 0.15 * 0.5)) < 1e-12)
        #expect(abs(RankingStrategy.riskWeighted.score(files[0], maxima) - (0.3 + 0.3 * 0.5 + 0.25 * 0.5 + 0.15)) < 1e-12)
        let composite = (0..<3).map { [RankingStrategy.churnBased, .coverageFirst, .riskWeighted][$0].score(files[1], maxima) }.reduce(0, +) / 3
        #expect(abs(RankingStrategy.composite.score(files[1], maxima) - composite) < 1e-12)
        // Equal scores: by path.
        let tied = RankingStrategy.churnBased.rank([
            files[0], file("0", revisions: 10, churn: 100, authors: 2, complexity: 1, coverage: nil, defects: 0),
        ])
        #expect(tied.map(\.file.path) == ["0", "a"])
    }
}
