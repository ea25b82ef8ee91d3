import Foundation
import HephaestusPlatform
import HephaestusSigstore

/// The attestations of a bundle file as `gh attestation download` writes them: one Sigstore bundle in JSON, or JSON
/// Lines with one bundle per line (a line may also wrap its bundle as `{"bundle": …}`, as GitHub's API returns it).
/// A file with a bundle that does not parse is refused whole, as gh refuses it.
public enum GitHubAttestationBundles {
    public static func read(path: String) throws -> [SigstoreBundle] {
        let bytes = try FileReader.contents(of: path, limit: 4 * BundleVerification.maximumBundleSize)
        let documents: [[UInt8]]
        if path.hasSuffix(".jsonl") {
            documents = bytes.split(separator: UInt8(ascii: "\n")).map(Array.init).filter {
                !$0.allSatisfy { [0x20, 0x09, 0x0D].contains($0) }
            }
        } else {
            documents = [bytes]
        }
        guard !documents.isEmpty else { throw AttestationError(.empty, "\(path) holds no attestation bundle") }
        return try documents.enumerated().map { index, document in
            let wrapped = ((try? JSONSerialization.jsonObject(with: Data(document))) as? [String: Any]).flatMap { object in
                object["mediaType"] == nil ? object["bundle"] : nil
            }
            let json = try wrapped.map { Array(try JSONSerialization.data(withJSONObject: $0)) } ?? document
            do { return try SigstoreBundle(json: json) } catch {
                throw AttestationError(.malformed, "invalid bundle\(documents.count > 1 ? " on line \(index + 1)" : ""): \(error)")
            }
        }
    }

    /// The predicate type an attestation claims (read before verification, to filter as gh filters).
    static func predicateType(of bundle: SigstoreBundle) -> String? {
        guard case .dsseEnvelope(let envelope) = bundle.content else { return nil }
        return ((try? JSONSerialization.jsonObject(with: Data(envelope.payload))) as? [String: Any])?["predicateType"] as? String
    }
}

/// The trusted roots gh verifies against, chosen per bundle by the organisation of the signing certificate's issuer:
/// `sigstore.dev` (public good: a log entry, an SCT and a verified time required), `GitHub, Inc.` (GitHub's own
/// instance: one RFC 3161 timestamp, no log, no SCT), anything else (a verified time, and a log entry when the root
/// has a log). Without a custom root, the public-good production root serves `sigstore.dev`, and GitHub's instance
/// has no root (pass `gh attestation trusted-root`'s output).
public struct GitHubTrustedRoots: Sendable {
    public static let publicGoodOrganization = "sigstore.dev"
    public static let githubOrganization = "GitHub, Inc."

    public let roots: [TrustedRoot]
    public let isCustom: Bool

    public init(roots: [TrustedRoot], isCustom: Bool) {
        self.roots = roots
        self.isCustom = isCustom
    }

    /// The public-good production root of this run (the checked TUF cache `trust update` left, else the embedded one).
    public static func publicGood(in context: OperationContext) throws -> GitHubTrustedRoots {
        GitHubTrustedRoots(roots: [try TrustChoice().resolve(in: context).load()], isCustom: false)
    }

    /// A custom trusted root file: JSON Lines, one trusted root per line (`gh attestation trusted-root`), or one JSON
    /// document.
    public static func custom(path: String) throws -> GitHubTrustedRoots {
        let bytes = try FileReader.contents(of: path, limit: 16 << 20)
        var roots: [TrustedRoot] = []
        if let whole = try? TrustedRoot(json: bytes) {
            roots = [whole]
        } else {
            for line in bytes.split(separator: UInt8(ascii: "\n")) where !line.allSatisfy({ [0x20, 0x09, 0x0D].contains($0) }) {
                roots.append(try TrustedRoot(json: Array(line)))
            }
        }
        guard !roots.isEmpty else { throw VerificationError.malformedTrustedRoot("\(path) holds no trusted root") }
        return GitHubTrustedRoots(roots: roots, isCustom: true)
    }

    /// The verifier for a bundle, by its leaf's issuer organisation (gh's `chooseVerifier`).
    public func verifier(for bundle: SigstoreBundle) throws(AttestationError) -> BundleVerifier {
        guard let leaf = bundle.leafCertificate else {
            throw AttestationError(.unsupportedBundle, "failed to get bundle issuer: leaf cert not found")
        }
        let organizations = leaf.issuerOrganizations
        guard organizations.count == 1 else {
            throw AttestationError(.unsupportedBundle, "expected the leaf certificate issuer to only have one organization")
        }
        let organization = organizations[0]
        let root = roots.first { root in
            root.certificateAuthorities.contains { $0.certificates.first?.issuerOrganizations.first == organization }
        }
        guard let root else {
            throw AttestationError(
                .noTrustedRoot,
                isCustom
                    ? "no custom verifier found for issuer \"\(organization)\""
                    : "no trusted root for issuer \"\(organization)\": pass --custom-trusted-root (gh attestation trusted-root)")
        }
        let configuration: VerifierConfiguration =
            switch organization {
            case Self.publicGoodOrganization: .publicGood
            case Self.githubOrganization: .timestampAuthorityOnly
            default: .inferred(from: root)
            }
        return BundleVerifier(trustedRoot: root, configuration: configuration)
    }
}

/// `gh attestation verify --bundle`: the attestations of a bundle file, filtered by predicate type, each verified for
/// the artifact's digest (in the chosen algorithm only) and gh's policy; the artifact passes when at least one does.
public struct GitHubAttestationVerifier: Sendable {
    public let roots: GitHubTrustedRoots
    public let policy: GitHubAttestationPolicy

    public init(roots: GitHubTrustedRoots, policy: GitHubAttestationPolicy) {
        self.roots = roots
        self.policy = policy
    }

    /// The attestations that verified (at least one), or the failure of the last one tried.
    public func verify(_ bundles: [SigstoreBundle], artifactDigest: Digest) throws -> [VerifiedAttestation] {
        let rule = try policy.rule()
        let wanted = policy.effectivePredicateType
        for bundle in bundles where bundle.version < .v0_2 {
            throw AttestationError(.unsupportedBundle, "failed to get bundle issuer: unsupported bundle version: \(bundle.mediaType)")
        }
        let candidates = bundles.filter { GitHubAttestationBundles.predicateType(of: $0) == wanted }
        guard !candidates.isEmpty else {
            throw AttestationError(.predicateType, "no attestations found with predicate type: \(wanted)")
        }
        var verified: [VerifiedAttestation] = []
        var lastError: (any Error)?
        for bundle in candidates {
            do {
                let result = try roots.verifier(for: bundle).verify(
                    bundle, policy: VerificationPolicy(artifact: .digest(artifactDigest), identity: .signerRule(rule)))
                verified.append(
                    VerifiedAttestation(
                        publisher: nil, predicateType: wanted, identity: result.identity, issuer: result.issuer,
                        signedAt: result.verifiedTimestamps.map { RFC3339.string($0.time) }))
            } catch {
                lastError = error
            }
        }
        if verified.isEmpty, let lastError { throw lastError }
        return verified
    }
}

/// `verify.github-attestation`: an artifact checked against GitHub artifact attestations from a bundle file, with
/// `gh attestation verify`'s policy flags and verdicts, offline.
public enum VerifyGitHubAttestationOperation: Operation {
    public struct Request: Codable, Sendable, Equatable {
        public var bundle: String
        public var artifact: String
        public var policy: GitHubAttestationPolicy
        /// `sha256` (gh's default) or `sha512`.
        public var digestAlgorithm: String?
        /// A trusted root JSON Lines file (`gh attestation trusted-root`); the embedded public-good root otherwise.
        public var customTrustedRoot: String?

        public init(
            bundle: String, artifact: String, policy: GitHubAttestationPolicy, digestAlgorithm: String? = nil, customTrustedRoot: String? = nil
        ) {
            self.bundle = bundle
            self.artifact = artifact
            self.policy = policy
            self.digestAlgorithm = digestAlgorithm
            self.customTrustedRoot = customTrustedRoot
        }

        public func validate() throws(RequestError) {
            try policy.validate()
            _ = try algorithm
        }

        var algorithm: DigestAlgorithm {
            get throws(RequestError) {
                switch digestAlgorithm ?? "sha256" {
                case "sha256": .sha256
                case "sha512": .sha512
                case let other: throw RequestError("--digest-alg must be sha256 or sha512, not \(other)")
                }
            }
        }
    }

    public static let descriptor = OperationDescriptor(
        name: "verify.github-attestation", command: "verify github-attestation",
        summary: "Verify an artifact against GitHub artifact attestations from a bundle file, as gh attestation verify does, offline.",
        reportMediaType: MediaType.githubAttestationVerification, effect: .readOnly,
        errorCodes: FileError.Code.reading.map(\.rawValue) + AttestationError.Code.allCases.map(\.rawValue)
            + VerificationError.Code.allCases.map(\.rawValue) + TrustErrorCodes.source)

    public static func run(
        _ request: Request, in context: OperationContext, emit: ItemSink<Never>
    ) async throws
        -> AttestationVerificationReport
    {
        try request.validate()
        let digest = try request.algorithm.hash(fileAt: request.artifact)
        let roots = try request.customTrustedRoot.map { try GitHubTrustedRoots.custom(path: $0) } ?? GitHubTrustedRoots.publicGood(in: context)
        let verifier = GitHubAttestationVerifier(roots: roots, policy: request.policy)
        let outcome: Result<[VerifiedAttestation], any Error>
        do {
            outcome = .success(try verifier.verify(try GitHubAttestationBundles.read(path: request.bundle), artifactDigest: digest))
        } catch  where AttestationVerdict.verdictCode(of: error) != nil {
            outcome = .failure(error)
        }
        let report = AttestationVerificationReport(artifact: request.artifact, source: request.bundle, digest: digest.description, outcome: outcome)
        context.logger.info(
            report.verdict == .pass ? "verify.github-attestation.passed" : "verify.github-attestation.failed",
            metadata: ["artifact": .string(request.artifact), "code": .string(report.code ?? "")])
        return report
    }
}
