import Foundation
import HephaestusPlatform
import HephaestusSigstore

/// What `trust show` prints: every CA, transparency log, CT log and TSA of a trusted root, with validity windows.
public struct TrustReport: OperationReport {
    /// Where the report's time falls in a validity window.
    public enum Status: String, Codable, Sendable, CaseIterable {
        case active
        case expired
        case notYetValid = "not yet valid"
    }

    public struct Authority: Codable, Sendable {
        public let kind: String
        public let name: String
        public let uri: String
        public let validFrom: Date
        public let validUntil: Date?
        public let status: Status
        public let certificates: [String]
    }

    public struct Log: Codable, Sendable {
        public let kind: String
        public let baseURL: String
        public let keyDetails: String
        public let logID: String
        public let validFrom: Date
        public let validUntil: Date?
        public let status: Status
    }

    /// What the source is, in words (`TUF cache of https://tuf-repo-cdn.sigstore.dev (…)`).
    public let source: String
    /// `file`, `tuf-cache` or `embedded`.
    public let sourceKind: String
    /// The trusted root's file (absent: embedded).
    public let path: String?
    /// When the material was last known current (the cache's last refresh, the embedded copy's date).
    public let takenAt: Date?
    /// Whole days since `takenAt`.
    public let ageDays: Int?
    /// The TUF cache's timestamp metadata expiry, after which it is stale.
    public let expires: Date?
    /// The TUF cache's signing config, when the repository publishes one.
    public let signingConfig: String?
    public let origin: String?
    public let retrievedAt: String?
    public let stale: Bool
    /// Why it is stale, naming the command that refreshes it.
    public let staleReason: String?
    public let certificateAuthorities: [Authority]
    public let transparencyLogs: [Log]
    public let certificateTransparencyLogs: [Log]
    public let timestampAuthorities: [Authority]

    public init(trust: TrustSelection, now: Date = Date()) throws {
        let root = try trust.load()
        source = trust.description
        sourceKind = trust.kind
        path = trust.path
        takenAt = trust.takenAt
        ageDays = takenAt.map { Int(now.timeIntervalSince($0) / 86_400) }
        staleReason = trust.staleness(at: now)
        stale = staleReason != nil
        switch trust {
        case .production, .staging:
            origin = TrustedRoot.embeddedOrigin
            retrievedAt = TrustedRoot.embeddedRetrievedAt
            expires = nil
            signingConfig = nil
        case .file:
            origin = nil
            retrievedAt = nil
            expires = nil
            signingConfig = nil
        case .tufCache(let cache):
            origin = cache.repository + " (TUF root version \(cache.rootVersion))"
            retrievedAt = RFC3339.string(cache.refreshedAt)
            expires = cache.timestampExpires
            signingConfig = cache.signingConfigPath
        }
        func status(_ window: ValidityWindow) -> Status {
            window.start > now ? .notYetValid : window.contains(now) ? .active : .expired
        }
        func authorities(_ items: [CertificateAuthority], kind: String) -> [Authority] {
            items.map {
                Authority(
                    kind: kind, name: $0.subject, uri: $0.uri, validFrom: $0.validity.start, validUntil: $0.validity.end,
                    status: status($0.validity),
                    certificates: $0.certificates.map {
                        "\($0.subject) (serial \($0.serialNumber), \(RFC3339Text.format($0.notBefore)) – \(RFC3339Text.format($0.notAfter)))"
                    })
            }
        }
        func logs(_ items: [TransparencyLogInstance], kind: String) -> [Log] {
            items.map {
                Log(
                    kind: kind, baseURL: $0.baseURL, keyDetails: $0.keyDetails, logID: Base64.encode($0.logID),
                    validFrom: $0.validity.start, validUntil: $0.validity.end, status: status($0.validity))
            }
        }
        certificateAuthorities = authorities(root.certificateAuthorities, kind: "certificate authority")
        transparencyLogs = logs(root.transparencyLogs, kind: "transparency log")
        certificateTransparencyLogs = logs(root.certificateTransparencyLogs, kind: "CT log")
        timestampAuthorities = authorities(root.timestampAuthorities, kind: "timestamp authority")
    }

    /// The human rendering, one line per item (with certificates indented below their authority).
    public var lines: [String] {
        var lines = ["trusted root: \(source)", "source: \(sourceKind)\(path.map { " \($0)" } ?? "")"]
        if let origin, let retrievedAt { lines.append("origin: \(origin), taken \(retrievedAt)") }
        if let ageDays {
            lines.append("age: \(ageDays) day\(ageDays == 1 ? "" : "s")\(expires.map { ", timestamp metadata expires \(RFC3339.string($0))" } ?? "")")
        }
        if let signingConfig { lines.append("signing config: \(signingConfig)") }
        if let staleReason { lines.append("stale: \(staleReason)") }
        func window(_ from: Date, _ until: Date?) -> String { "\(RFC3339Text.format(from)) – \(until.map(RFC3339Text.format) ?? "open")" }
        lines.append("")
        lines.append("certificate authorities (Fulcio):")
        for item in certificateAuthorities {
            lines.append("  \(item.name)  \(item.uri)  \(window(item.validFrom, item.validUntil))  [\(item.status.rawValue)]")
            lines += item.certificates.map { "      \($0)" }
        }
        lines.append("transparency logs (Rekor):")
        lines += transparencyLogs.map {
            "  \($0.baseURL)  \($0.keyDetails)  log id \($0.logID)  \(window($0.validFrom, $0.validUntil))  [\($0.status.rawValue)]"
        }
        lines.append("certificate transparency logs:")
        lines += certificateTransparencyLogs.map {
            "  \($0.baseURL)  \($0.keyDetails)  log id \($0.logID)  \(window($0.validFrom, $0.validUntil))  [\($0.status.rawValue)]"
        }
        lines.append("timestamp authorities:")
        for item in timestampAuthorities {
            lines.append("  \(item.name)  \(item.uri)  \(window(item.validFrom, item.validUntil))  [\(item.status.rawValue)]")
            lines += item.certificates.map { "      \($0)" }
        }
        return lines
    }
}

/// RFC 3339 text for reports.
enum RFC3339Text {
    static func format(_ date: Date) -> String { RFC3339.string(date) }
}

/// `trust.show`: every CA, transparency log, CT log and timestamp authority of the trusted root verification uses, with
/// validity windows and their status now.
public enum TrustShowOperation: Operation {
    public struct Request: Codable, Sendable, Equatable {
        public var trust: TrustChoice

        public init(trust: TrustChoice = TrustChoice()) {
            self.trust = trust
        }

        private enum CodingKeys: String, CodingKey { case trust }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            trust = try container.decodeIfPresent(TrustChoice.self, forKey: .trust) ?? TrustChoice()
        }
    }

    public static let descriptor = OperationDescriptor(
        name: "trust.show", command: "trust show",
        summary: "List every CA, transparency log, CT log and timestamp authority of the trusted root, with validity windows.",
        reportMediaType: MediaType.trustReport, effect: .readOnly,
        errorCodes: FileError.Code.reading.map(\.rawValue) + [
            VerificationError.Code.malformedTrustedRoot.rawValue, TrustSourceError.Code.cacheInvalid.rawValue,
        ])

    public static func run(_ request: Request, in context: OperationContext, emit: ItemSink<Never>) async throws -> TrustReport {
        try request.trust.validate()
        let now = context.clock()
        return try await BlockingWork.run { try TrustReport(trust: request.trust.resolve(environment: context.environment), now: now) }
    }
}
