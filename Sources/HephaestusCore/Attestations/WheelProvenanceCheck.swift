import Foundation
import HephaestusPlatform
import HephaestusSigstore

/// `release verify/install --deep`: each wheel of the wheelhouse against its own PEP 740 provenance, found in a
/// directory by the wheel's name: `WHEEL.provenance` (a PyPI Integrity API provenance object), else
/// `WHEEL.publish.attestation` (one attestation object). Each must verify for the wheel's sha256 and the expected
/// Trusted Publisher. A wheel without either fails the check, unless missing provenance is allowed (then it is
/// reported, and warned about).
public struct WheelProvenanceCheck: Sendable {
    public let directory: String
    public let publisher: TrustedPublisher
    public let allowMissing: Bool
    public let verifier: PEP740Verifier

    public init(directory: String, publisher: TrustedPublisher, allowMissing: Bool, verifier: PEP740Verifier) {
        self.directory = directory
        self.publisher = publisher
        self.allowMissing = allowMissing
        self.verifier = verifier
    }

    /// One wheel's outcome.
    public struct Outcome: Codable, Sendable, Equatable {
        public enum Verdict: String, Codable, Sendable {
            case pass
            /// No provenance, and missing ones are allowed.
            case missing
        }

        public let wheel: String
        public let verdict: Verdict
        /// The provenance or attestation file.
        public let file: String?
        public let attestations: [VerifiedAttestation]
    }

    /// Checks every wheel; throws the first failure (a wheel whose provenance does not verify, or that has none when
    /// none is allowed).
    public func check(_ wheels: [InspectedWheel], notify: (ReleaseNotice) -> Void = { _ in }) throws -> [Outcome] {
        try wheels.map { wheel in
            let distribution = try PythonDistribution(
                name: wheel.file, sha256: try Digest(algorithm: .sha256, hex: wheel.sha256).orThrow(wheel))
            let provenance = "\(directory)/\(wheel.file).provenance"
            let attestation = "\(directory)/\(wheel.file).publish.attestation"
            if FileManager.default.fileExists(atPath: provenance) {
                let verified = try verifier.verify(
                    try PEP740Provenance.read(path: provenance), distribution: distribution, signer: .publisher(publisher))
                return Outcome(wheel: wheel.file, verdict: .pass, file: provenance, attestations: verified)
            }
            if FileManager.default.fileExists(atPath: attestation) {
                let verified = try verifier.verify(try PEP740Attestation.read(path: attestation), distribution: distribution, rule: publisher.rule)
                return Outcome(wheel: wheel.file, verdict: .pass, file: attestation, attestations: [verified])
            }
            guard allowMissing else {
                throw AttestationError(
                    .missingProvenance,
                    "\(wheel.file) has no PEP 740 provenance in \(directory) (looked for \(wheel.file).provenance and \(wheel.file).publish.attestation); --allow-missing-provenance skips this check (unsafe)"
                )
            }
            notify(
                .warning(
                    event: "release.provenance-missing", message: "\(wheel.file) has no PEP 740 provenance: not checked (--allow-missing-provenance)")
            )
            return Outcome(wheel: wheel.file, verdict: .missing, file: nil, attestations: [])
        }
    }
}

extension Optional where Wrapped == Digest {
    fileprivate func orThrow(_ wheel: InspectedWheel) throws(AttestationError) -> Digest {
        guard let self else { throw AttestationError(.malformed, "\(wheel.file): unreadable sha256 \(wheel.sha256)") }
        return self
    }
}

/// What `--deep` asks of a release check: each wheel's PEP 740 provenance from `--provenance-dir`, signed by the
/// GitHub Trusted Publisher `--provenance-repository` (default: the release's repository), optionally its
/// `--provenance-workflow`; a missing one is an error unless `--allow-missing-provenance`.
public struct ProvenanceChoice: Codable, Sendable, Equatable {
    public var deep: Bool
    public var provenanceDir: String?
    public var provenanceRepository: String?
    public var provenanceWorkflow: String?
    public var allowMissingProvenance: Bool

    public init(
        deep: Bool = false, provenanceDir: String? = nil, provenanceRepository: String? = nil, provenanceWorkflow: String? = nil,
        allowMissingProvenance: Bool = false
    ) {
        self.deep = deep
        self.provenanceDir = provenanceDir
        self.provenanceRepository = provenanceRepository
        self.provenanceWorkflow = provenanceWorkflow
        self.allowMissingProvenance = allowMissingProvenance
    }

    private enum CodingKeys: String, CodingKey { case deep, provenanceDir, provenanceRepository, provenanceWorkflow, allowMissingProvenance }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        deep = try container.decodeIfPresent(Bool.self, forKey: .deep) ?? false
        provenanceDir = try container.decodeIfPresent(String.self, forKey: .provenanceDir)
        provenanceRepository = try container.decodeIfPresent(String.self, forKey: .provenanceRepository)
        provenanceWorkflow = try container.decodeIfPresent(String.self, forKey: .provenanceWorkflow)
        allowMissingProvenance = try container.decodeIfPresent(Bool.self, forKey: .allowMissingProvenance) ?? false
    }

    /// The options need `--deep`; `--deep` needs a directory and a publisher (`releaseRepository` for GitHub sources).
    public func validate(releaseRepository: String?) throws(RequestError) {
        guard deep else {
            let given = [
                ("--provenance-dir", provenanceDir != nil), ("--provenance-repository", provenanceRepository != nil),
                ("--provenance-workflow", provenanceWorkflow != nil), ("--allow-missing-provenance", allowMissingProvenance),
            ]
            if let flag = given.first(where: { $0.1 })?.0 { throw RequestError("\(flag) needs --deep") }
            return
        }
        guard let provenanceDir, !provenanceDir.isEmpty else {
            throw RequestError("--deep needs --provenance-dir DIR (where WHEEL.provenance or WHEEL.publish.attestation files are)")
        }
        _ = try publisher(releaseRepository: releaseRepository)
    }

    func publisher(releaseRepository: String?) throws(RequestError) -> TrustedPublisher {
        guard let repository = provenanceRepository ?? releaseRepository else {
            throw RequestError("--deep with a local --archive needs --provenance-repository OWNER/REPO (the wheels' Trusted Publisher)")
        }
        guard case .publisher(let publisher) = try AttestationSigner(githubRepository: repository, githubWorkflow: provenanceWorkflow).optionChoice()
        else {
            throw RequestError("--provenance-repository must be OWNER/REPO")
        }
        return publisher
    }

    /// The check, or nil without `--deep`.
    public func check(releaseRepository: String?, trust: TrustSelection) throws -> WheelProvenanceCheck? {
        guard deep, let provenanceDir else { return nil }
        return WheelProvenanceCheck(
            directory: provenanceDir, publisher: try publisher(releaseRepository: releaseRepository), allowMissing: allowMissingProvenance,
            verifier: PEP740Verifier(verifier: BundleVerifier(trustedRoot: try trust.load())))
    }
}
