import Foundation
import HephaestusCore
import HephaestusPlatform
import HephaestusSigstore

/// Verifies a recorded bundle against the digest recorded for its asset, accepting any identity: the inventory
/// records *who* signed; audits then compare that with who was expected.
public struct BundleAssessment: Sendable {
    public let verifier: BundleVerifier
    /// `backfill run --policy`: a bundle verifies only when it also meets this policy (nil: any signer).
    public let policy: SignerPolicy?

    public init(verifier: BundleVerifier, policy: SignerPolicy? = nil) {
        self.verifier = verifier
        self.policy = policy
    }

    /// The verification result, or the error naming why the bundle does not verify.
    public func assess(bundle: [UInt8], sha256 hex: String?) -> Result<VerificationResult, VerificationError> {
        Result { () throws(VerificationError) -> VerificationResult in
            guard let hex, let digest = Digest(algorithm: .sha256, hex: hex) else {
                throw VerificationError.artifactMismatch(expected: "a recorded SHA-256", actual: "none recorded for the asset")
            }
            let parsed = try SigstoreBundle(json: bundle)
            return try verifier.verify(
                parsed, policy: VerificationPolicy(artifact: .digest(digest), signer: policy ?? SignerPolicy(identity: .anyCertificate)))
        }
    }

    /// The SHA-256 (hex) of the trusted root this assessment verifies with: recorded with each verdict, so that a
    /// verdict made with another root is never reused.
    public var trustedRootSHA256: String { verifier.trustedRoot.sha256.hex }

    /// What an assessment says about a bundle, as reports show it.
    public func verdict(_ outcome: Result<VerificationResult, VerificationError>) -> InventoryReport.BundleInfo {
        switch outcome {
        case .success(let result):
            InventoryReport.BundleInfo(
                identity: result.identity, issuer: result.issuer, logIndex: result.logEntries.first?.logIndex,
                signingTime: result.signingTime.map { $0.formatted(Date.ISO8601FormatStyle()) }, verdict: .pass, reason: nil)
        case .failure(let error):
            InventoryReport.BundleInfo(identity: nil, issuer: nil, logIndex: nil, signingTime: nil, verdict: .fail, reason: "\(error.step): \(error)")
        }
    }

    /// The inventory record of an assessment.
    public func record(
        assetID: Int64, bundleAssetName: String, bundleGitHubID: Int64?, content: [UInt8], outcome: Result<VerificationResult, VerificationError>
    ) -> InventoryStore.BundleRecord {
        let mediaType = (try? JSONSerialization.jsonObject(with: Data(content)) as? [String: Any])?["mediaType"] as? String
        let result = try? outcome.get()
        return InventoryStore.BundleRecord(
            assetID: assetID, bundleAssetName: bundleAssetName, bundleGitHubID: bundleGitHubID, content: content, mediaType: mediaType,
            assessed: verdict(outcome), claims: result?.claims ?? [:], logID: result?.logEntries.first?.logID, trustedRootSHA256: trustedRootSHA256,
            verifierVersion: HephaestusVersion.current)
    }
}
