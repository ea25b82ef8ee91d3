import HephaestusPlatform

/// A request that cannot be run as given: missing, conflicting or malformed fields. The CLI reports it as a usage
/// error (its field names are the CLI's flags), a service as a bad request.
public struct RequestError: CodedError, Equatable {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public static let code = "usage.invalid-argument"
    public var code: String { Self.code }
    public var description: String { message }
}

/// The negative verdict of a report read back from its JSON: its code and message, without the typed error.
public struct ReportedFailure: CodedError, Equatable {
    public let code: String
    public let message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
