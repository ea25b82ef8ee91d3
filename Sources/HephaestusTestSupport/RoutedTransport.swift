import Foundation
import HephaestusLocalSigstore
import HephaestusPlatform
import HephaestusSigstore
import Synchronization

/// An ``HTTPTransport`` that answers each request with a handler (no sockets), recording requests; tests point
/// service clients at a ``LocalSigstoreRouter`` this way, and inject failures before it.
public final class RoutedTransport: HTTPTransport, @unchecked Sendable {
    public typealias Handler = @Sendable (HTTPRequest) -> LocalSigstoreRouter.Response?

    private let handler: Handler
    private let recorded = Mutex<[HTTPRequest]>([])

    /// `handler` returning nil means "connection refused" (a retryable transport failure).
    public init(_ handler: @escaping Handler) {
        self.handler = handler
    }

    /// Routes every request to `router`.
    public convenience init(router: LocalSigstoreRouter) {
        self.init { request in router.respond(method: request.method, path: request.url.path, body: request.body ?? []) }
    }

    public var requests: [HTTPRequest] { recorded.withLock { $0 } }

    public func perform(_ request: HTTPRequest, timeouts: AttemptTimeouts, sink: HTTPBodySink) throws -> HTTPResponseHead {
        recorded.withLock { $0.append(request) }
        guard let response = handler(request) else {
            throw TransportError.transport(url: request.url.absoluteString, reason: "connection refused", retryable: true)
        }
        let head = HTTPResponseHead(status: response.status, headers: HTTPHeaders([("Content-Type", "application/json")]))
        try sink.begin(head)
        try response.body.withUnsafeBytes { try sink.write($0) }
        return head
    }
}
