import Foundation
import HephaestusPlatform
import HephaestusSigstore

/// The `FILE_OR_DIGEST` argument: a path, or `sha256:<64 hex>` when no file by that name exists.
public enum ArtifactReference {
    public static func resolve(_ argument: String, relativeTo directory: String? = nil) -> ArtifactPolicy {
        let path = directory.map { argument.hasPrefix("/") ? argument : "\($0)/\(argument)" } ?? argument
        if FileManager.default.fileExists(atPath: path) { return .file(path: path) }
        for algorithm in DigestAlgorithm.allCases {
            let prefix = algorithm.rawValue + ":"
            if argument.hasPrefix(prefix), let digest = Digest(algorithm: algorithm, hex: argument.dropFirst(prefix.count)) {
                return .digest(digest)
            }
        }
        return .file(path: path)
    }
}
