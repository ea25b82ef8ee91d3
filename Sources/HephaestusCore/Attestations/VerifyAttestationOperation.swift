import Foundation
import HephaestusPlatform
import HephaestusSigstore

/// `verify.attestation`: a distribution checked against its PEP 740 attestation or PyPI provenance object, offline.
public enum VerifyAttestationOperation: Operation {
    public struct Request: Codable, Sendable, Equatable {
        /// One attestation object (`DIST.publish.attestation`), or a Sigstore bundle with a DSSE envelope.
        public var attestation: String?
        /// A PyPI Integrity API provenance object.
        public var provenance: String?
        /// The distribution file (wheel or sdist).
        public var distribution: String
        public var signer: AttestationSigner
        public var trust: TrustChoice

        public init(
            attestation: String? = nil, provenance: String? = nil, distribution: String, signer: AttestationSigner,
            trust: TrustChoice = TrustChoice()
        ) {
            self.attestation = attestation
            self.provenance = provenance
            self.distribution = distribution
            self.signer = signer
            self.trust = trust
        }

        public func validate() throws(RequestError) {
            guard (attestation == nil) != (provenance == nil) else { throw RequestError("give exactly one of --attestation or --provenance") }
            try trust.validate()
            try signer.validate()
        }
    }

    public static let descriptor = OperationDescriptor(
        name: "verify.attestation", command: "verify attestation",
        summary: "Verify a Python distribution against its PEP 740 attestation or PyPI provenance, offline.",
        reportMediaType: MediaType.attestationVerification, effect: .readOnly,
        errorCodes: FileError.Code.reading.map(\.rawValue) + AttestationError.Code.allCases.map(\.rawValue)
            + VerificationError.Code.allCases.map(\.rawValue) + TrustErrorCodes.source + TrustErrorCodes.policy)

    public static func run(
        _ request: Request, in context: OperationContext, emit: ItemSink<Never>
    ) async throws
        -> AttestationVerificationReport
    {
        try request.validate()
        let signer = try request.signer.choice()
        let distribution = try PythonDistribution.file(request.distribution)
        let verifier = PEP740Verifier(verifier: BundleVerifier(trustedRoot: try request.trust.resolve(in: context).load()))
        let source = request.attestation ?? request.provenance ?? ""
        let outcome: Result<[VerifiedAttestation], any Error>
        do {
            if let path = request.attestation {
                let attestation = try PEP740Attestation.read(path: path)
                outcome = .success([
                    try verifier.verify(attestation, distribution: distribution, rule: signer.rule, requirements: signer.requirements)
                ])
            } else {
                let provenance = try PEP740Provenance.read(path: source)
                outcome = .success(try verifier.verify(provenance, distribution: distribution, signer: signer))
            }
        } catch  where AttestationVerdict.verdictCode(of: error) != nil {
            outcome = .failure(error)
        }
        let report = AttestationVerificationReport(
            artifact: request.distribution, source: source, digest: distribution.sha256.description, outcome: outcome)
        context.logger.info(
            report.verdict == .pass ? "verify.attestation.passed" : "verify.attestation.failed",
            metadata: ["distribution": .string(distribution.name), "code": .string(report.code ?? "")])
        return report
    }
}

/// The `--json` document of `verify attestation` and `verify github-attestation`: the verdict, the attestations that
/// verified, or the failed check.
public struct AttestationVerificationReport: OperationReport, Equatable {
    public let verdict: VerificationReport.Verdict
    /// The artifact (distribution) checked.
    public let artifact: String
    /// The attestation, provenance or bundle file.
    public let source: String
    /// The artifact's digest, `ALGORITHM:HEX` (sha256 unless the request chose another algorithm).
    public let digest: String
    public let attestations: [VerifiedAttestation]
    public let code: String?
    public let reason: String?

    public init(artifact: String, source: String, digest: String, outcome: Result<[VerifiedAttestation], any Error>) {
        self.artifact = artifact
        self.source = source
        self.digest = digest
        switch outcome {
        case .success(let verified):
            verdict = .pass
            attestations = verified
            code = nil
            reason = nil
        case .failure(let error):
            verdict = .fail
            attestations = []
            code = AttestationVerdict.verdictCode(of: error) ?? "internal.unexpected"
            reason = "\(error)"
        }
    }

    public var failure: (any CodedError)? {
        verdict == .fail ? AttestationVerdict.failure(code: code, reason: reason) : nil
    }
}
