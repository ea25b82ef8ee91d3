/// Failures of the HTTP layer: configuration, transport, HTTP statuses, redirects and download integrity.
public enum TransportError: CodedError, Equatable {
    case invalidConfiguration(option: String, reason: String)
    case invalidURL(String)
    case insecureURL(String)
    /// A network-level failure of one attempt (refused, reset, timeout, truncated body, DNS, TLS).
    case transport(url: String, reason: String, retryable: Bool)
    /// An HTTP status that is not retried (4xx other than 408/429).
    case httpStatus(url: String, status: Int, message: String)
    /// Retries exhausted or the deadline passed; `last` is the last status or error.
    case gaveUp(url: String, attempts: Int, last: String)
    case rateLimited(url: String, resetAt: String)
    case unauthorized(url: String, expiry: String?)
    case redirectRefused(from: String, to: String, reason: String)
    case tooManyRedirects(url: String, limit: Int)
    case bodyTooLarge(url: String, limit: Int64)
    case sizeMismatch(url: String, expected: Int64, actual: Int64)
    case digestMismatch(url: String, expected: String, actual: String)

    public enum Code: String, ErrorCode {
        case invalidConfiguration = "transport.invalid-configuration"
        case invalidURL = "transport.invalid-url"
        case insecureURL = "transport.insecure-url"
        case transport = "transport.network"
        case httpStatus = "transport.http-status"
        case gaveUp = "transport.gave-up"
        case rateLimited = "transport.rate-limited"
        case unauthorized = "transport.unauthorized"
        case redirectRefused = "transport.redirect-refused"
        case tooManyRedirects = "transport.too-many-redirects"
        case bodyTooLarge = "transport.body-too-large"
        case sizeMismatch = "transport.size-mismatch"
        case digestMismatch = "transport.digest-mismatch"

        public var definition: (category: ErrorCategory, summary: String) {
            switch self {
            case .invalidConfiguration: (.usage, "a network option is out of range (--timeout, --max-retries, …)")
            case .invalidURL: (.usage, "a URL is malformed or uses an unsupported scheme")
            case .insecureURL: (.usage, "a plain-http URL points off loopback")
            case .transport: (.unavailable, "a non-retryable network failure (TLS, refused after retries)")
            case .httpStatus: (.unavailable, "the server answered a non-retryable error status (e.g. 404)")
            case .gaveUp: (.unavailable, "retries or the deadline were exhausted")
            case .rateLimited: (.unavailable, "the API rate limit resets only after the deadline")
            case .unauthorized: (.permissionDenied, "the token was rejected (expired or revoked)")
            case .redirectRefused: (.checkFailed, "a redirect went to a refused scheme or from a non-GET request")
            case .tooManyRedirects: (.unavailable, "more than 10 redirects")
            case .bodyTooLarge: (.checkFailed, "a download exceeded the maximum size")
            case .sizeMismatch: (.checkFailed, "a download's size differs from the size the release API declared")
            case .digestMismatch: (.checkFailed, "a download's SHA-256 differs from the digest the release API declared")
            }
        }
    }

    public var errorCode: Code {
        switch self {
        case .invalidConfiguration: .invalidConfiguration
        case .invalidURL: .invalidURL
        case .insecureURL: .insecureURL
        case .transport: .transport
        case .httpStatus: .httpStatus
        case .gaveUp: .gaveUp
        case .rateLimited: .rateLimited
        case .unauthorized: .unauthorized
        case .redirectRefused: .redirectRefused
        case .tooManyRedirects: .tooManyRedirects
        case .bodyTooLarge: .bodyTooLarge
        case .sizeMismatch: .sizeMismatch
        case .digestMismatch: .digestMismatch
        }
    }

    public var description: String {
        switch self {
        case .invalidConfiguration(let option, let reason): "invalid \(option): \(reason)"
        case .invalidURL(let url): "invalid URL \(url)"
        case .insecureURL(let url): "refusing plain-http URL \(url): only https is allowed (http only to loopback hosts)"
        case .transport(let url, let reason, _): "\(url): \(reason)"
        case .httpStatus(let url, let status, let message): "\(url): HTTP \(status)\(message.isEmpty ? "" : ": \(message)")"
        case .gaveUp(let url, let attempts, let last): "\(url): giving up after \(attempts) attempts: last \(last)"
        case .rateLimited(let url, let resetAt): "\(url): rate limit exhausted until \(resetAt), beyond the deadline"
        case .unauthorized(let url, let expiry):
            "\(url): token rejected (expired or revoked)" + (expiry.map { "; it expires/expired at \($0)" } ?? "")
        case .redirectRefused(let from, let to, let reason): "redirect from \(from) to \(to) refused: \(reason)"
        case .tooManyRedirects(let url, let limit): "\(url): more than \(limit) redirects"
        case .bodyTooLarge(let url, let limit): "\(url): response body exceeds the maximum of \(limit) bytes"
        case .sizeMismatch(let url, let expected, let actual):
            "\(url): received \(actual) bytes, expected \(expected) (not saved)"
        case .digestMismatch(let url, let expected, let actual):
            "\(url): SHA-256 is \(actual), expected \(expected) (not saved)"
        }
    }
}
