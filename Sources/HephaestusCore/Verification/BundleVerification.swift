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

    /// Reads, parses and verifies one bundle. A bundle or artifact file that cannot be read is a file error (the
    /// artifact's an ``UnreadableInput``), never a verdict.
    public func verify(bundlePath: String, policy: VerificationPolicy) throws -> VerificationResult {
        let bytes = try FileReader.contents(of: bundlePath, limit: Self.maximumBundleSize)
        try UnreadableInput.checkReadable(policy.artifact)
        let bundle = try SigstoreBundle(json: bytes)
        return try verifier.verify(bundle, policy: policy)
    }
}

/// `verify.bundle`: one Sigstore bundle verified offline for an artifact and a signer.
public enum VerifyBundleOperation: Operation {
    public struct Request: Codable, Sendable, Equatable {
        /// The bundle file (`.sigstore.json` or `.sigstore`).
        public var bundle: String
        /// The artifact's path, or its digest as `sha256:<hex>` when no file by that name exists.
        public var artifact: String
        public var signer: SignerChoice
        public var trust: TrustChoice

        public init(bundle: String, artifact: String, signer: SignerChoice, trust: TrustChoice = TrustChoice()) {
            self.bundle = bundle
            self.artifact = artifact
            self.signer = signer
            self.trust = trust
        }
    }

    public static let descriptor = OperationDescriptor(
        name: "verify.bundle", command: "verify bundle", summary: "Verify one Sigstore bundle for an artifact and a signer, offline.",
        reportMediaType: MediaType.verificationResult, effect: .readOnly,
        errorCodes: FileError.Code.reading.map(\.rawValue) + VerificationError.Code.allCases.map(\.rawValue) + TrustErrorCodes.source
            + TrustErrorCodes.policy
            + [CryptoError.Code.malformedKey.rawValue, CryptoError.Code.unsupportedKey.rawValue])

    /// A verdict on the bundle is the report (pass or fail); a missing file or an unusable trust root is thrown.
    public static func run(_ request: Request, in context: OperationContext, emit: ItemSink<Never>) async throws -> VerificationReport {
        try request.trust.validate()
        let policy = try VerificationPolicy(
            artifact: try ArtifactReference.resolve(request.artifact), signer: try request.signer.signerPolicy(command: descriptor.command))
        let verification = try BundleVerification(trust: request.trust.resolve(in: context))
        let outcome = Result { try verification.verify(bundlePath: request.bundle, policy: policy) }
        if case .failure(let error) = outcome, !(error is VerificationError) { throw error }
        let report = VerificationReport(bundle: request.bundle, artifact: request.artifact, outcome: outcome)
        switch outcome {
        case .success(let result):
            context.logger.info("verify.passed", metadata: ["bundle": .string(request.bundle), "identity": .string(result.identity)])
        case .failure(let error):
            context.logger.info(
                "verify.failed", metadata: ["bundle": .string(request.bundle), "code": .string((error as? any CodedError)?.code ?? "")])
        }
        return report
    }
}

/// A verification that ended with a negative verdict: the step that failed and why.
public struct VerificationFailure: CodedError {
    public let step: String?
    public let errorCode: VerificationError.Code
    public let reason: String

    public var description: String { step.map { "verification failed at \($0): \(reason)" } ?? reason }
}

/// The `--json` document of `verify bundle`: the verdict, and either the result or the failed step.
public struct VerificationReport: OperationReport {
    public enum Verdict: String, Codable, Sendable, CaseIterable {
        case pass, fail
    }

    public let verdict: Verdict
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
            verdict = .pass
            self.result = result
            step = nil
            code = nil
            reason = nil
        case .failure(let error):
            verdict = .fail
            result = nil
            step = (error as? VerificationError)?.step
            code = (error as? any CodedError)?.code ?? "internal.unexpected"
            reason = "\(error)"
        }
    }

    public var failure: (any CodedError)? {
        guard verdict == .fail else { return nil }
        let reason = reason ?? "verification failed"
        guard let code = code.flatMap(VerificationError.Code.init(rawValue:)) else { return GeneralError.unexpected(reason) }
        return VerificationFailure(step: step, errorCode: code, reason: reason)
    }

    private enum CodingKeys: String, CodingKey {
        case verdict, bundle, artifact, step, code, reason
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        verdict = try container.decode(Verdict.self, forKey: .verdict)
        bundle = try container.decode(String.self, forKey: .bundle)
        artifact = try container.decode(String.self, forKey: .artifact)
        step = try container.decodeIfPresent(String.self, forKey: .step)
        code = try container.decodeIfPresent(String.self, forKey: .code)
        reason = try container.decodeIfPresent(String.self, forKey: .reason)
        result = verdict == .pass ? try VerificationResult(from: decoder) : nil
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

extension VerificationReport: SchemaRefining {
    /// The result's members are there only when the verdict is `pass` (a `fail` carries `step`, `code`, `reason`).
    package static func refineSchema(_ probed: JSONValue) -> JSONValue {
        guard case .object(var fields) = probed, case .array(let required)? = fields["required"] else { return probed }
        let always: [JSONValue] = ["verdict", "bundle", "artifact"]
        fields["required"] = .array(required.filter { always.contains($0) })
        fields["if"] = ["properties": ["verdict": ["const": "pass"]]]
        fields["then"] = ["required": .array(required.filter { !always.contains($0) })]
        fields["else"] = ["required": ["code", "reason"]]
        return .object(fields)
    }
}
