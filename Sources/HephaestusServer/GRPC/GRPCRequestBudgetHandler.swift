import Foundation
import GRPCCore
import HephaestusCore
import HephaestusOperations
import HephaestusPlatform
import HephaestusService
import NIOCore
import NIOHPACK
import NIOHTTP2

/// The first handler of every gRPC stream: it holds a call's request messages to the service's ``BodyBudget`` before
/// grpc-swift collects them, as REST's body reader does.
///
/// - Each request message's length (its 5-byte prefix) is reserved when its first byte arrives, and given back when
///   its response message is written (one response per request message, oldest first) or when the stream ends.
/// - A call with one request message that the budget cannot cover is refused with 503's gRPC twin: `UNAVAILABLE`,
///   `service.busy`, `retry-after` metadata, audited like every refusal. `Verification.VerifyBatch`, whose requests
///   stream and which the gate admitted when it began, waits instead: the stream is not read (HTTP/2 flow control holds
///   the client) until bytes are given back.
/// - A one-message call whose message is longer than `max_grpc_message_bytes` is refused from its prefix:
///   `RESOURCE_EXHAUSTED`, `service.body-too-large`, audited (grpc-swift itself would reset the stream, unaudited).
/// - grpc-swift runs a one-message call's gate once its request has ended (END_STREAM), not when its message is whole.
///   A request that does not end in the frame its message began in (a message longer than a frame, or one sent
///   without END_STREAM) has its caller's token checked at once, so that a caller without an account cannot hold the
///   budget meanwhile; and it must end within `request_timeout_seconds` (`service.request-timeout`), as a REST body
///   must arrive.
/// - A streamed request's message must arrive whole within `request_timeout_seconds` once it has begun (time spent
///   waiting for room aside); a stream that misses it is reset, and its call, admitted when it began, audited as failed.
///
/// A refusal is answered here, trailers only, and the stream closed: grpc-swift never sees the message, so the call's
/// own gate never runs and the refusal is its one audit record.
final class GRPCRequestBudgetHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias InboundOut = HTTP2Frame.FramePayload
    typealias OutboundIn = HTTP2Frame.FramePayload
    typealias OutboundOut = HTTP2Frame.FramePayload

    /// The methods whose requests stream: they wait for room rather than being refused.
    static let streamingRequestPaths: Set<String> = ["/hephaestus.v1.Verification/VerifyBatch"]

    private let calls: CallGate
    private let reservation: BodyReservation
    private var inbound = GRPCMessageBoundaries()
    private var outbound = GRPCMessageBoundaries()
    /// Lengths of the request messages reserved and not answered yet, oldest first.
    private var unanswered: [Int] = []
    /// Lengths of started request messages the budget could not cover yet (a streaming call waits for them).
    private var owed: [Int] = []
    /// Frames that arrived after the stream paused, in order.
    private var held: [HTTP2Frame.FramePayload] = []
    private var isPaused = false
    private var readWhilePaused = false
    private var path = ""
    private var authorization: String?
    private var checkedEarly = false
    /// Set once the request's message arrived whole (or the stream ended): refusals are the call's gate's from then on.
    private var requestArrived = false
    private var refused = false
    private var deadline: Scheduled<Void>?
    /// A streamed request's message that has begun must be whole by then.
    private var messageDeadline: Scheduled<Void>?

    init(calls: CallGate) {
        self.calls = calls
        reservation = BodyReservation(calls.core.bodyBudget)
    }

    private var isStreaming: Bool { Self.streamingRequestPaths.contains(path) }

    /// The methods whose request is an operation's: `[limits] max_operation_body_bytes`, reserved several times over.
    static let operationRequestPaths: Set<String> = ["/hephaestus.v1.Operations/Call", "/hephaestus.v1.Tasks/Start"]

    /// How large this call's request messages may be, and what each reserves.
    private var allowance: BodyAllowance {
        Self.operationRequestPaths.contains(path) ? calls.core.limits.operationRequest : calls.core.limits.grpcMessage
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let payload = unwrapInboundIn(data)
        if refused { return }
        if isPaused {
            held.append(payload)
            return
        }
        receive(payload, context: context)
    }

    private func receive(_ payload: HTTP2Frame.FramePayload, context: ChannelHandlerContext) {
        switch payload {
        case .headers(let headers):
            if path.isEmpty {
                path = headers.headers.first(name: ":path") ?? ""
                authorization = headers.headers.first(name: "authorization")
                guard Self.methodPaths.contains(path) else {
                    refuseUnknownMethod(context: context)
                    return
                }
                if !isStreaming { startDeadline(context) }
            }
            if headers.endStream { requestArrived = true }
        case .data(let data):
            if case .byteBuffer(let bytes) = data.data, !reserveMessages(in: bytes, endingStream: data.endStream, context: context) { return }
            if data.endStream { requestArrived = true }
        default:
            break
        }
        if requestArrived { deadline?.cancel() }
        context.fireChannelRead(wrapInboundOut(payload))
        if !owed.isEmpty { pause(context) }
    }

    /// Reserves the messages that start in `bytes`; false when the call has been refused instead.
    private func reserveMessages(in bytes: ByteBuffer, endingStream: Bool, context: ChannelHandlerContext) -> Bool {
        var busy = false
        var tooLarge = false
        var completed = false
        let (limit, cost) = (allowance.maxBytes, allowance.cost)
        inbound.consume(bytes) { event in
            switch event {
            case .started(let length):
                // Over the per-message limit: refused from its prefix (a stream's later message: grpc-swift resets it).
                guard length <= limit else {
                    tooLarge = true
                    return
                }
                let reserved = length * cost
                if owed.isEmpty, (try? reservation.grow(to: reservation.heldBytes + reserved)) != nil {
                    unanswered.append(reserved)
                } else {
                    owed.append(reserved)
                    busy = true
                }
            case .completed:
                completed = true
            }
        }
        if tooLarge && !isStreaming {
            refuse(ServiceLimitError.bodyTooLarge(limit: limit), context: context)
            return false
        }
        if busy && !isStreaming {
            refuse(ServiceLimitError.busy(retryAfterSeconds: 1), context: context)
            return false
        }
        // A one-message call's gate runs once its request ends (END_STREAM), not when its message is whole: until then
        // its bytes are held for a caller whose token is checked now, and the request timeout still runs.
        if !isStreaming && !checkedEarly && !endingStream { checkCallerEarly(context) }
        if isStreaming { timeStreamedMessage(restarting: completed, context: context) }
        return true
    }

    /// A streamed request's message must arrive whole within the request timeout once it has begun (its bytes are held
    /// meanwhile); the time it waits for room in the budget does not count. A stream that misses it is reset, and the
    /// call, admitted when it began, records that outcome.
    private func timeStreamedMessage(restarting: Bool, context: ChannelHandlerContext) {
        if restarting || !inbound.isWithinMessage || isPaused {
            messageDeadline?.cancel()
            messageDeadline = nil
        }
        guard inbound.isWithinMessage, !isPaused, messageDeadline == nil else { return }
        let seconds = calls.core.limits.requestTimeoutSeconds
        let handler = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        messageDeadline = context.eventLoop.scheduleTask(in: .seconds(Int64(seconds))) {
            let (this, context) = handler.value
            this.messageDeadline = nil
            let reason = "a request message did not arrive within \(seconds) s"
            this.calls.core.logger.notice("grpc.stream-reset", metadata: ["path": .string(this.path), "reason": .string(reason)])
            this.held = []
            this.owed = []
            this.reservation.release()
            context.close(promise: nil)
        }
    }

    // MARK: Waiting for room (streaming requests)

    private func pause(_ context: ChannelHandlerContext) {
        guard !isPaused else { return }
        isPaused = true
        timeStreamedMessage(restarting: false, context: context)
        resumeWhenRoom(context)
    }

    private func resumeWhenRoom(_ context: ChannelHandlerContext) {
        guard isPaused, !refused else { return }
        if !takeOwed() {
            let handler = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            calls.core.bodyBudget.whenBytesAreGiven {
                handler.eventLoop.execute { handler.value.0.resumeWhenRoom(handler.value.1) }
            }
            // Bytes given back between the failed attempt and the registration would not wake it: try once more.
            guard takeOwed() else { return }
        }
        isPaused = false
        timeStreamedMessage(restarting: true, context: context)
        let frames = held
        held = []
        for frame in frames {
            if isPaused || refused {
                if !refused { held.append(frame) }
                continue
            }
            receive(frame, context: context)
        }
        if !isPaused && readWhilePaused {
            readWhilePaused = false
            context.read()
        }
    }

    private func takeOwed() -> Bool {
        guard !owed.isEmpty else { return true }
        guard (try? reservation.grow(to: reservation.heldBytes + owed.reduce(0, +))) != nil else { return false }
        // Each message is given back at its own response.
        unanswered += owed
        owed = []
        return true
    }

    // MARK: Early checks (one-message calls)

    private func startDeadline(_ context: ChannelHandlerContext) {
        let seconds = calls.core.limits.requestTimeoutSeconds
        let handler = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: .seconds(Int64(seconds))) {
            handler.value.0.refuse(ServiceLimitError.requestTimeout(seconds: seconds), context: handler.value.1)
        }
    }

    /// A message longer than its first frame: the caller's token is checked now rather than once it all arrived.
    private func checkCallerEarly(_ context: ChannelHandlerContext) {
        checkedEarly = true
        let handler = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let authenticator = calls.gate.authenticator
        let authorization = self.authorization
        Task {
            do {
                _ = try await authenticator.authenticate(authorization: authorization)
            } catch let refusal as AccessError {
                handler.eventLoop.execute { handler.value.0.refuse(refusal, context: handler.value.1) }
            } catch {
                // The store could not be read: the call's own gate answers that once the message arrived.
            }
        }
    }

    // MARK: Refusing

    /// The paths of the methods the service serves (`/hephaestus.v1.Verification/VerifyBundle`, …).
    static let methodPaths: Set<String> = Set(
        (Hephaestus_V1_Verification.Method.descriptors + Hephaestus_V1_Operations.Method.descriptors + Hephaestus_V1_Tasks.Method.descriptors)
            .map { "/" + $0.fullyQualifiedMethod })

    /// A method the service does not serve: `UNIMPLEMENTED` (what grpc-swift would answer, unaudited), audited as the
    /// gRPC twin of REST's 404 for an unknown route, after the caller's token (deny by default: a caller without an
    /// account is told `UNAUTHENTICATED`).
    private func refuseUnknownMethod(context: ChannelHandlerContext) {
        let error = ServiceLimitError.routeNotFound(method: "POST", path: path)
        refuse(context: context) { calls, request in
            _ = try await calls.authenticate(request)
            try await calls.gate.recordRefusal(request, status: GRPCStatusCode.unimplemented.name, code: error.code)
            var metadata: Metadata = [:]
            metadata.addString(error.code, forKey: GRPCCalls.errorCodeKey)
            metadata.addString(request.requestID, forKey: GRPCCalls.requestIDKey)
            return RPCError(code: .unimplemented, message: error.description, metadata: metadata)
        }
    }

    /// Refuses a call whose request has not arrived: audited (with the account, when the token names one), then
    /// answered trailers-only and the stream closed.
    private func refuse(_ error: any CodedError, context: ChannelHandlerContext) {
        refuse(context: context) { calls, request in
            if error is AccessError {
                try await calls.refuse(request, error)
            } else {
                try await calls.refuseAfterAuthentication(request, error)
            }
        }
    }

    /// Refuses the call with the answer `decide` gives after auditing it (or the error it throws, as its status).
    private func refuse(context: ChannelHandlerContext, _ decide: @escaping @Sendable (CallGate, GateRequest) async throws -> RPCError) {
        guard !refused, !requestArrived else { return }
        refused = true
        deadline?.cancel()
        held = []
        owed = []
        unanswered = []
        reservation.release()
        let request = GateRequest(
            requestID: UUID.randomLowercased(), transport: .grpc, authorization: authorization, action: Self.action(path: path),
            source: context.channel.parent?.remoteAddress.map(Self.peer))
        let calls = self.calls
        let handler = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        Task {
            let answer: RPCError
            do {
                answer = try await decide(calls, request)
            } catch {
                answer = GRPCCalls.rpcError(error, requestID: request.requestID)
            }
            handler.eventLoop.execute { handler.value.0.answer(answer, context: handler.value.1) }
        }
    }

    private func answer(_ error: RPCError, context: ChannelHandlerContext) {
        var headers: HPACKHeaders = [
            ":status": "200", "content-type": "application/grpc", "grpc-status": String(error.code.rawValue),
            "grpc-message": Self.percentEncoded(error.message),
        ]
        for entry in error.metadata {
            if case .string(let value) = entry.value { headers.add(name: entry.key, value: value) }
        }
        context.writeAndFlush(wrapOutboundOut(.headers(.init(headers: headers, endStream: true))), promise: nil)
        context.close(promise: nil)
    }

    /// The gate action a refused call is recorded under: its operation when the method names one, else its path.
    static func action(path: String) -> GatedAction {
        switch path {
        case "/hephaestus.v1.Verification/VerifyBundle": .operation(VerifyBundleOperation.descriptor)
        case "/hephaestus.v1.Verification/VerifyBatch": .operation(VerifyBatchOperation.descriptor)
        default: .unknown("grpc \(path)")
        }
    }

    static func peer(_ address: SocketAddress) -> String {
        switch address {
        case .v4: "ipv4:\(address.ipAddress ?? ""):\(address.port ?? 0)"
        case .v6: "ipv6:[\(address.ipAddress ?? "")]:\(address.port ?? 0)"
        case .unixDomainSocket: "unix:\(address.pathname ?? "")"
        }
    }

    /// `grpc-message`'s encoding (gRPC over HTTP/2): bytes outside printable ASCII, and `%`, as `%XX`.
    static func percentEncoded(_ message: String) -> String {
        var encoded = ""
        for byte in message.utf8 {
            if byte >= 0x20 && byte <= 0x7E && byte != UInt8(ascii: "%") {
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                encoded += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return encoded
    }

    // MARK: Outbound and the stream's end

    func read(context: ChannelHandlerContext) {
        if isPaused {
            readWhilePaused = true
        } else {
            context.read()
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .data(let frame) = unwrapOutboundIn(data), case .byteBuffer(let bytes) = frame.data {
            outbound.consume(bytes) { event in
                guard event == .completed, !unanswered.isEmpty else { return }
                reservation.shrink(by: unanswered.removeFirst())
            }
        }
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        messageDeadline?.cancel()
        reservation.release()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        messageDeadline?.cancel()
        reservation.release()
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
