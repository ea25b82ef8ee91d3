import Foundation
import HephaestusPlatform

/// The outcome of a successful verification: who signed what, where it was logged, and the verified times.
public struct VerificationResult: Sendable, Codable {
    public static let mediaType = "application/vnd.hephaestus.verification-result+json;version=1"

    public struct LogEntry: Sendable, Codable {
        public let logIndex: Int64
        public let logID: String
        public let log: String
        public let kind: String
        public let kindVersion: String
        /// Present only when the log signed it (a verified SET).
        public let integratedTime: Date?
        public let inclusionProofTreeSize: Int64?
    }

    public struct VerifiedTimestamp: Sendable, Codable {
        /// `transparency-log` (SET integrated time) or `timestamp-authority` (RFC 3161).
        public let source: String
        public let authority: String
        public let time: Date
    }

    /// The leaf certificate's serial and issuer, read from it when asked (the issuer Name is OpenSSL's rendering,
    /// which costs a parse the verification itself no longer needs).
    public struct SigningCertificate: Sendable, Codable {
        private enum Source: Sendable {
            /// Read from the certificate when asked.
            case certificate(Certificate)
            /// Decoded from a report.
            case fields(serialNumber: String, issuer: String, notBefore: Date, notAfter: Date)
        }

        private let source: Source

        public var serialNumber: String {
            switch source {
            case .certificate(let certificate): certificate.serialNumber
            case .fields(let serialNumber, _, _, _): serialNumber
            }
        }

        public var issuer: String {
            switch source {
            case .certificate(let certificate): certificate.issuer
            case .fields(_, let issuer, _, _): issuer
            }
        }

        public var notBefore: Date {
            switch source {
            case .certificate(let certificate): certificate.notBefore
            case .fields(_, _, let notBefore, _): notBefore
            }
        }

        public var notAfter: Date {
            switch source {
            case .certificate(let certificate): certificate.notAfter
            case .fields(_, _, _, let notAfter): notAfter
            }
        }

        public init(_ certificate: Certificate) {
            source = .certificate(certificate)
        }

        private enum CodingKeys: String, CodingKey {
            case serialNumber, issuer, notBefore, notAfter
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            source = .fields(
                serialNumber: try container.decode(String.self, forKey: .serialNumber), issuer: try container.decode(String.self, forKey: .issuer),
                notBefore: try container.decode(Date.self, forKey: .notBefore), notAfter: try container.decode(Date.self, forKey: .notAfter))
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(serialNumber, forKey: .serialNumber)
            try container.encode(issuer, forKey: .issuer)
            try container.encode(notBefore, forKey: .notBefore)
            try container.encode(notAfter, forKey: .notAfter)
        }
    }

    public let bundleMediaType: String
    public let artifactDigest: String
    /// The certificate SAN, or `key:<sha256 of the SPKI>` for managed keys.
    public let identity: String
    public let issuer: String?
    public let claims: [String: String]
    public let logEntries: [LogEntry]
    public let verifiedTimestamps: [VerifiedTimestamp]
    public let certificate: SigningCertificate?
    /// Distinct CT logs whose SCTs verified (nil for managed-key bundles); for policy thresholds, not in reports.
    public internal(set) var signedCertificateTimestamps: Int? = nil
    /// The in-toto statement's predicate type (DSSE bundles); for policy rules, not in reports.
    public internal(set) var predicateType: String? = nil
    /// The earliest verified time: when the signature is known to have existed.
    public var signingTime: Date? { verifiedTimestamps.map(\.time).min() }

    private enum CodingKeys: String, CodingKey {
        case bundleMediaType, artifactDigest, identity, issuer, claims, logEntries, verifiedTimestamps, certificate, signingTime
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(bundleMediaType, forKey: .bundleMediaType)
        try container.encode(artifactDigest, forKey: .artifactDigest)
        try container.encode(identity, forKey: .identity)
        try container.encodeIfPresent(issuer, forKey: .issuer)
        try container.encode(claims, forKey: .claims)
        try container.encode(logEntries, forKey: .logEntries)
        try container.encode(verifiedTimestamps, forKey: .verifiedTimestamps)
        try container.encodeIfPresent(certificate, forKey: .certificate)
        try container.encodeIfPresent(signingTime, forKey: .signingTime)
    }
}

extension VerificationResult {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        bundleMediaType = try container.decode(String.self, forKey: .bundleMediaType)
        artifactDigest = try container.decode(String.self, forKey: .artifactDigest)
        identity = try container.decode(String.self, forKey: .identity)
        issuer = try container.decodeIfPresent(String.self, forKey: .issuer)
        claims = try container.decode([String: String].self, forKey: .claims)
        logEntries = try container.decode([LogEntry].self, forKey: .logEntries)
        verifiedTimestamps = try container.decode([VerifiedTimestamp].self, forKey: .verifiedTimestamps)
        certificate = try container.decodeIfPresent(SigningCertificate.self, forKey: .certificate)
        // Written by `encode(to:)` and computed from the timestamps: read (so a schema read from this decoder lists it)
        // and dropped.
        _ = try container.decodeIfPresent(Date.self, forKey: .signingTime)
    }
}
