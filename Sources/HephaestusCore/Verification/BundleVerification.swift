import Foundation
import HephaestusPlatform
import HephaestusSigstore

/// `verify bundle` and `verify batch`: one bundle file checked against an artifact and a signer policy.
public struct BundleVerification: Sendable {
    /// Bundles are small; anything larger is refused before parsing.
    public static let maximumBundleSize = 16 << 20

    public let verifier: BundleVerifier

    public init(trust: TrustSelection) throws {
        self.verifier = BundleVerifier(trustedRoot: try trust.load())
    }

    public init(verifier: BundleVerifier) {
        self.verifier = verifier
    }

    /// Reads, parses and verifies one bundle.
    public func verify(bundlePath: String, policy: VerificationPolicy) throws -> VerificationResult {
        let bytes = try FileReader.contents(of: bundlePath, limit: Self.maximumBundleSize)
        let bundle = try SigstoreBundle(json: bytes)
        return try verifier.verify(bundle, policy: policy)
    }
}

/// The `--json` document of `verify bundle`: the verdict, and either the result or the failed step.
public struct VerificationReport: Encodable, Sendable {
    public let verdict: String
    public let bundle: String
    public let artifact: String
    public let result: VerificationResult?
    public let step: String?
    public let code: String?
    public let reason: String?

    public init(bundle: String, artifact: String, outcome: Result<VerificationResult, any Error>) {
        self.bundle = bundle
        self.artifact = artifact
        switch outcome {
        case .success(let result):
            verdict = "pass"
            self.result = result
            step = nil
            code = nil
            reason = nil
        case .failure(let error):
            verdict = "fail"
            result = nil
            step = (error as? VerificationError)?.step
            code = (error as? any CodedError)?.code ?? "internal.unexpected"
            reason = "\(error)"
        }
    }

    private enum CodingKeys: String, CodingKey {
        case verdict, bundle, artifact, step, code, reason
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(verdict, forKey: .verdict)
        try container.encode(bundle, forKey: .bundle)
        try container.encode(artifact, forKey: .artifact)
        try container.encodeIfPresent(step, forKey: .step)
        try container.encodeIfPresent(code, forKey: .code)
        try container.encodeIfPresent(reason, forKey: .reason)
        try result?.encode(to: encoder)
    }
}
