import Foundation
import HephaestusCore
import Synchronization

/// Calls per minute per account, counted in fixed one-minute windows in this process (each replica counts its own).
public final class RateLimiter: Sendable {
    private struct Window {
        var start: Date
        var count: Int
    }

    private let windows = Mutex<[String: Window]>([:])
    private let clock: @Sendable () -> Date

    public init(clock: @escaping @Sendable () -> Date = Date.init) {
        self.clock = clock
    }

    /// Counts one call of `account` against `perMinute`; throws ``ServiceLimitError/rateLimited(account:perMinute:retryAfterSeconds:)``
    /// with the seconds until the window ends when it is over the limit (the refused call is not counted).
    public func admit(account: String, perMinute: Int) throws(ServiceLimitError) {
        let now = clock()
        let retryAfter: Int? = windows.withLock { windows in
            var window = windows[account] ?? Window(start: now, count: 0)
            if now.timeIntervalSince(window.start) >= 60 { window = Window(start: now, count: 0) }
            guard window.count < perMinute else {
                return max(1, Int((60 - now.timeIntervalSince(window.start)).rounded(.up)))
            }
            window.count += 1
            windows[account] = window
            return nil
        }
        if let retryAfter { throw .rateLimited(account: account, perMinute: perMinute, retryAfterSeconds: retryAfter) }
    }
}
