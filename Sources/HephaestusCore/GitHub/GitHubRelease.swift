import Foundation
import HephaestusPlatform

/// `OWNER/REPO`, validated.
public struct GitHubRepository: Sendable, Equatable, CustomStringConvertible {
    public let owner: String
    public let name: String

    public init(_ text: String) throws(GitHubError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_."))
        guard parts.count == 2,
            parts.allSatisfy({
                !$0.isEmpty && $0 != "." && $0 != ".." && $0.unicodeScalars.allSatisfy(allowed.contains) && $0.utf8.allSatisfy { $0 < 0x80 }
            })
        else { throw GitHubError.invalidRepository(text) }
        owner = String(parts[0])
        name = String(parts[1])
    }

    public var description: String { "\(owner)/\(name)" }
}

/// A release as the GitHub REST API describes it (the fields Hephaestus uses).
public struct GitHubRelease: Sendable, Decodable, Equatable {
    public let id: Int64
    public let tagName: String
    public let name: String?
    public let draft: Bool
    public let prerelease: Bool
    public let createdAt: String?
    public let publishedAt: String?
    public let assets: [GitHubAsset]
    /// The upload URL template (`https://uploads.github.com/repos/O/R/releases/ID/assets{?name,label}`).
    public let uploadURL: String?

    enum CodingKeys: String, CodingKey {
        case id, name, draft, prerelease, assets
        case tagName = "tag_name"
        case createdAt = "created_at"
        case publishedAt = "published_at"
        case uploadURL = "upload_url"
    }
}

/// A release asset.
public struct GitHubAsset: Sendable, Decodable, Equatable {
    public let id: Int64
    public let name: String
    public let size: Int64
    public let contentType: String?
    /// The API URL (`…/releases/assets/ID`), downloaded with `Accept: application/octet-stream`.
    public let url: String
    public let browserDownloadURL: String?
    /// `sha256:<hex>` when GitHub computed it.
    public let digest: String?
    public let updatedAt: String?

    enum CodingKeys: String, CodingKey {
        case id, name, size, url, digest
        case contentType = "content_type"
        case browserDownloadURL = "browser_download_url"
        case updatedAt = "updated_at"
    }

    /// The API's digest, when it is a well-formed SHA-256.
    public var sha256: Digest? {
        guard let digest, digest.hasPrefix("sha256:") else { return nil }
        return Digest(algorithm: .sha256, hex: digest.dropFirst(7))
    }
}
