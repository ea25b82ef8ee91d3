import Foundation
import HephaestusCore
import HephaestusPlatform

/// The front end a request came through.
public enum AuditTransport: String, Codable, Sendable, CaseIterable {
    case rest, grpc, mcp, cli
}

/// What became of a request, as the audit log records it: `allowed` (authenticated and authorised, about to run),
/// `refused` (not authenticated, not authorised, or refused by the transport: too large, rate-limited, malformed), then
/// for allowed ones `succeeded`, `failed` or `cancelled`.
public enum AuditOutcome: String, Codable, Sendable, CaseIterable {
    case allowed, refused, succeeded, failed, cancelled
}

/// One request as the audit log records it: no secrets (never a token, never a request body).
public struct AuditEntry: Codable, Sendable, Equatable {
    public let time: Date
    /// The front end's id of the request (REST `X-Request-ID` or generated; the gRPC call's; the run id).
    public let requestID: String
    /// The authenticated account (nil: none, e.g. refused for a missing or unknown token).
    public let account: String?
    public let role: Role?
    public let transport: AuditTransport
    /// The operation (`verify.bundle`) or, for what is not one, the route or action (`GET /v1/tasks/{id}`, `tasks.cancel`).
    public let operation: String
    public let outcome: AuditOutcome
    /// The status the front end answered with, in its own terms: HTTP status (`200`, `401`), gRPC code name
    /// (`OK`, `UNAUTHENTICATED`), exit status for the CLI.
    public let status: String
    /// The error code when refused or failed (`auth.expired`, `verify.signature-invalid`).
    public let code: String?
    /// Where the request came from (peer address), when the transport knows.
    public let source: String?
    /// What the request acted on, when it names one thing: the account created or revoked, the task cancelled.
    public let target: String?

    public init(
        time: Date, requestID: String, account: String?, role: Role?, transport: AuditTransport, operation: String, outcome: AuditOutcome,
        status: String, code: String? = nil, source: String? = nil, target: String? = nil
    ) {
        // Whole seconds: the time is hashed as its RFC 3339 text, which keeps seconds only.
        self.time = Date(timeIntervalSince1970: time.timeIntervalSince1970.rounded(.down))
        self.requestID = requestID
        self.account = account
        self.role = role
        self.transport = transport
        self.operation = operation
        self.outcome = outcome
        self.status = status
        self.code = code
        self.source = source
        self.target = target
    }
}

/// An entry as stored: its place in the chain (`sequence`, from 1), the hash of the record before it and its own.
public struct AuditRecord: Codable, Sendable, Equatable {
    public let sequence: Int64
    public let entry: AuditEntry
    /// Hex SHA-256 of the previous record (``AuditChain/genesis`` for the first).
    public let previousHash: String
    /// Hex SHA-256 over ``AuditChain/hashedBytes(sequence:entry:previousHash:)``.
    public let hash: String

    public init(sequence: Int64, entry: AuditEntry, previousHash: String, hash: String) {
        self.sequence = sequence
        self.entry = entry
        self.previousHash = previousHash
        self.hash = hash
    }

    /// The next record after one whose hash is `previousHash` (the genesis hash for the first): what every
    /// implementation's `append` stores.
    public static func chained(_ entry: AuditEntry, sequence: Int64, previousHash: String) -> AuditRecord {
        AuditRecord(
            sequence: sequence, entry: entry, previousHash: previousHash,
            hash: AuditChain.hash(sequence: sequence, entry: entry, previousHash: previousHash))
    }

    enum CodingKeys: String, CodingKey {
        case sequence, time
        case requestID = "requestId"
        case account, role, transport, operation, outcome, status, code, source, target, previousHash, hash
    }

    // Flat, with RFC 3339 times: the `audit show --json` record.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(sequence, forKey: .sequence)
        try container.encode(RFC3339.string(entry.time), forKey: .time)
        try container.encode(entry.requestID, forKey: .requestID)
        try container.encode(entry.account, forKey: .account)
        try container.encode(entry.role, forKey: .role)
        try container.encode(entry.transport, forKey: .transport)
        try container.encode(entry.operation, forKey: .operation)
        try container.encode(entry.outcome, forKey: .outcome)
        try container.encode(entry.status, forKey: .status)
        try container.encode(entry.code, forKey: .code)
        try container.encode(entry.source, forKey: .source)
        try container.encode(entry.target, forKey: .target)
        try container.encode(previousHash, forKey: .previousHash)
        try container.encode(hash, forKey: .hash)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let timeText = try container.decode(String.self, forKey: .time)
        guard let time = RFC3339.date(timeText) else {
            throw DecodingError.dataCorruptedError(forKey: .time, in: container, debugDescription: "not an RFC 3339 time")
        }
        sequence = try container.decode(Int64.self, forKey: .sequence)
        entry = AuditEntry(
            time: time, requestID: try container.decode(String.self, forKey: .requestID),
            account: try container.decodeIfPresent(String.self, forKey: .account), role: try container.decodeIfPresent(Role.self, forKey: .role),
            transport: try container.decode(AuditTransport.self, forKey: .transport),
            operation: try container.decode(String.self, forKey: .operation),
            outcome: try container.decode(AuditOutcome.self, forKey: .outcome), status: try container.decode(String.self, forKey: .status),
            code: try container.decodeIfPresent(String.self, forKey: .code), source: try container.decodeIfPresent(String.self, forKey: .source),
            target: try container.decodeIfPresent(String.self, forKey: .target))
        previousHash = try container.decode(String.self, forKey: .previousHash)
        hash = try container.decode(String.self, forKey: .hash)
    }
}

/// The last record's place and hash, kept by the store next to the records (updated in the same transaction as each
/// append): what reveals records removed from the end. Print it (`audit verify`) and keep it elsewhere to detect a
/// rewrite of the whole tail.
public struct AuditHead: Codable, Sendable, Equatable, CustomStringConvertible {
    public let sequence: Int64
    public let hash: String

    public init(sequence: Int64, hash: String) {
        self.sequence = sequence
        self.hash = hash
    }

    /// A head as `audit verify` prints it and `--expect-head` takes it: `SEQUENCE:sha256:HEX` (also `SEQUENCE sha256:HEX`,
    /// `SEQUENCE:HEX`).
    public init(parsing text: String) throws(RequestError) {
        let failure = RequestError("--expect-head \(text): expected SEQUENCE:sha256:HEX as `audit verify` prints it")
        guard let separator = text.firstIndex(where: { $0 == ":" || $0 == " " }), let sequence = Int64(text[..<separator]), sequence > 0
        else { throw failure }
        var hash = text[text.index(after: separator)...]
        if hash.hasPrefix("sha256:") { hash = hash.dropFirst("sha256:".count) }
        guard hash.count == 64, hash.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else { throw failure }
        self.init(sequence: sequence, hash: String(hash))
    }

    public var description: String { "\(sequence):sha256:\(hash)" }
}

/// Which records `audit show` lists.
public struct AuditFilter: Sendable, Equatable {
    /// Records at or after this time.
    public var since: Date?
    /// Records of this account only.
    public var account: String?
    /// At most this many, the most recent ones (nil: all).
    public var limit: Int?

    public init(since: Date? = nil, account: String? = nil, limit: Int? = nil) {
        self.since = since
        self.account = account
        self.limit = limit
    }
}

/// The tamper-evident audit log: an append-only chain of records, each hashing its fields and the previous record's
/// hash, numbered from 1 without gaps.
///
/// Shared by every process and replica of a service: `append` reads the last record and writes the next one in one
/// transaction that excludes other writers (SQLite `BEGIN IMMEDIATE`, PostgreSQL a row lock on the head), so the chain
/// never forks. A record that cannot be written is an ``AuditError/unwritable(reason:)``, and the caller refuses the
/// request it describes.
public protocol AuditLog: Sendable {
    /// Appends `entry` as the next record and returns it.
    func append(_ entry: AuditEntry) async throws(AuditError) -> AuditRecord

    /// Up to `limit` records with a sequence above `sequence`, in sequence order, as stored (for verification).
    func records(after sequence: Int64, limit: Int) async throws -> [AuditRecord]

    /// The stored head (nil: nothing was ever appended).
    func head() async throws -> AuditHead?

    /// The records `filter` selects, in sequence order.
    func records(matching filter: AuditFilter) async throws -> [AuditRecord]
}

/// The outcome of checking the whole chain.
public struct AuditVerification: Codable, Sendable, Equatable {
    /// Records that were checked and hold.
    public let verified: Int64
    /// The stored head (nil: empty log).
    public let head: AuditHead?
    /// The first record where the chain breaks (nil: intact).
    public let broken: Break?

    public struct Break: Codable, Sendable, Equatable {
        public let sequence: Int64
        public let reason: String
    }

    /// The verdict as an error, for front ends (nil when intact).
    public var failure: AuditError? { broken.map { AuditError.broken(sequence: $0.sequence, reason: $0.reason) } }
}

extension AuditLog {
    /// Checks every record in order: numbering without gaps from 1, each record's hash over its fields and each
    /// record's link to the one before, then the stored head against the last record. Reports the first break.
    ///
    /// The log may be growing meanwhile (a running service appends a record per request): the head is read first, and
    /// the records up to it are checked against it. A record found beyond that head must be covered by the head as it
    /// stands once the check is done (an append moves both in one transaction); one that is not was added outside the
    /// log. Records appended during the check are left to the next one.
    ///
    /// `anchor` is a head recorded earlier and kept elsewhere: the record at its sequence must still have its hash,
    /// which a consistent rewrite of the tail (records and head together) cannot achieve.
    public func verify(anchor: AuditHead? = nil, pageSize: Int = 1000) async throws -> AuditVerification {
        let stored = try await head()
        let end = stored?.sequence ?? 0
        var previousHash = AuditChain.genesis
        var expected: Int64 = 1
        func broken(_ sequence: Int64, _ reason: String) -> AuditVerification {
            AuditVerification(verified: expected - 1, head: stored, broken: .init(sequence: sequence, reason: reason))
        }
        var beyond: AuditRecord?
        paging: while true {
            let page = try await records(after: expected - 1, limit: pageSize)
            for record in page {
                if record.sequence > end {
                    beyond = record
                    break paging
                }
                if record.sequence != expected {
                    let missing = record.sequence - 1 == expected ? "record \(expected) is" : "records \(expected)–\(record.sequence - 1) are"
                    return broken(expected, "\(missing) missing (removed)")
                }
                if AuditChain.hash(sequence: record.sequence, entry: record.entry, previousHash: record.previousHash) != record.hash {
                    return broken(record.sequence, "its fields do not match its hash (altered, or moved from another position)")
                }
                if record.previousHash != previousHash {
                    return broken(
                        record.sequence,
                        expected == 1
                            ? "it does not start the chain (records before it were removed)"
                            : "it does not follow record \(expected - 1) (reordered, replaced or removed records)")
                }
                if let anchor, anchor.sequence == record.sequence, anchor.hash != record.hash {
                    return broken(
                        record.sequence, "it does not match the head recorded earlier (sha256:\(anchor.hash)): the log was rewritten from here")
                }
                previousHash = record.hash
                expected += 1
            }
            if page.count < pageSize { break }
        }
        let last = expected - 1
        if let anchor, anchor.sequence > max(last, end) {
            return broken(last + 1, "the log ends before the head recorded earlier (record \(anchor.sequence)): records were removed")
        }
        if let beyond, (try await head())?.sequence ?? 0 < beyond.sequence {
            return end == 0 && last == 0
                ? broken(1, "the log's head marker is missing (the log was rewritten)")
                : broken(beyond.sequence, "records after the head marker (\(end)) were added outside the log")
        }
        switch stored {
        case let head? where head.sequence > last:
            return broken(
                last + 1,
                head.sequence == last + 1
                    ? "record \(last + 1), the last one, is missing (removed)"
                    : "records \(last + 1)–\(head.sequence) at the end are missing (removed)")
        case let head? where head.hash != previousHash:
            return broken(last, "it does not match the head marker's hash (the last record was replaced)")
        default:
            return AuditVerification(verified: last, head: stored, broken: nil)
        }
    }
}

/// The chain's hashing, the same for every store.
public enum AuditChain {
    /// The previous hash of record 1: 64 zeros.
    public static let genesis = String(repeating: "0", count: 64)

    /// Hex SHA-256 of ``hashedBytes(sequence:entry:previousHash:)``.
    public static func hash(sequence: Int64, entry: AuditEntry, previousHash: String) -> String {
        DigestAlgorithm.sha256.hash(hashedBytes(sequence: sequence, entry: entry, previousHash: previousHash)).hex
    }

    /// `hephaestus-audit-v1`, then each field length-prefixed (4 bytes big-endian; absent: `FFFFFFFF`): the sequence in
    /// decimal, the previous hash, the time in RFC 3339, request id, account, role, transport, operation, outcome,
    /// status, code, source, target. Length prefixes make the encoding unambiguous (no field can borrow from the next).
    public static func hashedBytes(sequence: Int64, entry: AuditEntry, previousHash: String) -> [UInt8] {
        var bytes = Array("hephaestus-audit-v1".utf8)
        let fields: [String?] = [
            String(sequence), previousHash, RFC3339.string(entry.time), entry.requestID, entry.account, entry.role?.rawValue,
            entry.transport.rawValue, entry.operation, entry.outcome.rawValue, entry.status, entry.code, entry.source, entry.target,
        ]
        for field in fields {
            guard let field else {
                bytes += [0xFF, 0xFF, 0xFF, 0xFF]
                continue
            }
            let utf8 = Array(field.utf8)
            let count = UInt32(utf8.count)
            bytes += [UInt8(count >> 24), UInt8(count >> 16 & 0xFF), UInt8(count >> 8 & 0xFF), UInt8(count & 0xFF)]
            bytes += utf8
        }
        return bytes
    }
}
