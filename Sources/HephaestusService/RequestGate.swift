import Foundation
import HephaestusCore
import HephaestusPlatform
import Logging

/// One request as a front end hands it to the gate.
public struct GateRequest: Sendable {
    /// The request's id (audit records of one request share it).
    public let requestID: String
    public let transport: AuditTransport
    /// The `Authorization` header value (gRPC: `authorization` metadata); nil when absent.
    public let authorization: String?
    public let action: GatedAction
    /// Where it came from (peer address), recorded when known.
    public let source: String?
    /// What it acts on, when it names one thing (`DELETE /v1/accounts/{name}`: the name; a task's id).
    public let target: String?

    public init(
        requestID: String, transport: AuditTransport, authorization: String?, action: GatedAction, source: String? = nil, target: String? = nil
    ) {
        self.requestID = requestID
        self.transport = transport
        self.authorization = authorization
        self.action = action
        self.source = source
        self.target = target
    }
}

/// A request the gate let through: its account, and the record of its outcome still to write.
public struct Admission: Sendable {
    public let request: GateRequest
    public let account: Account
    let gate: RequestGate

    /// Writes the outcome record: `succeeded`, `failed` or `cancelled` with the status the front end answers with
    /// (``AuditStatus``) and the error code, if any. Throws ``AuditError/unwritable(reason:)`` when it cannot be
    /// written: the front end then answers 503 / `UNAVAILABLE` instead of the result.
    public func finish(_ outcome: AuditOutcome, status: String, code: String? = nil) async throws(AuditError) {
        try await gate.record(request, account: account, outcome: outcome, status: status, code: code)
    }

    /// The outcome record of a thrown error: `cancelled` for a cancellation, `failed` with the error's code and
    /// status otherwise.
    public func finish(throwing error: any Error) async throws(AuditError) {
        if error is CancellationError {
            try await finish(.cancelled, status: AuditStatus.cancelled(request.transport))
            return
        }
        let coded = (error as? any CodedError) ?? GeneralError.unexpected("\(error)")
        try await finish(.failed, status: AuditStatus.of(coded.category, request.transport), code: coded.code)
    }
}

/// What every front end calls around every request: authenticate → authorise → audit (refuse with 503 when the
/// record cannot be written) → run → audit the outcome. Transport-independent: REST, gRPC and MCP adapters map its
/// errors to their statuses through the errors' categories (``AccessError``: 401 / 403, ``AuditError/unwritable(reason:)``:
/// 503).
public struct RequestGate: Sendable {
    public let authenticator: Authenticator
    public let audit: any AuditLog
    public let permissions: PermissionTable
    let logger: Logger

    public init(
        accounts: any AccountStore, audit: any AuditLog, permissions: PermissionTable = .standard, logger: Logger,
        clock: @escaping @Sendable () -> Date = Date.init
    ) {
        authenticator = Authenticator(accounts: accounts, clock: clock)
        self.audit = audit
        self.permissions = permissions
        self.logger = logger
    }

    public init(store: ServiceStore, permissions: PermissionTable = .standard, logger: Logger, clock: @escaping @Sendable () -> Date = Date.init) {
        self.init(accounts: store.accounts, audit: store.audit, permissions: permissions, logger: logger, clock: clock)
    }

    /// Authenticates and authorises `request` and records it `allowed`, or records it `refused` and throws the
    /// ``AccessError``. Throws ``AuditError/unwritable(reason:)`` instead when a record cannot be written (the request
    /// is refused either way), and ``ServiceStoreError`` when the accounts cannot be read. For calls that change
    /// something or stream their answer: what they do is on record before it starts.
    public func admit(_ request: GateRequest) async throws -> Admission {
        let admission = try await authorize(request)
        try await record(request, account: admission.account, outcome: .allowed, status: AuditStatus.ok(request.transport))
        return admission
    }

    /// ``admit(_:)`` without the `allowed` record: for a call whose whole answer is held until its outcome is recorded
    /// (``GatedAction/isReadOnly``, unary), so that record is the request's one record and an unwritable log still
    /// refuses it. Refusals are recorded here as in ``admit(_:)``.
    public func authorize(_ request: GateRequest) async throws -> Admission {
        let account: Account
        do {
            account = try await authenticator.authenticate(authorization: request.authorization)
            try permissions.authorize(request.action, for: account)
        } catch let refusal as AccessError {
            let known = refusalAccount(refusal)
            try await record(
                request, account: known.account, role: known.role, outcome: .refused, status: AuditStatus.of(refusal.category, request.transport),
                code: refusal.code)
            throw refusal
        } catch {
            // The accounts could not be read: refused, and recorded if the log can be written.
            let coded = (error as? any CodedError) ?? ServiceStoreError.unavailable(location: "accounts", reason: "\(error)")
            try await record(
                request, account: nil, role: nil, outcome: .refused, status: AuditStatus.of(coded.category, request.transport), code: coded.code)
            throw coded
        }
        return Admission(request: request, account: account, gate: self)
    }

    /// Authorises `request`, runs `body` with the admission, and records its outcome (`succeeded` with the transport's
    /// OK status, or the thrown error's): one record for a read-only call, `allowed` before as well for one that
    /// changes something. For front ends whose success status depends on the result (202, a negative verdict), call
    /// ``admit(_:)`` or ``authorize(_:)`` and ``Admission/finish(_:status:code:)`` themselves.
    public func perform<T: Sendable>(_ request: GateRequest, _ body: (Admission) async throws -> T) async throws -> T {
        let admission = request.action.isReadOnly ? try await authorize(request) : try await admit(request)
        let result: T
        do {
            result = try await body(admission)
        } catch {
            try await admission.finish(throwing: error)
            throw error
        }
        try await admission.finish(.succeeded, status: AuditStatus.ok(request.transport))
        return result
    }

    /// Records a request the transport refused before the gate could run (body too large, rate-limited, malformed,
    /// unknown route), with the account its token names when it names a valid one. Throws
    /// ``AuditError/unwritable(reason:)`` when the record cannot be written.
    public func recordRefusal(_ request: GateRequest, status: String, code: String?) async throws(AuditError) {
        let account = try? await authenticator.authenticate(authorization: request.authorization)
        try await record(request, account: account?.name, role: account?.role, outcome: .refused, status: status, code: code)
    }

    func record(_ request: GateRequest, account: Account, outcome: AuditOutcome, status: String, code: String? = nil) async throws(AuditError) {
        try await record(request, account: account.name, role: account.role, outcome: outcome, status: status, code: code)
    }

    private func record(
        _ request: GateRequest, account: String?, role: Role?, outcome: AuditOutcome, status: String, code: String?
    ) async throws(AuditError) {
        let entry = AuditEntry(
            time: authenticator.clock(), requestID: request.requestID, account: account, role: role, transport: request.transport,
            operation: request.action.name, outcome: outcome, status: status, code: code, source: request.source,
            target: request.target)
        do {
            _ = try await audit.append(entry)
        } catch {
            logger.error(
                "audit.unwritable",
                metadata: ["request_id": .string(request.requestID), "operation": .string(request.action.name), "reason": .string("\(error)")])
            throw error
        }
    }

    /// The account a refusal names (expired, revoked, forbidden ones), for its audit record.
    private func refusalAccount(_ refusal: AccessError) -> (account: String?, role: Role?) {
        switch refusal {
        case .expired(let account), .revoked(let account): (account, nil)
        case .forbidden(let account, let role, _, _): (account, role)
        case .missingCredentials, .malformedCredentials, .unknownToken: (nil, nil)
        }
    }
}

/// Statuses as each transport states them in audit records: HTTP status for REST and MCP, the gRPC code name for
/// gRPC, the exit status for the CLI — all from the one category table (``ErrorCategory``).
public enum AuditStatus {
    public static func ok(_ transport: AuditTransport) -> String {
        switch transport {
        case .rest, .mcp: "200"
        case .grpc: GRPCStatusCode.ok.name
        case .cli: "0"
        }
    }

    public static func of(_ category: ErrorCategory, _ transport: AuditTransport) -> String {
        switch transport {
        case .rest, .mcp: String(category.httpStatus)
        case .grpc: category.grpcStatus.name
        case .cli: String(category.exitStatus.rawValue)
        }
    }

    /// A cancelled request: 499 (client closed request, as nginx records it), `CANCELLED`, 130 (SIGINT) for the CLI.
    public static func cancelled(_ transport: AuditTransport) -> String {
        switch transport {
        case .rest, .mcp: "499"
        case .grpc: GRPCStatusCode.cancelled.name
        case .cli: "130"
        }
    }
}
