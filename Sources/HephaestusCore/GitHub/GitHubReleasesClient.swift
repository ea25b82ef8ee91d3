import Foundation
import HephaestusPlatform

/// The GitHub Releases REST API over the one ``HTTPClient``: list (with `Link` pagination), by tag, latest, and
/// asset downloads through the asset API URL (the token never follows the redirect to the storage host).
public final class GitHubReleasesClient: Sendable {
    public static let defaultAPIURL = URL(string: "https://api.github.com")!
    /// Pages followed at most (100 releases each).
    public static let maximumPages = 50

    public let apiURL: URL
    public let token: GitHubToken?
    public let http: HTTPClient

    public init(apiURL: URL, token: GitHubToken?, http: HTTPClient) throws(TransportError) {
        try HTTPClient.checkScheme(apiURL)
        self.apiURL = apiURL
        self.token = token
        self.http = http
    }

    var requestHeaders: HTTPHeaders { baseHeaders }

    private var baseHeaders: HTTPHeaders {
        var headers = HTTPHeaders([("Accept", "application/vnd.github+json"), ("X-GitHub-Api-Version", "2022-11-28")])
        if let token { headers.add("Authorization", token.authorization) }
        return headers
    }

    func endpoint(_ path: String, query: String? = nil) -> URL {
        var text = apiURL.absoluteString
        while text.hasSuffix("/") { text.removeLast() }
        return URL(string: text + path + (query.map { "?\($0)" } ?? ""))!
    }

    /// GET returning decoded JSON; non-2xx becomes an error with the API's message.
    func get<T: Decodable>(_ url: URL, as type: T.Type) throws -> (T, HTTPResponse) {
        let response = try http.send(HTTPRequest(url: url, headers: baseHeaders))
        guard (200...299).contains(response.status) else {
            throw TransportError.httpStatus(url: HTTPClient.redacted(url), status: response.status, message: response.errorMessage)
        }
        do {
            return (try JSONDecoder().decode(T.self, from: Data(response.body)), response)
        } catch {
            throw GitHubError.malformedResponse(url: HTTPClient.redacted(url), reason: "\(error)")
        }
    }

    /// Every release, newest first, following `Link: rel="next"` (same origin only).
    public func releases(of repository: GitHubRepository) throws -> [GitHubRelease] {
        var url: URL? = endpoint("/repos/\(repository)/releases", query: "per_page=100")
        var releases: [GitHubRelease] = []
        var pages = 0
        while let next = url, pages < Self.maximumPages {
            let (page, response) = try get(next, as: [GitHubRelease].self)
            releases += page
            pages += 1
            url = LinkHeader.next(response.headers["link"]).flatMap { URL(string: $0) }
            if let candidate = url, Origin(of: candidate) != Origin(of: apiURL) {
                throw GitHubError.malformedResponse(url: HTTPClient.redacted(next), reason: "pagination link leaves the API origin")
            }
        }
        return releases
    }

    /// The release tagged `tag`.
    public func release(of repository: GitHubRepository, tag: String) throws -> GitHubRelease {
        let encoded = tag.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? tag
        do {
            return try get(endpoint("/repos/\(repository)/releases/tags/\(encoded)"), as: GitHubRelease.self).0
        } catch TransportError.httpStatus(_, 404, _) {
            throw GitHubError.releaseNotFound(repository: repository.description, tag: tag)
        }
    }

    /// The release tagged `tag`, or else the newest draft release that will take that tag when published. GitHub's
    /// by-tag endpoint returns published releases only (a draft has no tag yet); drafts appear in the list to users
    /// with push access.
    public func releaseOrDraft(of repository: GitHubRepository, tag: String) throws -> GitHubRelease {
        do {
            return try release(of: repository, tag: tag)
        } catch GitHubError.releaseNotFound {
            guard let draft = try releases(of: repository).first(where: { $0.draft && $0.tagName == tag }) else {
                throw GitHubError.releaseNotFound(repository: repository.description, tag: tag)
            }
            return draft
        }
    }

    /// The newest published release, skipping drafts, and prereleases unless `includePrereleases`.
    public func latest(of repository: GitHubRepository, includePrereleases: Bool = false) throws -> GitHubRelease {
        let candidates = try releases(of: repository).filter { !$0.draft && (includePrereleases || !$0.prerelease) }
        guard let newest = candidates.max(by: { ($0.publishedAt ?? $0.createdAt ?? "") < ($1.publishedAt ?? $1.createdAt ?? "") }) else {
            throw GitHubError.noRelease(repository: repository.description)
        }
        return newest
    }

    /// Downloads `asset` into `directory` under its sanitised name, checked against the API's size and digest.
    public func download(
        _ asset: GitHubAsset, into directory: String, maximumSize: Int64,
        progress: (@Sendable (Int64, Int64?) -> Void)? = nil, onRename: (String, String) -> Void = { _, _ in }
    ) throws -> DownloadedFile {
        let sanitized = try AssetNameSanitizer.sanitize(asset.name)
        if sanitized.rewritten { onRename(asset.name, sanitized.name) }
        guard let url = URL(string: asset.url) else {
            throw GitHubError.malformedResponse(url: asset.url, reason: "asset URL is not a URL")
        }
        var headers = baseHeaders
        headers.set("Accept", "application/octet-stream")
        var request = DownloadRequest(
            url: url, headers: headers, destinationDirectory: directory, fileName: sanitized.name,
            expectedSize: asset.size, expectedDigest: asset.sha256, maximumSize: maximumSize)
        request.progress = progress
        return try http.download(request)
    }
}

/// RFC 8288 `Link` header parsing, for GitHub pagination.
enum LinkHeader {
    static func next(_ header: String?) -> String? {
        guard let header else { return nil }
        for part in header.split(separator: ",") {
            let pieces = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let target = pieces.first, target.hasPrefix("<"), target.hasSuffix(">") else { continue }
            if pieces.dropFirst().contains(where: { $0.replacingOccurrences(of: " ", with: "") == "rel=\"next\"" }) {
                return String(target.dropFirst().dropLast())
            }
        }
        return nil
    }
}

/// scheme + host + port.
struct Origin: Equatable {
    let scheme: String
    let host: String
    let port: Int?

    init(of url: URL) {
        scheme = url.scheme?.lowercased() ?? ""
        host = url.host?.lowercased() ?? ""
        port = url.port ?? (scheme == "https" ? 443 : 80)
    }
}
