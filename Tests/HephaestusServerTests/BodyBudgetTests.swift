import Foundation
import HephaestusCore
import HephaestusService
import HephaestusTestSupport
import Logging
import NIOCore
import NIOEmbedded
import NIOHPACK
import NIOHTTP2
import Synchronization
import Testing

@testable import HephaestusServer

/// The body budget (`[limits] max_body_bytes_in_flight`): reservations, gRPC message boundaries, and the gRPC stream
/// handler that holds request messages to the budget (refusing one-message calls, pausing streamed requests).
@Suite("body budget: request bytes held at once")
struct BodyBudgetTests {
    @Test("a reservation grows within the budget, is refused beyond it with service.busy, and gives everything back")
    func reservations() throws {
        let budget = BodyBudget(capacity: 100)
        let first = BodyReservation(budget)
        try first.grow(to: 60)
        try first.grow(to: 40)  // never shrinks by growing
        #expect(first.heldBytes == 60 && budget.heldBytes == 60)
        let second = BodyReservation(budget)
        #expect(throws: ServiceLimitError.busy(retryAfterSeconds: 1)) { try second.grow(to: 41) }
        #expect(second.heldBytes == 0 && budget.heldBytes == 60)
        try second.grow(to: 40)
        first.shrink(by: 10)
        #expect(budget.heldBytes == 90)
        first.release()
        first.release()
        #expect(budget.heldBytes == 40)
        var third: BodyReservation? = BodyReservation(budget)
        try third?.grow(to: 60)
        #expect(budget.heldBytes == 100)
        third = nil
        #expect(budget.heldBytes == 40, "a reservation gives its bytes back when it is deinitialised")
        #expect(ServiceFailure(ServiceLimitError.busy(retryAfterSeconds: 1)).httpStatus == 503)
        #expect(ServiceFailure(ServiceLimitError.busy(retryAfterSeconds: 1)).retryAfter == 1)
    }

    @Test("reservations taken at once from many threads never exceed the budget")
    func concurrentReservations() async throws {
        let budget = BodyBudget(capacity: 1000)
        let granted = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<64 {
                group.addTask {
                    var granted = 0
                    for _ in 0..<200 {
                        let reservation = BodyReservation(budget)
                        if (try? reservation.grow(to: 300)) != nil {
                            granted += 1
                            #expect(budget.heldBytes <= 1000)
                        }
                        reservation.release()
                    }
                    return granted
                }
            }
            return await group.reduce(0, +)
        }
        #expect(granted > 0)
        #expect(budget.heldBytes == 0)
    }

    @Test("the limits file sets the budget, which may not be smaller than one body")
    func configuration() throws {
        func limits(_ text: String) throws -> ServiceLimits { try ServiceLimits(file: try ConfigurationFile(text: text, name: "service.toml")) }
        #expect(ServiceLimits().maxBodyBytesInFlight == 32 << 20)
        #expect(try limits("[limits]\nmax_body_bytes_in_flight = 65536\nmax_body_bytes = 4096").maxBodyBytesInFlight == 65536)
        #expect(try limits("[limits]\nmax_body_bytes = 67108864").maxBodyBytesInFlight == 64 << 20, "raising the body limit alone raises the budget")
        #expect(throws: RequestError.self) { try limits("[limits]\nmax_body_bytes_in_flight = 1024\nmax_body_bytes = 4096") }
        // gRPC messages: 16 MiB, or the body limit when that is lower; the budget covers the largest message too.
        #expect(ServiceLimits().maxGRPCMessageBytes == 16 << 20)
        #expect(try limits("[limits]\nmax_body_bytes = 4096").maxGRPCMessageBytes == 4096)
        let raised = try limits("[limits]\nmax_grpc_message_bytes = 67108864")
        #expect(raised.maxGRPCMessageBytes == 64 << 20 && raised.maxBodyBytesInFlight == 64 << 20 && raised.maxBodyBytes == 32 << 20)
        let small = #expect(throws: RequestError.self) {
            try limits("[limits]\nmax_body_bytes_in_flight = 65536\nmax_body_bytes = 4096\nmax_grpc_message_bytes = 131072")
        }
        #expect(small?.message.contains("at least limits.max_grpc_message_bytes (131072)") == true, "\(String(describing: small))")
        // Operation requests: 1 MiB, or the body limit when that is lower; the budget covers eight times the largest.
        #expect(ServiceLimits().maxOperationBodyBytes == 1 << 20)
        #expect(try limits("[limits]\nmax_body_bytes = 4096").maxOperationBodyBytes == 4096)
        #expect(try limits("[limits]\nmax_operation_body_bytes = 8388608").maxBodyBytesInFlight == 64 << 20)
        #expect(
            try limits("[limits]\nmax_body_bytes = 65536\nmax_body_bytes_in_flight = 65536").maxOperationBodyBytes == 8192, "within a budget given")
        let operations = #expect(throws: RequestError.self) {
            try limits("[limits]\nmax_body_bytes_in_flight = 65536\nmax_body_bytes = 4096\nmax_operation_body_bytes = 16384")
        }
        #expect(operations?.message.contains("at least 8 × limits.max_operation_body_bytes (131072)") == true, "\(String(describing: operations))")
    }

    @Test("gRPC message boundaries are found however the bytes are split")
    func messageBoundaries() {
        var stream: [UInt8] = []
        for length in [0, 3, 70_000, 1] {
            stream += [0, UInt8(length >> 24 & 0xFF), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
            stream += [UInt8](repeating: 7, count: length)
        }
        let expected: [GRPCMessageBoundaries.Event] = [
            .started(length: 0), .completed, .started(length: 3), .completed, .started(length: 70_000), .completed, .started(length: 1), .completed,
        ]
        for chunkSize in [1, 2, 5, 6, 4096, stream.count] {
            var boundaries = GRPCMessageBoundaries()
            var events: [GRPCMessageBoundaries.Event] = []
            var offset = 0
            while offset < stream.count {
                let end = min(offset + chunkSize, stream.count)
                boundaries.consume(ByteBuffer(bytes: stream[offset..<end])) { events.append($0) }
                offset = end
            }
            #expect(events == expected, "chunks of \(chunkSize) bytes")
            #expect(!boundaries.isWithinMessage)
        }
    }
}

/// ``GRPCRequestBudgetHandler`` on a test channel, with a real gate and store behind it.
@Suite("gRPC streams and the body budget", .timeLimit(.minutes(1)))
struct GRPCRequestBudgetHandlerTests {
    struct Setup {
        let directory: TemporaryDirectory
        let store: ServiceStore
        let calls: CallGate
        let token: String
        let channel: NIOAsyncTestingChannel

        init(budget: Int, maxBody: Int = 1 << 20, maxOperationBody: Int = 1 << 20) async throws {
            directory = try TemporaryDirectory(prefix: "grpc-budget")
            store = try ServiceStore.open(.sqlite(path: directory.file("service.sqlite")))
            token = try await store.accounts.create(name: "ci", role: .verifier, expiresAt: nil, at: Date()).token.text
            var limits = ServiceLimits()
            limits.maxBodyBytes = maxBody
            limits.maxGRPCMessageBytes = maxBody
            limits.maxOperationBodyBytes = maxOperationBody
            limits.maxBodyBytesInFlight = budget
            let logger = Logger(label: "test")
            let core = ServiceCore(
                verification: BundleVerificationService(roots: try TrustRoots(defaultSelection: .production, extra: [:])), limits: limits,
                logger: logger, serviceStore: store)
            calls = CallGate(gate: RequestGate(store: store, logger: logger), core: core)
            let channel = NIOAsyncTestingChannel()
            let calls = self.calls
            try await channel.testingEventLoop.executeInContext {
                try channel.pipeline.syncOperations.addHandler(GRPCRequestBudgetHandler(calls: calls))
            }
            self.channel = channel
        }

        var budget: BodyBudget { calls.core.bodyBudget }

        func headers(path: String, token: String?) async throws {
            var headers: HPACKHeaders = [":method": "POST", ":path": path, "content-type": "application/grpc"]
            if let token { headers.add(name: "authorization", value: "Bearer \(token)") }
            try await channel.writeInbound(HTTP2Frame.FramePayload.headers(.init(headers: headers)))
        }

        func data(_ bytes: [UInt8], end: Bool = false) async throws {
            try await channel.writeInbound(HTTP2Frame.FramePayload.data(.init(data: .byteBuffer(ByteBuffer(bytes: bytes)), endStream: end)))
        }

        func forwarded() async throws -> [HTTP2Frame.FramePayload] {
            var frames: [HTTP2Frame.FramePayload] = []
            while let frame = try await channel.readInbound(as: HTTP2Frame.FramePayload.self) { frames.append(frame) }
            return frames
        }

        func audit() async throws -> [AuditEntry] { try await store.audit.records(after: 0, limit: 100).map(\.entry) }

        /// Nothing is answered until the request timeout; then `service.request-timeout`, audited, nothing held.
        func expectRefusedAtRequestTimeout() async throws {
            await channel.testingEventLoop.advanceTime(by: .seconds(Int64(ServiceLimits().requestTimeoutSeconds - 1)))
            #expect(try await channel.readOutbound(as: HTTP2Frame.FramePayload.self) == nil)
            await channel.testingEventLoop.advanceTime(by: .seconds(2))
            let trailers = try #require(try await answer())
            #expect(trailers.first(name: "hephaestus-error-code") == "service.request-timeout")
            #expect(budget.heldBytes == 0)
            #expect(try await audit().map(\.code) == ["service.request-timeout"])
        }

        /// Becomes true when the stream is closed (reset).
        func closed() -> ClosedFlag {
            let flag = ClosedFlag()
            channel.closeFuture.whenComplete { _ in flag.set() }
            return flag
        }

        /// The handler's answer (its trailers). If none is written within 30 s the channel is closed, which fails the
        /// wait: a handler that never answers fails its test instead of hanging the suite.
        func answer() async throws -> HPACKHeaders? {
            let channel = self.channel
            let watchdog = Task {
                try await Task.sleep(for: .seconds(30))
                try await channel.close()
            }
            defer { watchdog.cancel() }
            return GRPCRequestBudgetHandlerTests.trailers(try await channel.waitForOutboundWrite(as: HTTP2Frame.FramePayload.self))
        }
    }

    static func message(_ length: Int) -> [UInt8] {
        [0, UInt8(length >> 24 & 0xFF), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
            + [UInt8](repeating: 1, count: length)
    }

    static func trailers(_ frame: HTTP2Frame.FramePayload) -> HPACKHeaders? {
        guard case .headers(let headers) = frame, headers.endStream else { return nil }
        return headers.headers
    }

    @Test("a one-message call's bytes are held until its response message is written")
    func unaryHeldUntilAnswered() async throws {
        let setup = try await Setup(budget: 10_000)
        try await setup.headers(path: "/hephaestus.v1.Verification/VerifyBundle", token: setup.token)
        try await setup.data(Self.message(4000), end: true)
        #expect(try await setup.forwarded().count == 2)
        #expect(setup.budget.heldBytes == 4000)
        // The response message, split over two frames: given back when its last byte is written.
        let response = Self.message(100)
        try await setup.channel.writeOutbound(HTTP2Frame.FramePayload.data(.init(data: .byteBuffer(ByteBuffer(bytes: response[..<50])))))
        #expect(setup.budget.heldBytes == 4000)
        try await setup.channel.writeOutbound(HTTP2Frame.FramePayload.data(.init(data: .byteBuffer(ByteBuffer(bytes: response[50...])))))
        #expect(setup.budget.heldBytes == 0)
        _ = try await setup.channel.finish()
    }

    @Test("a one-message call the budget cannot cover is refused UNAVAILABLE service.busy, audited, its bytes not passed on")
    func unaryRefusedWhenBusy() async throws {
        let setup = try await Setup(budget: 10_000)
        let other = BodyReservation(setup.budget)
        try other.grow(to: 8000)
        try await setup.headers(path: "/hephaestus.v1.Verification/VerifyBundle", token: setup.token)
        try await setup.data(Self.message(4000), end: true)
        let trailers = try #require(try await setup.answer())
        #expect(trailers.first(name: "grpc-status") == "14")
        #expect(trailers.first(name: "hephaestus-error-code") == "service.busy")
        #expect(trailers.first(name: "retry-after") == "1")
        #expect(trailers.first(name: "grpc-message")?.contains("max_body_bytes_in_flight") == true)
        let forwarded = try await setup.forwarded()
        #expect(forwarded.count == 1, "only the headers reached grpc-swift")
        #expect(setup.budget.heldBytes == 8000)
        let audit = try await setup.audit()
        #expect(audit.count == 1)
        #expect(audit.first?.code == "service.busy" && audit.first?.status == "UNAVAILABLE" && audit.first?.account == "ci")
        #expect(audit.first?.operation == "verify.bundle" && audit.first?.transport == .grpc)
    }

    @Test("a one-message call's message over the gRPC message limit is refused RESOURCE_EXHAUSTED from its prefix, audited")
    func unaryTooLarge() async throws {
        let setup = try await Setup(budget: 100_000, maxBody: 4096)
        try await setup.headers(path: "/hephaestus.v1.Verification/VerifyBundle", token: setup.token)
        try await setup.data(Array(Self.message(5000)[..<1000]))
        let trailers = try #require(try await setup.answer())
        #expect(trailers.first(name: "grpc-status") == "8")
        #expect(trailers.first(name: "hephaestus-error-code") == "service.body-too-large")
        #expect(try await setup.forwarded().count == 1, "only the headers reached grpc-swift")
        #expect(setup.budget.heldBytes == 0)
        let audit = try await setup.audit()
        #expect(audit.count == 1 && audit.first?.code == "service.body-too-large" && audit.first?.status == "RESOURCE_EXHAUSTED", "\(audit)")
        #expect(audit.first?.account == "ci" && audit.first?.operation == "verify.bundle")
    }

    @Test("an operation's request message holds eight times its length, and one over the operation limit is refused")
    func operationMessages() async throws {
        let setup = try await Setup(budget: 100_000, maxBody: 4096)
        try await setup.headers(path: "/hephaestus.v1.Operations/Call", token: setup.token)
        try await setup.data(Self.message(1000), end: true)
        #expect(setup.budget.heldBytes == 8000)
        try await setup.channel.writeOutbound(HTTP2Frame.FramePayload.data(.init(data: .byteBuffer(ByteBuffer(bytes: Self.message(10))))))
        #expect(setup.budget.heldBytes == 0)

        let over = try await Setup(budget: 100_000, maxBody: 4096, maxOperationBody: 2048)
        try await over.headers(path: "/hephaestus.v1.Operations/Call", token: over.token)
        try await over.data(Array(Self.message(3000)[..<1000]))
        let trailers = try #require(try await over.answer())
        #expect(trailers.first(name: "grpc-status") == "8" && trailers.first(name: "hephaestus-error-code") == "service.body-too-large")
        #expect(over.budget.heldBytes == 0)
    }

    @Test("a caller without an account is refused while its long message is still arriving, and holds nothing")
    func unauthenticatedLongMessage() async throws {
        let setup = try await Setup(budget: 1_000_000)
        try await setup.headers(path: "/hephaestus.v1.Operations/Call", token: nil)
        try await setup.data(Array(Self.message(50_000)[..<1000]))
        let trailers = try #require(try await setup.answer())
        #expect(trailers.first(name: "grpc-status") == "16")
        #expect(trailers.first(name: "hephaestus-error-code") == "auth.missing")
        #expect(setup.budget.heldBytes == 0)
        try await setup.data([UInt8](repeating: 1, count: 1000))
        #expect(try await setup.forwarded().count == 2, "nothing after the refusal is passed on")
        let audit = try await setup.audit()
        #expect(audit.map(\.status) == ["UNAUTHENTICATED"])
        #expect(audit.first?.operation == "grpc /hephaestus.v1.Operations/Call")
    }

    @Test("a one-message call whose message does not arrive within the request timeout is refused")
    func unaryDeadline() async throws {
        let setup = try await Setup(budget: 100_000)
        try await setup.headers(path: "/hephaestus.v1.Verification/VerifyBundle", token: setup.token)
        try await setup.data(Array(Self.message(50_000)[..<1000]))
        #expect(setup.budget.heldBytes == 50_000)
        try await setup.expectRefusedAtRequestTimeout()
    }

    @Test("a one-message call whose message is whole but whose request never ends is refused at the request timeout, audited")
    func unaryWithoutEndOfStream() async throws {
        let setup = try await Setup(budget: 100_000)
        try await setup.headers(path: "/hephaestus.v1.Operations/Call", token: setup.token)
        try await setup.data(Self.message(1000))
        #expect(setup.budget.heldBytes == 8000, "held: grpc-swift runs the call only once the request ends")
        try await setup.expectRefusedAtRequestTimeout()
    }

    @Test("a caller without an account whose whole message came without the request's end is refused at once, and holds nothing")
    func unauthenticatedWithoutEndOfStream() async throws {
        let setup = try await Setup(budget: 100_000)
        try await setup.headers(path: "/hephaestus.v1.Operations/Call", token: nil)
        try await setup.data(Self.message(1000))
        let trailers = try #require(try await setup.answer())
        #expect(trailers.first(name: "hephaestus-error-code") == "auth.missing")
        #expect(setup.budget.heldBytes == 0)
        #expect(try await setup.audit().map(\.status) == ["UNAUTHENTICATED"])
    }

    @Test("a streamed request's message that stops arriving resets the stream at the request timeout; time waiting for room does not count")
    func streamedMessageDeadline() async throws {
        let timeout = Int64(ServiceLimits().requestTimeoutSeconds)
        let setup = try await Setup(budget: 100_000)
        try await setup.headers(path: "/hephaestus.v1.Verification/VerifyBatch", token: setup.token)
        try await setup.data(Self.message(10) + Array(Self.message(50_000)[..<1000]))
        #expect(setup.budget.heldBytes == 50_010)
        let closed = setup.closed()
        await setup.channel.testingEventLoop.advanceTime(by: .seconds(timeout - 1))
        #expect(!closed.value && setup.budget.heldBytes == 50_010)
        await setup.channel.testingEventLoop.advanceTime(by: .seconds(2))
        #expect(closed.value, "the stream is reset")
        #expect(setup.budget.heldBytes == 0)

        // Waiting for room: held back by the service, not by the client.
        let waiting = try await Setup(budget: 10_000)
        let other = BodyReservation(waiting.budget)
        try other.grow(to: 8000)
        try await waiting.headers(path: "/hephaestus.v1.Verification/VerifyBatch", token: waiting.token)
        try await waiting.data(Array(Self.message(4000)[..<100]))
        let waitingClosed = waiting.closed()
        await waiting.channel.testingEventLoop.advanceTime(by: .seconds(timeout * 3))
        #expect(!waitingClosed.value, "not timed out while it waited for room")
        other.release()
        await waiting.channel.testingEventLoop.run()
        #expect(waiting.budget.heldBytes == 4000)
        await waiting.channel.testingEventLoop.advanceTime(by: .seconds(timeout - 1))
        #expect(!waitingClosed.value)
        await waiting.channel.testingEventLoop.advanceTime(by: .seconds(2))
        #expect(waitingClosed.value, "timed out from when it was let in")
        #expect(waiting.budget.heldBytes == 0)
    }

    @Test("a method the service does not serve is UNIMPLEMENTED and audited (a caller without an account: UNAUTHENTICATED)")
    func unknownMethod() async throws {
        let setup = try await Setup(budget: 100_000)
        try await setup.headers(path: "/hephaestus.v1.Verification/Nothing", token: setup.token)
        let trailers = try #require(try await setup.answer())
        #expect(trailers.first(name: "grpc-status") == "12")
        #expect(trailers.first(name: "hephaestus-error-code") == "service.route-not-found")
        #expect(try await setup.forwarded().isEmpty, "grpc-swift never sees the call")
        let audit = try await setup.audit()
        #expect(audit.count == 1)
        #expect(audit.first?.status == "UNIMPLEMENTED" && audit.first?.code == "service.route-not-found" && audit.first?.account == "ci")
        #expect(audit.first?.operation == "grpc /hephaestus.v1.Verification/Nothing" && audit.first?.outcome == .refused)

        let anonymous = try await Setup(budget: 100_000)
        try await anonymous.headers(path: "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", token: nil)
        #expect(try #require(try await anonymous.answer()).first(name: "grpc-status") == "16")
        #expect(try await anonymous.audit().map(\.status) == ["UNAUTHENTICATED"])
        // Every method the service registers is let through.
        #expect(
            GRPCRequestBudgetHandler.methodPaths == [
                "/hephaestus.v1.Verification/VerifyBundle", "/hephaestus.v1.Verification/VerifyBatch", "/hephaestus.v1.Operations/Call",
                "/hephaestus.v1.Tasks/Start", "/hephaestus.v1.Tasks/Get", "/hephaestus.v1.Tasks/Cancel", "/hephaestus.v1.Tasks/Watch",
            ])
    }

    @Test("a streamed request waits for room instead of being refused, and goes on once bytes are given back")
    func streamingWaits() async throws {
        let setup = try await Setup(budget: 10_000)
        let other = BodyReservation(setup.budget)
        try other.grow(to: 8000)
        try await setup.headers(path: "/hephaestus.v1.Verification/VerifyBatch", token: setup.token)
        let message = Self.message(4000)
        try await setup.data(Array(message[..<2000]))
        try await setup.data(Array(message[2000...]))
        #expect(try await setup.forwarded().count == 2, "the headers and the frame the message began in; the rest waits")
        #expect(setup.budget.heldBytes == 8000)
        #expect(try await setup.channel.readOutbound(as: HTTP2Frame.FramePayload.self) == nil, "nothing refused")
        other.release()
        await setup.channel.testingEventLoop.run()
        #expect(try await setup.forwarded().count == 1, "the held frame is passed on")
        #expect(setup.budget.heldBytes == 4000)
        // Its result written: the message's bytes are given back.
        try await setup.channel.writeOutbound(HTTP2Frame.FramePayload.data(.init(data: .byteBuffer(ByteBuffer(bytes: Self.message(10))))))
        #expect(setup.budget.heldBytes == 0)
        _ = try await setup.channel.finish()
    }

    @Test("messages a streamed request waited for are given back one per result")
    func waitedForMessagesGivenBackOneByOne() async throws {
        let setup = try await Setup(budget: 10_000)
        let other = BodyReservation(setup.budget)
        try other.grow(to: 9000)
        try await setup.headers(path: "/hephaestus.v1.Verification/VerifyBatch", token: setup.token)
        try await setup.data(Self.message(3000) + Self.message(2000))
        #expect(setup.budget.heldBytes == 9000)
        other.release()
        await setup.channel.testingEventLoop.run()
        #expect(setup.budget.heldBytes == 5000)
        let result = HTTP2Frame.FramePayload.data(.init(data: .byteBuffer(ByteBuffer(bytes: Self.message(10)))))
        try await setup.channel.writeOutbound(result)
        #expect(setup.budget.heldBytes == 2000, "the first result gives back the first message only")
        try await setup.channel.writeOutbound(result)
        #expect(setup.budget.heldBytes == 0)
        _ = try await setup.channel.finish()
    }

    @Test("a stream's bytes are given back when it ends, answered or not")
    func givenBackAtEnd() async throws {
        let setup = try await Setup(budget: 100_000)
        try await setup.headers(path: "/hephaestus.v1.Verification/VerifyBatch", token: setup.token)
        try await setup.data(Self.message(3000) + Self.message(2000))
        #expect(setup.budget.heldBytes == 5000)
        _ = try await setup.channel.finish()
        #expect(setup.budget.heldBytes == 0)
    }
}

/// Set once, from a channel's close future.
final class ClosedFlag: Sendable {
    private let state = Mutex(false)
    var value: Bool { state.withLock { $0 } }
    func set() { state.withLock { $0 = true } }
}
