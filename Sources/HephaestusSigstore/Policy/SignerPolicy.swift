import Foundation
import HephaestusPlatform

/// Who may sign and what a verified bundle must show: the one model behind every command's identity options and
/// `--policy FILE` (Sigstore's `ArtifactVerificationOptions`: identities, then log, CT, timestamp thresholds; plus entry
/// kinds, bundle versions, in-toto predicate types and the signature's maximum age).
public struct SignerPolicy: Sendable {
    public var identity: IdentityPolicy
    public var requirements: BundleRequirements

    public init(identity: IdentityPolicy, requirements: BundleRequirements = BundleRequirements()) {
        self.identity = identity
        self.requirements = requirements
    }

    /// Checks a verified result against the whole policy (identity, then requirements): for callers that verified
    /// with any identity first (`inventory audit`, which records who signed before judging it).
    public func check(_ result: VerificationResult, now: Date) throws(VerificationError) {
        switch (identity, result.issuer) {
        case (.certificates, let issuer?): try identity.check(identity: result.identity, issuer: issuer, claims: result.claims)
        case (.certificates(let identities), nil):
            throw .identityMismatch(expected: identities.map(\.san.description).joined(separator: " or "), actual: result.identity)
        case (.signerRule(let rule), let issuer?):
            try rule.check(FulcioCertificate(identity: result.identity, issuer: issuer, claims: result.claims))
        case (.signerRule(let rule), nil): throw .identityMismatch(expected: rule.description, actual: result.identity)
        case (.publicKey(let key), _):
            let expected = "key:sha256:\(DigestAlgorithm.sha256.hash(key.derSubjectPublicKeyInfo).hex)"
            guard result.identity == expected else { throw .keyMismatch("signed by \(result.identity), expected \(expected)") }
        }
        try requirements.check(result, now: now)
    }
}

/// What a bundle must show besides its signer; each rule is checked after the cryptographic verification, on the
/// verified facts, and a violation names its rule (`policy rule transparencyLog.threshold: …`). Thresholds of 0 leave
/// the verifier's own (one log entry, one SCT, one verified time) in force; they can raise it, never lower it.
public struct BundleRequirements: Sendable, Equatable {
    /// Verified transparency log entries required.
    public var transparencyLogThreshold: Int
    /// Distinct CT logs whose embedded SCTs verify.
    public var certificateTransparencyThreshold: Int
    /// Verified RFC 3161 timestamps required.
    public var timestampAuthorityThreshold: Int
    /// Verified times from any observer (SET integrated times and RFC 3161 timestamps) required.
    public var observerThreshold: Int
    /// Allowed log entry kinds, `kind` or `kind:version` (`hashedrekord`, `dsse:0.0.1`); nil: any.
    public var entryKinds: [String]?
    /// Allowed bundle versions (`0.1`, `0.2`, `0.3`); nil: any.
    public var bundleVersions: [String]?
    /// Allowed in-toto predicate types of DSSE bundles; nil: any. Message-signature bundles carry none and are unaffected.
    public var predicateTypes: [String]?
    /// The earliest verified signing time may be at most this many seconds old.
    public var maximumAge: TimeInterval?

    public init(
        transparencyLogThreshold: Int = 0, certificateTransparencyThreshold: Int = 0, timestampAuthorityThreshold: Int = 0,
        observerThreshold: Int = 0, entryKinds: [String]? = nil, bundleVersions: [String]? = nil, predicateTypes: [String]? = nil,
        maximumAge: TimeInterval? = nil
    ) {
        self.transparencyLogThreshold = transparencyLogThreshold
        self.certificateTransparencyThreshold = certificateTransparencyThreshold
        self.timestampAuthorityThreshold = timestampAuthorityThreshold
        self.observerThreshold = observerThreshold
        self.entryKinds = entryKinds
        self.bundleVersions = bundleVersions
        self.predicateTypes = predicateTypes
        self.maximumAge = maximumAge
    }

    /// Every rule, in order, on a verified result; the first broken one is thrown.
    public func check(_ result: VerificationResult, now: Date) throws(VerificationError) {
        func threshold(_ rule: String, _ count: Int, _ required: Int, _ what: String) throws(VerificationError) {
            guard count >= required else { throw .policyViolation(rule: rule, reason: "\(count) \(what), at least \(required) required") }
        }
        try threshold("transparencyLog.threshold", result.logEntries.count, transparencyLogThreshold, "verified log entries")
        if let scts = result.signedCertificateTimestamps {
            try threshold("certificateTransparency.threshold", scts, certificateTransparencyThreshold, "verified SCTs")
        } else if certificateTransparencyThreshold > 0 {
            throw .policyViolation(rule: "certificateTransparency.threshold", reason: "the bundle has no certificate, hence no SCT")
        }
        let timestampAuthority = result.verifiedTimestamps.filter { $0.source == "timestamp-authority" }.count
        try threshold("timestampAuthority.threshold", timestampAuthority, timestampAuthorityThreshold, "verified RFC 3161 timestamps")
        try threshold("observer.threshold", result.verifiedTimestamps.count, observerThreshold, "verified times")
        if let entryKinds {
            for entry in result.logEntries
            where !entryKinds.contains(entry.kind) && !entryKinds.contains("\(entry.kind):\(entry.kindVersion)") {
                throw .policyViolation(
                    rule: "entryKinds",
                    reason: "log entry kind \(entry.kind):\(entry.kindVersion) is not one of \(entryKinds.joined(separator: ", "))")
            }
        }
        if let bundleVersions {
            let version = SigstoreBundle.mediaTypes[result.bundleMediaType]?.rawValue ?? result.bundleMediaType
            guard bundleVersions.contains(version) else {
                throw .policyViolation(
                    rule: "bundleVersions", reason: "bundle version \(version) is not one of \(bundleVersions.joined(separator: ", "))")
            }
        }
        if let predicateTypes, let predicateType = result.predicateType, !predicateTypes.contains(predicateType) {
            throw .policyViolation(
                rule: "predicateTypes", reason: "predicate type \(predicateType) is not one of \(predicateTypes.joined(separator: ", "))")
        }
        if let maximumAge {
            guard let signed = result.signingTime else {
                throw .policyViolation(rule: "maxAge", reason: "the bundle has no verified signing time")
            }
            let age = now.timeIntervalSince(signed)
            guard age <= maximumAge else {
                throw .policyViolation(
                    rule: "maxAge",
                    reason: "signed \(RFC3339.string(signed)), \(Int(age / 86_400)) days ago; at most \(PolicyDuration.text(maximumAge)) allowed")
            }
        }
    }
}

/// Durations as policies write them: a number and a unit, `s`, `m`, `h` or `d` (`90d`, `12h`).
public enum PolicyDuration {
    public static func parse(_ text: String) -> TimeInterval? {
        guard let unit = text.last, let count = Int(text.dropLast()), count >= 0 else { return nil }
        let seconds: Int? = ["s": 1, "m": 60, "h": 3600, "d": 86_400][unit]
        return seconds.map { TimeInterval(count * $0) }
    }

    public static func text(_ seconds: TimeInterval) -> String {
        let value = Int(seconds)
        for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60)] where value % size == 0 && value > 0 { return "\(value / size)\(unit)" }
        return "\(value)s"
    }
}
