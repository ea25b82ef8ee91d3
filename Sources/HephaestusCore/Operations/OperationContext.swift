import Foundation
import HephaestusPlatform
import Logging
import Synchronization

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

/// Where tracing and metrics plug in: every operation and each stage of one runs inside ``withSpan(_:attributes:_:)``.
public protocol Instrumentation: Sendable {
    func withSpan<T>(_ name: String, attributes: [String: String], _ body: () async throws -> T) async rethrows -> T
}

/// No tracing, no metrics: the body runs as is.
public struct NoInstrumentation: Instrumentation {
    public init() {}
    public func withSpan<T>(_ name: String, attributes: [String: String], _ body: () async throws -> T) async rethrows -> T {
        try await body()
    }
}
