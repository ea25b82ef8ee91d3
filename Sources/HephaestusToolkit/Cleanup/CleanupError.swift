import HephaestusPlatform

/// Why `cleanup` refused a target or could not remove what it planned.
public typealias CleanupError = CodedFailure<CleanupErrorCode>

/// The codes of ``CleanupError``.
public enum CleanupErrorCode: String, ErrorCode {
    case emptyPath = "cleanup.empty-path"
    case noRoot = "cleanup.no-root"
    case dangerousTarget = "cleanup.dangerous-target"
    case protectedTarget = "cleanup.protected-target"
    case outsideRoot = "cleanup.outside-root"
    case notConfirmed = "cleanup.not-confirmed"
    case changedDuringRun = "cleanup.changed-during-run"
    case removeFailed = "cleanup.remove-failed"

    public var definition: (category: ErrorCategory, summary: String) {
        switch self {
        case .emptyPath: (.usage, "a cleanup path is empty or only whitespace")
        case .noRoot: (.usage, "no ROOT was given and the current directory is not inside a git work tree")
        case .dangerousTarget:
            (.permissionDenied, "a cleanup root or path resolves to a protected system or home directory (/, /usr, $HOME, …)")
        case .protectedTarget: (.permissionDenied, "a cleanup path is, holds or lies inside a virtualenv, site-packages or .git")
        case .outsideRoot: (.usage, "a cleanup path lies outside the root and --allow-outside-root was not given")
        case .notConfirmed:
            (.permissionDenied, "removing a path outside the root was not confirmed (wrong answer, or no terminal and no --yes)")
        case .changedDuringRun: (.checkFailed, "entries changed between planning and removal were left in place")
        case .removeFailed: (.ioFailed, "a planned entry could not be removed")
        }
    }
}
