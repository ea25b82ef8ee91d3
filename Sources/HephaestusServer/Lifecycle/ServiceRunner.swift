import CoreMetrics
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import HephaestusCore
import HephaestusPlatform
import HephaestusService
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import Synchronization

/// Runs the service: the REST server, the gRPC server and the task workers in one service group. SIGTERM (or SIGINT)
/// drains it: new requests are refused (503 / `UNAVAILABLE`), running requests finish, the workers give their
/// running tasks back to the queue (checkpointed: requeued or failed with the reason), and the process exits 0.
public struct ServiceRunner: Sendable {
    public let settings: ServiceSettings
    public let logger: Logger

    public init(settings: ServiceSettings, logger: Logger) {
        self.settings = settings
        self.logger = logger
    }

    /// Seconds a drain may take beyond the request timeout or the workers' grace, whichever is longer (for the workers
    /// to give their tasks back).
    static let drainMargin = 10

    public func run() async throws {
        ServiceMemory.configure()
        let store = try await ServiceStoreOpening.open(settings.store, environment: settings.environment, logger: logger)
        let roots = try TrustRoots(defaultSelection: settings.trust, extra: settings.extraTrustedRoots)
        let telemetry = ServiceTelemetry(environment: settings.environment, settings: settings.metrics, logger: logger)
        MetricsSystem.bootstrap(telemetry.metricsFactory)
        defer { telemetry.flush() }
        let core = ServiceCore(
            verification: BundleVerificationService(roots: roots), limits: settings.limits, logger: logger, serviceStore: store,
            choices: settings.choices, instrumentation: telemetry.instrumentation)
        let calls = CallGate(gate: RequestGate(store: store, logger: logger), core: core)
        let tasks = TaskService(queue: store.tasks, choices: settings.choices, isDraining: { core.isDraining })
        if settings.insecureListen {
            logger.warning(
                "serve.insecure-listen", metadata: ["rest": .string("\(settings.rest)"), "grpc": .string(settings.grpc.map { "\($0)" } ?? "off")])
        }
        let addresses = BoundAddresses()
        // Stopped last (services stop in reverse order): spans of draining requests are still sent.
        var services: [any Service] = telemetry.tracer == nil ? [] : [SpanExportSchedule(telemetry: telemetry)]
        services.append(try restApplication(calls: calls, tasks: tasks, store: store, telemetry: telemetry, addresses: addresses))
        if let grpc = settings.grpc {
            services.append(
                try GRPCService(
                    address: grpc, tls: settings.tls, calls: calls, tasks: tasks, addresses: addresses, logger: logger,
                    interceptors: [GRPCTelemetryInterceptor(telemetry: telemetry)]))
        }
        let workers = try ServiceWorkers(
            store: store, replica: settings.replica, workers: settings.limits.maxConcurrentTasks, environment: [:], logger: logger,
            instrumentation: telemetry.instrumentation)
        services.append(workers)
        services.append(
            DrainingSignal(core: core, addresses: addresses, portFile: settings.portFile, expected: settings.grpc == nil ? 1 : 2, logger: logger))
        var configuration = ServiceGroupConfiguration(
            services: services.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint], cancellationSignals: [], logger: logger)
        // A drain ends: once every request's own limit and the workers' grace have passed (and a margin for giving the
        // tasks back), what a client still keeps open (a batch stream it keeps sending on) is cancelled.
        let longest = max(settings.limits.requestTimeoutSeconds, Int(workers.pool.configuration.drainGrace.rounded(.up)))
        configuration.maximumGracefulShutdownDuration = .seconds(longest + Self.drainMargin)
        let group = ServiceGroup(configuration: configuration)
        try await group.run()
        logger.info("serve.stopped")
    }

    private func restApplication(
        calls: CallGate, tasks: TaskService, store: ServiceStore, telemetry: ServiceTelemetry, addresses: BoundAddresses
    ) throws -> any Service {
        let routes = try RESTRoutes(calls: calls, tasks: tasks)
        let router = routes.router()
        MetricsRoute.register(on: router, telemetry: telemetry, tasks: store.tasks, bodyBudget: calls.core.bodyBudget)
        DashboardRoutes(calls: calls, telemetry: telemetry, tasks: store.tasks, audit: store.audit, secureCookies: settings.tls != nil)
            .register(on: router)
        let limits = settings.limits
        let logger = self.logger
        let malformed: @Sendable (String) -> Void = { reason in
            Task {
                let request = GateRequest(
                    requestID: UUID.randomLowercased(), transport: .rest, authorization: nil, action: .unknown("http.malformed"))
                try? await calls.refuse(request, ServiceLimitError.malformedHTTP(reason))
            }
            logger.notice("request.malformed", metadata: ["reason": .string(reason)])
        }
        var http1 = HTTP1Channel.Configuration(
            additionalChannelHandlers: [
                ReadSizeLimit(),
                RequestDeadlineHandler(requestTimeout: .seconds(Int64(limits.requestTimeoutSeconds)), onMalformed: malformed),
            ],
            idleTimeout: .seconds(Int64(limits.headerTimeoutSeconds)))
        http1.httpDecoder = .init(maxHeaderFieldSize: 16 << 10, maxHeaderListSize: 64 << 10, maxHeaderFieldCount: 200)
        let server: HTTPServerBuilder
        if let tls = settings.tls {
            server = try .tls(.http1(configuration: http1), tlsConfiguration: try TLSMaterial.serverConfiguration(tls))
        } else {
            server = .http1(configuration: http1)
        }
        return Application(
            responder: RESTTelemetryResponder(inner: router.buildResponder(), telemetry: telemetry), server: server,
            configuration: .init(address: .hostname(settings.rest.host, port: settings.rest.port), serverName: "hephaestus"),
            onServerRunning: { channel in
                addresses.record(rest: channel.localAddress.map(BoundAddresses.describe) ?? "\(settings.rest)")
            },
            logger: logger)
    }
}

/// TLS from PEM files, for both servers.
enum TLSMaterial {
    static func serverConfiguration(_ files: TLSFiles) throws -> TLSConfiguration {
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(files.certificate).map { NIOSSLCertificateSource.certificate($0) }
            let key = try NIOSSLPrivateKey(file: files.key, format: .pem)
            var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
            configuration.minimumTLSVersion = .tlsv12
            configuration.applicationProtocols = ["http/1.1"]
            return configuration
        } catch {
            throw RequestError("cannot use --tls-certificate \(files.certificate) and --tls-key \(files.key): \(error)")
        }
    }
}

/// The addresses the servers bound, written to `--port-file` once all are listening.
final class BoundAddresses: Sendable {
    private let state = Mutex<(rest: String?, grpc: String?, waiters: [CheckedContinuation<Void, Never>])>((nil, nil, []))

    func record(rest: String) { update { $0.rest = rest } }
    func record(grpc: String) { update { $0.grpc = grpc } }

    private func update(_ change: (inout (rest: String?, grpc: String?, waiters: [CheckedContinuation<Void, Never>])) -> Void) {
        let waiters = state.withLock { state in
            change(&state)
            let waiters = state.waiters
            state.waiters = []
            return waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Waits until `count` addresses are known, then returns them.
    func wait(for count: Int) async -> (rest: String?, grpc: String?) {
        while true {
            let current = state.withLock { ($0.rest, $0.grpc) }
            if [current.0, current.1].compactMap({ $0 }).count >= count { return current }
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state in
                    if [state.rest, state.grpc].compactMap({ $0 }).count >= count { return true }
                    state.waiters.append(continuation)
                    return false
                }
                if ready { continuation.resume() }
            }
        }
    }

    static func describe(_ address: NIOCore.SocketAddress) -> String {
        let host = address.ipAddress ?? "localhost"
        return host.contains(":") ? "[\(host)]:\(address.port ?? 0)" : "\(host):\(address.port ?? 0)"
    }
}

/// Writes the port file once the servers listen, and turns the graceful-shutdown signal into draining (new requests
/// refused at once, while the servers finish the running ones).
struct DrainingSignal: Service {
    let core: ServiceCore
    let addresses: BoundAddresses
    let portFile: String?
    let expected: Int
    let logger: Logger

    func run() async throws {
        let bound = await addresses.wait(for: expected)
        logger.info("serve.listening", metadata: ["rest": .string(bound.rest ?? ""), "grpc": .string(bound.grpc ?? "off")])
        if let portFile {
            var document: [String: String] = [:]
            document["rest"] = bound.rest
            document["grpc"] = bound.grpc
            let bytes = Array(try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])) + [0x0A]
            try AtomicFileWriter.write(bytes, to: portFile, overwrite: true)
        }
        try? await gracefulShutdown()
        core.beginDraining()
        logger.info("serve.draining")
    }
}
