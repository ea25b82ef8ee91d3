import Foundation
import HephaestusPlatform
import Logging
import Synchronization
import Tracing

/// What an operation may use besides its request, given by the front end that runs it: the run id, a logger, the
/// clock, the environment it may read credentials from, HTTP, progress events, confirmations, cancellation, the
/// secret redactor of this run, and the instrumentation (tracing, metrics).
///
/// Operations reach nothing else of the process: no global redactor, no stdin, no process environment.
public struct OperationContext: Sendable {
    public let runID: RunID
    public let logger: Logger
    public let clock: @Sendable () -> Date
    /// The variables an operation may read (tokens, CI ambient credentials): the process's for the CLI, the service's
    /// configured ones on a server.
    public let environment: [String: String]
    /// HTTP, made on first use with the front end's settings (so commands that need no network load no libcurl).
    public let network: NetworkAccess
    public let progress: ProgressSink
    public let confirmation: any Confirming
    public let cancellation: Cancellation
    /// Secrets met during this run (tokens, passwords) are registered here and never appear in logs or reports.
    public let redactor: SecretRedactor
    public let instrumentation: any Instrumentation
    /// The service store (accounts, audit log, task queue) the front end has open: `hephaestus serve` and the MCP
    /// server pass theirs, so that the operations managing it (`accounts.*`, `audit.*`) use it and a request cannot
    /// name another; nil in a CLI run, where those operations open the store their request names.
    public let serviceStore: (any AttachedServiceStore)?

    public init(
        runID: RunID = .generate(), logger: Logger, clock: @escaping @Sendable () -> Date = Date.init, environment: [String: String] = [:],
        network: NetworkAccess? = nil, progress: ProgressSink = .none, confirmation: any Confirming = RefuseConfirmation(),
        cancellation: Cancellation = Cancellation(), redactor: SecretRedactor = SecretRedactor(),
        instrumentation: any Instrumentation = NoInstrumentation(), serviceStore: (any AttachedServiceStore)? = nil
    ) {
        self.runID = runID
        self.logger = logger
        self.clock = clock
        self.environment = environment
        self.network = network ?? NetworkAccess(settings: HTTPSettings(), logger: logger)
        self.progress = progress
        self.confirmation = confirmation
        self.cancellation = cancellation
        self.redactor = redactor
        self.instrumentation = instrumentation
        self.serviceStore = serviceStore
    }

    /// Throws `CancellationError` when the front end cancelled the run (a signal, a client gone).
    public func checkCancellation() throws {
        if cancellation.isCancelled { throw CancellationError() }
    }
}

/// A service store a front end holds open (HephaestusService's `ServiceStore`), as operations receive it; declared
/// here so that HephaestusCore knows no store.
public protocol AttachedServiceStore: Sendable {
    /// Where it is (`sqlite:/var/lib/hephaestus/service.sqlite`), as messages name it.
    var location: String { get }
}

// MARK: - HTTP

/// Timeouts, retries, deadline and CA bundle of every HTTP request of a run (the CLI's network options).
public struct HTTPSettings: Codable, Sendable, Equatable {
    public var timeout: Double = 60
    public var maxRetries: Int = 5
    public var retryBaseDelay: Double = 0.5
    public var retryMaxDelay: Double = 30
    public var deadline: Double = 600
    public var caBundle: String?

    public init(
        timeout: Double = 60, maxRetries: Int = 5, retryBaseDelay: Double = 0.5, retryMaxDelay: Double = 30, deadline: Double = 600,
        caBundle: String? = nil
    ) {
        self.timeout = timeout
        self.maxRetries = maxRetries
        self.retryBaseDelay = retryBaseDelay
        self.retryMaxDelay = retryMaxDelay
        self.deadline = deadline
        self.caBundle = caBundle
    }

    /// The retry policy, every value validated (errors name the CLI flag to fix).
    public func retryPolicy() throws(TransportError) -> RetryPolicy {
        try RetryPolicy(maxRetries: maxRetries, baseDelay: retryBaseDelay, maxDelay: retryMaxDelay, timeout: timeout, deadline: deadline)
    }
}

/// The run's HTTP client, made once on first use.
public final class NetworkAccess: Sendable {
    public let settings: HTTPSettings
    private let logger: Logger
    private let made: Mutex<HTTPClient?> = Mutex(nil)

    public init(settings: HTTPSettings, logger: Logger) {
        self.settings = settings
        self.logger = logger
    }

    /// The client (libcurl is loaded now, not before).
    public func client() throws -> HTTPClient {
        try made.withLock { made in
            if let made { return made }
            let client = HTTPClient(
                transport: CurlTransport(caBundle: settings.caBundle, userAgent: "hephaestus/\(HephaestusVersion.current)"),
                policy: try settings.retryPolicy(), observe: TransportLog.observer(logger))
            made = client
            return client
        }
    }
}

// MARK: - Progress

/// Progress of a run as events, for whoever shows it: the CLI draws bars on a terminal, a service streams them.
public struct ProgressSink: Sendable {
    /// One event.
    public enum Event: Sendable, Equatable {
        /// `done` of `total` (when known) bytes of the transfer called `label` (a file name).
        case transfer(label: String, done: Int64, total: Int64?)
        /// A stage of the work began (`fetch`, `checksum`, `sigstore`, `extract`, `install`).
        case stage(String)
    }

    private let deliver: (@Sendable (Event) -> Void)?

    public init(_ deliver: @escaping @Sendable (Event) -> Void) {
        self.deliver = deliver
    }

    private init() {
        deliver = nil
    }

    /// Nobody listens: operations skip the work of reporting.
    public static let none = ProgressSink()

    public var isObserved: Bool { deliver != nil }

    public func send(_ event: Event) {
        deliver?(event)
    }

    /// A byte-count feed for one transfer, or nil when nobody listens.
    public func transferFeed(label: String) -> (@Sendable (Int64, Int64?) -> Void)? {
        guard let deliver else { return nil }
        return { done, total in deliver(.transfer(label: label, done: done, total: total)) }
    }
}

// MARK: - Confirmation

/// A typed confirmation an operation needs before something it cannot undo: the user must type `expected`.
public struct ConfirmationRequest: Sendable, Equatable {
    /// What is about to happen, shown to the user.
    public let prompt: String
    /// What the user must type to go ahead (a tag, a path).
    public let expected: String

    public init(prompt: String, expected: String) {
        self.prompt = prompt
        self.expected = expected
    }
}

/// Answers confirmations: the CLI asks at a terminal, a service takes the answer from the request.
public protocol Confirming: Sendable {
    /// What the user typed, or nil when nobody can be asked.
    func answer(_ request: ConfirmationRequest) async -> String?
}

/// Nobody to ask: every confirmation goes unanswered.
public struct RefuseConfirmation: Confirming {
    public init() {}
    public func answer(_ request: ConfirmationRequest) async -> String? { nil }
}

/// An answer given in advance (`--confirm TAG`, a service request's field).
public struct GivenConfirmation: Confirming {
    public let text: String
    public init(_ text: String) { self.text = text }
    public func answer(_ request: ConfirmationRequest) async -> String? { text }
}

// MARK: - Cancellation

/// Set by the front end when the run must stop (a signal, a client that went away); operations check it between
/// units of work, so nothing is left half done.
public final class Cancellation: Sendable {
    private let flag = Atomic<Bool>(false)

    public init() {}

    public var isCancelled: Bool { flag.load(ordering: .acquiring) }

    public func cancel() {
        flag.store(true, ordering: .releasing)
    }
}

// MARK: - Instrumentation

/// Where tracing plugs in: every operation and each stage of one runs inside ``withSpan(_:attributes:_:)``.
public protocol Instrumentation: Sendable {
    /// Runs `body` in a span named `name`, a child of the active span. An error thrown by `body` marks the span failed
    /// (an error status, an `exception` event, `error.type` the error's code); `body` gets the span to mark a negative
    /// verdict it returns rather than throws.
    func withSpan<T>(_ name: String, attributes: [String: String], _ body: (ActiveSpan) async throws -> T) async throws -> T

    /// Runs `body` with the span a W3C `traceparent` names as the parent of the spans it starts: work handed on
    /// (a queued task) continues the trace of the request that handed it on. Nil, or no tracing: `body` as is.
    func continuing<T>(_ traceparent: String?, _ body: () async throws -> T) async throws -> T
}

extension Instrumentation {
    /// Without tracing there is no trace to continue.
    public func continuing<T>(_ traceparent: String?, _ body: () async throws -> T) async throws -> T {
        try await body()
    }

    /// A span around `body`, which has no use for the span itself.
    public func withSpan<T>(_ name: String, attributes: [String: String] = [:], _ body: () async throws -> T) async throws -> T {
        try await withSpan(name, attributes: attributes) { (_: ActiveSpan) in try await body() }
    }
}

/// The span a body runs in, to record a failure that is not thrown; does nothing when tracing is off.
public struct ActiveSpan: Sendable {
    let span: (any Span)?

    public init(_ span: (any Span)?) {
        self.span = span
    }

    /// Nothing traced.
    public static let none = ActiveSpan(nil)

    /// Marks the span failed with a coded error: error status with the message, `error.type` the code, and a
    /// `hephaestus.failure` event naming both.
    public func fail(_ error: any CodedError) {
        guard let span, span.isRecording else { return }
        span.attributes["error.type"] = error.code
        span.addEvent(SpanEvent(name: "hephaestus.failure", attributes: ["code": .string(error.code), "message": .string("\(error)")]))
        span.setStatus(SpanStatus(code: .error, message: "\(error)"))
    }
}

/// No tracing: the body runs as is.
public struct NoInstrumentation: Instrumentation {
    public init() {}
    public func withSpan<T>(_ name: String, attributes: [String: String], _ body: (ActiveSpan) async throws -> T) async throws -> T {
        try await body(.none)
    }
}

/// Tracing through a swift-distributed-tracing tracer (the front end's ``HephaestusTelemetry/RecordingTracer``), made
/// the task's tracer for everything the body does: HTTP requests and verification steps become child spans, on the
/// threads of blocking work too.
public struct TracingInstrumentation: Instrumentation {
    public let tracer: any Tracer

    public init(tracer: any Tracer) {
        self.tracer = tracer
    }

    public func withSpan<T>(_ name: String, attributes: [String: String], _ body: (ActiveSpan) async throws -> T) async throws -> T {
        try await withTracer(tracer) { () async throws -> T in
            let span = tracer.startSpan(name, context: InstrumentationContext.current ?? .topLevel, ofKind: .internal)
            defer { span.end() }
            if span.isRecording {
                for (key, value) in attributes { span.attributes[key] = value }
            }
            do {
                return try await InstrumentationContext.$current.withValue(span.context) { try await body(ActiveSpan(span)) }
            } catch {
                if span.isRecording {
                    span.attributes["error.type"] = (error as? any CodedError)?.code ?? String(describing: type(of: error))
                    span.recordError(error)
                    span.setStatus(SpanStatus(code: .error, message: "\(error)"))
                }
                throw error
            }
        }
    }

    public func continuing<T>(_ traceparent: String?, _ body: () async throws -> T) async throws -> T {
        guard let traceparent else { return try await body() }
        return try await InstrumentationContext.$current.withValue(TraceParent.context(traceparent, tracer: tracer)) { try await body() }
    }
}
