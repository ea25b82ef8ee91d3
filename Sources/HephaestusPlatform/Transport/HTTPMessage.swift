import Foundation

/// Case-insensitive HTTP header fields, in order, repeats allowed.
public struct HTTPHeaders: Sendable, Equatable, Sequence {
    public private(set) var fields: [(name: String, value: String)] = []

    public init(_ fields: [(String, String)] = []) {
        self.fields = fields.map { (name: $0.0, value: $0.1) }
    }

    public static func == (lhs: HTTPHeaders, rhs: HTTPHeaders) -> Bool {
        lhs.fields.map { "\($0.name.lowercased()):\($0.value)" } == rhs.fields.map { "\($0.name.lowercased()):\($0.value)" }
    }

    /// The first value of `name`.
    public subscript(name: String) -> String? {
        fields.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    public mutating func add(_ name: String, _ value: String) {
        fields.append((name: name, value: value))
    }

    public mutating func set(_ name: String, _ value: String) {
        remove(name)
        add(name, value)
    }

    public mutating func remove(_ name: String) {
        fields.removeAll { $0.name.caseInsensitiveCompare(name) == .orderedSame }
    }

    public func makeIterator() -> some IteratorProtocol<(name: String, value: String)> {
        fields.makeIterator()
    }
}

/// One HTTP request.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: URL
    public var headers: HTTPHeaders
    public var body: [UInt8]?
    /// A body streamed while sent (uploads); used instead of `body` when set.
    public var streamedBody: StreamedBody?
    /// The HTTP version to speak (gRPC needs HTTP/2: prior knowledge on http, ALPN on https).
    public var httpVersion: HTTPVersion = .negotiated

    public init(method: String = "GET", url: URL, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8]? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    public init(method: String, url: URL, headers: HTTPHeaders = HTTPHeaders(), streamedBody: StreamedBody) {
        self.method = method
        self.url = url
        self.headers = headers
        self.streamedBody = streamedBody
    }
}

/// Which HTTP version a request is sent with.
public enum HTTPVersion: Sendable {
    /// Whatever the transport and server agree on (HTTP/1.1, or HTTP/2 through ALPN).
    case negotiated
    /// HTTP/2 only: without an upgrade on http URLs (prior knowledge), through ALPN on https.
    case http2
}

/// The status line and headers of a response.
public struct HTTPResponseHead: Sendable, Equatable {
    public let status: Int
    public let headers: HTTPHeaders

    public init(status: Int, headers: HTTPHeaders) {
        self.status = status
        self.headers = headers
    }

    public var contentLength: Int64? { headers["content-length"].flatMap { Int64($0.trimmingCharacters(in: .whitespaces)) } }
    public var isRedirect: Bool { [301, 302, 303, 307, 308].contains(status) }
}

/// A complete response with its body in memory (API calls; downloads stream to files instead).
public struct HTTPResponse: Sendable {
    public let head: HTTPResponseHead
    public let body: [UInt8]
    /// The URL that finally answered, after redirects.
    public let url: URL
    /// How many times the request was sent (1 unless an attempt failed and was retried). For a non-idempotent
    /// request, more than 1 means an earlier attempt may have taken effect although its answer was lost.
    public let attempts: Int

    public init(head: HTTPResponseHead, body: [UInt8], url: URL, attempts: Int = 1) {
        self.head = head
        self.body = body
        self.url = url
        self.attempts = attempts
    }

    public var status: Int { head.status }
    public var headers: HTTPHeaders { head.headers }

    /// One line explaining a failed response: a JSON API's `"message"`, else the body's first line; 200 characters
    /// at most.
    public var errorMessage: String {
        if let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any], let message = object["message"] as? String {
            return String(message.prefix(200))
        }
        return String(decoding: body.prefix(200), as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
    }
}

/// Receives one attempt's response: the head, then the body in chunks. Throwing aborts the transfer.
public protocol HTTPBodySink: AnyObject {
    func begin(_ head: HTTPResponseHead) throws
    func write(_ chunk: UnsafeRawBufferPointer) throws
}

/// Per-attempt limits.
public struct AttemptTimeouts: Sendable, Equatable {
    public var connect: TimeInterval
    public var total: TimeInterval

    public init(connect: TimeInterval, total: TimeInterval) {
        self.connect = connect
        self.total = total
    }
}

/// One HTTP exchange, no retries and no redirects followed: the seam between the HTTP client and the network.
public protocol HTTPTransport: Sendable {
    /// Performs one attempt. Transport failures throw ``TransportError/transport(url:reason:retryable:)``; any HTTP
    /// status is returned (its body, if any, went to `sink` after `begin`).
    func perform(_ request: HTTPRequest, timeouts: AttemptTimeouts, sink: HTTPBodySink) throws -> HTTPResponseHead
}
