import Foundation
import HephaestusPlatform

extension GitHubReleasesClient {
    /// Downloads a small asset (manifest, bundle) into memory, at most `limit` bytes, checked against the API's
    /// size and digest like any download.
    public func contents(of asset: GitHubAsset, limit: Int64 = 16 << 20) throws -> [UInt8] {
        guard asset.size <= limit else {
            throw TransportError.bodyTooLarge(url: HTTPClient.redacted(URL(string: asset.url) ?? apiURL), limit: limit)
        }
        guard let url = URL(string: asset.url) else { throw GitHubError.malformedResponse(url: asset.url, reason: "asset URL is not a URL") }
        var headers = requestHeaders
        headers.set("Accept", "application/octet-stream")
        let response = try http.send(HTTPRequest(url: url, headers: headers), maximumBody: limit)
        guard (200...299).contains(response.status) else {
            throw TransportError.httpStatus(url: HTTPClient.redacted(url), status: response.status, message: response.errorMessage)
        }
        guard Int64(response.body.count) == asset.size else {
            throw TransportError.sizeMismatch(url: HTTPClient.redacted(url), expected: asset.size, actual: Int64(response.body.count))
        }
        if let expected = asset.sha256, DigestAlgorithm.sha256.hash(response.body) != expected {
            throw TransportError.digestMismatch(
                url: HTTPClient.redacted(url), expected: expected.hex, actual: DigestAlgorithm.sha256.hash(response.body).hex)
        }
        return response.body
    }

    /// Uploads `bytes` as asset `name` of `release` (GitHub's uploads endpoint). A 422 "already_exists" becomes
    /// ``GitHubError/assetExists(release:name:)`` so callers can compare instead of failing.
    public func upload(_ bytes: [UInt8], name: String, contentType: String, to release: GitHubRelease) throws -> GitHubAsset {
        try upload(StreamedBody(segments: [.bytes(bytes)]), name: name, contentType: contentType, to: release)
    }

    /// Uploads the file at `path`, streamed, as asset `name`.
    public func upload(
        file path: String, name: String, contentType: String, to release: GitHubRelease,
        progress: (@Sendable (_ sent: Int64, _ total: Int64) -> Void)? = nil
    ) throws -> GitHubAsset {
        let body = StreamedBody(segments: [.file(path: path, size: try FileStatus.size(of: path))])
        body.progress = progress
        return try upload(body, name: name, contentType: contentType, to: release)
    }

    func upload(_ body: StreamedBody, name: String, contentType: String, to release: GitHubRelease) throws -> GitHubAsset {
        let safe = try AssetNameSanitizer.sanitize(name)
        guard let template = release.uploadURL, let braces = template.firstIndex(of: "{") ?? Optional(template.endIndex),
            var components = URLComponents(string: String(template[..<braces]))
        else { throw GitHubError.malformedResponse(url: HTTPClient.redacted(apiURL), reason: "release \(release.tagName) has no upload_url") }
        components.queryItems = [URLQueryItem(name: "name", value: safe.name)]
        guard let url = components.url else { throw GitHubError.malformedResponse(url: template, reason: "unusable upload_url") }
        try HTTPClient.checkScheme(url)
        var headers = requestHeaders
        headers.set("Content-Type", contentType)
        let response = try http.send(HTTPRequest(method: "POST", url: url, headers: headers, streamedBody: body))
        if response.status == 422, String(decoding: response.body, as: UTF8.self).contains("already_exists") {
            throw GitHubError.assetExists(release: release.tagName, name: safe.name)
        }
        guard response.status == 201 || response.status == 200 else {
            throw TransportError.httpStatus(url: HTTPClient.redacted(url), status: response.status, message: response.errorMessage)
        }
        do {
            return try JSONDecoder().decode(GitHubAsset.self, from: Data(response.body))
        } catch {
            throw GitHubError.malformedResponse(url: HTTPClient.redacted(url), reason: "\(error)")
        }
    }

    /// Creates a release for `tag` (`POST /repos/O/R/releases`).
    public func createRelease(
        of repository: GitHubRepository, tag: String, name: String? = nil, notes: String?, draft: Bool, prerelease: Bool
    ) throws -> GitHubRelease {
        let url = endpoint("/repos/\(repository)/releases")
        var object: [String: Any] = ["tag_name": tag, "name": name ?? tag, "draft": draft, "prerelease": prerelease]
        if let notes { object["body"] = notes }
        var headers = requestHeaders
        headers.set("Content-Type", "application/json")
        let response = try http.send(
            HTTPRequest(method: "POST", url: url, headers: headers, body: Array(try JSONSerialization.data(withJSONObject: object))))
        guard response.status == 201 else {
            throw TransportError.httpStatus(url: HTTPClient.redacted(url), status: response.status, message: response.errorMessage)
        }
        do {
            return try JSONDecoder().decode(GitHubRelease.self, from: Data(response.body))
        } catch {
            throw GitHubError.malformedResponse(url: HTTPClient.redacted(url), reason: "\(error)")
        }
    }

    /// Deletes release `id` (`DELETE /repos/O/R/releases/ID`; the tag stays).
    public func deleteRelease(id: Int64, of repository: GitHubRepository) throws {
        let url = endpoint("/repos/\(repository)/releases/\(id)")
        let response = try http.send(HTTPRequest(method: "DELETE", url: url, headers: requestHeaders))
        guard response.status == 204 || response.status == 404 else {
            throw TransportError.httpStatus(url: HTTPClient.redacted(url), status: response.status, message: response.errorMessage)
        }
    }

    /// Deletes asset `id` (`DELETE /repos/O/R/releases/assets/ID`); an asset already gone is not an error.
    public func deleteAsset(id: Int64, of repository: GitHubRepository) throws {
        let url = endpoint("/repos/\(repository)/releases/assets/\(id)")
        let response = try http.send(HTTPRequest(method: "DELETE", url: url, headers: requestHeaders))
        guard response.status == 204 || response.status == 404 else {
            throw TransportError.httpStatus(url: HTTPClient.redacted(url), status: response.status, message: response.errorMessage)
        }
    }
}
