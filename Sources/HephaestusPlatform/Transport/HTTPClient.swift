import Foundation

/// What the client reports about each attempt and decision; the caller turns these into log records.
public enum TransportEvent: Sendable {
    case attempt(number: Int, method: String, url: String)
    case response(number: Int, url: String, status: Int)
    case failure(number: Int, url: String, reason: String)
    case retry(number: Int, url: String, delay: TimeInterval, reason: String)
    case rateLimited(url: String, until: Date, delay: TimeInterval)
    case redirect(from: String, to: String, droppedCredentials: Bool)
    case resume(url: String, offset: Int64)
}

/// The one HTTP client: the only place in Hephaestus that retries.
///
/// It retries 408, 429, 5xx and transient transport failures with full-jitter backoff, honours `Retry-After` and
/// GitHub's rate-limit headers within an overall deadline, follows at most 10 GET redirects to https (http only for
/// loopback) and drops `Authorization` and cookies as soon as a redirect leaves the original origin.
public final class HTTPClient: Sendable {
    public static let maximumRedirects = 10

    public let transport: any HTTPTransport
    public let policy: RetryPolicy
    private let sleeper: any Sleeper
    private let clock: @Sendable () -> Date
    private let random: @Sendable () -> Double
    private let observe: @Sendable (TransportEvent) -> Void

    public init(
        transport: any HTTPTransport, policy: RetryPolicy, sleeper: any Sleeper = ThreadSleeper(),
        clock: @escaping @Sendable () -> Date = Date.init,
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
        observe: @escaping @Sendable (TransportEvent) -> Void = { _ in }
    ) {
        self.transport = transport
        self.policy = policy
        self.sleeper = sleeper
        self.clock = clock
        self.random = random
        self.observe = observe
    }

    /// Performs `request` and returns the final response with its body in memory (limit `maximumBody`).
    /// Non-2xx final statuses are returned, not thrown, except 401 and exhausted retries.
    public func send(_ request: HTTPRequest, maximumBody: Int64 = 64 << 20) throws -> HTTPResponse {
        let collector = MemorySink(limit: maximumBody, url: request.url.absoluteString)
        let (head, url, attempts) = try execute(request, sink: { collector }, onRetry: { collector.reset() })
        return HTTPResponse(head: head, body: collector.bytes, url: url, attempts: attempts)
    }

    /// Runs the retry and redirect loop; `sink` gives the body sink for each attempt.
    func execute(
        _ original: HTTPRequest, sink: () throws -> HTTPBodySink, onRetry: () -> Void,
        prepare: (inout HTTPRequest) -> Void = { _ in }
    ) throws -> (HTTPResponseHead, URL, attempts: Int) {
        try Self.checkScheme(original.url)
        let started = clock()
        var request = original
        let origin = Origin(original.url)
        var redirects = 0
        var retry = 0
        var attempt = 0
        while true {
            attempt += 1
            var attemptRequest = request
            prepare(&attemptRequest)
            observe(.attempt(number: attempt, method: request.method, url: Self.redacted(request.url)))
            let remaining = policy.deadline - clock().timeIntervalSince(started)
            guard remaining > 0 else {
                throw TransportError.gaveUp(
                    url: Self.redacted(request.url), attempts: attempt - 1, last: "deadline of \(Int(policy.deadline))s reached")
            }
            let timeouts = AttemptTimeouts(connect: min(policy.timeouts.connect, remaining), total: min(policy.timeouts.total, remaining))
            let head: HTTPResponseHead
            let (tracedRequest, span) = HTTPClientSpan.start(attemptRequest, attempt: attempt)
            do {
                let counting = CountingBodySink(try sink())
                defer { HephaestusMetric.downloadedBytes.increment(by: counting.received) }
                head = try transport.perform(tracedRequest, timeouts: timeouts, sink: counting)
                HephaestusMetric.uploadedBytes.increment(by: Int64(attemptRequest.body?.count ?? 0) + (attemptRequest.streamedBody?.length ?? 0))
            } catch let error as TransportError {
                span?.end(error: error)
                guard case .transport(_, let reason, let retryable) = error else { throw error }
                observe(.failure(number: attempt, url: Self.redacted(request.url), reason: reason))
                guard retryable else { throw error }
                try wait(retry: &retry, url: request.url, reason: reason, explicit: nil, started: started, attempts: attempt)
                onRetry()
                continue
            } catch {
                span?.end(error: error)
                throw error
            }
            span?.end(status: head.status)
            observe(.response(number: attempt, url: Self.redacted(request.url), status: head.status))

            if head.isRedirect, let location = head.headers["location"] {
                guard request.method == "GET" || request.method == "HEAD" else {
                    throw TransportError.redirectRefused(from: Self.redacted(request.url), to: location, reason: "only GET requests follow redirects")
                }
                redirects += 1
                guard redirects <= Self.maximumRedirects else {
                    throw TransportError.tooManyRedirects(url: Self.redacted(original.url), limit: Self.maximumRedirects)
                }
                guard let target = URL(string: location, relativeTo: request.url)?.absoluteURL else {
                    throw TransportError.redirectRefused(from: Self.redacted(request.url), to: location, reason: "invalid Location")
                }
                do {
                    try Self.checkScheme(target)
                } catch {
                    throw TransportError.redirectRefused(
                        from: Self.redacted(request.url), to: Self.redacted(target), reason: "only https (or http to loopback) is followed")
                }
                var dropped = false
                if Origin(target) != origin {
                    for name in ["Authorization", "Cookie", "Proxy-Authorization"] where request.headers[name] != nil {
                        request.headers.remove(name)
                        dropped = true
                    }
                }
                observe(.redirect(from: Self.redacted(request.url), to: Self.redacted(target), droppedCredentials: dropped))
                request.url = target
                onRetry()
                continue
            }

            if head.status == 401 {
                throw TransportError.unauthorized(url: Self.redacted(request.url), expiry: head.headers["github-authentication-token-expiration"])
            }
            if head.status == 403 || head.status == 429, head.headers["x-ratelimit-remaining"] == "0",
                let reset = head.headers["x-ratelimit-reset"].flatMap(TimeInterval.init)
            {
                let until = Date(timeIntervalSince1970: reset)
                let delay = max(0, until.timeIntervalSince(clock())) + 1
                guard clock().timeIntervalSince(started) + delay <= policy.deadline, retry < policy.maxRetries else {
                    throw TransportError.rateLimited(url: Self.redacted(request.url), resetAt: RFC3339.string(until))
                }
                observe(.rateLimited(url: Self.redacted(request.url), until: until, delay: delay))
                HephaestusMetric.httpRetries.increment("rate-limit")
                sleeper.sleep(seconds: delay)
                retry += 1
                onRetry()
                continue
            }
            if RetryPolicy.isRetryable(status: head.status) {
                let explicit = RetryPolicy.retryAfter(head.headers["retry-after"], now: clock())
                try wait(retry: &retry, url: request.url, reason: "HTTP \(head.status)", explicit: explicit, started: started, attempts: attempt)
                onRetry()
                continue
            }
            return (head, request.url, attempt)
        }
    }

    func observeEvent(_ event: TransportEvent) {
        observe(event)
    }

    /// Sleeps before the next retry, or throws when retries or the deadline are exhausted.
    private func wait(
        retry: inout Int, url: URL, reason: String, explicit: TimeInterval?, started: Date, attempts: Int
    ) throws {
        guard retry < policy.maxRetries else {
            throw TransportError.gaveUp(url: Self.redacted(url), attempts: retry + 1, last: reason)
        }
        let delay = explicit.map { min($0, policy.deadline) } ?? policy.backoff(retry: retry, random: random())
        guard clock().timeIntervalSince(started) + delay < policy.deadline else {
            throw TransportError.gaveUp(url: Self.redacted(url), attempts: retry + 1, last: "\(reason); the next wait would pass the deadline")
        }
        observe(.retry(number: attempts, url: Self.redacted(url), delay: delay, reason: reason))
        HephaestusMetric.httpRetries.increment(reason.hasPrefix("HTTP ") ? "status" : "transport")
        sleeper.sleep(seconds: delay)
        retry += 1
    }

    /// https anywhere; http only to loopback hosts.
    public static func checkScheme(_ url: URL) throws(TransportError) {
        switch url.scheme?.lowercased() {
        case "https": return
        case "http":
            guard isLoopback(url.host) || isCloudMetadataServer(url.host) else { throw TransportError.insecureURL(redacted(url)) }
        default:
            throw TransportError.invalidURL(redacted(url))
        }
    }

    /// The link-local instance metadata server of cloud VMs (plain http by design, reachable only from the VM).
    public static func isCloudMetadataServer(_ host: String?) -> Bool {
        host?.lowercased() == "metadata.google.internal" || host == "169.254.169.254"
    }

    public static func isLoopback(_ host: String?) -> Bool {
        guard let host = host?.lowercased() else { return false }
        return host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    /// The URL without user info or query (where signed storage URLs carry credentials).
    public static func redacted(_ url: URL) -> String {
        guard var components = URLComponents(url: url, resolvingAgainstBaseURL: true) else { return "<url>" }
        components.user = nil
        components.password = nil
        let hadQuery = components.query != nil
        components.query = nil
        components.fragment = nil
        return (components.string ?? "<url>") + (hadQuery ? "?…" : "")
    }
}

/// scheme + host + port, the unit credentials belong to.
struct Origin: Equatable {
    let scheme: String
    let host: String
    let port: Int

    init(_ url: URL) {
        scheme = url.scheme?.lowercased() ?? ""
        host = url.host?.lowercased() ?? ""
        port = url.port ?? (scheme == "https" ? 443 : 80)
    }
}

/// Collects a body in memory, up to a limit.
final class MemorySink: HTTPBodySink {
    private(set) var bytes: [UInt8] = []
    let limit: Int64
    let url: String

    init(limit: Int64, url: String) {
        self.limit = limit
        self.url = url
    }

    func reset() { bytes.removeAll(keepingCapacity: true) }

    func begin(_ head: HTTPResponseHead) throws {
        bytes.removeAll(keepingCapacity: true)
        if let length = head.contentLength, length > limit { throw TransportError.bodyTooLarge(url: url, limit: limit) }
    }

    func write(_ chunk: UnsafeRawBufferPointer) throws {
        guard Int64(bytes.count + chunk.count) <= limit else { throw TransportError.bodyTooLarge(url: url, limit: limit) }
        bytes.append(contentsOf: chunk)
    }
}
