import HephaestusPlatform

/// Why a wheelhouse's content was refused.
public enum WheelError: CodedError, Equatable {
    case notAWheel(files: [String])
    case invalidFilename(file: String, reason: String)
    case unreadable(file: String, reason: String)
    case missingMetadata(file: String, missing: String)
    case recordMismatch(file: String, entry: String, reason: String)
    case metadataMismatch(file: String, reason: String)
    case empty
    case directoryNamedWheel(path: String)

    public enum Code: String, ErrorCode {
        case notAWheel = "wheel.not-a-wheel"
        case invalidFilename = "wheel.invalid-filename"
        case unreadable = "wheel.unreadable"
        case missingMetadata = "wheel.missing-metadata"
        case recordMismatch = "wheel.record-mismatch"
        case metadataMismatch = "wheel.metadata-mismatch"
        case empty = "wheel.empty-wheelhouse"
        case directoryNamedWheel = "wheel.directory-named-wheel"

        public var definition: (category: ErrorCategory, summary: String) {
            switch self {
            case .notAWheel: (.checkFailed, "the wheelhouse holds files that are not wheels")
            case .invalidFilename: (.checkFailed, "a wheel's file name breaks PEP 427")
            case .unreadable: (.checkFailed, "a wheel is not a readable, safe zip")
            case .missingMetadata: (.checkFailed, "a wheel lacks .dist-info/WHEEL, METADATA or RECORD")
            case .recordMismatch: (.checkFailed, "a wheel's files do not match its RECORD")
            case .metadataMismatch: (.checkFailed, "METADATA names another distribution or version than the file name")
            case .empty: (.checkFailed, "the wheelhouse holds no wheel")
            case .directoryNamedWheel: (.checkFailed, "the wheelhouse holds a directory whose name ends in .whl")
            }
        }
    }

    public var errorCode: Code {
        switch self {
        case .notAWheel: .notAWheel
        case .invalidFilename: .invalidFilename
        case .unreadable: .unreadable
        case .missingMetadata: .missingMetadata
        case .recordMismatch: .recordMismatch
        case .metadataMismatch: .metadataMismatch
        case .empty: .empty
        case .directoryNamedWheel: .directoryNamedWheel
        }
    }

    public var description: String {
        switch self {
        case .notAWheel(let files): "the wheelhouse holds files that are not wheels: \(files.joined(separator: ", "))"
        case .invalidFilename(let file, let reason): "\(file): not a valid wheel file name: \(reason)"
        case .unreadable(let file, let reason): "\(file): not a readable wheel: \(reason)"
        case .missingMetadata(let file, let missing): "\(file): missing \(missing)"
        case .recordMismatch(let file, let entry, let reason): "\(file): RECORD check failed for \(entry): \(reason)"
        case .metadataMismatch(let file, let reason): "\(file): \(reason)"
        case .empty: "the wheelhouse holds no wheels"
        case .directoryNamedWheel(let path): "\(path.debugDescription) is a directory named like a wheel (a wheel is a file)"
        }
    }
}
