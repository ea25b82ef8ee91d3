import Foundation
import HephaestusPlatform

/// What the index holds under a distribution's file name, read from its Simple Repository API (PEP 503 HTML or
/// PEP 691 JSON) — used when an upload answers "file exists", to tell our own bytes from someone else's.
public struct IndexFileLookup: Sendable {
    public enum Existing: Equatable, Sendable {
        case identical
        case differs(indexSHA256: String)
        case unverified(reason: String)
    }

    /// The simple index base (ending in `/`); a project's page is `<base><normalized-name>/`.
    public let simpleURL: URL
    public let http: HTTPClient

    public init(simpleURL: URL, http: HTTPClient) {
        self.simpleURL = simpleURL.absoluteString.hasSuffix("/") ? simpleURL : simpleURL.appendingPathComponent("")
        self.http = http
    }

    /// PyPI's and TestPyPI's simple indexes for their upload URLs; otherwise the upload URL without a trailing
    /// `legacy/`, plus `simple/` (pypiserver, Artifactory-style layouts). `--index-url` overrides it.
    public static func simpleURL(forUpload url: URL) -> URL {
        var components = URLComponents(url: url, resolvingAgainstBaseURL: false)!
        components.query = nil
        components.fragment = nil
        switch components.host {
        case "upload.pypi.org":
            components.host = "pypi.org"
            components.path = "/simple/"
        case "test.pypi.org":
            components.path = "/simple/"
        default:
            var path = components.path
            if !path.hasSuffix("/") { path += "/" }
            if path.hasSuffix("/legacy/") { path.removeLast("legacy/".count) }
            components.path = path + "simple/"
        }
        return components.url!
    }

    /// Compares the index's copy of `distribution` with ours by SHA-256. Anything that prevents the comparison
    /// (no such page, the file not listed yet, no hash given, the index unreachable) is `unverified` with the reason.
    public func compare(_ distribution: Distribution) -> Existing {
        let page = simpleURL.appendingPathComponent(WheelFilename.normalize(distribution.name)).appendingPathComponent("")
        var headers = HTTPHeaders()
        headers.add("Accept", "application/vnd.pypi.simple.v1+json, text/html;q=0.2")
        let response: HTTPResponse
        do {
            response = try http.send(HTTPRequest(url: page, headers: headers), maximumBody: 32 << 20)
        } catch {
            return .unverified(reason: "could not read \(HTTPClient.redacted(page)): \(error)")
        }
        guard response.status == 200 else { return .unverified(reason: "\(HTTPClient.redacted(page)) answered HTTP \(response.status)") }
        let listed = Self.files(in: response)
        guard let entry = listed.first(where: { $0.filename == distribution.filename }) else {
            return .unverified(reason: "\(HTTPClient.redacted(page)) does not list \(distribution.filename)")
        }
        guard let theirs = entry.sha256?.lowercased() else {
            return .unverified(reason: "\(HTTPClient.redacted(page)) gives no sha256 for \(distribution.filename)")
        }
        return theirs == distribution.sha256.hex ? .identical : .differs(indexSHA256: theirs)
    }

    struct ListedFile: Equatable {
        let filename: String
        let sha256: String?
    }

    /// The files a project page lists: PEP 691 JSON when the index answered with it, else PEP 503 HTML anchors
    /// (`<a href="…/FILE#sha256=HEX">FILE</a>`).
    static func files(in response: HTTPResponse) -> [ListedFile] {
        let type = response.headers["content-type"]?.lowercased() ?? ""
        if type.contains("json"), let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] {
            return ((object["files"] as? [[String: Any]]) ?? []).compactMap { file in
                guard let name = file["filename"] as? String else { return nil }
                return ListedFile(filename: name, sha256: (file["hashes"] as? [String: Any])?["sha256"] as? String)
            }
        }
        return anchors(in: String(decoding: response.body, as: UTF8.self))
    }

    static func anchors(in html: String) -> [ListedFile] {
        var files: [ListedFile] = []
        var rest = html[...]
        while let open = rest.range(of: "<a", options: .caseInsensitive) {
            rest = rest[open.upperBound...]
            guard let tagEnd = rest.firstIndex(of: ">") else { break }
            let attributes = rest[..<tagEnd]
            rest = rest[rest.index(after: tagEnd)...]
            guard let close = rest.range(of: "</a>", options: .caseInsensitive) else { break }
            let text = unescaped(String(rest[..<close.lowerBound])).trimmingCharacters(in: .whitespacesAndNewlines)
            rest = rest[close.upperBound...]
            guard let href = attribute("href", in: attributes).map(unescaped) else { continue }
            let (location, fragment) = href.firstIndex(of: "#").map { (String(href[..<$0]), String(href[href.index(after: $0)...])) } ?? (href, "")
            let path = location.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let fromURL = path.split(separator: "/").last.map { String($0).removingPercentEncoding ?? String($0) } ?? ""
            let name = text.isEmpty ? fromURL : text
            let sha256 = fragment.hasPrefix("sha256=") ? String(fragment.dropFirst("sha256=".count)) : nil
            files.append(ListedFile(filename: name, sha256: sha256))
        }
        return files
    }

    private static func attribute(_ name: String, in tag: Substring) -> String? {
        guard let found = tag.range(of: name + "=", options: .caseInsensitive) else { return nil }
        let value = tag[found.upperBound...]
        guard let quote = value.first, quote == "\"" || quote == "'" else {
            return String(value.prefix { !$0.isWhitespace })
        }
        let inner = value.dropFirst()
        return String(inner.prefix { $0 != quote })
    }

    private static func unescaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&#x27;", with: "'").replacingOccurrences(of: "&amp;", with: "&")
    }
}
