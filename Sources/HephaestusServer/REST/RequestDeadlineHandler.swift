import HTTPTypes
import HephaestusCore
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// Holds every HTTP/1 request of a connection to the service's clocks, in the channel pipeline after the HTTP
/// decoder: a request must arrive whole (head to end) within `requestTimeout`, or the connection is closed, so a
/// client trickling its body cannot hold it. (Headers sent slowly are cut by Hummingbird's idle timeout, which the
/// service sets to the header timeout: no part is decoded until the headers are complete.) A request the decoder
/// cannot read — conflicting `Content-Length` and `Transfer-Encoding`, a malformed request line or header — is
/// answered `400` with the service's error body and the connection closed; `onMalformed` is told why (for the audit).
final class RequestDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let requestTimeout: TimeAmount
    private let onMalformed: @Sendable (String) -> Void
    private var deadline: Scheduled<Void>?

    init(requestTimeout: TimeAmount, onMalformed: @escaping @Sendable (String) -> Void) {
        self.requestTimeout = requestTimeout
        self.onMalformed = onMalformed
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            deadline?.cancel()
            let channel = context.channel
            deadline = context.eventLoop.scheduleTask(in: requestTimeout) { channel.close(promise: nil) }
        case .end:
            deadline?.cancel()
            deadline = nil
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard error is HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        deadline?.cancel()
        let reason = Self.reason(error)
        onMalformed(reason)
        let failure = ServiceFailure(ServiceLimitError.malformedHTTP(reason))
        let body = failure.jsonBody
        var head = HTTPResponse(status: .badRequest)
        head.headerFields = [.contentType: "application/json", .contentLength: String(body.count), .connection: "close"]
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(context.channel.allocator.buffer(bytes: body))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
    }

    static func reason(_ error: any Error) -> String {
        switch error as? HTTPParserError {
        case .unexpectedContentLength: "Content-Length with Transfer-Encoding, or a Content-Length where none may be"
        case .invalidContentLength: "an invalid Content-Length"
        case .headerOverflow: "the headers are too large"
        default: "the request cannot be parsed (\(error))"
        }
    }
}
