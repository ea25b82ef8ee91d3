/// What the Sigstore deployment guarantees, fixed when the verifier is built (sigstore-go's `NewVerifier` options).
public struct VerifierConfiguration: Sendable {
    /// Verified transparency log entries required.
    public let transparencyLogThreshold: Int
    /// Distinct CT logs whose embedded SCTs must verify.
    public let signedCertificateTimestampThreshold: Int
    /// Verified signing times (SET integrated times plus RFC 3161 times) required.
    public let verifiedTimeThreshold: Int

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
    }

    /// Sigstore public-good defaults: one log entry, one SCT, one verified time.
    public static let publicGood = VerifierConfiguration(checked: (1, 1, 1))

    /// Thresholds known to be valid (each at least 1).
    private init(checked thresholds: (transparencyLog: Int, signedCertificateTimestamp: Int, verifiedTime: Int)) {
        transparencyLogThreshold = thresholds.transparencyLog
        signedCertificateTimestampThreshold = thresholds.signedCertificateTimestamp
        verifiedTimeThreshold = thresholds.verifiedTime
    }
}
