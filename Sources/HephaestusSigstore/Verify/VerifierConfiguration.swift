/// What the Sigstore deployment guarantees, fixed when the verifier is built (sigstore-go's `NewVerifier` options).
public struct VerifierConfiguration: Sendable {
    /// Verified transparency log entries required.
    public let transparencyLogThreshold: Int
    /// Distinct CT logs whose embedded SCTs must verify.
    public let signedCertificateTimestampThreshold: Int
    /// Verified signing times (SET integrated times plus RFC 3161 times) required.
    public let verifiedTimeThreshold: Int
    /// Verified RFC 3161 timestamps required on their own (sigstore-go's `WithSignedTimestamps`); 0 for public good.
    public let signedTimestampThreshold: Int

    public init(
        transparencyLogThreshold: Int = 1, signedCertificateTimestampThreshold: Int = 1, verifiedTimeThreshold: Int = 1
    ) throws(VerificationError) {
        for (name, value) in [
            ("transparency log threshold", transparencyLogThreshold),
            ("SCT threshold", signedCertificateTimestampThreshold), ("verified time threshold", verifiedTimeThreshold),
        ] where value < 1 {
            throw VerificationError.invalidPolicy("\(name) must be at least 1, not \(value)")
        }
        self.transparencyLogThreshold = transparencyLogThreshold
        self.signedCertificateTimestampThreshold = signedCertificateTimestampThreshold
        self.verifiedTimeThreshold = verifiedTimeThreshold
        self.signedTimestampThreshold = 0
    }

    /// Sigstore public-good defaults: one log entry, one SCT, one verified time.
    public static let publicGood = VerifierConfiguration(checked: (1, 1, 1, 0))

    /// A deployment with a timestamp authority and neither a transparency log nor CT logs (GitHub's own Sigstore
    /// instance, as gh verifies it): one verified RFC 3161 timestamp, no log entry or SCT required.
    public static let timestampAuthorityOnly = VerifierConfiguration(checked: (0, 0, 1, 1))

    /// What gh assumes of a trusted root it does not recognise: one verified time, one log entry when the root has
    /// a transparency log, no SCT.
    public static func inferred(from root: TrustedRoot) -> VerifierConfiguration {
        VerifierConfiguration(checked: (root.transparencyLogs.isEmpty ? 0 : 1, 0, 1, 0))
    }

    /// Thresholds known to be valid (a verified time is always required).
    private init(checked thresholds: (transparencyLog: Int, signedCertificateTimestamp: Int, verifiedTime: Int, signedTimestamp: Int)) {
        transparencyLogThreshold = thresholds.transparencyLog
        signedCertificateTimestampThreshold = thresholds.signedCertificateTimestamp
        verifiedTimeThreshold = thresholds.verifiedTime
        signedTimestampThreshold = thresholds.signedTimestamp
    }
}
