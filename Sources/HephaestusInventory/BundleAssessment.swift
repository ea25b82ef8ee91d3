import Foundation
import HephaestusCore
import HephaestusPlatform
import HephaestusSigstore

/// Verifies a recorded bundle against the digest recorded for its asset, accepting any identity: the inventory
/// records *who* signed; audits then compare that with who was expected.
public struct BundleAssessment: Sendable {
    public let verifier: BundleVerifier

    public init(verifier: BundleVerifier) {
        self.verifier = verifier
    }

    /// The verification result, or the error naming why the bundle does not verify.
    public func assess(bundle: [UInt8], sha256 hex: String?) -> Result<VerificationResult, VerificationError> {
        Result { () throws(VerificationError) -> VerificationResult in
            guard let hex, let digest = Digest(algorithm: .sha256, hex: hex) else {
                throw VerificationError.artifactMismatch(expected: "a recorded SHA-256", actual: "none recorded for the asset")
            }
            let parsed = try SigstoreBundle(json: bundle)
            let policy = try VerificationPolicy(
                artifact: .digest(digest), identity: .certificate(identity: .anyValueUnsafe, issuer: .anyValueUnsafe, claims: []))
            return try verifier.verify(parsed, policy: policy)
        }
    }

    /// The inventory record of an assessment.
    public func record(
        assetID: Int64, bundleAssetName: String, bundleGitHubID: Int64?, content: [UInt8], outcome: Result<VerificationResult, VerificationError>
    ) -> InventoryStore.BundleRecord {
        let mediaType = (try? JSONSerialization.jsonObject(with: Data(content)) as? [String: Any])?["mediaType"] as? String
        switch outcome {
        case .success(let result):
            let entry = result.logEntries.first
            return InventoryStore.BundleRecord(
                assetID: assetID, bundleAssetName: bundleAssetName, bundleGitHubID: bundleGitHubID, content: content, mediaType: mediaType,
                identity: result.identity, issuer: result.issuer, claims: result.claims, logID: entry?.logID, logIndex: entry?.logIndex,
                signingTime: result.signingTime, verdict: .pass, reason: nil, verifierVersion: HephaestusVersion.current)
        case .failure(let error):
            return InventoryStore.BundleRecord(
                assetID: assetID, bundleAssetName: bundleAssetName, bundleGitHubID: bundleGitHubID, content: content, mediaType: mediaType,
                identity: nil, issuer: nil, claims: [:], logID: nil, logIndex: nil, signingTime: nil, verdict: .fail,
                reason: "\(error.step): \(error)", verifierVersion: HephaestusVersion.current)
        }
    }
}
