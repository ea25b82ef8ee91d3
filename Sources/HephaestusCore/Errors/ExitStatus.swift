import HephaestusPlatform

/// The process exit statuses of `hephaestus`, after sysexits(3) where one fits.
public enum ExitStatus: Int32, Sendable, CaseIterable {
    /// Success.
    case success = 0
    /// A check failed: the input is not trusted (bad signature, digest mismatch, identity mismatch, hostile archive).
    case checkFailed = 1
    /// An external tool Hephaestus drives (pip) failed after every check passed.
    case toolFailed = 3
    /// The command line is wrong (ArgumentParser's validation code).
    case usage = 64
    /// An input exists but is malformed (unparseable manifest, trusted root or configuration).
    case dataError = 65
    /// An input file does not exist or is not a readable regular file.
    case noInput = 66
    /// A remote service could not be reached or kept failing.
    case unavailable = 69
    /// An internal error: a bug in Hephaestus.
    case software = 70
    /// An output file could not be created.
    case cannotCreate = 73
    /// Reading or writing failed part-way.
    case ioError = 74
    /// Permission was denied (file permissions, rejected credentials).
    case noPermission = 77
    /// The environment is unusable (missing tool, bad configuration).
    case configuration = 78

    /// A one-line meaning, for the generated exit-code documentation.
    public var meaning: String {
        switch self {
        case .success: "success"
        case .checkFailed: "a check failed: the input is not trusted"
        case .toolFailed: "an external tool (pip) failed after every check passed"
        case .usage: "usage error: the command line is wrong"
        case .dataError: "an input is malformed"
        case .noInput: "an input file is missing or not a readable regular file"
        case .unavailable: "a remote service could not be reached or kept failing"
        case .software: "internal error (a bug: please report it)"
        case .cannotCreate: "an output file could not be created"
        case .ioError: "reading or writing failed part-way"
        case .noPermission: "permission denied or credentials rejected"
        case .configuration: "the environment is unusable (missing tool, bad configuration)"
        }
    }
}

extension ErrorCategory {
    /// The exit status of `hephaestus` for errors of this category.
    public var exitStatus: ExitStatus {
        switch self {
        case .usage: .usage
        case .invalidInput: .dataError
        case .notFound: .noInput
        case .permissionDenied: .noPermission
        case .unauthenticated: .noPermission
        case .checkFailed: .checkFailed
        case .outputExists: .cannotCreate
        case .outputFailed: .cannotCreate
        case .ioFailed: .ioError
        case .unavailable: .unavailable
        case .missingCredentials: .configuration
        case .configuration: .configuration
        case .toolFailed: .toolFailed
        case .tooLarge: .dataError
        case .rateLimited: .unavailable
        case .internalError: .software
        }
    }
}
