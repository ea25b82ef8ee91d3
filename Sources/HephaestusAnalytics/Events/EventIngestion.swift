import Foundation
import GRDB

/// Streams NDJSON events from a descriptor into an ``EventStore`` with bounded memory: one fixed read buffer (lines
/// longer than ``maxLineLength`` are counted as malformed without being buffered) and at most ``maxPendingBuckets``
/// aggregated (day, file, kind) counts before they are written.
public struct EventIngestion {
    /// Lines longer than this are malformed (skipped without being held in memory).
    public static let maxLineLength = 64 << 10
    /// Aggregated counts held before they are written to the store.
    public static let maxPendingBuckets = 50_000
    /// How many malformed line numbers a summary lists.
    public static let reportedMalformedLines = 20

    /// What one ingestion did.
    public struct Summary: Codable, Sendable, Equatable {
        public var bytes = 0
        public var lines = 0
        /// Lines with only white space (skipped, not malformed).
        public var blankLines = 0
        public var accepted = 0
        public var malformed = 0
        /// Of the malformed lines, those longer than the bound.
        public var overlong = 0
        /// The first ``reportedMalformedLines`` malformed line numbers (1-based).
        public var malformedLines: [Int] = []
        /// Whether the events were stored (false when `--strict` refused the input).
        public var stored = false
        /// Event counts (day, file, kind) removed by retention.
        public var retentionRemovedBuckets = 0
    }

    /// How long and how much the store keeps.
    public struct Retention: Codable, Sendable, Equatable {
        /// Events older than this many days before today (UTC) are removed.
        public var days: Int?
        /// The oldest days are removed until the store's pages in use take at most this many bytes.
        public var bytes: Int?

        public init(days: Int? = nil, bytes: Int? = nil) {
            self.days = days
            self.bytes = bytes
        }
    }

    private struct BucketKey: Hashable {
        let day: Int32
        let file: Int32
        let kind: Int32
    }

    /// Reads `descriptor` (named `name` in errors) to its end into `store`, as ``ingest(source:into:strict:retention:today:cancelled:)``.
    public static func ingest(
        descriptor: Int32, name: String, into store: EventStore, strict: Bool, retention: Retention, today: Int,
        cancelled: () -> Bool = { false }
    ) throws -> Summary {
        try ingest(
            source: DescriptorByteSource(descriptor: descriptor, name: name), into: store, strict: strict, retention: retention, today: today,
            cancelled: cancelled)
    }

    /// Reads `source` to its end into `store`, applying `retention` with `today` (days since 1970-01-01). With
    /// `strict`, any malformed line rolls the whole ingestion back; so does an error reading `source` (a stream cut
    /// short stores nothing).
    public static func ingest(
        source: any ByteSource, into store: EventStore, strict: Bool, retention: Retention, today: Int, cancelled: () -> Bool = { false }
    ) throws -> Summary {
        var summary = Summary()
        var vacuum = false
        do {
            try store.queue.inTransaction { db in
                let upsert = try db.makeStatement(
                    sql: """
                        INSERT INTO events (day, file, kind, count, weight) VALUES (?, ?, ?, ?, ?)
                        ON CONFLICT (day, file, kind) DO UPDATE SET count = count + excluded.count, weight = weight + excluded.weight
                        """)
                var pending: [BucketKey: (count: Int, weight: Double)] = [:]
                var files = ByteInterner()
                var kinds = ByteInterner()
                func flush() throws {
                    for (key, value) in pending {
                        try upsert.execute(
                            arguments: [Int(key.day), files.strings[Int(key.file)], kinds.strings[Int(key.kind)], value.count, value.weight])
                    }
                    pending.removeAll(keepingCapacity: true)
                    files.removeAll()
                    kinds.removeAll()
                }
                let reader = LineReader(source: source, maxLineLength: maxLineLength)
                summary.bytes = try reader.forEachLine { line in
                    summary.lines += 1
                    switch line {
                    case .overlong:
                        summary.overlong += 1
                        malformed(&summary)
                    case .complete(let bytes):
                        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
                            summary.blankLines += 1
                            return
                        }
                        let parsed = EventLine.scan(bytes) { day, file, kind, weight -> (BucketKey, Double)? in
                            guard let fileID = files.identifier(file, valid: { EventLine.validFile($0) }),
                                let kindID = kinds.identifier(kind, valid: { String(decoding: $0, as: UTF8.self) })
                            else { return nil }
                            return (BucketKey(day: Int32(clamping: day), file: fileID, kind: kindID), weight)
                        }
                        guard let (key, weight) = parsed ?? nil else { return malformed(&summary) }
                        summary.accepted += 1
                        Self.count(weight, in: &pending[key, default: (0, 0)])
                        if pending.count >= maxPendingBuckets {
                            if cancelled() { throw CancellationError() }
                            try flush()
                        }
                    }
                }
                if strict && summary.malformed > 0 { return .rollback }
                try flush()
                summary.retentionRemovedBuckets = try applyRetention(retention, today: today, db)
                vacuum = summary.retentionRemovedBuckets > 0
                summary.stored = true
                return .commit
            }
        } catch let error as AnalyticsError {
            throw error
        } catch let error as CancellationError {
            throw error
        } catch let error as DatabaseError {
            throw AnalyticsError.storeFailed(path: store.path, reason: "\(error)")
        }
        // Give the space of removed events back to the file system (outside the transaction, as SQLite requires).
        if vacuum { try? store.queue.vacuum() }
        return summary
    }

    /// One more event of `weight` in a count (one dictionary lookup per event).
    private static func count(_ weight: Double, in value: inout (count: Int, weight: Double)) {
        value.count += 1
        value.weight += weight
    }

    private static func malformed(_ summary: inout Summary) {
        summary.malformed += 1
        if summary.malformedLines.count < reportedMalformedLines { summary.malformedLines.append(summary.lines) }
    }

    /// Removes what retention does not keep; returns the number of counts removed.
    static func applyRetention(_ retention: Retention, today: Int, _ db: Database) throws -> Int {
        var removed = 0
        if let days = retention.days {
            try db.execute(sql: "DELETE FROM events WHERE day < ?", arguments: [today - days])
            removed += db.changesCount
        }
        if let bytes = retention.bytes {
            while try EventStore.usedBytes(db) > bytes, let oldest = try Int.fetchOne(db, sql: "SELECT MIN(day) FROM events") {
                try db.execute(sql: "DELETE FROM events WHERE day = ?", arguments: [oldest])
                removed += db.changesCount
            }
        }
        return removed
    }
}
