import HephaestusPlatform

/// Failures of the local test instance itself (its directory and kept state).
public enum LocalInstanceError: CodedError, Equatable {
    case corruptState(String)
    case notAnInstance(path: String)

    public enum Code: String, ErrorCode {
        case corruptState = "dev.corrupt-state"
        case notAnInstance = "dev.not-an-instance"

        public var definition: (category: ErrorCategory, summary: String) {
            switch self {
            case .corruptState: (.invalidInput, "the `dev sigstore` directory's kept state is damaged")
            case .notAnInstance: (.notFound, "`dev sigstore token` names a directory with no instance")
            }
        }
    }

    public var errorCode: Code {
        switch self {
        case .corruptState: .corruptState
        case .notAnInstance: .notAnInstance
        }
    }

    public var description: String {
        switch self {
        case .corruptState(let reason): "local Sigstore instance state is damaged: \(reason)"
        case .notAnInstance(let path):
            "\(path) holds no local Sigstore instance (start one with `hephaestus dev sigstore --dir \(path)`)"
        }
    }
}
