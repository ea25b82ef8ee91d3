import Foundation
import HephaestusPlatform
import Logging

/// Turns the HTTP client's events into log records: every attempt, response, retry (with its delay), rate-limit
/// wait and redirect.
public enum TransportLog {
    public static func observer(_ logger: Logger) -> @Sendable (TransportEvent) -> Void {
        { event in
            switch event {
            case .attempt(let number, let method, let url):
                logger.info("http.attempt", metadata: ["attempt": .stringConvertible(number), "method": .string(method), "url": .string(url)])
            case .response(let number, let url, let status):
                logger.info(
                    "http.response", metadata: ["attempt": .stringConvertible(number), "url": .string(url), "status": .stringConvertible(status)])
            case .failure(let number, let url, let reason):
                logger.warning("http.failure", metadata: ["attempt": .stringConvertible(number), "url": .string(url), "error": .string(reason)])
            case .retry(let number, let url, let delay, let reason):
                logger.warning(
                    "http.retry",
                    metadata: [
                        "attempt": .stringConvertible(number), "url": .string(url), "delay_seconds": .string(String(format: "%.3f", delay)),
                        "reason": .string(reason),
                    ])
            case .rateLimited(let url, let until, let delay):
                logger.warning(
                    "http.rate-limited",
                    metadata: [
                        "url": .string(url), "reset": .string(RFC3339.string(until)),
                        "delay_seconds": .string(String(format: "%.0f", delay)),
                        "message": .string("GitHub rate limit exhausted; waiting until the reset"),
                    ])
            case .redirect(let from, let to, let dropped):
                logger.info(
                    "http.redirect", metadata: ["from": .string(from), "to": .string(to), "credentials_dropped": .stringConvertible(dropped)])
            case .resume(let url, let offset):
                logger.info("http.resume", metadata: ["url": .string(url), "offset": .stringConvertible(offset)])
            }
        }
    }
}
