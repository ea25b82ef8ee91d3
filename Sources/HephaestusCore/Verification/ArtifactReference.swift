import Foundation
import HephaestusPlatform
import HephaestusSigstore

/// The `FILE_OR_DIGEST` argument: a path, or `sha256:<64 hex>` when no file by that name exists.
public enum ArtifactReference {
    /// A file when something exists by that name; else a digest when the argument starts with an algorithm's prefix
    /// (`sha256:`), which must then be followed by the right number of hex digits; else a file (reading it will say
    /// it is missing).
    public static func resolve(_ argument: String, relativeTo directory: String? = nil) throws(RequestError) -> ArtifactPolicy {
        let path = directory.map { argument.hasPrefix("/") ? argument : "\($0)/\(argument)" } ?? argument
        if NativePath.exists(path) { return .file(path: path) }
        if let digest = try digest(argument) { return .digest(digest) }
        return .file(path: path)
    }

    /// The digest `text` spells as `ALGORITHM:<hex>`; nil when it starts with no algorithm's prefix, a usage error when
    /// it does but the hex is not a digest of that algorithm.
    public static func digest(_ text: String) throws(RequestError) -> Digest? {
        for algorithm in DigestAlgorithm.allCases {
            let prefix = algorithm.rawValue + ":"
            guard text.hasPrefix(prefix) else { continue }
            guard let digest = Digest(algorithm: algorithm, hex: text.dropFirst(prefix.count)) else {
                throw RequestError(
                    "\(text) is neither a file nor a \(algorithm.rawValue) digest (\(prefix) and \(algorithm.byteCount * 2) hex digits)")
            }
            return digest
        }
        return nil
    }
}

/// An input of a verification that could not be read (the artifact): the file error's code, hence its exit status, with
/// a message saying which input it was, so that a missing artifact is never reported as a digest mismatch.
public struct UnreadableInput: CodedError, Equatable {
    public let errorCode: FileError.Code
    public let description: String

    public init(_ role: String, _ error: FileError) {
        errorCode = error.errorCode
        description = "cannot read \(role) \(error)"
    }

    /// Opens the artifact's file, if it is one, to fail on a missing or unreadable file before any verification.
    static func checkReadable(_ artifact: ArtifactPolicy) throws(UnreadableInput) {
        guard case .file(let path) = artifact else { return }
        do { _ = try FileReader(path: path) } catch { throw UnreadableInput("artifact", error) }
    }
}
