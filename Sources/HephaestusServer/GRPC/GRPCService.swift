import GRPCCore
import GRPCNIOTransportHTTP2
import HephaestusCore
import Logging
import ServiceLifecycle

/// The gRPC server (HTTP/2 over NIO, TLS when the service has a certificate) as a service of the group: it stops
/// accepting calls on graceful shutdown and returns once the running ones finished.
struct GRPCService: Service {
    let server: GRPCServer<HTTP2ServerTransport.Posix>
    let transport: HTTP2ServerTransport.Posix
    let addresses: BoundAddresses
    let logger: Logger

    init(
        address: ListenAddress, tls: TLSFiles?, calls: CallGate, tasks: TaskService, addresses: BoundAddresses, logger: Logger,
        interceptors: [any ServerInterceptor] = []
    ) throws {
        let host = address.host == "localhost" ? "127.0.0.1" : address.host
        let socket: GRPCNIOTransportCore.SocketAddress =
            host.contains(":") ? .ipv6(host: host, port: address.port) : .ipv4(host: host, port: address.port)
        let security: HTTP2ServerTransport.Posix.TransportSecurity =
            tls.map { files in
                .tls(certificateChain: [.file(path: files.certificate, format: .pem)], privateKey: .file(path: files.key, format: .pem))
            } ?? .plaintext
        var config = HTTP2ServerTransport.Posix.Config.defaults
        config.rpc.maxRequestPayloadSize = calls.core.limits.maxGRPCMessageBytes
        // Every stream's request messages are held to the body budget before grpc-swift collects them.
        config.channelDebuggingCallbacks.onAcceptHTTP2Stream = { stream in
            stream.eventLoop.makeCompletedFuture {
                try stream.pipeline.syncOperations.addHandler(GRPCRequestBudgetHandler(calls: calls), position: .first)
            }
        }
        let transport = HTTP2ServerTransport.Posix(address: socket, transportSecurity: security, config: config)
        self.transport = transport
        let grpc = GRPCCalls(calls: calls)
        server = GRPCServer(
            transport: transport,
            services: [VerificationGRPCService(grpc: grpc), OperationsGRPCService(grpc: grpc), TasksGRPCService(grpc: grpc, tasks: tasks)],
            interceptors: interceptors)
        self.addresses = addresses
        self.logger = logger
    }

    func run() async throws {
        let server = self.server
        let addresses = self.addresses
        let transport = self.transport
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { try await server.serve() }
                group.addTask {
                    let bound = try await transport.listeningAddress
                    if let ipv4 = bound.ipv4 {
                        addresses.record(grpc: "\(ipv4.host):\(ipv4.port)")
                    } else if let ipv6 = bound.ipv6 {
                        addresses.record(grpc: "[\(ipv6.host)]:\(ipv6.port)")
                    }
                }
            }
        } onGracefulShutdown: {
            server.beginGracefulShutdown()
        }
    }
}
