import HephaestusPlatform

/// Why the project configuration (`hephaestus.toml`, `[tool.hephaestus]` of `pyproject.toml`) was refused.
public struct ProjectConfigurationError: CodedError, Equatable {
    public let errorCode: Code
    /// One line naming the file and the key or value at fault.
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.errorCode = code
        self.message = message
    }

    public var description: String { message }

    public enum Code: String, ErrorCode {
        case malformed = "config.malformed"
        case unknownKey = "config.unknown-key"
        case invalidValue = "config.invalid-value"

        public var definition: (category: ErrorCategory, summary: String) {
            switch self {
            case .malformed: (.invalidInput, "the project configuration is not valid TOML")
            case .unknownKey: (.configuration, "the project configuration holds a key Hephaestus does not know (a typo is never ignored)")
            case .invalidValue: (.configuration, "a project configuration value has the wrong type or is out of range")
            }
        }
    }
}
