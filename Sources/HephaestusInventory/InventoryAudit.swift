import Foundation
import GRDB
import HephaestusCore
import HephaestusPlatform
import HephaestusSigstore

/// `inventory audit`: re-verifies every recorded bundle from its stored bytes against its asset's recorded SHA-256
/// with the trusted root given now (never trusting a stored verdict, whatever root it was made with), in parallel,
/// and reports findings.
public struct InventoryAudit: Sendable {
    /// One finding (the `findings` items of the JSON document).
    public struct Finding: Codable, Sendable, Equatable {
        public enum Kind: String, Codable, Sendable, CaseIterable {
            case unsignedAsset = "unsigned-asset"
            case verificationFailed = "verification-failed"
            case unexpectedIdentity = "unexpected-identity"
            case unexpectedIssuer = "unexpected-issuer"
            /// A claim or another rule of `--policy` is not met.
            case policyViolation = "policy-violation"
            case digestChanged = "digest-changed"
            case manifestMismatch = "manifest-mismatch"
        }

        public let kind: Kind
        public let repository: String
        public let release: String
        public let asset: String
        public let detail: String
    }

    public struct Summary: Codable, Sendable, Equatable {
        public var repositories = 0
        public var releases = 0
        public var assets = 0
        public var bundles = 0
        public var bundlesVerified = 0
        public var seconds = 0.0
        /// SHA-256 (hex) of the trusted root's bytes every bundle was verified with.
        public var trustedRootSHA256 = ""
    }

    /// Who is expected to sign: `--identity` patterns (exact or glob) and exact `--issuer`s, or a policy file; the
    /// options map onto the same ``SignerPolicy``. None: anyone.
    public struct Expectations: Sendable {
        public var identities: [String]
        public var issuers: [String]
        public var policy: SignerPolicy?

        public init(identities: [String] = [], issuers: [String] = []) {
            self.identities = identities
            self.issuers = issuers
        }

        public init(policy: SignerPolicy) {
            self.init()
            self.policy = policy
        }

        /// The policy to judge verified bundles by (nil: anyone).
        var signer: SignerPolicy? {
            if let policy { return policy }
            guard !identities.isEmpty || !issuers.isEmpty else { return nil }
            let issuer: ValueMatcher =
                issuers.isEmpty ? .anyValueUnsafe : issuers.count == 1 ? .exact(issuers[0]) : .anyOf(issuers.map { .exact($0) })
            return SignerPolicy(identity: .certificate(identity: .identityPatterns(identities), issuer: issuer, claims: []))
        }
    }

    public let store: InventoryStore
    public let assessment: BundleAssessment
    public let expectations: Expectations
    public let jobs: Int
    public let windowSize: Int

    /// The expectations as one policy (nil: anyone).
    let signer: SignerPolicy?

    public init(store: InventoryStore, assessment: BundleAssessment, expectations: Expectations, jobs: Int, windowSize: Int = 1024) {
        self.signer = expectations.signer
        self.store = store
        self.assessment = assessment
        self.expectations = expectations
        self.jobs = max(1, jobs)
        self.windowSize = windowSize
    }

    struct Row: Sendable {
        let assetID: Int64
        let repository: String
        let release: String
        let asset: String
        let sha256: String?
        let previousSHA256: String?
        let manifestVerdict: String
        let bundle: [UInt8]?
    }

    /// What one asset's re-verification found: its findings and, when it has a bundle, the bundle's verdict.
    struct Assessed: Sendable {
        let assetID: Int64
        let findings: [Finding]
        let bundle: InventoryReport.BundleInfo?
    }

    /// What an audit found: its summary, its findings, and its verdict on each bundle by asset row id.
    public typealias Outcome = (summary: Summary, findings: [Finding], bundles: [Int64: InventoryReport.BundleInfo])

    /// Findings in a stable order (repository, release, asset, kind), and each bundle's verdict by asset row id (what
    /// the report shows, so that the report and the audit never disagree). Stops between windows when `cancellation`
    /// is set.
    public func run(cancellation: Cancellation = Cancellation()) async throws -> Outcome {
        let started = Date()
        var summary = Summary(trustedRootSHA256: assessment.trustedRootSHA256)
        var found: [Finding] = []
        var bundles: [Int64: InventoryReport.BundleInfo] = [:]
        (summary.repositories, summary.releases) = try await BlockingWork.run { [store] in
            try store.pool.read { db in
                (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM repository") ?? 0, try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM release") ?? 0)
            }
        }
        // The next window is read from the database while the current one is verified, so that reading does not
        // leave the cores idle between windows.
        var rows = try await BlockingWork.run { [self] in try window(after: 0) }
        while let last = rows.last {
            if cancellation.isCancelled { throw CancellationError() }
            async let next = BlockingWork.run { [self] in try window(after: last.assetID) }
            let current = rows
            let assessed = try await BlockingWork.run { [self] in
                try ParallelMap.mapThrowing(current, jobs: jobs) { self.assess($0) }
            }
            for asset in assessed {
                found += asset.findings
                bundles[asset.assetID] = asset.bundle
            }
            let verified = rows.filter { $0.bundle != nil }.count
            summary.assets += rows.count
            summary.bundles += verified
            summary.bundlesVerified += verified
            rows = try await next
        }
        summary.seconds = Date().timeIntervalSince(started)
        found.sort { ($0.repository, $0.release, $0.asset, $0.kind.rawValue) < ($1.repository, $1.release, $1.asset, $1.kind.rawValue) }
        return (summary, found, bundles)
    }

    private func window(after id: Int64) throws -> [Row] {
        try store.pool.read { db in
            try GRDB.Row.fetchAll(
                db,
                sql: """
                    SELECT a.id, r.name AS repository, rel.tag, a.name, a.sha256, a.previous_sha256, a.manifest_verdict, b.content
                    FROM asset a JOIN release rel ON rel.id = a.release_id JOIN repository r ON r.id = rel.repository_id
                    LEFT JOIN bundle b ON b.asset_id = a.id
                    WHERE a.removed = 0 AND a.id > ? ORDER BY a.id LIMIT ?
                    """,
                arguments: [id, windowSize]
            ).map { row in
                Row(
                    assetID: row["id"], repository: row["repository"], release: row["tag"], asset: row["name"], sha256: row["sha256"],
                    previousSHA256: row["previous_sha256"], manifestVerdict: row["manifest_verdict"],
                    bundle: (row["content"] as Data?).map { Array($0) })
            }
        }
    }

    func assess(_ row: Row) -> Assessed {
        func finding(_ kind: Finding.Kind, _ detail: String) -> Finding {
            Finding(kind: kind, repository: row.repository, release: row.release, asset: row.asset, detail: detail)
        }
        var found: [Finding] = []
        if let previous = row.previousSHA256, previous != row.sha256 {
            found.append(finding(.digestChanged, "SHA-256 was \(previous), is now \(row.sha256 ?? "unknown")"))
        }
        if row.manifestVerdict == ReleaseAssetRoles.ManifestVerdict.mismatch.rawValue {
            found.append(finding(.manifestMismatch, "the release's SHA-256 manifest lists another digest than the asset's \(row.sha256 ?? "")"))
        }
        guard let bundle = row.bundle else {
            found.append(finding(.unsignedAsset, "no \(row.asset).sigstore.json or \(row.asset).sigstore bundle"))
            return Assessed(assetID: row.assetID, findings: found, bundle: nil)
        }
        let outcome = assessment.assess(bundle: bundle, sha256: row.sha256)
        switch outcome {
        case .failure(let error):
            found.append(finding(.verificationFailed, "\(error.step): \(error)"))
        case .success(let result):
            do {
                try signer?.check(result, now: assessment.verifier.clock())
            } catch .identityMismatch(let expected, let actual) {
                found.append(finding(.unexpectedIdentity, "signed by \(actual), expected \(expected)"))
            } catch .issuerMismatch(let expected, let actual) {
                found.append(finding(.unexpectedIssuer, "issuer \(actual), expected \(expected)"))
            } catch {
                found.append(finding(.policyViolation, "\(error)"))
            }
        }
        return Assessed(assetID: row.assetID, findings: found, bundle: assessment.verdict(outcome))
    }
}
