import Foundation

/// When and how often the ``HTTPClient`` retries, and how long it waits.
public struct RetryPolicy: Sendable, Equatable {
    /// Retries after the first attempt (0…20).
    public let maxRetries: Int
    /// Full-jitter exponential backoff: the delay before retry *n* is uniform in [0, min(cap, base · 2ⁿ)].
    public let baseDelay: TimeInterval
    public let maxDelay: TimeInterval
    public let timeouts: AttemptTimeouts
    /// The whole operation, all attempts and waits included.
    public let deadline: TimeInterval

    /// Validates every value; the option names are the CLI flags so that errors name what to fix.
    public init(
        maxRetries: Int = 5, baseDelay: TimeInterval = 0.5, maxDelay: TimeInterval = 30,
        connectTimeout: TimeInterval = 15, timeout: TimeInterval = 60, deadline: TimeInterval = 600
    ) throws(TransportError) {
        guard (0...20).contains(maxRetries) else {
            throw TransportError.invalidConfiguration(option: "--max-retries", reason: "must be between 0 and 20, not \(maxRetries)")
        }
        guard timeout > 0, timeout.isFinite else {
            throw TransportError.invalidConfiguration(option: "--timeout", reason: "must be greater than 0 seconds, not \(timeout)")
        }
        guard connectTimeout > 0, connectTimeout.isFinite else {
            throw TransportError.invalidConfiguration(option: "--connect-timeout", reason: "must be greater than 0 seconds")
        }
        guard baseDelay >= 0, baseDelay.isFinite else {
            throw TransportError.invalidConfiguration(option: "--retry-base-delay", reason: "must be at least 0 seconds, not \(baseDelay)")
        }
        guard maxDelay >= baseDelay, maxDelay.isFinite else {
            throw TransportError.invalidConfiguration(option: "--retry-max-delay", reason: "must be at least the base delay \(baseDelay)")
        }
        guard deadline > 0, deadline.isFinite else {
            throw TransportError.invalidConfiguration(option: "--deadline", reason: "must be greater than 0 seconds")
        }
        self.maxRetries = maxRetries
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.timeouts = AttemptTimeouts(connect: min(connectTimeout, timeout), total: timeout)
        self.deadline = deadline
    }

    /// The full-jitter backoff before retry number `retry` (0-based), given a uniform random value in [0, 1).
    public func backoff(retry: Int, random: Double) -> TimeInterval {
        let ceiling = min(maxDelay, baseDelay * pow(2, Double(min(retry, 30))))
        return random * ceiling
    }

    /// Whether an HTTP status is worth retrying: 408, 429 and 5xx; never other 4xx.
    public static func isRetryable(status: Int) -> Bool {
        status == 408 || status == 429 || (500...599).contains(status)
    }

    /// Parses `Retry-After` in both forms (delay-seconds, HTTP-date) into a wait from `now`.
    public static func retryAfter(_ value: String?, now: Date) -> TimeInterval? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let seconds = Int(value), seconds >= 0 { return TimeInterval(seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: value) { return max(0, date.timeIntervalSince(now)) }
        }
        return nil
    }
}

/// Waiting, injectable so that tests assert exact delays without sleeping.
public protocol Sleeper: Sendable {
    func sleep(seconds: TimeInterval)
}

/// Real waiting.
public struct ThreadSleeper: Sleeper {
    public init() {}
    public func sleep(seconds: TimeInterval) {
        guard seconds > 0 else { return }
        Thread.sleep(forTimeInterval: seconds)
    }
}
