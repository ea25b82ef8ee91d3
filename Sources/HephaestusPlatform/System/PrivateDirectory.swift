import Foundation
import Glibc

/// A fresh directory only this process knows the name of (mkdtemp, mode 0700).
public final class PrivateDirectory: Sendable {
    public let path: String
    private let removeOnDeinit: Bool

    /// Creates `parent/PREFIX-XXXXXX` (parent defaults to the system temporary directory).
    public init(in parent: String? = nil, prefix: String = "hephaestus", removeOnDeinit: Bool = true) throws(FileError) {
        let base = parent ?? NSTemporaryDirectory()
        do {
            try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        } catch {
            throw FileError.writeFailed(path: base, reason: "\(error)")
        }
        var template = Array("\(base)/\(prefix)-XXXXXX".utf8CString)
        guard mkdtemp(&template) != nil else { throw FileError.fromErrno(errno, path: base, writing: true) }
        path = decodeCString(template)
        self.removeOnDeinit = removeOnDeinit
    }

    deinit {
        if removeOnDeinit { remove() }
    }

    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
