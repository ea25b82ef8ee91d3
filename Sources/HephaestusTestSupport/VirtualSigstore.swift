import Foundation
import HephaestusLocalSigstore
import HephaestusPlatform
import HephaestusSigstore

/// An in-process Sigstore for tests: root and intermediate CA, CT log, Rekor v1 and v2 logs, TSA — all with fresh
/// keys — minting bundles of every kind. A second instance is "another Sigstore" for negative tests.
public final class VirtualSigstore: @unchecked Sendable {
    public let name: String
    public let now: Date
    public let ctLog: LocalCertificateTransparencyLog
    public let ca: LocalCertificateAuthority
    public let rekorV1: LocalTransparencyLog
    public let rekorV2: LocalTransparencyLog
    public let tsa: LocalTimestampAuthority

    public init(
        name: String = "virtual.sigstore.test", now: Date = Date(), intermediateValidity: TimeInterval? = nil,
        intermediateAlgorithm: PrivateKey.Algorithm = .ecdsaP256
    ) throws {
        self.name = name
        self.now = now
        let validFrom = now.addingTimeInterval(-86_400)
        ctLog = LocalCertificateTransparencyLog(baseURL: "https://ct.\(name)")
        ca = try LocalCertificateAuthority(
            name: name, validFrom: validFrom, ctLog: ctLog, intermediateValidity: intermediateValidity, intermediateAlgorithm: intermediateAlgorithm)
        rekorV1 = LocalTransparencyLog(flavor: .rekorV1, name: "rekor.\(name)", treeID: 4242)
        rekorV2 = LocalTransparencyLog(flavor: .rekorV2, name: "log2025.rekor.\(name)")
        tsa = try LocalTimestampAuthority(name: name, validFrom: validFrom)
    }

    /// The trusted root of this instance.
    public var trustedRootObject: [String: Any] {
        let validFrom = now.addingTimeInterval(-86_400)
        return [
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [rekorV1.trustedRootEntry(validFrom: validFrom), rekorV2.trustedRootEntry(validFrom: validFrom)],
            "certificateAuthorities": [ca.trustedRootEntry()],
            "ctlogs": [ctLog.trustedRootEntry(validFrom: validFrom)],
            "timestampAuthorities": [tsa.trustedRootEntry()],
        ]
    }

    public var trustedRootJSON: [UInt8] { BundleEncoder.data(trustedRootObject) }

    /// A `signing_config.v0.2.json` naming this instance's services (their URLs are labels: nothing listens there).
    public var signingConfigObject: [String: Any] {
        let validFor = ["start": RFC3339.string(now.addingTimeInterval(-86_400))]
        func service(_ url: String, _ version: Int) -> [String: Any] {
            ["url": url, "majorApiVersion": version, "validFor": validFor, "operator": name]
        }
        return [
            "mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
            "caUrls": [service(ca.baseURL, 1)], "oidcUrls": [service("https://oauth2.\(name)/auth", 1)],
            "rekorTlogUrls": [service("https://\(rekorV2.name)", 2), service("https://\(rekorV1.name)", 1)],
            "tsaUrls": [service("https://timestamp.\(name)/api/v1/timestamp", 1)],
            "rekorTlogConfig": ["selector": "ANY"], "tsaConfig": ["selector": "ANY"],
        ]
    }

    public func trustedRoot() throws -> TrustedRoot { try TrustedRoot(json: trustedRootJSON) }

    public func verifier(clock: @escaping @Sendable () -> Date = Date.init) throws -> BundleVerifier {
        BundleVerifier(trustedRoot: try trustedRoot(), clock: clock)
    }

    /// Which log records the signing.
    public enum Log: Sendable {
        case rekorV1
        case rekorV2
        case none
    }

    /// How to mint; every field has the honest default.
    public struct Options {
        public var identity: LocalCertificateAuthority.Identity = .email("signer@example.com")
        public var issuer = "https://issuer.example.com"
        public var log: Log = .rekorV1
        public var inclusionPromise = true
        /// RFC 3161 timestamps to add (Rekor v2 bundles need at least one to have a verified time).
        public var timestamps = 0
        /// When the signing happens (leaf notBefore, integrated time, TSA time); default: the instance's now.
        public var signingTime: Date?
        /// Edits the leaf request before issuance.
        public var leaf: (inout LocalCertificateAuthority.LeafRequest) -> Void = { _ in }
        /// Another instance whose CA issues the leaf (the bundle then comes "from another instance").
        public var certificateAuthority: LocalCertificateAuthority?
        /// Another log that records the entry.
        public var transparencyLog: LocalTransparencyLog?
        /// Sign these bytes instead of the artifact, while the bundle and log still claim the artifact's digest.
        public var signedBytes: [UInt8]?
        /// Rewrites the checkpoint note before it goes into the bundle.
        public var checkpoint: ((LocalTransparencyLog, LocalTransparencyLog.Receipt) throws -> String)?

        public init() {}
    }

    /// A keyless message-signature bundle over `artifact`.
    public func sign(_ artifact: [UInt8], options: Options = Options()) throws -> MintedBundle {
        let time = options.signingTime ?? now
        let key = PrivateKey.generate(.ecdsaP256)
        let leaf = try issueLeaf(for: key, options: options, at: time)
        let digest = DigestAlgorithm.sha256.hash(artifact)
        let signature = try key.sign(digest: options.signedBytes.map { DigestAlgorithm.sha256.hash($0) } ?? digest)
        let entries = try logEntries(
            options: options, at: time,
            entry: ProposedLogEntry(content: .messageDigest(digest), signature: signature, certificate: leaf, publicKey: key.publicKey))
        let timestamps = try (0..<options.timestamps).map { offset in
            try tsa.timestamp(signature: signature, at: time.addingTimeInterval(Double(offset)))
        }
        return MintedBundle(
            object: BundleEncoder.bundle(
                certificate: leaf, logEntries: entries, timestamps: timestamps, messageDigest: digest, signature: signature),
            artifact: artifact, leaf: leaf)
    }

    /// A keyless DSSE bundle over an in-toto `statement`.
    public func attest(statement: [UInt8], options: Options = Options()) throws -> MintedBundle {
        let time = options.signingTime ?? now
        let key = PrivateKey.generate(.ecdsaP256)
        let leaf = try issueLeaf(for: key, options: options, at: time)
        let unsigned = DSSEEnvelope(payloadType: "application/vnd.in-toto+json", payload: statement, signatures: [])
        let signature = try key.sign(message: unsigned.preAuthenticationEncoding)
        let envelope = DSSEEnvelope(payloadType: unsigned.payloadType, payload: statement, signatures: [.init(signature: signature)])
        let envelopeJSON = BundleEncoder.data(BundleEncoder.envelopeJSON(envelope))
        let entries = try logEntries(
            options: options, at: time,
            entry: ProposedLogEntry(
                content: .envelope(envelope, json: envelopeJSON), signature: signature, certificate: leaf, publicKey: key.publicKey))
        let timestamps = try (0..<options.timestamps).map { _ in try tsa.timestamp(signature: signature, at: time) }
        return MintedBundle(
            object: BundleEncoder.bundle(
                certificate: leaf, logEntries: entries, timestamps: timestamps, messageDigest: nil, signature: nil, envelope: envelope),
            artifact: statement, leaf: leaf)
    }

    /// A managed-key message-signature bundle (public-key hint, no certificate).
    public func sign(_ artifact: [UInt8], key: PrivateKey, options: Options = Options()) throws -> MintedBundle {
        let time = options.signingTime ?? now
        let digest = DigestAlgorithm.sha256.hash(artifact)
        let signature: [UInt8]
        if case .ed25519 = key.publicKey.kind {
            signature = try key.sign(message: artifact)
        } else {
            signature = try key.sign(digest: digest)
        }
        let entries = try logEntries(
            options: options, at: time,
            entry: ProposedLogEntry(content: .messageDigest(digest), signature: signature, certificate: nil, publicKey: key.publicKey))
        let timestamps = try (0..<options.timestamps).map { _ in try tsa.timestamp(signature: signature, at: time) }
        return MintedBundle(
            object: BundleEncoder.bundle(
                certificate: nil, publicKeyHint: "managed", logEntries: entries, timestamps: timestamps,
                messageDigest: digest, signature: signature),
            artifact: artifact, leaf: nil)
    }

    private func issueLeaf(for key: PrivateKey, options: Options, at time: Date) throws -> Certificate {
        var request = LocalCertificateAuthority.LeafRequest(
            publicKey: key.publicKey, identity: options.identity, issuer: options.issuer, notBefore: time.addingTimeInterval(-1))
        options.leaf(&request)
        return try (options.certificateAuthority ?? ca).issueLeaf(request)
    }

    private func logEntries(options: Options, at time: Date, entry: ProposedLogEntry) throws -> [[String: Any]] {
        let (v1Kind, v1Body) = entry.rekorV1Body()
        let v2Body = entry.rekorV2Body()
        switch options.log {
        case .none:
            return []
        case .rekorV1:
            let log = options.transparencyLog ?? rekorV1
            var receipt = try log.append(body: v1Body, integratedTime: Int64(time.timeIntervalSince1970))
            if let rewrite = options.checkpoint { receipt = receipt.replacingCheckpoint(try rewrite(log, receipt)) }
            return [receipt.bundleEntry(kind: v1Kind, kindVersion: "0.0.1", body: v1Body, includePromise: options.inclusionPromise)]
        case .rekorV2:
            let log = options.transparencyLog ?? rekorV2
            var receipt = try log.append(body: v2Body, integratedTime: 0)
            if let rewrite = options.checkpoint { receipt = receipt.replacingCheckpoint(try rewrite(log, receipt)) }
            return [receipt.bundleEntry(kind: "hashedrekord", kindVersion: "0.0.2", body: v2Body)]
        }
    }
}

/// A minted bundle as a mutable JSON object, with helpers to tamper with it.
public struct MintedBundle {
    public var object: [String: Any]
    public let artifact: [UInt8]
    public let leaf: Certificate?

    public var json: [UInt8] { BundleEncoder.data(object) }

    public func parsed() throws -> SigstoreBundle { try SigstoreBundle(json: json) }

    /// Replaces the value at a path of keys (String) and array indices (Int).
    public mutating func set(_ path: [Any], _ value: Any) {
        object = Self.setting(object, path: path[...], value: value) as! [String: Any]
    }

    public func value(_ path: [Any]) -> Any? {
        var current: Any? = object
        for key in path {
            if let name = key as? String { current = (current as? [String: Any])?[name] }
            if let index = key as? Int { current = (current as? [Any]).flatMap { index < $0.count ? $0[index] : nil } }
        }
        return current
    }

    /// Decodes the Base64 at `path`, lets `edit` change the bytes, and writes them back.
    public mutating func editBase64(_ path: [Any], _ edit: (inout [UInt8]) -> Void) {
        guard let text = value(path) as? String, var bytes = Base64.decode(text) else {
            fatalError("no Base64 at \(path)")
        }
        edit(&bytes)
        set(path, Base64.encode(bytes))
    }

    /// Flips one bit in the middle of the Base64 value at `path`.
    public mutating func flipByte(_ path: [Any], at offset: Int? = nil) {
        editBase64(path) { bytes in bytes[offset ?? bytes.count / 2] ^= 0x01 }
    }

    private static func setting(_ container: Any, path: ArraySlice<Any>, value: Any) -> Any {
        guard let key = path.first else { return value }
        if let name = key as? String, var dictionary = container as? [String: Any] {
            dictionary[name] = setting(dictionary[name] ?? [String: Any](), path: path.dropFirst(), value: value)
            return dictionary
        }
        if let index = key as? Int, var array = container as? [Any] {
            array[index] = setting(array[index], path: path.dropFirst(), value: value)
            return array
        }
        fatalError("bad path component \(key)")
    }
}
