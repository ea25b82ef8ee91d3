import HephaestusPlatform

/// Why the project configuration (`hephaestus.toml`, `[tool.hephaestus]` of `pyproject.toml`) was refused.
public typealias ProjectConfigurationError = CodedFailure<ProjectConfigurationErrorCode>

/// The codes of ``ProjectConfigurationError``.
public enum ProjectConfigurationErrorCode: String, ErrorCode {
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
