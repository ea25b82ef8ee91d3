import Foundation
import HephaestusPlatform
import Synchronization

/// The dashboard's browser sessions, in memory: a random session id (the `hephaestus_dashboard` cookie) maps to the
/// account's bearer token, which the server keeps and sends through the gate on every page load, so a revoked or
/// expired account loses the dashboard at once. One-time codes (60 s, single use) hand a session to a browser
/// without a token in its URL. Restarting the service ends every session.
final class DashboardSessions: Sendable {
    static let lifetime: TimeInterval = 8 * 3600
    static let codeLifetime: TimeInterval = 60
    static let capacity = 10_000

    private struct Entry {
        let authorization: String
        let expires: Date
    }

    private let sessions = Mutex<[String: Entry]>([:])
    private let codes = Mutex<[String: Entry]>([:])
    private let clock: @Sendable () -> Date

    init(clock: @escaping @Sendable () -> Date = Date.init) {
        self.clock = clock
    }

    /// A new session for `authorization` (an accepted `Bearer` value); its id.
    func open(authorization: String) -> String {
        Self.insert(authorization, lifetime: Self.lifetime, into: sessions, now: clock())
    }

    func authorization(session: String) -> String? {
        let now = clock()
        return sessions.withLock { $0[session].flatMap { $0.expires > now ? $0.authorization : nil } }
    }

    func close(session: String) {
        _ = sessions.withLock { $0.removeValue(forKey: session) }
    }

    /// A one-time code for `authorization`, redeemable once within ``codeLifetime``.
    func issueCode(authorization: String) -> String {
        Self.insert(authorization, lifetime: Self.codeLifetime, into: codes, now: clock())
    }

    func redeem(code: String) -> String? {
        let now = clock()
        return codes.withLock { $0.removeValue(forKey: code).flatMap { $0.expires > now ? $0.authorization : nil } }
    }

    private static func insert(_ authorization: String, lifetime: TimeInterval, into table: borrowing Mutex<[String: Entry]>, now: Date) -> String {
        var generator = SystemRandomNumberGenerator()
        let id = Base64.encode((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }, alphabet: .urlSafe)
        table.withLock { entries in
            if entries.count >= capacity {
                entries = entries.filter { $0.value.expires > now }
                if entries.count >= capacity, let oldest = entries.min(by: { $0.value.expires < $1.value.expires })?.key {
                    entries.removeValue(forKey: oldest)
                }
            }
            entries[id] = Entry(authorization: authorization, expires: now.addingTimeInterval(lifetime))
        }
        return id
    }
}
