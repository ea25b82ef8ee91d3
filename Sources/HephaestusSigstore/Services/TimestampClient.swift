import Foundation
import HephaestusPlatform

/// An RFC 3161 timestamp authority over HTTP (`POST` a DER TimeStampReq as `application/timestamp-query`), as
/// Sigstore's timestamp-authority serves it at `/api/v1/timestamp`.
public struct TimestampClient: Timestamping {
    public let url: URL
    public let http: HTTPClient

    public init(url: URL, http: HTTPClient) {
        self.url = url
        self.http = http
    }

    /// Requests a token over SHA-256(`signature`) with a fresh nonce and checks the answer is granted, for that
    /// imprint and that nonce; the bundle keeps the whole DER response.
    public func timestamp(signature: [UInt8]) throws -> [UInt8] {
        let imprint = DigestAlgorithm.sha256.hash(signature)
        let nonce = UInt64.random(in: 1...UInt64(Int64.max))
        var headers = HTTPHeaders()
        headers.add("Content-Type", "application/timestamp-query")
        headers.add("Accept", "application/timestamp-reply")
        let request = HTTPRequest(method: "POST", url: url, headers: headers, body: try TimestampResponder.request(for: imprint, nonce: nonce))
        let response = try http.send(request, maximumBody: 1 << 20)
        guard (200..<300).contains(response.status) else {
            throw TransportError.httpStatus(url: HTTPClient.redacted(url), status: response.status, message: response.errorMessage)
        }
        try Self.check(response.body, imprint: imprint, nonce: nonce)
        return response.body
    }

    static func check(_ der: [UInt8], imprint: Digest, nonce: UInt64) throws(SigningError) {
        func bad(_ reason: String) -> SigningError { .malformedServiceResponse(service: "timestamp authority", reason: reason) }
        let parsed: TimestampResponse
        do { parsed = try TimestampResponse(derEncoded: der) } catch { throw bad("\(error)") }
        guard parsed.imprintAlgorithm == .sha256, parsed.imprint == imprint.bytes else {
            throw bad("the token is over another message imprint than the signature's")
        }
        guard parsed.nonce == nonce else { throw bad("the token does not echo the request's nonce") }
    }
}
