import Foundation
import HephaestusCore
import HephaestusPlatform

/// A service account: who a bearer token speaks for, with its role and lifetime. The token itself is not here (the
/// store holds its hash only).
public struct Account: Codable, Sendable, Equatable {
    public let name: String
    public let role: Role
    public let createdAt: Date
    /// When its token stops working (nil: never).
    public let expiresAt: Date?
    /// When it was revoked (nil: it was not).
    public let revokedAt: Date?

    public init(name: String, role: Role, createdAt: Date, expiresAt: Date?, revokedAt: Date? = nil) {
        self.name = name
        self.role = role
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
    }

    /// Whether the account's token works at `time`.
    public func state(at time: Date) -> State {
        if revokedAt != nil { return .revoked }
        if let expiresAt, expiresAt <= time { return .expired }
        return .active
    }

    public enum State: String, Codable, Sendable, CaseIterable {
        case active, expired, revoked
    }

    /// Account names: 1 to 64 characters of letters, digits, `.`, `_`, `-` and `@`, starting with a letter or digit
    /// (they appear in audit records, log lines and URLs unquoted).
    public static func validate(name: String) throws(RequestError) {
        let bytes = Array(name.utf8)
        func alphanumeric(_ byte: UInt8) -> Bool {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
            default: false
            }
        }
        func allowed(_ byte: UInt8) -> Bool { alphanumeric(byte) || ".-_@".utf8.contains(byte) }
        guard (1...64).contains(bytes.count), bytes.allSatisfy(allowed), alphanumeric(bytes[0]) else {
            throw RequestError(
                "account name \"\(name)\" is not 1 to 64 letters, digits, '.', '_', '-' or '@' starting with a letter or digit")
        }
    }

    enum CodingKeys: String, CodingKey {
        case name, role, createdAt, expiresAt, revokedAt
    }

    // Times as RFC 3339 text, whatever the encoder's date strategy.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(role, forKey: .role)
        try container.encode(RFC3339.string(createdAt), forKey: .createdAt)
        try container.encode(expiresAt.map(RFC3339.string), forKey: .expiresAt)
        try container.encode(revokedAt.map(RFC3339.string), forKey: .revokedAt)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func date(_ key: CodingKeys) throws -> Date? {
            guard let text = try container.decodeIfPresent(String.self, forKey: key) else { return nil }
            guard let date = RFC3339.date(text) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "not an RFC 3339 time")
            }
            return date
        }
        name = try container.decode(String.self, forKey: .name)
        role = try container.decode(Role.self, forKey: .role)
        guard let created = try date(.createdAt) else {
            throw DecodingError.keyNotFound(CodingKeys.createdAt, .init(codingPath: container.codingPath, debugDescription: "required"))
        }
        createdAt = created
        expiresAt = try date(.expiresAt)
        revokedAt = try date(.revokedAt)
    }
}

/// A new account with its token: the only moment the token exists outside its holder.
public struct IssuedAccount: Sendable {
    public let account: Account
    public let token: BearerToken
}

/// Where service accounts live: one row per account with the SHA-256 of its token, never the token.
///
/// Implementations (SQLite now, PostgreSQL next) are shared by several processes and replicas: every method is one
/// transaction, and a change made by one process is seen by the next call of any other (revocation and expiry take
/// effect on the next request). Failures to reach the store are ``ServiceStoreError/unavailable(location:reason:)``.
public protocol AccountStore: Sendable {
    /// Stores a new account with its token's hash. ``ServiceStoreError/accountExists(_:)`` when the name was ever
    /// used (revoked accounts keep their names, so the audit log's names keep meaning one account).
    func insert(_ account: Account, tokenHash: TokenHash) async throws

    /// The account whose token hash is `hash` (found by the hash, then compared in constant time), with its state
    /// left to the caller; nil when none.
    func account(withTokenHash hash: TokenHash) async throws -> Account?

    func account(named name: String) async throws -> Account?

    /// Every account, revoked and expired ones included, by name.
    func accounts() async throws -> [Account]

    /// Revokes the account at `time` (already revoked: unchanged) and returns it; ``ServiceStoreError/accountNotFound(_:)``
    /// when there is none.
    func revoke(named name: String, at time: Date) async throws -> Account
}

extension AccountStore {
    /// Creates an account with a fresh token and returns both; the token is not kept anywhere.
    public func create(name: String, role: Role, expiresAt: Date?, at time: Date) async throws -> IssuedAccount {
        try Account.validate(name: name)
        if let expiresAt, expiresAt <= time {
            throw RequestError("the expiry \(RFC3339.string(expiresAt)) is not in the future")
        }
        let token = try BearerToken.generate()
        let account = Account(name: name, role: role, createdAt: time, expiresAt: expiresAt)
        try await insert(account, tokenHash: token.hash)
        return IssuedAccount(account: account, token: token)
    }
}

/// How long an account lives, as `--expires` writes it: `45s`, `30m`, `12h`, `90d`, or ISO 8601 durations of days and
/// time (`P90D`, `PT12H`, `P1DT6H30M`). Months and years are refused (their length varies).
public enum ExpiryDuration {
    /// The seconds `text` means; a ``RequestError`` naming the accepted forms otherwise.
    public static func seconds(_ text: String) throws(RequestError) -> TimeInterval {
        let failure = RequestError(
            "--expires \(text): expected a positive duration like 45s, 30m, 12h, 90d or ISO 8601 P90D / PT12H")
        guard let seconds = short(text) ?? iso8601(text), seconds > 0 else { throw failure }
        return seconds
    }

    private static let unitSeconds: [Character: TimeInterval] = ["s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604_800]

    /// `90d` and friends.
    private static func short(_ text: String) -> TimeInterval? {
        guard let unit = text.last, let scale = unitSeconds[unit], let count = wholeNumber(text.dropLast()) else { return nil }
        return count * scale
    }

    /// `P[nW][nD][T[nH][nM][nS]]`, at least one part.
    private static func iso8601(_ text: String) -> TimeInterval? {
        guard text.hasPrefix("P") else { return nil }
        var total: TimeInterval = 0
        var parts = 0
        var inTime = false
        var digits = Substring()
        for character in text.dropFirst() {
            if character == "T" {
                guard !inTime, digits.isEmpty else { return nil }
                inTime = true
                continue
            }
            if character.isASCII, character.isNumber {
                digits.append(character)
                continue
            }
            let scale: TimeInterval? =
                switch (inTime, character) {
                case (false, "W"): 604_800
                case (false, "D"): 86400
                case (true, "H"): 3600
                case (true, "M"): 60
                case (true, "S"): 1
                default: nil
                }
            guard let scale, let count = wholeNumber(digits) else { return nil }
            total += count * scale
            parts += 1
            digits = ""
        }
        guard parts > 0, digits.isEmpty, !(inTime && text.hasSuffix("T")) else { return nil }
        return total
    }

    /// A decimal number of at most 9 digits (no sign, no spaces).
    private static func wholeNumber(_ text: Substring) -> TimeInterval? {
        guard (1...9).contains(text.count), text.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(text) else { return nil }
        return TimeInterval(value)
    }
}
