import Foundation
import GRDB
import HephaestusSigstore

/// Keeps the local instance's log entries in SQLite (WAL), so a restarted instance continues the same trees.
/// One table holds every log's entries, keyed by the log's checkpoint origin and the entry index.
public final class SQLiteLogStorage: TransparencyLogStorage, Sendable {
    private let database: DatabaseQueue

    public init(path: String) throws {
        var configuration = Configuration()
        configuration.journalMode = .wal
        database = try DatabaseQueue(path: path, configuration: configuration)
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: log entries") { db in
            try db.create(table: "log_entry") { table in
                table.column("log", .text).notNull()
                table.column("log_index", .integer).notNull()
                table.column("body", .blob).notNull()
                table.column("integrated_time", .integer).notNull()
                table.primaryKey(["log", "log_index"])
            }
        }
        try migrator.migrate(database)
    }

    public func entries(log: String) throws -> [LocalTransparencyLog.StoredEntry] {
        try database.read { db in
            let rows = try Row.fetchAll(
                db, sql: "SELECT log_index, body, integrated_time FROM log_entry WHERE log = ? ORDER BY log_index", arguments: [log])
            var entries: [LocalTransparencyLog.StoredEntry] = []
            for (expected, row) in rows.enumerated() {
                let index: Int64 = row["log_index"]
                guard index == Int64(expected) else {
                    throw LocalInstanceError.corruptState("log \(log) has no entry \(expected) (next stored index is \(index))")
                }
                let body: Data = row["body"]
                entries.append(LocalTransparencyLog.StoredEntry(body: Array(body), integratedTime: row["integrated_time"]))
            }
            return entries
        }
    }

    public func store(_ entry: LocalTransparencyLog.StoredEntry, index: Int64, log: String) throws {
        try database.write { db in
            try db.execute(
                sql: "INSERT INTO log_entry (log, log_index, body, integrated_time) VALUES (?, ?, ?, ?)",
                arguments: [log, index, Data(entry.body), entry.integratedTime])
        }
    }
}
