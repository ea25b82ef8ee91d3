import HephaestusCore

/// What one client may cost the service: body size, how long headers and requests may take, how often an account may
/// call, how many tasks run at once. Defaults per the service contract; `[limits]` and `[rate_limits]` of the
/// configuration file change them.
public struct ServiceLimits: Sendable, Equatable {
    /// Largest request body (413 beyond).
    public var maxBodyBytes: Int = 32 << 20
    /// Largest gRPC request message (`RESOURCE_EXHAUSTED` beyond). Half the body limit by default, at most 16 MiB:
    /// grpc-swift's transport holds a message's bytes twice while it decodes it, and the decoded request until the call
    /// ends, so a message costs about twice what a REST body of its size costs (``maxBodyBytes`` when that is lower).
    public var maxGRPCMessageBytes: Int = 16 << 20
    /// Largest request of a registered operation (`POST /v1/<group>/<name>`, `POST /v1/tasks`, gRPC `Operations.Call`
    /// and `Tasks.Start`): 1 MiB by default (``maxBodyBytes`` when that is lower). Such a request names files and
    /// options; its parse and its report cost several times its size, so it reserves ``operationRequestCost`` times
    /// its bytes in the body budget.
    public var maxOperationBodyBytes: Int = 1 << 20
    /// How many times its size an operation's request reserves in the body budget.
    public static let operationRequestCost = 8
    /// Bytes of request bodies held at once by every REST request and gRPC call together (503 `service.busy` beyond:
    /// see ``BodyBudget``). At least `maxBodyBytes` and `maxGRPCMessageBytes`, so that the largest body is taken when the
    /// service is idle (a configuration that raises either alone raises this with it).
    public var maxBodyBytesInFlight: Int = 32 << 20
    /// Largest body of `POST /v1/analytics/events`, which is streamed into the event store rather than held (413
    /// beyond; the request timeout bounds the upload's duration too).
    public var maxEventBodyBytes: Int = 4 << 30
    /// Time a client has to send a request's headers (and the idle time of a kept-alive connection).
    public var headerTimeoutSeconds: Int = 10
    /// Time a request may take, from its first byte to the end of a synchronous operation's answer.
    public var requestTimeoutSeconds: Int = 60
    /// Tasks running at once (further ones wait queued).
    public var maxConcurrentTasks: Int = 4
    /// Calls per minute and account, by the role a call needs (`operator`: the operations that change things); a
    /// role absent here is not limited (viewer and verifier calls, by default).
    public var callsPerMinute: [String: Int] = ["operator": 60]
    /// Per-account numbers that replace the role's for that account's limited calls (`ci-bot = 600`; 0: unlimited).
    public var accountCallsPerMinute: [String: Int] = [:]

    public init() {}

    /// The limits of a configuration file, defaults where it says nothing.
    public init(file: ConfigurationFile) throws(RequestError) {
        func positive(_ key: String, _ range: ClosedRange<Int64>) throws(RequestError) -> Int? {
            guard let value = try file.integer(key) else { return nil }
            try RequestError.checkRange(value, range, option: key)
            return Int(value)
        }
        if let value = try positive("limits.max_body_bytes", 1...(1 << 34)) { maxBodyBytes = value }
        if let value = try positive("limits.max_grpc_message_bytes", 1...(1 << 34)) {
            maxGRPCMessageBytes = value
        } else {
            maxGRPCMessageBytes = min(maxGRPCMessageBytes, maxBodyBytes)
        }
        let budget = try positive("limits.max_body_bytes_in_flight", 1...(1 << 36))
        if let value = try positive("limits.max_operation_body_bytes", 1...(1 << 30)) {
            maxOperationBodyBytes = value
        } else {
            // Never more than a body, nor more than the budget given can take.
            maxOperationBodyBytes = max(1, min(maxOperationBodyBytes, maxBodyBytes, (budget ?? Int.max) / Self.operationRequestCost))
        }
        let operationCost = maxOperationBodyBytes * Self.operationRequestCost
        maxBodyBytesInFlight = budget ?? max(maxBodyBytesInFlight, maxBodyBytes, maxGRPCMessageBytes, operationCost)
        for (key, largest) in [
            ("limits.max_body_bytes", maxBodyBytes), ("limits.max_grpc_message_bytes", maxGRPCMessageBytes),
            ("\(Self.operationRequestCost) × limits.max_operation_body_bytes", operationCost),
        ] {
            guard maxBodyBytesInFlight >= largest else {
                throw RequestError(
                    "limits.max_body_bytes_in_flight (\(maxBodyBytesInFlight)) must be at least \(key) (\(largest)), or the largest body would never be taken"
                )
            }
        }
        if let value = try positive("limits.max_event_body_bytes", 1...(1 << 44)) { maxEventBodyBytes = value }
        if let value = try positive("limits.header_timeout_seconds", 1...3600) { headerTimeoutSeconds = value }
        if let value = try positive("limits.request_timeout_seconds", 1...86400) { requestTimeoutSeconds = value }
        if let value = try positive("limits.max_concurrent_tasks", 1...256) { maxConcurrentTasks = value }
        for key in file.keys(under: "rate_limits.role") {
            guard let value = try positive("rate_limits.role.\(key)", 0...1_000_000) else { continue }
            callsPerMinute[key] = value == 0 ? nil : value
        }
        for key in file.keys(under: "rate_limits.account") {
            guard let value = try positive("rate_limits.account.\(key)", 0...1_000_000) else { continue }
            accountCallsPerMinute[key] = value
        }
    }

    /// A REST request's body.
    var body: BodyAllowance { BodyAllowance(maxBytes: maxBodyBytes) }
    /// A gRPC request message.
    var grpcMessage: BodyAllowance { BodyAllowance(maxBytes: maxGRPCMessageBytes) }
    /// An operation's request, over either transport.
    var operationRequest: BodyAllowance { BodyAllowance(maxBytes: maxOperationBodyBytes, cost: Self.operationRequestCost) }

    /// The calls per minute `account` may make of calls needing `requiredRole`; nil when unlimited.
    public func callsPerMinute(account: String, requiredRole: String) -> Int? {
        guard let limit = callsPerMinute[requiredRole] else { return nil }
        guard let own = accountCallsPerMinute[account] else { return limit }
        return own == 0 ? nil : own
    }
}

/// How large one request body (or gRPC message) may be, and how many bytes of the body budget each of its bytes
/// reserves: what its parse may take beyond the bytes themselves.
struct BodyAllowance: Sendable, Equatable {
    var maxBytes: Int
    var cost = 1
}
