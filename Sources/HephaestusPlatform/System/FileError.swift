import Glibc

/// Failures reading or writing local files.
public enum FileError: CodedError, Equatable {
    case notFound(path: String)
    case isDirectory(path: String)
    case notRegularFile(path: String)
    case permissionDenied(path: String)
    case readFailed(path: String, reason: String)
    case writeFailed(path: String, reason: String)
    case alreadyExists(path: String)
    /// An output path names something other than a regular file (`kind`: "a character device", …).
    case notReplaceable(path: String, kind: String)
    case notADirectory(path: String)

    /// The stable codes of this area.
    public enum Code: String, ErrorCode {
        case notFound = "file.not-found"
        case isDirectory = "file.is-directory"
        case notRegularFile = "file.not-regular"
        case permissionDenied = "file.permission-denied"
        case readFailed = "file.read-failed"
        case writeFailed = "file.write-failed"
        case alreadyExists = "file.already-exists"
        case notReplaceable = "file.output-not-regular"
        case notADirectory = "file.not-a-directory"

        /// The codes reading an input can end with (an operation that writes nothing meets no others).
        public static let reading: [Code] = [.notFound, .isDirectory, .notRegularFile, .permissionDenied, .readFailed]

        public var definition: (category: ErrorCategory, summary: String) {
            switch self {
            case .notFound: (.notFound, "an input file does not exist")
            case .isDirectory: (.notFound, "a directory was given where a file is expected")
            case .notRegularFile: (.notFound, "an input is a FIFO, device or socket")
            case .permissionDenied: (.permissionDenied, "a file cannot be opened for lack of permission")
            case .readFailed: (.ioFailed, "reading a file failed part-way")
            case .writeFailed: (.outputFailed, "an output file could not be written")
            case .alreadyExists: (.outputExists, "an output file exists and --overwrite was not given")
            case .notReplaceable:
                (.outputFailed, "an output path is a directory, symbolic link, device, FIFO or socket: only regular files are replaced")
            case .notADirectory: (.notFound, "a file was given where a directory is expected")
            }
        }
    }

    public var errorCode: Code {
        switch self {
        case .notFound: .notFound
        case .isDirectory: .isDirectory
        case .notRegularFile: .notRegularFile
        case .permissionDenied: .permissionDenied
        case .readFailed: .readFailed
        case .writeFailed: .writeFailed
        case .alreadyExists: .alreadyExists
        case .notReplaceable: .notReplaceable
        case .notADirectory: .notADirectory
        }
    }

    public var description: String {
        switch self {
        case .notFound(let path): "\(path): No such file or directory"
        case .isDirectory(let path): "\(path): Is a directory"
        case .notRegularFile(let path): "\(path): not a regular file"
        case .permissionDenied(let path): "\(path): Permission denied"
        case .readFailed(let path, let reason): "\(path): read failed: \(reason)"
        case .writeFailed(let path, let reason): "\(path): write failed: \(reason)"
        case .alreadyExists(let path): "\(path) already exists (pass --overwrite to replace it)"
        case .notReplaceable(let path, let kind): "\(path) is \(kind): refusing to write over it (outputs replace regular files only)"
        case .notADirectory(let path): "\(path): not a directory"
        }
    }

    /// Maps an `errno` value from opening or reading `path` to the matching case.
    public static func fromErrno(_ code: Int32, path: String, writing: Bool = false) -> FileError {
        switch code {
        case ENOENT, ENOTDIR: return .notFound(path: path)
        case EISDIR: return .isDirectory(path: path)
        case EACCES, EPERM: return .permissionDenied(path: path)
        default:
            let reason = String(cString: strerror(code))
            return writing ? .writeFailed(path: path, reason: reason) : .readFailed(path: path, reason: reason)
        }
    }
}
