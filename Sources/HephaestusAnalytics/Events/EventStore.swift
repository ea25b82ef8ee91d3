import Foundation
import GRDB
import HephaestusService

/// The analytics event store: an SQLite database of event counts per UTC day, file and kind (events are aggregated
/// on ingestion; single events are not kept). Each ingestion is one transaction, so readers (rankings) always see a
/// consistent snapshot: all of an ingestion's events or none.
public final class EventStore {
    /// `PRAGMA application_id` of an event store ("HPEV").
    static let applicationID: Int32 = 0x4850_4556
    /// The schema version (`PRAGMA user_version`).
    static let schemaVersion = 1

    /// The kinds whose weights count as a file's defects in rankings.
    public static let defectKinds = ["defect", "incident", "vulnerability"]

    public let path: String
    let queue: DatabaseQueue

    /// Opens (`create`: or creates) the store `location` names: a file path, or the service store's URL forms
    /// (`sqlite:PATH`, `sqlite:///PATH`; `postgres://…` is refused with `store.unsupported`), read by the one parser of
    /// store locations (``StoreLocation``).
    public convenience init(location: String, create: Bool) throws {
        try self.init(path: try StoreLocation(parsingURLOrPath: location).sqliteFile(), create: create)
    }

    /// Opens (`create`: or creates) the store at `path`; a file that is not an event store is refused.
    public init(path: String, create: Bool) throws {
        self.path = path
        let exists = FileManager.default.fileExists(atPath: path)
        guard exists || create else { throw AnalyticsError.storeFailed(path: path, reason: "no such event store") }
        if !exists {
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw AnalyticsError.storeFailed(path: path, reason: "cannot create \(directory): \(error.localizedDescription)")
            }
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.readonly = !create
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
            let (application, version, tables) = try queue.read { db in
                (
                    try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0, try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0,
                    try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") ?? 0
                )
            }
            if application != Self.applicationID {
                guard tables == 0, create else { throw AnalyticsError.storeFailed(path: path, reason: "not a Hephaestus event store") }
                try queue.write { db in
                    try db.execute(sql: "PRAGMA application_id = \(Self.applicationID)")
                    try db.execute(sql: "PRAGMA user_version = \(Self.schemaVersion)")
                    try db.execute(
                        sql: """
                            CREATE TABLE events (
                                day INTEGER NOT NULL, file TEXT NOT NULL, kind TEXT NOT NULL, count INTEGER NOT NULL, weight REAL NOT NULL,
                                PRIMARY KEY (day, file, kind)) WITHOUT ROWID
                            """)
                }
            } else if version > Self.schemaVersion {
                throw AnalyticsError.storeFailed(path: path, reason: "written by a newer Hephaestus (schema \(version))")
            }
        } catch let error as AnalyticsError {
            throw error
        } catch {
            throw AnalyticsError.storeFailed(path: path, reason: "\(error)")
        }
    }

    /// The weighted defect events per file (kinds ``defectKinds``) from `sinceDay` (days since 1970-01-01) on.
    public func defects(sinceDay: Int?) throws -> [String: Double] {
        do {
            return try queue.read { db in
                let rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT file, SUM(weight) AS weight FROM events
                        WHERE kind IN ('defect', 'incident', 'vulnerability') AND day >= ? GROUP BY file
                        """, arguments: [sinceDay ?? Int.min])
                var result: [String: Double] = [:]
                for row in rows { result[row["file"]] = row["weight"] }
                return result
            }
        } catch {
            throw AnalyticsError.storeFailed(path: path, reason: "\(error)")
        }
    }

    /// Totals of the store: buckets, events, the first and last day.
    public func totals() throws -> (buckets: Int, events: Int, firstDay: Int?, lastDay: Int?) {
        do {
            return try queue.read { db in
                let row = try Row.fetchOne(
                    db, sql: "SELECT count(*) AS buckets, COALESCE(SUM(count), 0) AS events, MIN(day) AS first, MAX(day) AS last FROM events")
                return (row?["buckets"] ?? 0, row?["events"] ?? 0, row?["first"], row?["last"])
            }
        } catch {
            throw AnalyticsError.storeFailed(path: path, reason: "\(error)")
        }
    }

    /// The bytes of the database's pages in use (pages less free pages, times the page size).
    static func usedBytes(_ db: Database) throws -> Int {
        let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
        let free = try Int.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0
        let size = try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 4096
        return (pages - free) * size
    }
}
