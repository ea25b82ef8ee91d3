import HephaestusPlatform

/// Why the service's transports refused or ended a request on their own, before or around an operation: a body over
/// the limit, a caller over its rate, a request that took too long, a route that does not exist, a service that is
/// draining.
public enum ServiceLimitError: CodedError, Equatable {
    case bodyTooLarge(limit: Int)
    /// The bodies of the requests in progress hold all the bytes the service allows at once (`[limits]
    /// max_body_bytes_in_flight`); a later request can be taken.
    case busy(retryAfterSeconds: Int)
    case rateLimited(account: String, perMinute: Int, retryAfterSeconds: Int)
    case requestTimeout(seconds: Int)
    case routeNotFound(method: String, path: String)
    case draining
    case cancelled
    /// A request the HTTP layer could not read as one request (conflicting `Content-Length` and
    /// `Transfer-Encoding`, a malformed request line or header).
    case malformedHTTP(String)
    /// A dashboard sign-in or sign-out another site made the browser send (`Origin`, `Sec-Fetch-Site`).
    case crossSite(String)
    /// `GET /metrics` without the scrape token `[metrics] token_file` requires.
    case metricsTokenRequired

    public enum Code: String, ErrorCode {
        case bodyTooLarge = "service.body-too-large"
        case busy = "service.busy"
        case rateLimited = "service.rate-limited"
        case requestTimeout = "service.request-timeout"
        case routeNotFound = "service.route-not-found"
        case draining = "service.draining"
        case cancelled = "service.cancelled"
        case malformedHTTP = "service.malformed-http"
        case crossSite = "service.cross-site"
        case metricsTokenRequired = "service.metrics-token-required"

        public var definition: (category: ErrorCategory, summary: String) {
            switch self {
            case .bodyTooLarge:
                (.tooLarge, "a request body or gRPC message is larger than the service's limit ([limits] max_body_bytes, max_grpc_message_bytes)")
            case .busy:
                (.unavailable, "requests in progress hold every body byte the service takes at once ([limits] max_body_bytes_in_flight)")
            case .rateLimited: (.rateLimited, "the account made more calls than its rate limit allows; retry after Retry-After seconds")
            case .requestTimeout: (.unavailable, "a synchronous operation took longer than the request timeout; run it as a task")
            case .routeNotFound: (.notFound, "no route of the service has this method and path")
            case .draining: (.unavailable, "the service is shutting down and takes no new requests")
            case .cancelled: (.unavailable, "the request was cancelled before it finished (the client went away)")
            case .malformedHTTP: (.usage, "the HTTP request is malformed (conflicting Content-Length and Transfer-Encoding, bad header)")
            case .crossSite: (.permissionDenied, "another site made the browser send a dashboard sign-in or sign-out; open the dashboard directly")
            case .metricsTokenRequired: (.unauthenticated, "/metrics requires the scrape token of [metrics] token_file as Authorization: Bearer")
            }
        }
    }

    public var errorCode: Code {
        switch self {
        case .bodyTooLarge: .bodyTooLarge
        case .busy: .busy
        case .rateLimited: .rateLimited
        case .requestTimeout: .requestTimeout
        case .routeNotFound: .routeNotFound
        case .draining: .draining
        case .cancelled: .cancelled
        case .malformedHTTP: .malformedHTTP
        case .crossSite: .crossSite
        case .metricsTokenRequired: .metricsTokenRequired
        }
    }

    public var description: String {
        switch self {
        case .bodyTooLarge(let limit): "the request body is larger than the service's limit of \(limit) bytes"
        case .busy(let retryAfter):
            "the service holds as many request body bytes as it takes at once ([limits] max_body_bytes_in_flight): retry in \(retryAfter) s"
        case .rateLimited(let account, let perMinute, let retryAfter):
            "account \(account) is over its rate limit of \(perMinute) calls per minute: retry in \(retryAfter) s"
        case .requestTimeout(let seconds): "the operation did not finish within the request timeout of \(seconds) s (start it as a task)"
        case .routeNotFound(let method, let path): "no route \(method) \(path) (GET /v1/operations lists the operations)"
        case .draining: "the service is shutting down: retry on another replica or later"
        case .cancelled: "the request was cancelled"
        case .malformedHTTP(let reason): "malformed HTTP request: \(reason)"
        case .crossSite(let header): "the dashboard refuses sign-in and sign-out requests from other sites (\(header))"
        case .metricsTokenRequired: "/metrics requires the scrape token ([metrics] token_file) as Authorization: Bearer"
        }
    }

    /// Seconds a rate-limited caller should wait (`Retry-After`).
    public var retryAfterSeconds: Int? {
        switch self {
        case .rateLimited(_, _, let seconds), .busy(let seconds): seconds
        default: nil
        }
    }
}
