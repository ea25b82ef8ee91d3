import Foundation
import HephaestusPlatform
import HephaestusSigstore

/// What `trust show` prints: every CA, transparency log, CT log and TSA of a trusted root, with validity windows.
public struct TrustReport: OperationReport {
    /// Embedded material older than this is flagged: keys may have rotated since.
    public static let maximumEmbeddedAge: TimeInterval = 182 * 86_400

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

    public let source: String
    public let origin: String?
    public let retrievedAt: String?
    public let stale: Bool
    public let certificateAuthorities: [Authority]
    public let transparencyLogs: [Log]
    public let certificateTransparencyLogs: [Log]
    public let timestampAuthorities: [Authority]

    public init(trust: TrustSelection, now: Date = Date()) throws {
        let root = try trust.load()
        source = trust.description
        if case .file = trust {
            origin = nil
            retrievedAt = nil
            stale = false
        } else {
            origin = TrustedRoot.embeddedOrigin
            retrievedAt = TrustedRoot.embeddedRetrievedAt
            let taken = (try? Date.ISO8601FormatStyle().year().month().day().parse(TrustedRoot.embeddedRetrievedAt)) ?? now
            stale = now.timeIntervalSince(taken) > Self.maximumEmbeddedAge
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
        var lines = ["trusted root: \(source)"]
        if let origin, let retrievedAt { lines.append("origin: \(origin), taken \(retrievedAt)") }
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
        errorCodes: FileError.Code.reading.map(\.rawValue) + [VerificationError.Code.malformedTrustedRoot.rawValue])

    public static func run(_ request: Request, in context: OperationContext, emit: ItemSink<Never>) async throws -> TrustReport {
        try request.trust.validate()
        let now = context.clock()
        return try await BlockingWork.run { try TrustReport(trust: request.trust.selection, now: now) }
    }
}
