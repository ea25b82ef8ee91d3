import Foundation
import GRDB
import HephaestusPlatform

extension SQLiteServiceStore: AccountStore {
    public func insert(_ account: Account, tokenHash: TokenHash) async throws {
        try await writing { db in
            guard try !Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM account WHERE name = ?)", arguments: [account.name])! else {
                throw ServiceStoreError.accountExists(account.name)
            }
            try db.execute(
                sql: "INSERT INTO account (name, role, token_sha256, created_at, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, NULL)",
                arguments: [
                    account.name, account.role.rawValue, Data(tokenHash.bytes), Self.text(account.createdAt), account.expiresAt.map(Self.text),
                ])
        }
    }

    public func account(withTokenHash hash: TokenHash) async throws -> Account? {
        // Every request asks this: one statement, prepared once per connection, read where the request runs.
        let found = try lookingUp { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM account WHERE token_sha256 = ?"), arguments: [Data(hash.bytes)])
                .map { (account: try Self.account($0), stored: TokenHash(bytes: Array($0["token_sha256"] as Data))) }
        }
        guard let found, found.stored.matches(hash) else { return nil }
        return found.account
    }

    public func account(named name: String) async throws -> Account? {
        try await reading { db in
            try Row.fetchOne(db, sql: "SELECT * FROM account WHERE name = ?", arguments: [name]).map(Self.account)
        }
    }

    public func accounts() async throws -> [Account] {
        try await reading { db in
            try Row.fetchAll(db, sql: "SELECT * FROM account ORDER BY name").map(Self.account)
        }
    }

    public func revoke(named name: String, at time: Date) async throws -> Account {
        try await writing { db in
            try db.execute(sql: "UPDATE account SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL", arguments: [Self.text(time), name])
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM account WHERE name = ?", arguments: [name]) else {
                throw ServiceStoreError.accountNotFound(name)
            }
            return try Self.account(row)
        }
    }

    static func account(_ row: Row) throws -> Account {
        let name: String = row["name"]
        guard let role = Role(rawValue: row["role"]), let created = date(row["created_at"]) else {
            throw ServiceStoreError.schema(location: "account \(name)", reason: "its role or creation time is unreadable")
        }
        return Account(name: name, role: role, createdAt: created, expiresAt: date(row["expires_at"]), revokedAt: date(row["revoked_at"]))
    }
}
