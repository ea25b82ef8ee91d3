import HephaestusPlatform

/// Why a `guard-rails` run failed or was refused.
public typealias GuardRailsError = CodedFailure<GuardRailsErrorCode>

/// The codes of ``GuardRailsError``.
public enum GuardRailsErrorCode: String, ErrorCode {
    case unknownStep = "guard-rails.unknown-step"
    case stepsFailed = "guard-rails.steps-failed"
    case toolMissing = "guard-rails.tool-missing"
    case driftFound = "guard-rails.drift-found"
    case rateLimited = "guard-rails.rate-limited"
    case noVirtualenv = "guard-rails.no-virtualenv"
    case remediationFailed = "guard-rails.remediation-failed"
    case storeFailed = "guard-rails.store-failed"

    public var definition: (category: ErrorCategory, summary: String) {
        switch self {
        case .unknownStep: (.usage, "--only or --skip names a step the pipeline does not have")
        case .stepsFailed: (.checkFailed, "one or more pipeline steps failed or timed out")
        case .toolMissing: (.configuration, "a step's tool is not installed (the pipeline fails closed, it does not skip it)")
        case .driftFound: (.checkFailed, "installed tools or wheels differ from their pins, or a pin is a mutable reference")
        case .rateLimited: (.checkFailed, "--auto-remediate ran its hourly number of times already: nothing ran")
        case .noVirtualenv: (.configuration, "--auto-remediate needs the project's virtualenv (it never installs anywhere else)")
        case .remediationFailed: (.toolFailed, "a remediation command exited with a failure status")
        case .storeFailed: (.ioFailed, "the remediation store could not be read or written")
        }
    }
}
