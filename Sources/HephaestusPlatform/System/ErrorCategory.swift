/// What kind of failure an error is, whatever its area.
///
/// Every ``ErrorCode`` declares its category; the front ends derive their statuses from it: the CLI's exit status
/// (`exitStatus`, in HephaestusCore, after sysexits(3)), the HTTP status (RFC 9110 §15) and the gRPC status code
/// (https://grpc.github.io/grpc/core/md_doc_statuscodes.html). The raw value is the stable name used in documentation
/// and in machine-readable error bodies.
public enum ErrorCategory: String, Sendable, CaseIterable {
    /// The request is wrong: a missing, unknown or contradictory option or argument (nothing was read yet).
    case usage = "usage"
    /// An input exists but is malformed or unsupported (unparseable key, manifest, trusted root, token).
    case invalidInput = "invalid-input"
    /// Something named does not exist: an input file, a release, an asset, a run.
    case notFound = "not-found"
    /// Access was refused: file permissions, or credentials rejected or unusable.
    case permissionDenied = "permission-denied"
    /// A service request carries no usable credentials: no token, a malformed one, or one that is unknown, expired or
    /// revoked (a valid account without the permission is ``permissionDenied``).
    case unauthenticated = "unauthenticated"
    /// A check failed: the input is well-formed but not trusted (bad signature, digest mismatch, hostile archive).
    case checkFailed = "check-failed"
    /// An output or destination already exists and replacing it was not asked for.
    case outputExists = "output-exists"
    /// An output could not be written.
    case outputFailed = "output-failed"
    /// Reading an input, or writing results to standard output, failed part-way.
    case ioFailed = "io-failed"
    /// A remote service or a system library could not be reached or kept failing.
    case unavailable = "unavailable"
    /// A credential the operation needs to act elsewhere (a GitHub or package-index token, an OIDC identity token) is not
    /// set. Not a fault of the process: over the service, the deployment does not hold one (403, not a server error).
    case missingCredentials = "missing-credentials"
    /// The environment is unusable: a malformed credential, a missing tool, bad configuration, state that must be fixed
    /// first.
    case configuration = "configuration"
    /// An external tool Hephaestus drives (pip) failed after every check passed.
    case toolFailed = "tool-failed"
    /// A request is larger than the service accepts (its body).
    case tooLarge = "too-large"
    /// A caller made more requests than its rate limit allows; retrying later succeeds.
    case rateLimited = "rate-limited"
    /// A bug in Hephaestus.
    case internalError = "internal"

    /// A one-line meaning, for the generated documentation.
    public var meaning: String {
        switch self {
        case .usage: "the request is wrong: an option or argument is missing, unknown or invalid"
        case .invalidInput: "an input is malformed or unsupported"
        case .notFound: "an input, release, asset or record does not exist"
        case .permissionDenied: "permission denied, or credentials rejected or unusable"
        case .unauthenticated: "a service request carries no valid credentials (missing, malformed, unknown, expired or revoked token)"
        case .checkFailed: "a check failed: the input is not trusted"
        case .outputExists: "an output or destination already exists"
        case .outputFailed: "an output could not be written"
        case .ioFailed: "reading an input, or writing results to standard output, failed part-way"
        case .unavailable: "a remote service or system library could not be reached or kept failing"
        case .missingCredentials: "a credential the operation needs (GitHub or index token, OIDC identity token) is not set"
        case .configuration: "the environment is unusable (credentials, tool, configuration or state)"
        case .toolFailed: "an external tool (pip) failed after every check passed"
        case .tooLarge: "a request is larger than the service accepts"
        case .rateLimited: "over the rate limit: retry later"
        case .internalError: "internal error (a bug: please report it)"
        }
    }

    /// The HTTP status a service answers with (RFC 9110 §15).
    ///
    /// Client errors: a wrong request is 400; content that is well-formed as a request but cannot be processed
    /// (malformed input, or input that fails a check) is 422 Unprocessable Content; 404, 403 and 409 Conflict for an
    /// existing destination are as named; a credential the deployment does not hold for an upstream (no GitHub token) is
    /// 403: the service refuses an operation it cannot perform, and nothing is broken. Everything on the server's side
    /// is 5xx: 503 for an unreachable dependency (retry later), 500 for the rest, including a failed external tool (pip
    /// is not an upstream server, so not 502).
    public var httpStatus: Int {
        switch self {
        case .usage: 400
        case .invalidInput: 422
        case .notFound: 404
        case .permissionDenied: 403
        case .unauthenticated: 401
        case .checkFailed: 422
        case .outputExists: 409
        case .outputFailed: 500
        case .ioFailed: 500
        case .unavailable: 503
        case .missingCredentials: 403
        case .configuration: 500
        case .toolFailed: 500
        case .tooLarge: 413
        case .rateLimited: 429
        case .internalError: 500
        }
    }

    /// The gRPC status code a service answers with, after gRPC's guide to choosing one.
    ///
    /// A wrong request or malformed input is `INVALID_ARGUMENT` (wrong whatever the system's state); an input that fails
    /// a check and an unusable environment are `FAILED_PRECONDITION` (do not retry until the input or the system is
    /// fixed); a dependency that could not be reached is `UNAVAILABLE` (retrying may help); an external tool's failure
    /// is `UNKNOWN` (an error from another process's error space); a missing upstream credential is `PERMISSION_DENIED`
    /// (the service is not permitted to act there); failed local I/O and bugs are `INTERNAL` (the failure is not known
    /// to have lost data, so not `DATA_LOSS`).
    public var grpcStatus: GRPCStatusCode {
        switch self {
        case .usage: .invalidArgument
        case .invalidInput: .invalidArgument
        case .notFound: .notFound
        case .permissionDenied: .permissionDenied
        case .unauthenticated: .unauthenticated
        case .checkFailed: .failedPrecondition
        case .outputExists: .alreadyExists
        case .outputFailed: .internalError
        case .ioFailed: .internalError
        case .unavailable: .unavailable
        case .missingCredentials: .permissionDenied
        case .configuration: .failedPrecondition
        case .toolFailed: .unknown
        case .tooLarge: .resourceExhausted
        case .rateLimited: .resourceExhausted
        case .internalError: .internalError
        }
    }
}

/// The gRPC status codes (numbers as on the wire), without depending on a gRPC library.
public enum GRPCStatusCode: Int, Sendable, CaseIterable {
    case ok = 0
    case cancelled = 1
    case unknown = 2
    case invalidArgument = 3
    case deadlineExceeded = 4
    case notFound = 5
    case alreadyExists = 6
    case permissionDenied = 7
    case resourceExhausted = 8
    case failedPrecondition = 9
    case aborted = 10
    case outOfRange = 11
    case unimplemented = 12
    case internalError = 13
    case unavailable = 14
    case dataLoss = 15
    case unauthenticated = 16

    /// The canonical name, e.g. `INVALID_ARGUMENT`.
    public var name: String {
        switch self {
        case .ok: "OK"
        case .cancelled: "CANCELLED"
        case .unknown: "UNKNOWN"
        case .invalidArgument: "INVALID_ARGUMENT"
        case .deadlineExceeded: "DEADLINE_EXCEEDED"
        case .notFound: "NOT_FOUND"
        case .alreadyExists: "ALREADY_EXISTS"
        case .permissionDenied: "PERMISSION_DENIED"
        case .resourceExhausted: "RESOURCE_EXHAUSTED"
        case .failedPrecondition: "FAILED_PRECONDITION"
        case .aborted: "ABORTED"
        case .outOfRange: "OUT_OF_RANGE"
        case .unimplemented: "UNIMPLEMENTED"
        case .internalError: "INTERNAL"
        case .unavailable: "UNAVAILABLE"
        case .dataLoss: "DATA_LOSS"
        case .unauthenticated: "UNAUTHENTICATED"
        }
    }
}
