import HephaestusPlatform

/// Writing a command's results to standard output failed: a full disk, a closed descriptor, an I/O error. (A reader
/// that went away, a closed pipe, is not an error: the process ends quietly, killed by `SIGPIPE` as coreutils are.)
public enum OutputStreamError: CodedError, Equatable {
    case writeFailed(stream: String, reason: String)

    public enum Code: String, ErrorCode {
        case writeFailed = "output.write-failed"

        public var definition: (category: ErrorCategory, summary: String) {
            switch self {
            case .writeFailed: (.ioFailed, "writing results to standard output failed (a full disk, a closed descriptor, an I/O error)")
            }
        }
    }

    public var errorCode: Code {
        switch self {
        case .writeFailed: .writeFailed
        }
    }

    public var description: String {
        switch self {
        case .writeFailed(let stream, let reason): "write error on \(stream): \(reason)"
        }
    }
}
