import Foundation
import GRDB
import HephaestusPlatform

/// One `--auto-remediate` run: who ran it, where, when, and each command with its exit status and output digest.
public struct RemediationRun: Codable, Sendable, Equatable {
    public var id: Int64?
    public var project: String
    public var who: String
    public var host: String
    public var startedAt: Date
    public var actions: [RemediationAction]
}

/// One remediation command as run.
public struct RemediationAction: Codable, Sendable, Equatable {
    public var command: [String]
    /// nil when a signal ended it or it could not start.
    public var exitStatus: Int32?
    /// SHA-256 of the command's captured standard output and error (stdout bytes, then stderr bytes).
    public var outputSHA256: String
    public var startedAt: Date
    public var finishedAt: Date
}

/// Where auto-remediation runs are counted (the rate limit) and audited. Small on purpose: a shared service store can
/// take it over by conforming.
public protocol RemediationLedger: Sendable {
    /// Atomically: when fewer than `limit` runs of `project` started within the hour before `now`, records a new run
    /// (its actions come later) and returns its id; otherwise returns nil and the time the oldest of them leaves the
    /// window (when the next run is allowed).
    func reserve(project: String, who: String, host: String, now: Date, limit: Int) throws -> Result<Int64, NextAllowed>
    /// Records one action of the reserved run.
    func record(_ action: RemediationAction, run: Int64) throws
    /// The runs of `project` (newest first), with their actions.
    func runs(project: String) throws -> [RemediationRun]
}

/// When the rate limit lets the next run start.
public struct NextAllowed: Error, Sendable, Equatable {
    public let date: Date

    public init(date: Date) {
        self.date = date
    }
}

/// The ledger in an SQLite file (GRDB): `remediation_run` and `remediation_action` tables.
public final class SQLiteRemediationLedger: RemediationLedger {
    public let path: String
    private let queue: DatabaseQueue

    /// `$XDG_DATA_HOME/hephaestus/remediation.sqlite` (default `~/.local/share/hephaestus/remediation.sqlite`).
    public static func defaultPath(environment: [String: String]) -> String {
        let base =
            environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.local/share"
        return base + "/hephaestus/remediation.sqlite"
    }

    public init(path: String) throws(GuardRailsError) {
        self.path = path
        do {
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            var configuration = Configuration()
            configuration.busyMode = .timeout(10)
            configuration.foreignKeysEnabled = true
            queue = try DatabaseQueue(path: path, configuration: configuration)
            var migrator = DatabaseMigrator()
            migrator.registerMigration("v1") { db in
                try db.create(table: "remediation_run") { table in
                    table.autoIncrementedPrimaryKey("id")
                    table.column("project", .text).notNull().indexed()
                    table.column("who", .text).notNull()
                    table.column("host", .text).notNull()
                    table.column("started_at", .double).notNull()
                }
                try db.create(table: "remediation_action") { table in
                    table.autoIncrementedPrimaryKey("id")
                    table.column("run_id", .integer).notNull().indexed().references("remediation_run")
                    table.column("command", .text).notNull()
                    table.column("exit_status", .integer)
                    table.column("output_sha256", .text).notNull()
                    table.column("started_at", .double).notNull()
                    table.column("finished_at", .double).notNull()
                }
            }
            try migrator.migrate(queue)
        } catch {
            throw GuardRailsError(.storeFailed, "the remediation store \(path) cannot be opened: \(error)")
        }
    }

    public func reserve(project: String, who: String, host: String, now: Date, limit: Int) throws -> Result<Int64, NextAllowed> {
        // BEGIN IMMEDIATE: two concurrent runs cannot both see a free slot.
        try queue.writeWithoutTransaction { db in
            var outcome: Result<Int64, NextAllowed> = .failure(NextAllowed(date: now))
            try db.inTransaction(.immediate) {
                let since = now.addingTimeInterval(-3600).timeIntervalSince1970
                let recent = try Double.fetchAll(
                    db, sql: "SELECT started_at FROM remediation_run WHERE project = ? AND started_at > ? ORDER BY started_at",
                    arguments: [project, since])
                if recent.count >= max(limit, 0) {
                    // The slot frees when the run that would have to leave the window does.
                    let leaving = recent.isEmpty ? now.timeIntervalSince1970 - 3600 : recent[recent.count - max(limit, 1)]
                    outcome = .failure(NextAllowed(date: Date(timeIntervalSince1970: leaving + 3600)))
                    return .commit
                }
                try db.execute(
                    sql: "INSERT INTO remediation_run (project, who, host, started_at) VALUES (?, ?, ?, ?)",
                    arguments: [project, who, host, now.timeIntervalSince1970])
                outcome = .success(db.lastInsertedRowID)
                return .commit
            }
            return outcome
        }
    }

    public func record(_ action: RemediationAction, run: Int64) throws {
        let command = String(decoding: try JSONEncoder().encode(action.command), as: UTF8.self)
        try queue.write { db in
            try db.execute(
                sql: """
                    INSERT INTO remediation_action (run_id, command, exit_status, output_sha256, started_at, finished_at)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    run, command, action.exitStatus, action.outputSHA256, action.startedAt.timeIntervalSince1970,
                    action.finishedAt.timeIntervalSince1970,
                ])
        }
    }

    public func runs(project: String) throws -> [RemediationRun] {
        try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM remediation_run WHERE project = ? ORDER BY started_at DESC, id DESC", arguments: [project]).map {
                row in
                let id: Int64 = row["id"]
                let actions = try Row.fetchAll(db, sql: "SELECT * FROM remediation_action WHERE run_id = ? ORDER BY id", arguments: [id]).map {
                    action in
                    RemediationAction(
                        command: (try? JSONDecoder().decode([String].self, from: Data((action["command"] as String).utf8))) ?? [],
                        exitStatus: (action["exit_status"] as Int64?).map { Int32($0) }, outputSHA256: action["output_sha256"],
                        startedAt: Date(timeIntervalSince1970: action["started_at"]), finishedAt: Date(timeIntervalSince1970: action["finished_at"]))
                }
                return RemediationRun(
                    id: id, project: row["project"], who: row["who"], host: row["host"], startedAt: Date(timeIntervalSince1970: row["started_at"]),
                    actions: actions)
            }
        }
    }
}
