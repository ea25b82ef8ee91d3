import Foundation
import HephaestusPlatform

/// Fetches repository files for the TUF client.
public protocol TUFFetcher: Sendable {
    /// The body at `url`, nil when the repository has no such file (404 or 403), throwing when it is longer than
    /// `maximumLength` or cannot be fetched.
    func fetch(_ url: URL, maximumLength: Int) throws(TUFError) -> [UInt8]?
}

/// Fetches over the run's ``HTTPClient``.
public struct HTTPTUFFetcher: TUFFetcher {
    let client: HTTPClient

    public init(client: HTTPClient) { self.client = client }

    public func fetch(_ url: URL, maximumLength: Int) throws(TUFError) -> [UInt8]? {
        let shown = HTTPClient.redacted(url)
        let response: HTTPResponse
        do {
            response = try client.send(HTTPRequest(url: url), maximumBody: Int64(maximumLength))
        } catch TransportError.bodyTooLarge {
            throw TUFError(.lengthMismatch, "\(shown) is longer than its limit of \(maximumLength) bytes")
        } catch {
            throw TUFError(.fetchFailed, "could not fetch \(shown): \(error)")
        }
        switch response.head.status {
        case 200..<300: return response.body
        case 403, 404: return nil
        default: throw TUFError(.fetchFailed, "could not fetch \(shown): HTTP \(response.head.status)")
        }
    }
}
