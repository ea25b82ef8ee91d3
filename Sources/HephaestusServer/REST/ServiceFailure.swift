import Foundation
import HephaestusCore
import HephaestusPlatform

/// A refused or failed request as every transport reports it: the stable code, one line, and the statuses of the
/// code's category (the one ``ErrorCategory`` table: HTTP status, gRPC status code).
public struct ServiceFailure: Sendable, Equatable {
    public let code: String
    public let message: String
    public let category: ErrorCategory
    /// Seconds after which retrying may succeed (`Retry-After` of a 429).
    public let retryAfter: Int?

    public init(code: String, message: String, category: ErrorCategory, retryAfter: Int? = nil) {
        self.code = code
        self.message = message
        self.category = category
        self.retryAfter = retryAfter
    }

    /// The failure an error stands for: a coded error's own code and category; anything else is internal (its
    /// text logged by the caller, not sent).
    public init(_ error: any Error) {
        if let limit = error as? ServiceLimitError {
            self.init(code: limit.code, message: limit.description, category: limit.category, retryAfter: limit.retryAfterSeconds)
        } else if let coded = error as? any CodedError {
            self.init(code: coded.code, message: coded.description, category: coded.category)
        } else if error is DecodingError {
            self.init(code: GeneralError.Code.invalidArgument.rawValue, message: "the request is malformed", category: .usage)
        } else if error is CancellationError {
            self.init(code: ServiceLimitError.Code.cancelled.rawValue, message: "the request was cancelled", category: .unavailable)
        } else {
            self.init(code: GeneralError.Code.unexpected.rawValue, message: "internal error", category: .internalError)
        }
    }

    public var httpStatus: Int { category.httpStatus }
    public var grpcStatus: GRPCStatusCode { category.grpcStatus }

    /// `{"error": {"code": …, "message": …}}`: the proto3 JSON mapping of `hephaestus.v1.ErrorResponse`.
    public var jsonBody: [UInt8] {
        let body = ["error": ["code": code, "message": message]]
        return (try? CompactJSONEncoder().encode(body)) ?? Array(#"{"error":{"code":"internal.unexpected","message":"internal error"}}"#.utf8)
    }
}
