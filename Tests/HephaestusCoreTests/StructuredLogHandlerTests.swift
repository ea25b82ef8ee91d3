import Foundation
import HephaestusCore
import Logging
import Synchronization
import Testing

@Suite("Structured logging")
struct StructuredLogHandlerTests {
    final class Lines: Sendable {
        let storage = Mutex<[String]>([])
        var all: [String] { storage.withLock { $0 } }
        var sink: LogSink { LogSink { line in self.storage.withLock { $0.append(line) } } }
    }

    static let fixedClock: @Sendable () -> Date = { Date(timeIntervalSince1970: 1_764_000_000.25) }

    @Test("JSON records carry timestamp, level, run id, event and fields")
    func jsonRecord() throws {
        let lines = Lines()
        var logger = Logger(label: "test") { _ in
            StructuredLogHandler(format: .json, runID: RunID("run-1"), level: .info, sink: lines.sink, clock: Self.fixedClock)
        }
        logger[metadataKey: "command"] = "digest"
        logger.info("digest.completed", metadata: ["files": .stringConvertible(3), "name": "a \"quoted\"\nname"])
        logger.debug("hidden")
        #expect(lines.all.count == 1)
        let record = try #require(
            JSONSerialization.jsonObject(with: Data(lines.all[0].utf8)) as? [String: Any])
        #expect(Set(record.keys) == ["timestamp", "level", "run_id", "event", "fields"])
        #expect(record["timestamp"] as? String == "2025-11-24T16:00:00.250Z")
        #expect(record["level"] as? String == "info")
        #expect(record["run_id"] as? String == "run-1")
        #expect(record["event"] as? String == "digest.completed")
        let fields = try #require(record["fields"] as? [String: Any])
        #expect(fields["files"] as? Int == 3)
        #expect(fields["name"] as? String == "a \"quoted\"\nname")
        #expect(fields["command"] as? String == "digest")
    }

    @Test("Text records are one line with the run id")
    func textRecord() {
        let lines = Lines()
        let logger = Logger(label: "test") { _ in
            StructuredLogHandler(format: .text, runID: RunID("0123456789abcdef"), level: .warning, sink: lines.sink, clock: Self.fixedClock)
        }
        logger.warning("retry.scheduled", metadata: ["delay": "1.5s", "reason": "HTTP 503"])
        #expect(lines.all == ["2025-11-24T16:00:00.250Z warning run=01234567 retry.scheduled delay=1.5s reason=\"HTTP 503\""])
    }

    @Test("Run ids are unique per run")
    func runIDs() {
        #expect(RunID.generate() != RunID.generate())
    }
}
