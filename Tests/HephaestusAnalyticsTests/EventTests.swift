import Foundation
import Glibc
import HephaestusAnalytics
import HephaestusTestSupport
import Testing

/// NDJSON event lines, the bounded line reader, and the SQLite event store with its retention.
@Suite("analytics events")
struct EventTests {
    static func parse(_ text: String) -> EventLine? {
        Array(text.utf8).withUnsafeBytes { EventLine.parse($0) }
    }

    @Test("a valid event: members in any order, other members ignored, escapes decoded, offsets moved to UTC")
    func valid() {
        let event = Self.parse(
            #" {"weight": 2.5e0, "extra": {"nested": [1, -2.5, true, false, null, "s"]}, "kind": "defect", "file": "src/caf\u00e9.py", "time": "2026-03-01T00:30:00+01:00"} "#
        )
        #expect(event == EventLine(day: 20512, file: "src/café.py", kind: "defect", weight: 2.5))
        #expect(Self.parse(#"{"time":"2026-03-01T00:00:00.123Z","file":"a","kind":"x"}"#)?.weight == 1)
        #expect(Self.parse(#"{"time":"1969-12-31T23:59:59Z","file":"a","kind":"x"}"#)?.day == -1)
    }

    @Test(
        "malformed lines",
        arguments: [
            #"{"time":"2026-03-01T00:00:00Z","file":"a","kind":"x""#, #"{"time":"2026-03-01T00:00:00Z","file":"a"}"#,
            #"{"time":"2026-02-30T00:00:00Z","file":"a","kind":"x"}"#, #"{"time":"2026-03-01","file":"a","kind":"x"}"#,
            #"{"time":"2026-03-01T00:00:00Z","file":"","kind":"x"}"#, #"{"time":"2026-03-01T00:00:00Z","file":"a","kind":"X"}"#,
            #"{"time":"2026-03-01T00:00:00Z","file":"a","kind":"x","weight":-1}"#,
            #"{"time":"2026-03-01T00:00:00Z","file":"a","kind":"x","weight":"1"}"#,
            #"{"time":"2026-03-01T00:00:00Z","file":"a","file":"b","kind":"x"}"#, #"{"time":"2026-03-01T00:00:00Z","file":"\q","kind":"x"}"#,
            #"{"time":"2026-03-01T00:00:00Z","file":"a","kind":"x"} x"#, #"[1]"#, #"{}"#,
            #"{"time":"2026-03-01T00:00:00Z","file":"a","kind":"x","n":01}"#,
            #"{"time":"2026-03-01T00:00:00Z","file":"a","kind":"x","n":tru}"#, #"{"time":"2026-03-01T00:00:00Z","file":"\ud800","kind":"x"}"#,
            "{\"time\":\"2026-03-01T00:00:00Z\",\"file\":\"a\tb\",\"kind\":\"x\"}",
            #"{"time":"2026-03-01T00:00:00Z","file":"a","kind":"x","deep":"# + String(repeating: "[", count: 70) + String(repeating: "]", count: 70)
                + "}",
        ])
    func malformed(line: String) {
        #expect(Self.parse(line) == nil)
    }

    /// Writes `text` into a pipe from another thread and returns the read end.
    static func pipe(_ text: [UInt8]) -> Int32 {
        var ends: [Int32] = [0, 0]
        _ = Glibc.pipe(&ends)
        let writer = ends[1]
        Thread.detachNewThread {
            text.withUnsafeBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    let written = write(writer, bytes.baseAddress! + offset, bytes.count - offset)
                    if written <= 0 { break }
                    offset += written
                }
            }
            close(writer)
        }
        return ends[0]
    }

    @Test("the line reader skips overlong lines without holding them, across buffer refills")
    func lineReader() throws {
        let long = [UInt8](repeating: UInt8(ascii: "x"), count: 300_000)
        let input = Array("a\r\n".utf8) + long + Array("\nbb\n".utf8) + Array(repeating: UInt8(ascii: "y"), count: 1000) + Array("\nlast".utf8)
        let descriptor = Self.pipe(input)
        defer { close(descriptor) }
        var lines: [String] = []
        let total = try LineReader(descriptor: descriptor, name: "pipe", bufferSize: 70_000, maxLineLength: 2000).forEachLine { line in
            switch line {
            case .complete(let bytes): lines.append(bytes.count > 100 ? "<\(bytes.count)>" : String(decoding: bytes, as: UTF8.self))
            case .overlong: lines.append("<overlong>")
            }
        }
        #expect(total == input.count)
        #expect(lines == ["a", "<overlong>", "bb", "<1000>", "last"])
    }

    static func ingest(
        _ text: String, store: EventStore, strict: Bool = false, retention: EventIngestion.Retention = .init(), today: Int = 20600
    )
        throws -> EventIngestion.Summary
    {
        let descriptor = pipe(Array(text.utf8))
        defer { close(descriptor) }
        return try EventIngestion.ingest(descriptor: descriptor, name: "-", into: store, strict: strict, retention: retention, today: today)
    }

    static func event(_ day: Int, _ file: String, _ kind: String = "defect", weight: Double? = nil) -> String {
        let date = Date(timeIntervalSince1970: Double(day) * 86400 + 3600)
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        let weightText = weight.map { ", \"weight\": \($0)" } ?? ""
        return #"{"time": "\#(formatter.string(from: date))", "file": "\#(file)", "kind": "\#(kind)"\#(weightText)}"#
    }

    @Test("ingestion: counts, malformed line numbers, defects per file; --strict stores nothing")
    func ingestion() throws {
        let directory = try TemporaryDirectory()
        let store = try EventStore(path: directory.file("sub/events.sqlite"), create: true)
        let text = [
            Self.event(20500, "a.py"), "not json", "", Self.event(20500, "a.py", weight: 2), Self.event(20510, "b.py", "incident"),
            Self.event(20510, "b.py", "review"), "{\"time\": 1}", Self.event(20590, "a.py", "vulnerability", weight: 0.5),
        ].joined(separator: "\n")
        let strict = try Self.ingest(text, store: store, strict: true)
        #expect(!strict.stored)
        #expect(strict.malformed == 2)
        #expect(try store.totals().events == 0)

        let summary = try Self.ingest(text, store: store)
        #expect(summary.lines == 8)
        #expect(summary.blankLines == 1)
        #expect(summary.accepted == 5)
        #expect(summary.malformed == 2)
        #expect(summary.malformedLines == [2, 7])
        #expect(summary.stored)
        #expect(try store.defects(sinceDay: nil) == ["a.py": 3.5, "b.py": 1])
        #expect(try store.defects(sinceDay: 20510) == ["a.py": 0.5, "b.py": 1])
        let totals = try store.totals()
        #expect(totals.buckets == 4)
        #expect(totals.events == 5)
        #expect(totals.firstDay == 20500)
        #expect(totals.lastDay == 20590)

        // The same events again add up (an ingestion appends).
        _ = try Self.ingest(text, store: store)
        #expect(try store.defects(sinceDay: nil) == ["a.py": 7, "b.py": 2])
    }

    @Test("retention by age and by size")
    func retention() throws {
        let directory = try TemporaryDirectory()
        let store = try EventStore(path: directory.file("events.sqlite"), create: true)
        let old = (0..<400).map { Self.event(20000 + $0, "file\($0 % 50)-with-a-long-name-to-take-space.py") }.joined(separator: "\n")
        _ = try Self.ingest(old, store: store)
        #expect(try store.totals().buckets == 400)
        let aged = try Self.ingest("", store: store, retention: .init(days: 100), today: 20399)
        #expect(aged.retentionRemovedBuckets == 299)
        #expect(try store.totals().firstDay == 20299)
        let sized = try Self.ingest("", store: store, retention: .init(bytes: 12288), today: 20399)
        #expect(sized.retentionRemovedBuckets > 0)
        let totals = try store.totals()
        #expect(totals.lastDay == 20399)
        #expect(totals.buckets < 101)
        let size = (try FileManager.default.attributesOfItem(atPath: store.path)[.size] as? Int) ?? 0
        #expect(size <= 12288, "the store was vacuumed to its retained size")
    }

    @Test("a file that is not an event store is refused, and a missing one when reading")
    func foreignStore() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("other.sqlite", [])
        let other = try EventStore(path: path, create: true)
        _ = other
        let inventory = directory.file("inventory.sqlite")
        let result = try ProcessResult.run(
            "/usr/bin/env", ["python3", "-c", "import sqlite3; sqlite3.connect('\(inventory)').execute('create table t(x)')"])
        #expect(result.status == 0)
        #expect(throws: AnalyticsError.self) { try EventStore(path: inventory, create: true) }
        #expect(throws: AnalyticsError.self) { try EventStore(path: directory.file("missing.sqlite"), create: false) }
    }
}
