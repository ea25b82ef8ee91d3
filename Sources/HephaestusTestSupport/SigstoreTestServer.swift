import Foundation
import HephaestusLocalSigstore
import HephaestusPlatform
import HephaestusSigstore

/// A local Sigstore instance served from the test process on 127.0.0.1, with fault injection: each request's
/// honest answer passes through ``fault``, which may replace it (an outage, an error status, a lying CA or log).
/// Commands under test talk to it over real HTTP through the signing config it writes.
public final class SigstoreTestServer: @unchecked Sendable {
    /// Sees the request and the honest answer; returns a replacement, or nil to send the honest one.
    public typealias Fault = @Sendable (HTTPServerRequest, LocalSigstoreRouter.Response) -> HTTPServerResponse?

    public let directory: TemporaryDirectory
    public let instance: LocalSigstoreInstance
    private var server: LoopbackHTTPServer!
    private let lock = NSLock()
    private var currentFault: Fault?
    private var requests: [String] = []

    public init() throws {
        directory = try TemporaryDirectory(prefix: "hephaestus-sigstore")
        instance = try LocalSigstoreInstance.open(directory: directory.file("instance"))
        try instance.attachLogStorage()
        try instance.writeTrustDocuments()
        let router = instance.router
        server = try LoopbackHTTPServer(port: instance.port, keepAlive: true) { [unowned self] request in
            let honest = router.respond(
                method: request.method, path: request.path, query: request.query, headers: request.headers, body: request.body)
            let fault = self.record(request)
            if let replaced = fault?(request, honest) { return replaced }
            return HTTPServerResponse(status: honest.status, contentType: honest.contentType, body: honest.body)
        }
    }

    deinit { server?.stop() }

    public func stop() { server.stop() }

    /// Installs (or with nil removes) the fault.
    public func setFault(_ fault: Fault?) {
        lock.lock()
        currentFault = fault
        lock.unlock()
    }

    /// "METHOD PATH" of every request so far.
    public var requestLog: [String] {
        lock.lock()
        defer { lock.unlock() }
        return requests
    }

    private func record(_ request: HTTPServerRequest) -> Fault? {
        lock.lock()
        defer { lock.unlock() }
        requests.append("\(request.method) \(request.path)")
        return currentFault
    }

    public var trustedRootPath: String { instance.directory + "/trusted_root.json" }
    /// Rekor v2 + TSA.
    public var signingConfigPath: String { instance.directory + "/signing_config.json" }
    /// Rekor v1 + TSA.
    public var rekorV1SigningConfigPath: String { instance.directory + "/signing_config.rekor-v1.json" }
    public var trustConfigPath: String { instance.directory + "/trust_config.json" }
    public var issuer: String { instance.oidcIssuer.url }

    /// Writes a signing config offering the given Rekor versions (and the TSA when `timestamps`), optionally with
    /// services moved to other URLs (to simulate outages), and returns its path.
    public func signingConfig(
        rekorVersions: [Int], timestamps: Bool, replacing: [String: String] = [:], name: String = UUID().uuidString
    ) throws -> String {
        var text = String(
            decoding: BundleEncoder.data(instance.signingConfigObject(rekorVersions: rekorVersions, timestamps: timestamps)), as: UTF8.self)
        for (from, to) in replacing { text = text.replacingOccurrences(of: from, with: to) }
        return try directory.write("signing-config-\(name).json", text)
    }

    /// A token from the instance's issuer.
    public func token(identity: String = "signer@example.com", issuer: String? = nil, lifetime: TimeInterval = 600) throws -> String {
        try instance.oidcIssuer.mint(identity: identity, issuer: issuer, lifetime: lifetime)
    }

    /// An address where nothing listens (a port that was just free).
    public static func closedPortURL() throws -> String {
        let probe = try LoopbackHTTPServer(port: 0) { _ in HTTPServerResponse(status: 503) }
        let url = probe.baseURL.absoluteString
        probe.stop()
        return url
    }
}
