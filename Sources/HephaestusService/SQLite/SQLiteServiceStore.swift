import Foundation
import GRDB
import HephaestusCore
import HephaestusPlatform
import HephaestusSQLite

/// The embedded service store: accounts, audit log and task queue in one SQLite file (WAL mode, through a GRDB pool),
/// shared safely by several processes on one machine.
///
/// Every method is one transaction; the ones that read then write (audit append, task claim, events) take the write
/// lock at `BEGIN IMMEDIATE`, so two processes serialise on it rather than deadlock or fork the chain. Waiting for
/// another process's lock is bounded by ``busyTimeout``; anything that fails is ``ServiceStoreError/unavailable(location:reason:)``
/// (the audit log's appends: ``AuditError/unwritable(reason:)``).
public final class SQLiteServiceStore: Sendable {
    public let path: String
    let pool: DatabasePool
    /// A read-only connection of its own for the token lookup every request makes (``lookingUp(_:)``), so that lookup
    /// never waits for one of the pool's readers (which long listings, such as `audit show` over a large log, can hold).
    let lookups: DatabaseQueue
    /// Audit entries waiting for their group commit.
    let auditBatch = AuditBatch()

    /// How long a connection waits for another one's lock (seconds).
    static let busyTimeout: TimeInterval = 10
    /// `PRAGMA application_id` of every service store: "HPHV".
    static let applicationID: Int32 = 0x4850_4856
    /// The portable schema marker's format.
    static let markerFormat = "hephaestus-service"

    var location: String { "sqlite:\(path)" }

    /// Opens the store at `path`, creating it (and its directory, private to the user) unless `mustExist`. A path
    /// holding anything else than a service store is refused before anything writes to it.
    public init(path: String, mustExist: Bool = false) throws {
        self.path = path
        let stamped = try Self.recognize(path: path)
        if stamped == nil {
            guard !mustExist else { throw ServiceStoreError.missing(location: "sqlite:\(path)") }
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw ServiceStoreError.unavailable(location: "sqlite:\(path)", reason: "cannot create \(directory): \(error.localizedDescription)")
            }
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(Self.busyTimeout)
        configuration.foreignKeysEnabled = true
        // WAL with synchronous NORMAL: a commit is in the WAL file (so in the kernel) before it returns, hence survives
        // the process being killed at any point; only a power loss or kernel crash can drop the last commits, never
        // corrupt the file. FULL would fsync every audit record, capping the service at a few hundred requests/s.
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        do {
            // Readable by its owner only (token hashes, the audit log); SQLite gives the -wal and -shm files the same mode.
            pool = try SharedDatabase.openPool(path: path, configuration: configuration, patience: Self.busyTimeout, newFileMode: 0o600) { pool in
                guard try !pool.read({ try Self.migrator.hasBeenSuperseded($0) }) else {
                    throw ServiceStoreError.schema(location: "sqlite:\(path)", reason: "it was written by a newer Hephaestus")
                }
                if stamped != true { try pool.write { try $0.execute(sql: "PRAGMA application_id = \(Self.applicationID)") } }
                try SharedDatabase.migrate(pool, with: Self.migrator)
            }
            var lookupConfiguration = configuration
            lookupConfiguration.readonly = true
            lookups = try DatabaseQueue(path: path, configuration: lookupConfiguration)
        } catch let error as ServiceStoreError {
            throw error
        } catch {
            throw ServiceStoreError.unavailable(location: "sqlite:\(path)", reason: Self.describe(error))
        }
    }

    /// The store as a ``ServiceStore``.
    public var serviceStore: ServiceStore {
        ServiceStore(location: location, accounts: self, audit: self, tasks: self)
    }

    /// nil: nothing there yet (no file, empty file, a database without tables); true: a stamped service store; false:
    /// a service store without its application id. Throws for anything else.
    private static func recognize(path: String) throws -> Bool? {
        do {
            guard try FileStatus.size(of: path) > 0 else { return nil }
        } catch FileError.notFound {
            return nil
        }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(busyTimeout)
        do {
            return try DatabaseQueue(path: path, configuration: configuration).read { db -> Bool? in
                let id = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
                if id == applicationID { return true }
                guard id == 0 else {
                    throw ServiceStoreError.foreign(
                        path: path, reason: "it is another program's SQLite database (application id 0x\(String(UInt32(bitPattern: id), radix: 16)))")
                }
                let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
                if tables.isEmpty { return nil }
                if tables.contains("hephaestus_service"),
                    try String.fetchOne(db, sql: "SELECT format FROM hephaestus_service") == markerFormat
                {
                    return false
                }
                throw ServiceStoreError.foreign(
                    path: path, reason: "it is another SQLite database (tables: \(tables.sorted().prefix(5).joined(separator: ", ")))")
            }
        } catch let error as ServiceStoreError {
            throw error
        } catch let error as DatabaseError where error.resultCode == .SQLITE_NOTADB {
            throw ServiceStoreError.foreign(path: path, reason: "it is not a SQLite database")
        } catch {
            throw ServiceStoreError.unavailable(location: "sqlite:\(path)", reason: describe(error))
        }
    }

    /// The schema, in SQL PostgreSQL shares (plain tables, `INTEGER`/`TEXT`/`BLOB` columns, no SQLite-only clauses).
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: accounts, audit log, tasks") { db in
            try db.execute(
                sql: """
                    CREATE TABLE hephaestus_service (format TEXT NOT NULL, created_at TEXT NOT NULL);
                    CREATE TABLE account (
                        name TEXT PRIMARY KEY, role TEXT NOT NULL, token_sha256 BLOB NOT NULL UNIQUE,
                        created_at TEXT NOT NULL, expires_at TEXT, revoked_at TEXT);
                    CREATE TABLE audit_record (
                        sequence INTEGER PRIMARY KEY, time TEXT NOT NULL, request_id TEXT NOT NULL, account TEXT, role TEXT,
                        transport TEXT NOT NULL, operation TEXT NOT NULL, outcome TEXT NOT NULL, status TEXT NOT NULL,
                        code TEXT, source TEXT, target TEXT, previous_hash TEXT NOT NULL, hash TEXT NOT NULL);
                    CREATE INDEX audit_by_time ON audit_record(time);
                    CREATE INDEX audit_by_account ON audit_record(account, sequence);
                    CREATE TABLE audit_head (
                        id INTEGER PRIMARY KEY CHECK (id = 1), sequence INTEGER NOT NULL, hash TEXT NOT NULL);
                    CREATE TABLE task (
                        number INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, operation TEXT NOT NULL, request TEXT NOT NULL,
                        account TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL, runner TEXT, replica TEXT,
                        interruption TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, lease_expires_at TEXT,
                        cancel_requested INTEGER NOT NULL, report TEXT, failure_code TEXT, failure_message TEXT,
                        last_event_id INTEGER NOT NULL);
                    CREATE INDEX task_by_status ON task(status, number);
                    CREATE TABLE task_event (
                        task_id TEXT NOT NULL REFERENCES task(id), id INTEGER NOT NULL, type TEXT NOT NULL, time TEXT NOT NULL,
                        data TEXT NOT NULL, PRIMARY KEY (task_id, id));
                    """)
            try db.execute(
                sql: "INSERT INTO hephaestus_service (format, created_at) VALUES (?, ?)", arguments: [markerFormat, RFC3339.string(Date())])
        }
        migrator.registerMigration("v2: the traceparent a task was queued with") { db in
            try db.execute(sql: "ALTER TABLE task ADD COLUMN traceparent TEXT")
        }
        return migrator
    }

    // MARK: Access

    /// A read, with every failure a ``ServiceStoreError``.
    func reading<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) async throws -> T {
        do {
            return try await pool.read(body)
        } catch {
            throw mapped(error)
        }
    }

    /// A read of one statement on the calling thread, on ``lookups``, for the lookup every request makes: the
    /// connection is taken and released in place rather than hopping to a reader's thread and back, and no BEGIN /
    /// COMMIT surrounds the statement (SQLite runs a single statement in a read transaction of its own, so it sees one
    /// committed state). It waits only for another lookup's statement (microseconds): a WAL reader does not wait for
    /// writers, except (up to ``busyTimeout``) while another connection recovers the WAL after a crash.
    func lookingUp<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try lookups.unsafeRead(body)
        } catch {
            throw mapped(error)
        }
    }

    /// A write in one `BEGIN IMMEDIATE` transaction, with every failure a ``ServiceStoreError`` (errors the body
    /// throws on purpose pass through).
    func writing<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) async throws -> T {
        do {
            return try await pool.writeWithoutTransaction { db in
                var result: T?
                try db.inTransaction(.immediate) {
                    result = try body(db)
                    return .commit
                }
                return result!
            }
        } catch {
            throw mapped(error)
        }
    }

    private func mapped(_ error: any Error) -> any Error {
        if error is any CodedError || error is CancellationError { return error }
        return ServiceStoreError.unavailable(location: location, reason: Self.describe(error))
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? DatabaseError { return error.message.map { "\($0) (\(error.resultCode))" } ?? "\(error.resultCode)" }
        return "\(error)"
    }

    // MARK: Time

    static func text(_ date: Date) -> String { RFC3339.string(date) }

    static func date(_ text: String?) -> Date? { text.flatMap(RFC3339.date) }
}

extension ServiceStore {
    /// Opens the store at `location`: SQLite now; PostgreSQL is refused with ``ServiceStoreError/unsupported(location:reason:)``.
    public static func open(_ location: StoreLocation, mustExist: Bool = false) throws -> ServiceStore {
        try SQLiteServiceStore(path: try location.sqliteFile(), mustExist: mustExist).serviceStore
    }
}
