import Foundation
import GRDB
import HephaestusPlatform

extension SQLiteServiceStore: AuditLog {
    public func append(_ entry: AuditEntry) async throws(AuditError) -> AuditRecord {
        do {
            return try await writing { db in
                let head = try Row.fetchOne(db, sql: "SELECT sequence, hash FROM audit_head WHERE id = 1")
                let record = AuditRecord.chained(
                    entry, sequence: (head?["sequence"] as Int64? ?? 0) + 1, previousHash: head?["hash"] ?? AuditChain.genesis)
                try db.execute(
                    sql: """
                        INSERT INTO audit_record (sequence, time, request_id, account, role, transport, operation, outcome, status,
                            code, source, previous_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        record.sequence, Self.text(entry.time), entry.requestID, entry.account, entry.role?.rawValue, entry.transport.rawValue,
                        entry.operation, entry.outcome.rawValue, entry.status, entry.code, entry.source, record.previousHash, record.hash,
                    ])
                try db.execute(
                    sql: """
                        INSERT INTO audit_head (id, sequence, hash) VALUES (1, ?, ?)
                        ON CONFLICT (id) DO UPDATE SET sequence = excluded.sequence, hash = excluded.hash
                        """,
                    arguments: [record.sequence, record.hash])
                return record
            }
        } catch {
            throw AuditError.unwritable(reason: "\(error)")
        }
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
            outcome: AuditOutcome(rawValue: row["outcome"] ?? "") ?? .failed, status: row["status"] ?? "", code: row["code"], source: row["source"])
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
