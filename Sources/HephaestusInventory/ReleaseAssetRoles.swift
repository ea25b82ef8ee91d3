import HephaestusCore
import HephaestusPlatform

/// What each asset of a release is: a subject (something users download and should be able to verify), a Sigstore
/// bundle for a subject, or a SHA-256 manifest — and which subjects the manifests tie to a digest.
public struct ReleaseAssetRoles: Sendable {
    /// The bundle names a subject's bundle may have, in the client specification's discovery order.
    public static func bundleNames(for subject: String) -> [String] { [subject + ".sigstore.json", subject + ".sigstore"] }

    public static func isBundle(_ name: String) -> Bool { name.hasSuffix(".sigstore.json") || name.hasSuffix(".sigstore") }

    public static func isManifest(_ name: String) -> Bool {
        name == "SHA256SUMS" || name.hasSuffix(".sha256") || name == "SHA256SUMS.txt"
    }

    public let subjects: [GitHubAsset]
    public let bundles: [String: GitHubAsset]
    public let manifests: [GitHubAsset]

    public init(_ release: GitHubRelease) {
        subjects = release.assets.filter { !Self.isBundle($0.name) && !Self.isManifest($0.name) }.sorted { $0.name < $1.name }
        var bundles: [String: GitHubAsset] = [:]
        for subject in subjects {
            for name in Self.bundleNames(for: subject.name) {
                if let bundle = release.assets.first(where: { $0.name == name }) {
                    bundles[subject.name] = bundle
                    break
                }
            }
        }
        self.bundles = bundles
        manifests = release.assets.filter { Self.isManifest($0.name) }.sorted { $0.name < $1.name }
    }

    /// How an asset's digest relates to the release's manifests.
    public enum ManifestVerdict: String, Sendable, Codable, CaseIterable {
        /// A manifest lists the asset with this digest.
        case match
        /// A manifest lists the asset with another digest.
        case mismatch
        /// Manifests exist but none lists the asset.
        case unlisted
        /// The release has no manifest.
        case noManifest = "no-manifest"
    }

    /// Parsed manifests: asset name → digests they claim.
    public struct ManifestIndex: Sendable {
        public private(set) var claims: [String: [Digest]] = [:]
        public private(set) var count = 0

        public init() {}

        public mutating func add(manifestNamed name: String, bytes: [UInt8]) {
            count += 1
            let manifest = ChecksumManifest(bytes: bytes, algorithm: .sha256)
            if name.hasSuffix(".sha256"), name != "SHA256SUMS", manifest.entries.count == 1 {
                // `<asset>.sha256` files name their asset implicitly even when the name column differs (`-`, paths).
                let subject = String(name.dropLast(".sha256".count))
                claims[subject, default: []].append(manifest.entries[0].line.digest)
                return
            }
            for entry in manifest.entries {
                let listed = entry.line.name.split(separator: "/").last.map(String.init) ?? entry.line.name
                claims[listed, default: []].append(entry.line.digest)
            }
        }

        public func verdict(for name: String, digest: Digest?) -> ManifestVerdict {
            guard count > 0 else { return .noManifest }
            guard let listed = claims[name], !listed.isEmpty else { return .unlisted }
            guard let digest else { return .unlisted }
            return listed.allSatisfy({ $0 == digest }) ? .match : .mismatch
        }
    }
}
