import Foundation
import HephaestusPlatform
import HephaestusSigstore

/// The HTTP face of a local test instance: Fulcio v2, Rekor v1, a Rekor v2-style log, an RFC 3161 TSA and an OIDC
/// issuer, answered by the in-process services with the wire formats of the real ones. Transport-agnostic: the
/// loopback server or a test transport calls ``respond(method:path:query:body:)``.
///
/// With an ``oidcIssuer`` the CA accepts only tokens that issuer signed; without one (in-process tests) it decodes
/// tokens without checking their signature.
public struct LocalSigstoreRouter: Sendable {
    public struct Response: Sendable {
        public let status: Int
        public let contentType: String
        public let body: [UInt8]

        public init(status: Int, contentType: String = "application/json", body: [UInt8]) {
            self.status = status
            self.contentType = contentType
            self.body = body
        }

        static func json(_ status: Int, _ object: Any) -> Response {
            Response(
                status: status,
                body: Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()))
        }

        static func error(_ status: Int, _ message: String) -> Response { json(status, ["code": status, "message": message]) }
    }

    public let certificateAuthority: LocalCertificateAuthority
    public let transparencyLog: LocalTransparencyLog
    public let rekorV2: LocalTransparencyLog?
    public let timestampAuthority: LocalTimestampAuthority?
    public let oidcIssuer: LocalOIDCIssuer?
    /// The path prefix the OIDC issuer is served under (its URL's path).
    public let oidcPath: String

    public init(
        certificateAuthority: LocalCertificateAuthority, transparencyLog: LocalTransparencyLog, rekorV2: LocalTransparencyLog? = nil,
        timestampAuthority: LocalTimestampAuthority? = nil, oidcIssuer: LocalOIDCIssuer? = nil, oidcPath: String = "/oauth2"
    ) {
        self.certificateAuthority = certificateAuthority
        self.transparencyLog = transparencyLog
        self.rekorV2 = rekorV2
        self.timestampAuthority = timestampAuthority
        self.oidcIssuer = oidcIssuer
        self.oidcPath = oidcPath
    }

    public func respond(method: String, path: String, query: [String: String] = [:], headers: HTTPHeaders = HTTPHeaders(), body: [UInt8]) -> Response
    {
        switch (method, path) {
        case ("POST", "/api/v2/signingCert"): return signingCertificate(body, authorization: headers["authorization"])
        case ("POST", "/api/v1/log/entries"): return createLogEntry(body)
        case ("GET", "/api/v1/log/entries"): return logEntry(index: query["logIndex"])
        case ("GET", "/api/v1/log"): return logInfo()
        case ("POST", "/api/v2/log/entries"): return createRekorV2Entry(body)
        case ("GET", "/api/v2/checkpoint"): return rekorV2Checkpoint()
        case ("POST", "/api/v1/timestamp"): return timestamp(body)
        case ("GET", oidcPath + "/.well-known/openid-configuration"):
            return oidcIssuer.map { .json(200, $0.discoveryDocument) } ?? .error(404, "this instance has no OIDC issuer")
        case ("GET", oidcPath + "/jwks"):
            return oidcIssuer.map { .json(200, $0.keySet) } ?? .error(404, "this instance has no OIDC issuer")
        default:
            if method == "GET", path.hasPrefix("/api/v1/log/entries/") {
                return logEntry(uuid: String(path.dropFirst("/api/v1/log/entries/".count)))
            }
            return .error(404, "no route for \(method) \(path)")
        }
    }

    /// RFC 3161 over HTTP: a DER TimeStampReq in, a DER TimeStampResp out.
    func timestamp(_ body: [UInt8]) -> Response {
        guard let timestampAuthority else { return .error(404, "this instance has no timestamp authority") }
        do {
            let response = try timestampAuthority.responder.respond(toRequest: body, at: Date())
            return Response(status: 200, contentType: "application/timestamp-reply", body: response)
        } catch {
            return .error(400, "timestamp request: \(error)")
        }
    }
}
