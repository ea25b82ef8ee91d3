import Foundation
import GRDB

/// Opening a SQLite database that several processes (CI runners, service replicas, a scan beside `serve`) may create,
/// open and upgrade at the same moment: what every Hephaestus store built on GRDB shares.
///
/// Once a database is in WAL mode with its schema in place, SQLite lets any number of processes share it. Getting there
/// is the fragile part: switching a new file to WAL mode reads the header and then rewrites it, and SQLite answers a
/// connection that holds a read lock and needs a write lock with `SQLITE_BUSY` at once (waiting could deadlock), while
/// readers of a file in the middle of the switch can see `SQLITE_PROTOCOL` or a schema without its tables. So openers
/// take turns: each holds an advisory lock (`flock`) on the database's directory from opening the pool to its last
/// migration. The directory, not the file: closing any descriptor of the database file would drop the POSIX locks
/// SQLite holds on it in this process.
public enum SharedDatabase {
    /// Opens a WAL pool at `path` and runs `prepare` on it (schema checks, migrations) while no other Hephaestus
    /// process or thread is opening the same directory's databases, waiting at most `patience` seconds for its turn.
    /// A file system without `flock` on directories (NFS) is opened without taking turns.
    ///
    /// With `newFileMode`, a missing file is first created empty with that mode — exclusively, so a file another
    /// opener has just created is never replaced (a replaced file leaves the first opener writing to a deleted inode).
    public static func openPool(
        path: String, configuration: Configuration, patience: TimeInterval, newFileMode: mode_t? = nil, prepare: (DatabasePool) throws -> Void
    ) throws -> DatabasePool {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let turn = try OpeningTurn(directory: directory, patience: patience)
        defer { turn.end() }
        if let newFileMode { try createExclusively(path, mode: newFileMode) }
        let pool = try DatabasePool(path: path, configuration: configuration)
        try prepare(pool)
        return pool
    }

    /// Creates `path` empty with `mode` unless something is there already.
    private static func createExclusively(_ path: String, mode: mode_t) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        if descriptor >= 0 {
            close(descriptor)
        } else if errno != EEXIST {
            throw SharedDatabaseError.file(path: path, reason: String(cString: strerror(errno)))
        }
    }

    /// Applies `migrator`'s pending migrations. A process of a Hephaestus that did not take turns may apply some
    /// first, making ours fail: as long as it makes progress, what is still pending is applied again; an error with no
    /// progress behind it is thrown.
    public static func migrate(_ pool: DatabasePool, with migrator: DatabaseMigrator) throws {
        var applied = try pool.read { try migrator.appliedIdentifiers($0) }
        while true {
            do {
                return try migrator.migrate(pool)
            } catch {
                let now = try pool.read { try migrator.appliedIdentifiers($0) }
                guard now.count > applied.count else { throw error }
                applied = now
            }
        }
    }
}

/// Why a shared database could not be opened.
public enum SharedDatabaseError: Error, Equatable, CustomStringConvertible {
    /// Its directory cannot be opened to take turns.
    case directory(path: String, reason: String)
    /// The database file cannot be created.
    case file(path: String, reason: String)
    /// Another process kept opening databases in the directory for longer than the patience allowed.
    case busy(directory: String, seconds: Int)

    public var description: String {
        switch self {
        case .directory(let path, let reason): "cannot open the directory \(path): \(reason)"
        case .file(let path, let reason): "cannot create \(path): \(reason)"
        case .busy(let directory, let seconds):
            "another process has been opening a database in \(directory) for more than \(seconds) s (a stopped process holding its lock?)"
        }
    }
}

/// One opener's turn: an exclusive `flock` on a directory, released by ``end()``.
private struct OpeningTurn {
    private let descriptor: Int32

    init(directory: String, patience: TimeInterval) throws {
        descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw SharedDatabaseError.directory(path: directory, reason: String(cString: strerror(errno)))
        }
        let deadline = Date().addingTimeInterval(patience)
        var pause: useconds_t = 1_000
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            let failure = errno
            if failure == EINTR { continue }
            // No flock here (NFS emulates it with byte-range locks, which a read-only directory cannot take): go on
            // alone, as SQLite itself would.
            guard failure == EWOULDBLOCK else { return }
            guard Date() < deadline else {
                close(descriptor)
                throw SharedDatabaseError.busy(directory: directory, seconds: Int(patience))
            }
            // Turns last as long as an open and its migrations (milliseconds): back off up to 50 ms rather than spin.
            usleep(pause)
            pause = min(pause * 2, 50_000)
        }
    }

    func end() {
        close(descriptor)  // releases the lock
    }
}
