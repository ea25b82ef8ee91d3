import Foundation
import HephaestusCore
import HephaestusPlatform
import HephaestusService

/// Every call of every transport passes here: refused while draining, then the service core's gate (authenticate,
/// authorise, audit — 503 when the record cannot be written), then the account's rate limit, then the work, then
/// the outcome's audit record. REST and gRPC differ only in how they spell statuses (``AuditTransport``).
public struct CallGate: Sendable {
    public let gate: RequestGate
    public let core: ServiceCore
    let limiter: RateLimiter

    public init(gate: RequestGate, core: ServiceCore, limiter: RateLimiter = RateLimiter()) {
        self.gate = gate
        self.core = core
        self.limiter = limiter
    }

    /// Admits the call (or throws the refusal, already audited) and counts it against the account's rate; the
    /// admission is recorded (`allowed`) before the call runs.
    public func admit(_ request: GateRequest) async throws -> Admission {
        try await admit(request, recordingAdmission: true)
    }

    private func admit(_ request: GateRequest, recordingAdmission: Bool) async throws -> Admission {
        if core.isDraining {
            try await refuse(request, ServiceLimitError.draining)
        }
        let admission = recordingAdmission ? try await gate.admit(request) : try await gate.authorize(request)
        do {
            try checkRate(admission)
        } catch {
            try await admission.finish(throwing: error)
            throw error
        }
        return admission
    }

    /// Admits the call, runs `body`, and records its outcome: `succeeded` with `status` (the transport's spelling of
    /// its success, `200`, `202`, `OK`), or the thrown error's. A record that cannot be written throws
    /// ``AuditError`` (503 / `UNAVAILABLE`) instead of the result. A read-only call's outcome is its one record; a
    /// call that changes something is recorded `allowed` before it runs as well.
    public func call<T: Sendable>(_ request: GateRequest, status: String, _ body: (Admission) async throws -> T) async throws -> T {
        let admission = try await admit(request, recordingAdmission: !request.action.isReadOnly)
        let result: T
        do {
            result = try await body(admission)
        } catch {
            try await admission.finish(throwing: error)
            throw error
        }
        try await admission.finish(.succeeded, status: status)
        return result
    }

    /// Records a call the transport refuses before the gate (a body over the limit, a malformed request, an unknown
    /// route, a draining service), then throws `error`.
    public func refuse(_ request: GateRequest, _ error: any CodedError) async throws -> Never {
        try await gate.recordRefusal(request, status: AuditStatus.of(error.category, request.transport), code: error.code)
        throw error
    }

    /// Refuses a call the transport cannot run as sent (a malformed body, an unknown route): an unauthenticated
    /// caller is told 401 first (deny by default), an authenticated one gets `error`; audited either way.
    public func refuseAfterAuthentication(_ request: GateRequest, _ error: any CodedError) async throws -> Never {
        _ = try await authenticate(request)
        try await refuse(request, error)
    }

    /// The caller's account, for a transport that must know it before the gate runs (before it reads a body that names
    /// the operation); a caller it refuses (401, 403) is audited and the refusal thrown, as is a store that cannot be
    /// read (503). The gate authenticates again when the call is admitted.
    public func authenticate(_ request: GateRequest) async throws -> Account {
        do {
            return try await gate.authenticator.authenticate(authorization: request.authorization)
        } catch let refusal as any CodedError {
            try await refuse(request, refusal)
        }
    }

    /// Refuses a call with whatever it failed with before the gate: a coded error as itself, cancellation (the client
    /// went away) as ``ServiceLimitError/cancelled``, anything else as internal; audited.
    public func refuse(_ request: GateRequest, failure: any Error) async throws -> Never {
        let coded: any CodedError =
            switch failure {
            case let coded as any CodedError: coded
            case is CancellationError: ServiceLimitError.cancelled
            default: GeneralError.unexpected("\(failure)")
            }
        try await refuse(request, coded)
    }

    private func checkRate(_ admission: Admission) throws {
        guard let role = gate.permissions.minimumRole(for: admission.request.action),
            let perMinute = core.limits.callsPerMinute(account: admission.account.name, requiredRole: role.rawValue)
        else { return }
        try limiter.admit(account: admission.account.name, perMinute: perMinute)
    }
}
