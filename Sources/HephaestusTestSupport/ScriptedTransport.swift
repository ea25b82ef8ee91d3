import Foundation
import HephaestusPlatform
import Synchronization

/// An ``HTTPTransport`` that plays scripted replies in order and records every request, for exact retry tests.
public final class ScriptedTransport: HTTPTransport, @unchecked Sendable {
    public enum Reply: Sendable {
        /// A complete response.
        case response(status: Int, headers: [(String, String)] = [], body: [UInt8] = [])
        /// Headers and part of the body, then a transport failure (reset, truncation).
        case partial(status: Int, headers: [(String, String)], body: [UInt8], failure: String)
        /// A transport failure before any response.
        case failure(String, retryable: Bool)
    }

    private let replies = Mutex<[Reply]>([])
    private let recorded = Mutex<[HTTPRequest]>([])

    public init(_ replies: [Reply]) {
        self.replies.withLock { $0 = replies }
    }

    /// Every request performed, in order.
    public var requests: [HTTPRequest] { recorded.withLock { $0 } }

    public func perform(_ request: HTTPRequest, timeouts: AttemptTimeouts, sink: HTTPBodySink) throws -> HTTPResponseHead {
        recorded.withLock { $0.append(request) }
        let reply = replies.withLock { $0.isEmpty ? nil : $0.removeFirst() }
        guard let reply else { throw TransportError.transport(url: request.url.absoluteString, reason: "script exhausted", retryable: false) }
        switch reply {
        case .failure(let reason, let retryable):
            throw TransportError.transport(url: request.url.absoluteString, reason: reason, retryable: retryable)
        case .response(let status, let headers, let body):
            let head = HTTPResponseHead(status: status, headers: HTTPHeaders(headers))
            try sink.begin(head)
            try body.withUnsafeBytes { try sink.write($0) }
            return head
        case .partial(let status, let headers, let body, let failure):
            try sink.begin(HTTPResponseHead(status: status, headers: HTTPHeaders(headers)))
            try body.withUnsafeBytes { try sink.write($0) }
            throw TransportError.transport(url: request.url.absoluteString, reason: failure, retryable: true)
        }
    }
}

/// A ``Sleeper`` that records delays and advances a shared fake clock instead of waiting.
public final class RecordingSleeper: Sleeper, @unchecked Sendable {
    private let state = Mutex<(delays: [TimeInterval], now: Date)>(([], Date(timeIntervalSince1970: 1_800_000_000)))

    public init() {}

    public var delays: [TimeInterval] { state.withLock { $0.delays } }
    public var now: Date { state.withLock { $0.now } }

    public func sleep(seconds: TimeInterval) {
        state.withLock {
            $0.delays.append(seconds)
            $0.now = $0.now.addingTimeInterval(seconds)
        }
    }

    /// The fake clock, advanced only by sleeping.
    public var clock: @Sendable () -> Date { { [self] in self.now } }
}

/// Collects transport events for assertions.
public final class EventLog: @unchecked Sendable {
    private let events = Mutex<[TransportEvent]>([])
    public init() {}
    public var all: [TransportEvent] { events.withLock { $0 } }
    public var observe: @Sendable (TransportEvent) -> Void { { [self] event in self.events.withLock { $0.append(event) } } }
}
