import Foundation
import HephaestusPlatform
import HephaestusTestSupport
import Testing

/// The retry, redirect and credential rules of the one HTTP client, with scripted replies and a fake clock.
@Suite("HTTP client: retries, rate limits, redirects")
struct HTTPClientTests {
    static let api = URL(string: "https://api.github.test/repos/o/r/releases")!

    static func client(
        _ transport: ScriptedTransport, sleeper: RecordingSleeper, retries: Int = 5, events: EventLog = EventLog()
    ) throws -> HTTPClient {
        HTTPClient(
            transport: transport, policy: try RetryPolicy(maxRetries: retries, baseDelay: 0.5, maxDelay: 8, deadline: 600),
            sleeper: sleeper, clock: sleeper.clock, random: { 0.5 }, observe: events.observe)
    }

    static func authorized(_ url: URL = api) -> HTTPRequest {
        HTTPRequest(url: url, headers: HTTPHeaders([("Authorization", "Bearer ghp_0123456789abcdefghijklmnopqrstuvwxyzAB")]))
    }

    @Test("N×503 then success: full-jitter exponential delays, exactly")
    func serviceUnavailableThenSuccess() throws {
        let transport = ScriptedTransport([
            .response(status: 503), .response(status: 503), .response(status: 503), .response(status: 200, body: Array("ok".utf8)),
        ])
        let sleeper = RecordingSleeper()
        let response = try Self.client(transport, sleeper: sleeper).send(Self.authorized())
        #expect(response.status == 200)
        #expect(response.body == Array("ok".utf8))
        // random = 0.5: 0.5 · min(8, 0.5·2ⁿ) for n = 0, 1, 2
        #expect(sleeper.delays == [0.25, 0.5, 1.0])
        #expect(transport.requests.count == 4)
    }

    @Test("Backoff is capped by the maximum delay")
    func cap() throws {
        let policy = try RetryPolicy(maxRetries: 20, baseDelay: 0.5, maxDelay: 8)
        #expect(policy.backoff(retry: 10, random: 0.999) <= 8)
        #expect(policy.backoff(retry: 3, random: 1) == 4)
        #expect(policy.backoff(retry: 0, random: 0) == 0)
    }

    @Test("429 with Retry-After in seconds waits exactly that long")
    func retryAfterSeconds() throws {
        let transport = ScriptedTransport([.response(status: 429, headers: [("Retry-After", "7")]), .response(status: 200)])
        let sleeper = RecordingSleeper()
        #expect(try Self.client(transport, sleeper: sleeper).send(Self.authorized()).status == 200)
        #expect(sleeper.delays == [7])
    }

    @Test("Retry-After as an HTTP date waits until then")
    func retryAfterDate() throws {
        let sleeper = RecordingSleeper()
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        let date = formatter.string(from: sleeper.now.addingTimeInterval(42))
        let transport = ScriptedTransport([.response(status: 503, headers: [("Retry-After", date)]), .response(status: 200)])
        #expect(try Self.client(transport, sleeper: sleeper).send(Self.authorized()).status == 200)
        #expect(sleeper.delays == [42])
    }

    @Test("500 forever gives up after max retries with the last status in the message")
    func gaveUp() throws {
        let transport = ScriptedTransport(Array(repeating: .response(status: 500), count: 10))
        let sleeper = RecordingSleeper()
        #expect(throws: TransportError.gaveUp(url: Self.api.absoluteString, attempts: 4, last: "HTTP 500")) {
            try Self.client(transport, sleeper: sleeper, retries: 3).send(Self.authorized())
        }
        #expect(transport.requests.count == 4)
        #expect(sleeper.delays.count == 3)
    }

    @Test("Other 4xx are never retried", arguments: [400, 403, 404, 410, 422])
    func noRetryOnClientErrors(status: Int) throws {
        let transport = ScriptedTransport([.response(status: status), .response(status: 200)])
        let sleeper = RecordingSleeper()
        #expect(try Self.client(transport, sleeper: sleeper).send(Self.authorized()).status == status)
        #expect(transport.requests.count == 1)
        #expect(sleeper.delays.isEmpty)
    }

    @Test("408 and transient transport failures are retried; TLS failures are not")
    func transientFailures() throws {
        let transport = ScriptedTransport([
            .response(status: 408), .failure("Connection refused", retryable: true), .failure("Connection reset", retryable: true),
            .response(status: 200),
        ])
        let sleeper = RecordingSleeper()
        #expect(try Self.client(transport, sleeper: sleeper).send(Self.authorized()).status == 200)
        #expect(sleeper.delays.count == 3)
        let tls = ScriptedTransport([.failure("SSL peer certificate was not OK", retryable: false), .response(status: 200)])
        #expect(throws: TransportError.self) { try Self.client(tls, sleeper: RecordingSleeper()).send(Self.authorized()) }
        #expect(tls.requests.count == 1)
    }

    @Test("401 reports the token as rejected with its expiry")
    func unauthorized() throws {
        let transport = ScriptedTransport([.response(status: 401, headers: [("github-authentication-token-expiration", "2026-01-01 00:00:00 UTC")])])
        #expect(throws: TransportError.unauthorized(url: Self.api.absoluteString, expiry: "2026-01-01 00:00:00 UTC")) {
            try Self.client(transport, sleeper: RecordingSleeper()).send(Self.authorized())
        }
    }

    @Test("403 with an exhausted rate limit waits until the reset, and says so")
    func rateLimit() throws {
        let sleeper = RecordingSleeper()
        let reset = Int(sleeper.now.timeIntervalSince1970) + 120
        let transport = ScriptedTransport([
            .response(status: 403, headers: [("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "\(reset)")]), .response(status: 200),
        ])
        let events = EventLog()
        #expect(try Self.client(transport, sleeper: sleeper, events: events).send(Self.authorized()).status == 200)
        #expect(sleeper.delays == [121])
        #expect(events.all.contains { if case .rateLimited = $0 { true } else { false } })
    }

    @Test("A rate-limit reset beyond the deadline fails at once")
    func rateLimitBeyondDeadline() throws {
        let sleeper = RecordingSleeper()
        let reset = Int(sleeper.now.timeIntervalSince1970) + 3600
        let transport = ScriptedTransport([.response(status: 429, headers: [("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "\(reset)")])])
        #expect(throws: TransportError.self) { try Self.client(transport, sleeper: sleeper).send(Self.authorized()) }
        #expect(sleeper.delays.isEmpty)
    }

    @Test("A redirect to another origin drops Authorization and cookies; same origin keeps them")
    func redirectDropsCredentials() throws {
        let transport = ScriptedTransport([
            .response(status: 302, headers: [("Location", "/repos/o/r/releases/assets/1")]),
            .response(status: 302, headers: [("Location", "https://objects.storage.test/blob?sig=secret")]),
            .response(status: 302, headers: [("Location", "https://api.github.test/back")]),
            .response(status: 200),
        ])
        var request = Self.authorized()
        request.headers.add("Cookie", "session=1")
        let response = try Self.client(transport, sleeper: RecordingSleeper()).send(request)
        #expect(response.status == 200)
        let authorization = transport.requests.map { $0.headers["Authorization"] != nil }
        #expect(authorization == [true, true, false, false])
        #expect(transport.requests[2].headers["Cookie"] == nil)
        #expect(response.url.absoluteString == "https://api.github.test/back")
    }

    @Test("Redirect loops stop after 10")
    func redirectLoop() throws {
        let transport = ScriptedTransport(
            Array(repeating: .response(status: 302, headers: [("Location", "https://api.github.test/loop")]), count: 20))
        #expect(throws: TransportError.tooManyRedirects(url: Self.api.absoluteString, limit: 10)) {
            try Self.client(transport, sleeper: RecordingSleeper()).send(Self.authorized())
        }
        #expect(transport.requests.count == 11)
    }

    @Test(
        "Redirects to other schemes, or to plain http off loopback, are refused",
        arguments: [
            "file:///etc/passwd", "ftp://files.example/x", "gopher://x/", "http://storage.example/x", "javascript:alert(1)",
        ])
    func redirectSchemes(location: String) throws {
        let transport = ScriptedTransport([.response(status: 302, headers: [("Location", location)]), .response(status: 200)])
        #expect(throws: TransportError.self) { try Self.client(transport, sleeper: RecordingSleeper()).send(Self.authorized()) }
        #expect(transport.requests.count == 1)
    }

    @Test("Only GET follows redirects")
    func postDoesNotFollow() throws {
        let transport = ScriptedTransport([.response(status: 307, headers: [("Location", "https://api.github.test/other")])])
        var request = Self.authorized()
        request.method = "POST"
        request.body = Array("{}".utf8)
        #expect(throws: TransportError.self) { try Self.client(transport, sleeper: RecordingSleeper()).send(request) }
    }

    @Test("Plain http is refused except to loopback")
    func schemes() throws {
        #expect(throws: TransportError.self) { try HTTPClient.checkScheme(URL(string: "http://api.github.com/x")!) }
        try HTTPClient.checkScheme(URL(string: "http://127.0.0.1:8080/x")!)
        try HTTPClient.checkScheme(URL(string: "http://localhost/x")!)
        try HTTPClient.checkScheme(URL(string: "https://api.github.com/x")!)
    }

    @Test("Policy values are validated, naming the flag")
    func validation() {
        #expect(throws: TransportError.invalidConfiguration(option: "--max-retries", reason: "must be between 0 and 20, not 21")) {
            try RetryPolicy(maxRetries: 21)
        }
        #expect(throws: TransportError.invalidConfiguration(option: "--timeout", reason: "must be greater than 0 seconds, not 0.0")) {
            try RetryPolicy(timeout: 0)
        }
        #expect(throws: TransportError.self) { try RetryPolicy(maxRetries: -1) }
    }
}
