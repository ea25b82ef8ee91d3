internal import CLibraryLoader

/// The C libraries loaded on first use rather than at start-up (see `Sources/CLibraryLoader`): a command that needs
/// neither HTTP nor archives (`verify bundle`, `digest`) does not pay for loading them and their dependencies.
public enum SharedLibrary: Sendable, CaseIterable {
    case curl
    case archive

    /// Loads the library (once; later calls are cheap). Call before the first use of its functions.
    public func load() throws(LibraryError) {
        var message = [CChar](repeating: 0, count: 512)
        guard hp_library_load(identifier, &message, message.count) != 0 else { return }
        let reason = message.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        throw LibraryError.unavailable(library: String(cString: hp_library_name(identifier)), reason: reason)
    }

    private var identifier: hp_library {
        switch self {
        case .curl: HP_LIBRARY_CURL
        case .archive: HP_LIBRARY_ARCHIVE
        }
    }
}

/// A shared library the command needs could not be loaded: a broken installation.
public enum LibraryError: CodedError, Equatable {
    case unavailable(library: String, reason: String)

    public enum Code: String, ErrorCode {
        case unavailable = "platform.library-unavailable"

        public var definition: (category: ErrorCategory, summary: String) {
            switch self {
            case .unavailable: (.unavailable, "libcurl or libarchive (loaded on first use) cannot be loaded: a broken installation")
            }
        }
    }

    public var errorCode: Code { .unavailable }

    public var description: String {
        switch self {
        case .unavailable(let library, let reason):
            "cannot load \(library) (\(reason)); install it (Debian: libcurl4 / libarchive13) or run scripts/bootstrap deps"
        }
    }
}
