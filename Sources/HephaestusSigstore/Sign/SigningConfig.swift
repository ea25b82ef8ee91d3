import Foundation
import HephaestusPlatform

/// A Sigstore `SigningConfig` (media type `application/vnd.dev.sigstore.signingconfig.v0.2+json`): which CA, OIDC
/// provider, transparency logs and timestamp authorities a signer uses, each with its API version and validity.
public struct SigningConfig: Sendable {
    public static let mediaType = "application/vnd.dev.sigstore.signingconfig.v0.2+json"

    /// One service endpoint.
    public struct Service: Sendable, Equatable {
        public let url: URL
        public let majorAPIVersion: Int
        public let validFor: ValidityWindow
        public let operatorName: String
    }

    /// How many of the eligible services to use.
    public enum Selector: Sendable, Equatable {
        case all
        case any
        case exact(Int)
    }

    public let certificateAuthorities: [Service]
    public let oidcProviders: [Service]
    public let transparencyLogs: [Service]
    public let transparencyLogSelector: Selector
    public let timestampAuthorities: [Service]
    public let timestampSelector: Selector

    /// API versions this signer speaks.
    public static let supportedCAVersions: Set<Int> = [1]
    public static let supportedLogVersions: Set<Int> = [1, 2]
    public static let supportedTSAVersions: Set<Int> = [1]

    /// The public-good production and staging configs embedded from the `sigstore` wheel.
    public static func production() throws(SigningError) -> SigningConfig {
        try SigningConfig(json: Array(EmbeddedTrustMaterial.productionSigningConfig.utf8))
    }

    public static func staging() throws(SigningError) -> SigningConfig {
        try SigningConfig(json: Array(EmbeddedTrustMaterial.stagingSigningConfig.utf8))
    }

    public init(json: [UInt8]) throws(SigningError) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json)) as? [String: Any] else {
            throw .invalidSigningConfig("not a JSON object")
        }
        guard object["mediaType"] as? String == Self.mediaType else {
            throw .invalidSigningConfig("media type \(object["mediaType"] ?? "missing") is not \(Self.mediaType)")
        }
        certificateAuthorities = try Self.services(object, "caUrls")
        oidcProviders = try Self.services(object, "oidcUrls")
        transparencyLogs = try Self.services(object, "rekorTlogUrls")
        timestampAuthorities = try Self.services(object, "tsaUrls")
        transparencyLogSelector = try Self.selector(object, "rekorTlogConfig")
        timestampSelector = try Self.selector(object, "tsaConfig")
    }

    /// The services chosen for signing at `now`, as the client specification says: among the services valid at
    /// `now` whose API version this signer speaks, those of the highest version, then as many as the selector asks.
    public struct Selection: Sendable, Equatable {
        public let certificateAuthority: Service?
        public let transparencyLogs: [Service]
        public let timestampAuthorities: [Service]
    }

    /// - Parameter keyless: whether a certificate authority is needed.
    public func select(at now: Date, keyless: Bool) throws(SigningError) -> Selection {
        let ca = Self.eligible(certificateAuthorities, versions: Self.supportedCAVersions, at: now).first
        if keyless, ca == nil {
            throw .invalidSigningConfig("no certificate authority valid at \(RFC3339.string(now)) with a supported API version (v1)")
        }
        let logs = try Self.choose(
            Self.eligible(transparencyLogs, versions: Self.supportedLogVersions, at: now), selector: transparencyLogSelector, what: "transparency log"
        )
        let timestampers = try Self.choose(
            Self.eligible(timestampAuthorities, versions: Self.supportedTSAVersions, at: now), selector: timestampSelector,
            what: "timestamp authority")
        if logs.contains(where: { $0.majorAPIVersion == 2 }), timestampers.isEmpty {
            throw .invalidSigningConfig("Rekor v2 gives no signing time of its own: a timestamp authority is required")
        }
        return Selection(certificateAuthority: keyless ? ca : nil, transparencyLogs: logs, timestampAuthorities: timestampers)
    }

    /// Valid at `now`, of a supported version, and of the highest such version.
    static func eligible(_ services: [Service], versions: Set<Int>, at now: Date) -> [Service] {
        let usable = services.filter { versions.contains($0.majorAPIVersion) && $0.validFor.contains(now) }
        guard let highest = usable.map(\.majorAPIVersion).max() else { return [] }
        return usable.filter { $0.majorAPIVersion == highest }
    }

    static func choose(_ services: [Service], selector: Selector, what: String) throws(SigningError) -> [Service] {
        switch selector {
        case .all: return services
        case .any: return Array(services.prefix(1))
        case .exact(let count):
            guard services.count >= count else {
                throw .invalidSigningConfig("the selector asks for exactly \(count) \(what)(s), \(services.count) eligible")
            }
            return Array(services.prefix(count))
        }
    }

    private static func services(_ object: [String: Any], _ key: String) throws(SigningError) -> [Service] {
        guard let value = object[key] else { return [] }
        guard let items = value as? [[String: Any]] else { throw .invalidSigningConfig("\(key) is not an array of objects") }
        var services: [Service] = []
        for (index, item) in items.enumerated() {
            guard let text = item["url"] as? String, let url = URL(string: text), let scheme = url.scheme, url.host != nil else {
                throw .invalidSigningConfig("\(key)[\(index)].url is missing or not an absolute URL")
            }
            guard scheme == "https" || (scheme == "http" && ["127.0.0.1", "localhost", "::1"].contains(url.host ?? "")) else {
                throw .invalidSigningConfig("\(key)[\(index)].url \(text): https only (plain http only for loopback test instances)")
            }
            guard let version = (item["majorApiVersion"] as? NSNumber)?.intValue, version > 0 else {
                throw .invalidSigningConfig("\(key)[\(index)].majorApiVersion is missing")
            }
            guard let validFor = item["validFor"] as? [String: Any], let startText = validFor["start"] as? String,
                let start = RFC3339.date(startText)
            else { throw .invalidSigningConfig("\(key)[\(index)].validFor.start is missing or not RFC 3339") }
            var end: Date?
            if let endText = validFor["end"] {
                guard let text = endText as? String, let parsed = RFC3339.date(text) else {
                    throw .invalidSigningConfig("\(key)[\(index)].validFor.end is not RFC 3339")
                }
                end = parsed
            }
            services.append(
                Service(
                    url: url, majorAPIVersion: version, validFor: ValidityWindow(start: start, end: end),
                    operatorName: item["operator"] as? String ?? ""))
        }
        return services
    }

    private static func selector(_ object: [String: Any], _ key: String) throws(SigningError) -> Selector {
        guard let config = object[key] as? [String: Any] else { return .any }
        switch config["selector"] as? String {
        case "ALL": return .all
        case "ANY", nil: return .any
        case "EXACT":
            guard let count = (config["count"] as? NSNumber)?.intValue, count > 0 else {
                throw .invalidSigningConfig("\(key): EXACT needs a positive count")
            }
            return .exact(count)
        case let other?: throw .invalidSigningConfig("\(key): unknown selector \(other)")
        }
    }
}
