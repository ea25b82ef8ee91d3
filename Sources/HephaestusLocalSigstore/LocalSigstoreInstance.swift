import Foundation
import GRDB
import HephaestusPlatform
import HephaestusSigstore

/// A local Sigstore **test** instance kept in a directory: CA with CT log, Rekor v1 and Rekor v2-style logs, a TSA
/// and an OIDC issuer, whose keys, certificates and log entries survive restarts. Never trusted unless a user
/// points a command at the trusted root it writes.
///
/// Directory layout:
/// - `instance.json`: name, port, issuer URL, creation time;
/// - `keys/*.pem` (0600) and `certs/*.pem`: the services' key material;
/// - `log.sqlite`: the log entries;
/// - `trusted_root.json`, `signing_config.json` (Rekor v2 + TSA), `signing_config.rekor-v1.json` (Rekor v1 + TSA),
///   `trust_config.json` (both, as one ClientTrustConfig for `sigstore --trust-config`).
public final class LocalSigstoreInstance: Sendable {
    public static let name = "local.sigstore.test"

    public let directory: String
    public let port: UInt16
    public let validFrom: Date
    public let ctLog: LocalCertificateTransparencyLog
    public let certificateAuthority: LocalCertificateAuthority
    public let rekorV1: LocalTransparencyLog
    public let rekorV2: LocalTransparencyLog
    public let timestampAuthority: LocalTimestampAuthority
    public let oidcIssuer: LocalOIDCIssuer

    /// The base URL every service is served under.
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Opens the instance in `directory`, creating it on first use. `port` 0 keeps the port of the last run (or
    /// picks a free one the first time); the issuer URL contains the port, so tokens stay valid across restarts
    /// on the same port.
    public static func open(directory: String, port requested: UInt16 = 0) throws -> LocalSigstoreInstance {
        try StateFile.directory(directory + "/keys", creating: 0o700)
        try StateFile.directory(directory + "/certs", creating: 0o755)
        let stored = try InstanceRecord.load(directory: directory)
        let port = try requested != 0 ? requested : (stored?.port ?? Self.freePort())
        let record = InstanceRecord(port: port, validFrom: stored?.validFrom ?? Date().addingTimeInterval(-3600))
        let instance = try LocalSigstoreInstance(directory: directory, record: record)
        try record.save(directory: directory)
        return instance
    }

    /// Opens an existing instance without changing it (for `dev sigstore token`).
    public static func existing(directory: String) throws -> LocalSigstoreInstance {
        guard let record = try InstanceRecord.load(directory: directory) else { throw LocalInstanceError.notAnInstance(path: directory) }
        try StateFile.directory(directory + "/keys")
        try StateFile.directory(directory + "/certs")
        return try LocalSigstoreInstance(directory: directory, record: record)
    }

    private init(directory: String, record: InstanceRecord) throws {
        self.directory = directory
        self.port = record.port
        self.validFrom = record.validFrom
        let keys = KeyStore(directory: directory)
        let name = Self.name
        ctLog = LocalCertificateTransparencyLog(baseURL: "https://ct.\(name)", key: try keys.key("ct", .ecdsaP256))
        let rootKey = try keys.key("ca-root", .ecdsaP256)
        let intermediateKey = try keys.key("ca-intermediate", .ecdsaP256)
        if let root = try keys.certificate("ca-root"), let intermediate = try keys.certificate("ca-intermediate") {
            certificateAuthority = LocalCertificateAuthority(
                name: name, validFrom: record.validFrom, ctLog: ctLog, rootKey: rootKey, intermediateKey: intermediateKey,
                root: root, intermediate: intermediate)
        } else {
            let fresh = try LocalCertificateAuthority(name: name, validFrom: record.validFrom, ctLog: ctLog)
            try keys.store(key: fresh.rootKey, "ca-root")
            try keys.store(key: fresh.intermediateKey, "ca-intermediate")
            try keys.store(certificate: fresh.root, "ca-root")
            try keys.store(certificate: fresh.intermediate, "ca-intermediate")
            certificateAuthority = fresh
        }
        if let root = try keys.certificate("tsa-root"), let leaf = try keys.certificate("tsa"), let key = try keys.existingKey("tsa") {
            timestampAuthority = LocalTimestampAuthority(name: name, validFrom: record.validFrom, root: root, certificate: leaf, key: key)
        } else {
            let fresh = try LocalTimestampAuthority(name: name, validFrom: record.validFrom)
            try keys.store(key: fresh.signingKey, "tsa")
            try keys.store(certificate: fresh.root, "tsa-root")
            try keys.store(certificate: fresh.certificate, "tsa")
            timestampAuthority = fresh
        }
        rekorV1 = LocalTransparencyLog(flavor: .rekorV1, name: "rekor.\(name)", key: try keys.key("rekor-v1", .ecdsaP256), treeID: 1)
        rekorV2 = LocalTransparencyLog(flavor: .rekorV2, name: "log2025.rekor.\(name)", key: try keys.key("rekor-v2", .ed25519))
        oidcIssuer = LocalOIDCIssuer(url: "http://127.0.0.1:\(record.port)/oauth2", key: try keys.key("oidc", .ecdsaP256))
    }

    /// Attaches the SQLite log store (replaying earlier entries) — done by the serving process only.
    public func attachLogStorage() throws {
        let path = directory + "/log.sqlite"
        do {
            let storage = try SQLiteLogStorage(path: path)
            try rekorV1.attach(storage: storage)
            try rekorV2.attach(storage: storage)
        } catch let error as DatabaseError where [.SQLITE_NOTADB, .SQLITE_CORRUPT].contains(error.resultCode) {
            throw LocalInstanceError.corruptState("\(path): \(error.message ?? "\(error.resultCode)")")
        }
    }

    /// The HTTP router over this instance's services.
    public var router: LocalSigstoreRouter {
        LocalSigstoreRouter(
            certificateAuthority: certificateAuthority, transparencyLog: rekorV1, rekorV2: rekorV2,
            timestampAuthority: timestampAuthority, oidcIssuer: oidcIssuer)
    }

    // MARK: Trust documents

    public var trustedRootObject: [String: Any] {
        [
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [rekorV1.trustedRootEntry(validFrom: validFrom), rekorV2.trustedRootEntry(validFrom: validFrom)],
            "certificateAuthorities": [certificateAuthority.trustedRootEntry()],
            "ctlogs": [ctLog.trustedRootEntry(validFrom: validFrom)],
            "timestampAuthorities": [timestampAuthority.trustedRootEntry()],
        ]
    }

    /// A signing config naming this instance's services; `rekorVersions` lists the logs offered (the signer picks
    /// the highest version), `timestamps` whether the TSA is offered.
    public func signingConfigObject(rekorVersions: [Int] = [2, 1], timestamps: Bool = true) -> [String: Any] {
        let validFor = ["start": RFC3339.string(validFrom)]
        func service(_ path: String, _ version: Int) -> [String: Any] {
            ["url": baseURL + path, "majorApiVersion": version, "validFor": validFor, "operator": Self.name]
        }
        return [
            "mediaType": SigningConfig.mediaType,
            "caUrls": [service("", 1)], "oidcUrls": [service("/oauth2", 1)],
            "rekorTlogUrls": rekorVersions.map { service("", $0) },
            "tsaUrls": timestamps ? [service("/api/v1/timestamp", 1)] : [],
            "rekorTlogConfig": ["selector": "ANY"], "tsaConfig": ["selector": "ANY"],
        ]
    }

    /// Writes the trust documents (atomically, replacing older ones).
    public func writeTrustDocuments() throws {
        func write(_ object: [String: Any], _ name: String) throws {
            try AtomicFileWriter.write(BundleEncoder.data(object) + [0x0A], to: directory + "/" + name, overwrite: true)
        }
        try write(trustedRootObject, "trusted_root.json")
        try write(signingConfigObject(), "signing_config.json")
        try write(signingConfigObject(rekorVersions: [1]), "signing_config.rekor-v1.json")
        try write(
            [
                "mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
                "trustedRoot": trustedRootObject, "signingConfig": signingConfigObject(),
            ], "trust_config.json")
    }

    /// What `--port-file` receives: where each service listens.
    public var portDocument: [String: Any] {
        [
            "port": Int(port), "url": baseURL, "fulcio": baseURL, "rekor": baseURL, "rekorV2": baseURL,
            "tsa": baseURL + "/api/v1/timestamp", "oidcIssuer": oidcIssuer.url, "pid": Int(getpid()),
            "label": "local Sigstore TEST instance: never trust it for real releases",
        ]
    }

    /// Serves the instance on 127.0.0.1:``port`` until the returned server is stopped.
    public func serve(observe: @escaping @Sendable (HTTPServerRequest, Int) -> Void = { _, _ in }) throws -> LoopbackHTTPServer {
        let router = self.router
        return try LoopbackHTTPServer(port: port, keepAlive: true) { request in
            let answer = router.respond(
                method: request.method, path: request.path, query: request.query, headers: request.headers, body: request.body)
            observe(request, answer.status)
            return HTTPServerResponse(status: answer.status, contentType: answer.contentType, body: answer.body)
        }
    }

    private static func freePort() throws -> UInt16 {
        let probe = try LoopbackHTTPServer(port: 0) { _ in HTTPServerResponse(status: 503) }
        defer { probe.stop() }
        return probe.port
    }
}

/// `instance.json`.
struct InstanceRecord {
    let port: UInt16
    let validFrom: Date

    static func load(directory: String) throws -> InstanceRecord? {
        try StateFile.read(directory + "/instance.json", expecting: "a JSON object with port and validFrom") { text in
            guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                let port = (object["port"] as? NSNumber)?.uint16Value,
                let validFromText = object["validFrom"] as? String, let validFrom = try? Date(validFromText, strategy: .iso8601)
            else { return nil }
            return InstanceRecord(port: port, validFrom: validFrom)
        }
    }

    func save(directory: String) throws {
        let object: [String: Any] = [
            "name": LocalSigstoreInstance.name, "port": Int(port), "validFrom": RFC3339.string(validFrom),
            "label": "local Sigstore TEST instance",
        ]
        try AtomicFileWriter.write(BundleEncoder.data(object) + [0x0A], to: directory + "/instance.json", overwrite: true)
    }
}

/// `keys/NAME.pem` (private, 0600) and `certs/NAME.pem`.
struct KeyStore {
    let directory: String

    func existingKey(_ name: String) throws -> PrivateKey? {
        try StateFile.read("\(directory)/keys/\(name).pem", expecting: "a PEM private key") { try PrivateKey(pem: $0) }
    }

    /// The kept key, or a fresh one that is kept from now on.
    func key(_ name: String, _ algorithm: PrivateKey.Algorithm) throws -> PrivateKey {
        if let kept = try existingKey(name) { return kept }
        let fresh = PrivateKey.generate(algorithm)
        try store(key: fresh, name)
        return fresh
    }

    func store(key: PrivateKey, _ name: String) throws {
        try AtomicFileWriter.write(Array(key.pem.utf8), to: "\(directory)/keys/\(name).pem", overwrite: true, permissions: 0o600)
    }

    func certificate(_ name: String) throws -> Certificate? {
        try StateFile.read("\(directory)/certs/\(name).pem", expecting: "a PEM certificate") { try Certificate.parsePEM($0).first }
    }

    func store(certificate: Certificate, _ name: String) throws {
        try AtomicFileWriter.write(Array(certificate.pem.utf8), to: "\(directory)/certs/\(name).pem", overwrite: true)
    }
}

/// The files and directories of the kept state. Whatever makes one unusable (not a directory, unreadable as a file,
/// not UTF-8, not parseable) is ``LocalInstanceError/corruptState(_:)`` naming it, in one line: never a Foundation
/// error's dump.
enum StateFile {
    /// The state file at `path` parsed by `parse` (nil from `parse`: not what was expected); nil when it does not exist.
    static func read<Value>(_ path: String, expecting what: String, _ parse: (String) throws -> Value?) throws -> Value? {
        let bytes: [UInt8]
        do {
            bytes = try FileReader.contents(of: path, limit: 1 << 20)
        } catch FileError.notFound {
            return nil
        } catch let error as FileError where error.errorCode == .permissionDenied {
            throw error
        } catch let error as FileError {
            throw LocalInstanceError.corruptState("\(error)")
        }
        let reason: String
        do {
            if let text = String(validating: bytes, as: UTF8.self), let value = try parse(text) { return value }
            reason = "not \(what)"
        } catch let error as any CodedError {
            reason = "not \(what) (\(error))"
        } catch {
            reason = "not \(what)"
        }
        throw LocalInstanceError.corruptState("\(path) is \(reason)")
    }

    /// Checks the state directory `path`, or makes it (and its parents) with `permissions` when it is missing and they
    /// are given; something else by that name, or a directory missing from an existing instance, is damage.
    static func directory(_ path: String, creating permissions: mode_t? = nil) throws {
        var info = stat()
        if lstat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFDIR else { throw LocalInstanceError.corruptState("\(path) is not a directory") }
        } else if let permissions {
            try NativePath.createDirectories(path, permissions: permissions)
        } else {
            throw LocalInstanceError.corruptState("\(path) is missing")
        }
    }
}
