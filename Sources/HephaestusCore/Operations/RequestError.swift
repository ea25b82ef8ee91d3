import HephaestusPlatform

/// A request that cannot be run as given: missing, conflicting or malformed fields. The CLI reports it as a usage
/// error (its field names are the CLI's flags), a service as a bad request.
public struct RequestError: CodedError, Equatable {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var errorCode: GeneralError.Code { .invalidArgument }
    public var description: String { message }
}
