import Foundation
import GRDB
import HephaestusPlatform

/// What a path given as an inventory holds, found through a read-only connection before anything writes to it: the
/// SQLite side of recognising an inventory.
///
/// A Hephaestus inventory carries the SQLite application id ``applicationID`` (set when it is created, or first opened
/// by a version that knows it) and the portable schema marker (``InventoryStore/isInventory(_:)``). Anything else at
/// the path — another program's SQLite database, a file that is not SQLite at all — is refused: `inventory scan` never
/// adds tables to someone else's database, nor switches it to WAL mode.
enum InventoryFile: Equatable {
    /// No file, an empty file, or a SQLite database without any table: a new inventory.
    case absent
    /// A Hephaestus inventory; `stamped` when it already carries the application id.
    case inventory(stamped: Bool)

    /// `PRAGMA application_id` of every inventory: "HPHS".
    static let applicationID: Int32 = 0x4850_4853

    static func recognize(path: String) throws -> InventoryFile {
        do {
            guard try FileStatus.size(of: path) > 0 else { return .absent }
        } catch FileError.notFound {
            return .absent
        }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(InventoryStore.busyTimeout)
        do {
            return try DatabaseQueue(path: path, configuration: configuration).read { db in
                let id = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
                if id == applicationID { return .inventory(stamped: true) }
                guard id == 0 else {
                    throw InventoryError.foreign(
                        path: path, reason: "it is another program's SQLite database (application id 0x\(String(UInt32(bitPattern: id), radix: 16)))")
                }
                let tables = try String.fetchAll(
                    db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
                if tables.isEmpty { return .absent }
                if try InventoryStore.isInventory(db) { return .inventory(stamped: false) }
                let listed = tables.prefix(5).joined(separator: ", ") + (tables.count > 5 ? ", …" : "")
                throw InventoryError.foreign(path: path, reason: "it is another SQLite database (tables: \(listed))")
            }
        } catch let error as InventoryError {
            throw error
        } catch let error as DatabaseError where error.resultCode == .SQLITE_NOTADB {
            throw InventoryError.foreign(path: path, reason: "it is not a SQLite database")
        } catch {
            throw InventoryError.schema(path: path, reason: "\(error)")
        }
    }

    /// Sets the application id (before the first migration of a new inventory, or on an older one).
    static func stamp(_ db: Database) throws {
        try db.execute(sql: "PRAGMA application_id = \(applicationID)")
    }
}
