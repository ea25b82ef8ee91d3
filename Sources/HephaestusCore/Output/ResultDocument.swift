import Foundation

/// A JSON result printed on stdout by `--json`: a versioned media type, the run id, and the payload's fields.
public struct ResultDocument<Payload: Encodable & Sendable>: Encodable, Sendable {
    public let mediaType: String
    public let runId: RunID
    public let payload: Payload

    public init(mediaType: String, runID: RunID, payload: Payload) {
        self.mediaType = mediaType
        self.runId = runID
        self.payload = payload
    }

    private enum CodingKeys: String, CodingKey {
        case mediaType, runId
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(mediaType, forKey: .mediaType)
        try container.encode(runId, forKey: .runId)
        try payload.encode(to: encoder)
    }

    /// Pretty, key-sorted JSON text.
    public func jsonText() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}

/// Media types of the JSON documents `hephaestus` prints.
public enum MediaType {
    public static let digestResult = "application/vnd.hephaestus.digest-result+json;version=1"
    public static let digestCheckResult = "application/vnd.hephaestus.digest-check-result+json;version=1"
    public static let verificationResult = "application/vnd.hephaestus.verification-result+json;version=1"
    public static let verificationFiles = "application/vnd.hephaestus.verification-files+json;version=1"
    public static let attestationVerification = "application/vnd.hephaestus.attestation-verification+json;version=1"
    public static let githubAttestationVerification = "application/vnd.hephaestus.github-attestation-verification+json;version=1"
    public static let verificationBatch = "application/vnd.hephaestus.verification-batch+json;version=1"
    /// One output line of `verify batch` (the lines are its output; the report only counts them).
    public static let verificationBatchLine = "application/vnd.hephaestus.verification-batch-line+json;version=1"
    public static let trustReport = "application/vnd.hephaestus.trust-report+json;version=1"
    public static let trustUpdate = "application/vnd.hephaestus.trust-update+json;version=1"
    public static let tufClientResult = "application/vnd.hephaestus.tuf-client-result+json;version=1"
    public static let releaseDownload = "application/vnd.hephaestus.release-download+json;version=1"
    public static let tokenReport = "application/vnd.hephaestus.token-report+json;version=1"
    public static let extraction = "application/vnd.hephaestus.extraction+json;version=1"
    public static let releaseReport = "application/vnd.hephaestus.release-report+json;version=1"
    public static let signingResult = "application/vnd.hephaestus.signing-result+json;version=1"
    public static let inventoryScan = "application/vnd.hephaestus.inventory-scan+json;version=1"
    public static let inventoryAudit = "application/vnd.hephaestus.inventory-audit+json;version=1"
    public static let backfillPlan = "application/vnd.hephaestus.backfill-plan+json;version=1"
    public static let backfillRun = "application/vnd.hephaestus.backfill-run+json;version=1"
    public static let backfillStatus = "application/vnd.hephaestus.backfill-status+json;version=1"
    public static let wheelhousePack = "application/vnd.hephaestus.wheelhouse-pack+json;version=1"
    public static let pypiPublishResult = "application/vnd.hephaestus.pypi-publish-result+json;version=1"
    public static let githubPublishResult = "application/vnd.hephaestus.github-publish-result+json;version=1"
    public static let revocation = "application/vnd.hephaestus.revocation+json;version=1"
}
