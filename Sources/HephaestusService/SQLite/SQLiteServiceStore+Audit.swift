import Foundation
import GRDB
import HephaestusPlatform
import Synchronization

extension SQLiteServiceStore: AuditLog {
    /// Appends through a group commit: entries arriving while a transaction is being written wait for the next one,
    /// which writes them all (in arrival order, each chained to the one before); every caller returns once its record
    /// is committed, or with ``AuditError/unwritable(reason:)`` when that transaction failed.
    public func append(_ entry: AuditEntry) async throws(AuditError) -> AuditRecord {
        let result: Result<AuditRecord, AuditError> = await withCheckedContinuation { continuation in
            if auditBatch.enqueue(entry, continuation) {
                Task { await self.flushAuditBatches() }
            }
        }
        return try result.get()
    }

    /// Writes pending batches until none is left.
    private func flushAuditBatches() async {
        while let batch = auditBatch.next() {
            let entries = batch.map(\.entry)
            let outcome: Result<[AuditRecord], AuditError>
            do {
                outcome = .success(try await writing { db in try Self.insert(entries, db) })
            } catch {
                outcome = .failure(AuditError.unwritable(reason: "\(error)"))
            }
            for (index, waiter) in batch.enumerated() {
                waiter.continuation.resume(returning: outcome.map { $0[index] })
            }
        }
    }

    /// Chains `entries` after the head, in one transaction (the caller's). Every request comes here: the statements
    /// are prepared once per connection.
    private static func insert(_ entries: [AuditEntry], _ db: Database) throws -> [AuditRecord] {
        let head = try Row.fetchOne(db.cachedStatement(sql: "SELECT sequence, hash FROM audit_head WHERE id = 1"))
        var sequence: Int64 = head?["sequence"] ?? 0
        var previousHash: String = head?["hash"] ?? AuditChain.genesis
        var records: [AuditRecord] = []
        for entry in entries {
            sequence += 1
            let record = AuditRecord.chained(entry, sequence: sequence, previousHash: previousHash)
            try db.cachedStatement(
                sql: """
                    INSERT INTO audit_record (sequence, time, request_id, account, role, transport, operation, outcome, status,
                        code, source, target, previous_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """
            ).execute(
                arguments: [
                    record.sequence, text(entry.time), entry.requestID, entry.account, entry.role?.rawValue, entry.transport.rawValue,
                    entry.operation, entry.outcome.rawValue, entry.status, entry.code, entry.source, entry.target, record.previousHash, record.hash,
                ])
            previousHash = record.hash
            records.append(record)
        }
        try db.cachedStatement(
            sql: """
                INSERT INTO audit_head (id, sequence, hash) VALUES (1, ?, ?)
                ON CONFLICT (id) DO UPDATE SET sequence = excluded.sequence, hash = excluded.hash
                """
        ).execute(arguments: [sequence, previousHash])
        return records
    }

    public func records(after sequence: Int64, limit: Int) async throws -> [AuditRecord] {
        try await reading { db in
            try Row.fetchAll(db, sql: "SELECT * FROM audit_record WHERE sequence > ? ORDER BY sequence LIMIT ?", arguments: [sequence, limit])
                .map(Self.auditRecord)
        }
    }

    public func head() async throws -> AuditHead? {
        try await reading { db in
            try Row.fetchOne(db, sql: "SELECT sequence, hash FROM audit_head WHERE id = 1").map {
                AuditHead(sequence: $0["sequence"], hash: $0["hash"])
            }
        }
    }

    public func records(matching filter: AuditFilter) async throws -> [AuditRecord] {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let since = filter.since {
            conditions.append("time >= ?")
            arguments += [Self.text(since)]
        }
        if let account = filter.account {
            conditions.append("account = ?")
            arguments += [account]
        }
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        var sql = "SELECT * FROM audit_record \(whereClause) ORDER BY sequence"
        if let limit = filter.limit {
            sql = "SELECT * FROM (SELECT * FROM audit_record \(whereClause) ORDER BY sequence DESC LIMIT ?) ORDER BY sequence"
            arguments += [limit]
        }
        let query = sql
        let bound = arguments
        return try await reading { db in try Row.fetchAll(db, sql: query, arguments: bound).map(Self.auditRecord) }
    }

    /// A stored record as it is, even when it no longer verifies; fields that do not parse (a transport or outcome
    /// altered to an unknown word) become a record whose hash cannot match.
    static func auditRecord(_ row: Row) -> AuditRecord {
        let time = date(row["time"]) ?? Date(timeIntervalSince1970: 0)
        let entry = AuditEntry(
            time: time, requestID: row["request_id"] ?? "", account: row["account"], role: (row["role"] as String?).flatMap(Role.init(rawValue:)),
            transport: AuditTransport(rawValue: row["transport"] ?? "") ?? .cli, operation: row["operation"] ?? "",
            outcome: AuditOutcome(rawValue: row["outcome"] ?? "") ?? .failed, status: row["status"] ?? "", code: row["code"], source: row["source"],
            target: row["target"])
        var hash: String = row["hash"] ?? ""
        // A field altered into something no entry can hold (an unknown role or transport, an unreadable time) is
        // altered: the parsed entry would hash differently from the stored text, so mark it broken explicitly.
        if Self.text(time) != (row["time"] as String?) || (row["role"] as String?).map({ Role(rawValue: $0) == nil }) == true
            || AuditTransport(rawValue: row["transport"] ?? "") == nil || AuditOutcome(rawValue: row["outcome"] ?? "") == nil
        {
            hash = "unparseable:" + hash
        }
        return AuditRecord(sequence: row["sequence"], entry: entry, previousHash: row["previous_hash"] ?? "", hash: hash)
    }
}

/// Audit entries waiting for the next group commit, and whether one is being written.
final class AuditBatch: Sendable {
    struct Waiter: Sendable {
        let entry: AuditEntry
        let continuation: CheckedContinuation<Result<AuditRecord, AuditError>, Never>
    }

    /// Entries per transaction at most (bounds a transaction's time, hence every waiter's latency).
    static let maximumBatch = 256

    private let state = Mutex<(pending: [Waiter], flushing: Bool)>(([], false))

    /// Queues an entry; true when no flush is running, so the caller must start one.
    func enqueue(_ entry: AuditEntry, _ continuation: CheckedContinuation<Result<AuditRecord, AuditError>, Never>) -> Bool {
        state.withLock { state in
            state.pending.append(Waiter(entry: entry, continuation: continuation))
            defer { state.flushing = true }
            return !state.flushing
        }
    }

    /// The next batch to write, or nil (and the flush ends) when nothing is pending.
    func next() -> [Waiter]? {
        state.withLock { state in
            guard !state.pending.isEmpty else {
                state.flushing = false
                return nil
            }
            let batch = Array(state.pending.prefix(Self.maximumBatch))
            state.pending.removeFirst(batch.count)
            return batch
        }
    }
}
