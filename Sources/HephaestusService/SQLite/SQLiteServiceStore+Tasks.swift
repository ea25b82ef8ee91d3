import Foundation
import GRDB
import HephaestusCore
import HephaestusPlatform

extension SQLiteServiceStore: TaskQueue {
    public func enqueue(_ submission: TaskSubmission, at time: Date) async throws -> TaskRecord {
        let id = UUID.randomLowercased()
        return try await writing { db in
            try db.execute(
                sql: """
                    INSERT INTO task (id, operation, request, account, status, attempts, interruption, created_at, updated_at,
                        cancel_requested, last_event_id, traceparent) VALUES (?, ?, ?, ?, 'queued', 0, ?, ?, ?, 0, 0, ?)
                    """,
                arguments: [
                    id, submission.operation, submission.request, submission.account, submission.interruption.rawValue, Self.text(time),
                    Self.text(time), submission.traceparent,
                ])
            try Self.appendEvent(db, task: id, type: .queued, data: "{}", at: time)
            return try Self.taskRecord(db, id)
        }
    }

    public func claim(by runner: RunnerID, lease: TimeInterval, at time: Date) async throws -> TaskClaim? {
        try await writing { db in
            guard let id = try String.fetchOne(db, sql: "SELECT id FROM task WHERE status = 'queued' ORDER BY number LIMIT 1") else { return nil }
            try db.execute(
                sql: """
                    UPDATE task SET status = 'running', attempts = attempts + 1, runner = ?, replica = ?, lease_expires_at = ?, updated_at = ?
                    WHERE id = ? AND status = 'queued'
                    """,
                arguments: [runner.description, runner.replica, Self.text(time.addingTimeInterval(lease)), Self.text(time), id])
            let task = try Self.taskRecord(db, id)
            try Self.appendEvent(
                db, task: id, type: .started, data: Self.json(AttemptData(runner: runner.description, attempt: task.attempts)), at: time)
            let traceparent = try String.fetchOne(db, sql: "SELECT traceparent FROM task WHERE id = ?", arguments: [id])
            return TaskClaim(task: task, runner: runner, attempt: task.attempts, traceparent: traceparent)
        }
    }

    public func renew(_ claim: TaskClaim, lease: TimeInterval, at time: Date) async throws -> Bool {
        try await writing { db in
            try Self.checkClaim(db, claim)
            try db.execute(
                sql: "UPDATE task SET lease_expires_at = ? WHERE id = ?", arguments: [Self.text(time.addingTimeInterval(lease)), claim.task.id])
            return try Bool.fetchOne(db, sql: "SELECT cancel_requested FROM task WHERE id = ?", arguments: [claim.task.id]) ?? false
        }
    }

    public func recordProgress(_ data: String, for claim: TaskClaim, at time: Date) async throws -> TaskEvent {
        try await writing { db in
            try Self.checkClaim(db, claim)
            return try Self.appendEvent(db, task: claim.task.id, type: .progress, data: data, at: time)
        }
    }

    public func complete(_ claim: TaskClaim, with completion: TaskCompletion, at time: Date) async throws -> TaskRecord {
        try await writing { db in
            try Self.checkClaim(db, claim)
            switch completion {
            case .finished(let report, nil):
                try Self.finish(db, claim.task.id, status: .succeeded, report: report, failure: nil, data: "{}", at: time)
            case .finished(let report, let failure?):
                try Self.finish(db, claim.task.id, status: .failed, report: report, failure: failure, data: Self.json(failure), at: time)
            case .failed(let failure):
                try Self.finish(db, claim.task.id, status: .failed, report: nil, failure: failure, data: Self.json(failure), at: time)
            case .cancelled:
                try Self.finish(db, claim.task.id, status: .cancelled, report: nil, failure: nil, data: "{}", at: time)
            }
            return try Self.taskRecord(db, claim.task.id)
        }
    }

    public func release(_ claim: TaskClaim, reason: String, at time: Date) async throws -> TaskRecovery {
        try await writing { db in
            try Self.checkClaim(db, claim)
            return try Self.resolveInterrupted(db, try Self.taskRecord(db, claim.task.id), cause: reason, at: time)
        }
    }

    public func task(_ id: String) async throws -> TaskRecord? {
        try await reading { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM task WHERE id = ?)", arguments: [id])! ? try Self.taskRecord(db, id) : nil
        }
    }

    public func tasks(matching filter: TaskFilter) async throws -> [TaskRecord] {
        try await reading { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM task WHERE (? IS NULL OR status = ?) AND (? IS NULL OR account = ?) ORDER BY number DESC LIMIT ?
                    """,
                arguments: [filter.status?.rawValue, filter.status?.rawValue, filter.account, filter.account, filter.limit]
            ).map(Self.taskRecord)
        }
    }

    public func events(of id: String, after: Int64?, limit: Int?) async throws -> [TaskEvent] {
        try await reading { db in
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM task WHERE id = ?)", arguments: [id])! else {
                throw ServiceStoreError.taskNotFound(id)
            }
            return try Row.fetchAll(
                db, sql: "SELECT * FROM task_event WHERE task_id = ? AND id > ? ORDER BY id LIMIT ?", arguments: [id, after ?? 0, limit ?? -1]
            )
            .map { row in
                TaskEvent(
                    taskID: row["task_id"], id: row["id"], type: TaskEventType(rawValue: row["type"]) ?? .progress,
                    time: Self.date(row["time"]) ?? Date(timeIntervalSince1970: 0), data: row["data"])
            }
        }
    }

    public func cancel(_ id: String, at time: Date) async throws -> TaskRecord {
        try await writing { db in
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM task WHERE id = ?)", arguments: [id])! else {
                throw ServiceStoreError.taskNotFound(id)
            }
            let task = try Self.taskRecord(db, id)
            switch task.status {
            case .queued:
                try Self.finish(db, id, status: .cancelled, report: nil, failure: nil, data: "{}", at: time)
            case .running:
                try db.execute(sql: "UPDATE task SET cancel_requested = 1, updated_at = ? WHERE id = ?", arguments: [Self.text(time), id])
            case .succeeded, .failed, .cancelled:
                break
            }
            return try Self.taskRecord(db, id)
        }
    }

    /// A lock file beside the store per replica name: `service.sqlite.replica-NAME.lock`.
    public func holdReplica(_ name: String) throws -> any ReplicaHold {
        let lockPath = "\(path).replica-\(Self.fileNamePart(name)).lock"
        do {
            guard let lock = try ProcessFileLock.tryLocking(lockPath) else { throw ServiceStoreError.replicaInUse(name) }
            return lock
        } catch let error as FileError {
            throw ServiceStoreError.unavailable(location: location, reason: "\(error)")
        }
    }

    /// `name` as part of a file name: itself when short and of letters, digits, `-`, `_` and `.` only; otherwise those
    /// characters (the others as `_`) and a digest of the whole name, so that two names never share a file.
    static func fileNamePart(_ name: String) -> String {
        let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
        if name.count <= 64, name.allSatisfy(safe.contains) { return name }
        let readable = String(name.prefix(32).map { safe.contains($0) ? $0 : "_" })
        return readable + "-" + DigestAlgorithm.sha256.hash(Array(name.utf8)).hex.prefix(16)
    }

    public func recover(replica: String, at time: Date) async throws -> [TaskRecovery] {
        try await writing { db in
            let stranded = try Row.fetchAll(
                db, sql: "SELECT * FROM task WHERE status = 'running' AND (replica = ? OR lease_expires_at < ?) ORDER BY number",
                arguments: [replica, Self.text(time)]
            ).map(Self.taskRecord)
            return try stranded.map { task in
                let cause =
                    task.runner.flatMap(RunnerID.init)?.replica == replica ? "stopped with its process" : "lost its lease (its process stopped)"
                return try Self.resolveInterrupted(db, task, cause: cause, at: time)
            }
        }
    }

    // MARK: Rows

    /// Applies ``TaskRules/resolve(id:interruption:attempts:runner:cancelRequested:cause:)`` to a running task.
    private static func resolveInterrupted(_ db: Database, _ task: TaskRecord, cause: String, at time: Date) throws -> TaskRecovery {
        let decision = TaskRules.resolve(
            id: task.id, interruption: task.interruption, attempts: task.attempts, runner: task.runner, cancelRequested: task.cancelRequested,
            cause: cause)
        let resolution: TaskRecovery.Resolution
        switch decision {
        case .requeue(let reason):
            try db.execute(
                sql: "UPDATE task SET status = 'queued', lease_expires_at = NULL, updated_at = ? WHERE id = ?", arguments: [text(time), task.id])
            try appendEvent(db, task: task.id, type: .queued, data: json(AttemptData(reason: reason, attempt: task.attempts)), at: time)
            resolution = .requeued
        case .fail(let failure):
            try finish(db, task.id, status: .failed, report: nil, failure: failure, data: json(failure), at: time)
            resolution = .failed(reason: failure.message)
        case .cancel:
            try finish(db, task.id, status: .cancelled, report: nil, failure: nil, data: "{}", at: time)
            resolution = .failed(reason: "cancelled on request before it stopped")
        }
        return TaskRecovery(taskID: task.id, attempt: task.attempts, runner: task.runner, resolution: resolution)
    }

    /// The terminal status and event, in the caller's transaction.
    private static func finish(
        _ db: Database, _ id: String, status: TaskStatus, report: String?, failure: TaskFailure?, data: String, at time: Date
    ) throws {
        try db.execute(
            sql: """
                UPDATE task SET status = ?, report = ?, failure_code = ?, failure_message = ?, lease_expires_at = NULL, updated_at = ?
                WHERE id = ?
                """,
            arguments: [status.rawValue, report, failure?.code, failure?.message, text(time), id])
        try appendEvent(db, task: id, type: TaskEventType(rawValue: status.rawValue)!, data: data, at: time)
    }

    /// The task's next event (id: the last one's + 1), in the caller's transaction.
    @discardableResult
    private static func appendEvent(_ db: Database, task id: String, type: TaskEventType, data: String, at time: Date) throws -> TaskEvent {
        try db.execute(sql: "UPDATE task SET last_event_id = last_event_id + 1 WHERE id = ?", arguments: [id])
        let eventID = try Int64.fetchOne(db, sql: "SELECT last_event_id FROM task WHERE id = ?", arguments: [id])!
        try db.execute(
            sql: "INSERT INTO task_event (task_id, id, type, time, data) VALUES (?, ?, ?, ?, ?)",
            arguments: [id, eventID, type.rawValue, text(time), data])
        return TaskEvent(taskID: id, id: eventID, type: type, time: date(text(time))!, data: data)
    }

    /// Throws ``TaskError/claimLost(task:attempt:)`` unless the task is still running under the claim.
    private static func checkClaim(_ db: Database, _ claim: TaskClaim) throws {
        let row = try Row.fetchOne(db, sql: "SELECT status, attempts, runner FROM task WHERE id = ?", arguments: [claim.task.id])
        guard let row, row["status"] == TaskStatus.running.rawValue, row["attempts"] == claim.attempt,
            row["runner"] == claim.runner.description
        else {
            throw TaskError.claimLost(task: claim.task.id, attempt: claim.attempt)
        }
    }

    private static func taskRecord(_ db: Database, _ id: String) throws -> TaskRecord {
        try taskRecord(try Row.fetchOne(db, sql: "SELECT * FROM task WHERE id = ?", arguments: [id])!)
    }

    private static func taskRecord(_ row: Row) throws -> TaskRecord {
        let id: String = row["id"]
        guard let status = TaskStatus(rawValue: row["status"]), let interruption = InterruptionPolicy(rawValue: row["interruption"]),
            let created = date(row["created_at"]), let updated = date(row["updated_at"])
        else {
            throw ServiceStoreError.schema(location: "task \(id)", reason: "its status, policy or times are unreadable")
        }
        let code: String? = row["failure_code"]
        return TaskRecord(
            id: id, operation: row["operation"], request: row["request"], account: row["account"], status: status, attempts: row["attempts"],
            runner: row["runner"],
            interruption: interruption, createdAt: created, updatedAt: updated, cancelRequested: row["cancel_requested"], report: row["report"],
            failure: code.map { TaskFailure(code: $0, message: row["failure_message"] ?? "") })
    }

    /// A JSON object's text, keys sorted.
    private static func json<Value: Encodable>(_ value: Value) throws -> String {
        String(decoding: try CompactJSONEncoder().encode(value), as: UTF8.self)
    }
}

/// The data of a `started` event and of a `queued` event after an interruption.
private struct AttemptData: Encodable {
    var runner: String?
    var reason: String?
    let attempt: Int
}
