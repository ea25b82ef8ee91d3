/// An error with a stable, machine-readable code.
///
/// Every error area of Hephaestus (files, crypto, verification, transport, …) defines one enum conforming to this
/// protocol, with a nested ``ErrorCode`` enum of its codes. The `code` string is stable across releases: scripts, the
/// exit-code table and the service front ends key on it, while `description` is the one human line printed on failure.
/// What a code means (its ``ErrorCategory`` and when it happens) is declared next to the code, in its ``ErrorCode``.
public protocol CodedError: Error, CustomStringConvertible, Sendable {
    /// The codes of this error's area.
    associatedtype Code: ErrorCode
    /// The code of this error.
    var errorCode: Code { get }
}

extension CodedError {
    /// The stable identifier of the broken expectation, e.g. `file.not-found`.
    public var code: String { errorCode.rawValue }
    /// What kind of failure this is; the exit status and the HTTP and gRPC statuses follow from it.
    public var category: ErrorCategory { errorCode.category }
    /// The type of this error's codes, for the catalogue of every code.
    public static var codeType: any ErrorCode.Type { Code.self }
}

/// An error that is its code and the one line a user reads (naming the file, role or target and what was wrong): the
/// whole of an area's error when nothing else needs carrying. `TUFError(.expired, "timestamp.json expired …")`.
public struct CodedFailure<Code: ErrorCode>: CodedError {
    public let errorCode: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.errorCode = code
        self.message = message
    }

    public var description: String { message }
}

extension CodedFailure: Equatable where Code: Equatable {}

/// The stable codes of one error area: each declares its category and when it happens.
///
/// Conforming enums are `String`-backed (the raw value is the stable code, e.g. `file.not-found`) and list every code
/// of their area, so that the exit-code table and the service documentation are derived from them.
public protocol ErrorCode: RawRepresentable<String>, CaseIterable, Sendable {
    /// This code's category and a one-line "when" ("an input file does not exist"), for the generated documentation.
    var definition: (category: ErrorCategory, summary: String) { get }
}

extension ErrorCode {
    /// What kind of failure this code is.
    public var category: ErrorCategory { definition.category }
    /// When this code happens, in one line.
    public var summary: String { definition.summary }
}

/// The two codes that belong to no area: a request (command line) the front end refused before any operation ran,
/// and an error that carries no code of its own (a bug).
public enum GeneralError: CodedError, Equatable {
    case invalidArgument(String)
    case unexpected(String)

    public enum Code: String, ErrorCode {
        case invalidArgument = "usage.invalid-argument"
        case unexpected = "internal.unexpected"

        public var definition: (category: ErrorCategory, summary: String) {
            switch self {
            case .invalidArgument: (.usage, "an option or argument is missing, unknown or invalid")
            case .unexpected: (.internalError, "an unexpected internal error")
            }
        }
    }

    public var errorCode: Code {
        switch self {
        case .invalidArgument: .invalidArgument
        case .unexpected: .unexpected
        }
    }

    public var description: String {
        switch self {
        case .invalidArgument(let message): message
        case .unexpected(let message): "internal error: \(message)"
        }
    }
}
