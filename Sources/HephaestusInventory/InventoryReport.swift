import Foundation
import GRDB
import HephaestusCore
import HephaestusPlatform

/// `inventory report`: the inventory as one JSON document, a CSV table (one row per asset) or a self-contained
/// HTML page (summary, signed-vs-unsigned releases per month, identities, findings, releases).
public struct InventoryReport: Codable, Sendable {
    public static let mediaType = "application/vnd.hephaestus.inventory-report+json;version=1"

    public struct BundleInfo: Codable, Sendable {
        public let identity: String?
        public let issuer: String?
        public let logIndex: Int64?
        public let signingTime: String?
        public let verdict: VerificationReport.Verdict
        public let reason: String?
    }

    public struct AssetInfo: Codable, Sendable {
        public let name: String
        public let size: Int64
        public let sha256: String?
        public let manifest: ReleaseAssetRoles.ManifestVerdict
        public let bundle: BundleInfo?
    }

    public struct ReleaseInfo: Codable, Sendable {
        public let repository: String
        public let tag: String
        public let publishedAt: String?
        public let assets: [AssetInfo]

        /// `signed-failing` when any asset has a bundle that does not verify (signed, but failing: never counted as
        /// unsigned), else `signed` when every asset has a passing bundle, `unsigned` when none has a bundle, else
        /// `partial`.
        public var state: ReleaseState {
            if assets.contains(where: { $0.bundle?.verdict == .fail }) { return .signedFailing }
            let signed = assets.filter { $0.bundle?.verdict == .pass }.count
            if !assets.isEmpty && signed == assets.count { return .signed }
            return signed == 0 ? .unsigned : .partial
        }
    }

    /// How much of a release is signed, and whether what is signed verifies.
    public enum ReleaseState: String, Codable, Sendable, CaseIterable, CustomStringConvertible {
        case signed, partial
        case signedFailing = "signed-failing"
        case unsigned

        /// As people read it: `signed`, `partially signed`, `signed, failing`, `unsigned`.
        public var description: String {
            switch self {
            case .signed: "signed"
            case .partial: "partially signed"
            case .signedFailing: "signed, failing"
            case .unsigned: "unsigned"
            }
        }
    }

    public struct IdentityInfo: Codable, Sendable {
        public let identity: String
        public let issuer: String
        public let bundles: Int
        public let firstSigned: String?
        public let lastSigned: String?
    }

    public struct Month: Codable, Sendable {
        public let month: String
        public let signed: Int
        public let partial: Int
        public let failing: Int
        public let unsigned: Int
    }

    public struct Summary: Codable, Sendable {
        public let repositories: Int
        public let releases: Int
        public let signedReleases: Int
        public let partiallySignedReleases: Int
        /// Releases with a bundle that does not verify ("signed, failing").
        public let failingReleases: Int
        public let unsignedReleases: Int
        public let assets: Int
        public let signedAssets: Int
        public let failingBundles: Int
        public let findings: Int
    }

    public let generatedAt: String
    public let inventory: String
    /// SHA-256 (hex) of the trusted root's bytes every bundle was verified with for this report.
    public let trustedRootSHA256: String
    public let summary: Summary
    public let timeline: [Month]
    public let identities: [IdentityInfo]
    public let findings: [InventoryAudit.Finding]
    public let releases: [ReleaseInfo]

    /// Reads the inventory and runs the audit (no identity expectations): its findings, and its verdict for every
    /// bundle (re-verified with the audit's trusted root, never a stored verdict), so that the report says what the
    /// audit says. `now` is the generation time.
    public static func build(store: InventoryStore, audit: InventoryAudit, now: Date = Date()) async throws -> InventoryReport {
        let audited = try await audit.run()
        let releases = try await BlockingWork.run { try Self.releases(in: store, bundles: audited.bundles) }
        return assemble(store: store, releases: releases, audited: audited, now: now)
    }

    /// Every release of the inventory with its (present) assets and the audit's verdict on their bundles.
    private static func releases(in store: InventoryStore, bundles: [Int64: BundleInfo]) throws -> [ReleaseInfo] {
        let rows = try store.pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT r.name AS repository, rel.tag, rel.published_at, a.id AS asset_id, a.name, a.size, a.sha256, a.manifest_verdict
                    FROM release rel JOIN repository r ON r.id = rel.repository_id
                    LEFT JOIN asset a ON a.release_id = rel.id AND a.removed = 0
                    ORDER BY r.name, rel.published_at DESC, rel.tag, a.name
                    """)
        }
        var releases: [ReleaseInfo] = []
        var current: (key: String, repository: String, tag: String, published: String?, assets: [AssetInfo])?
        for row in rows {
            let repository: String = row["repository"]
            let tag: String = row["tag"]
            let key = repository + "\u{0}" + tag
            if current?.key != key {
                if let done = current {
                    releases.append(ReleaseInfo(repository: done.repository, tag: done.tag, publishedAt: done.published, assets: done.assets))
                }
                current = (key, repository, tag, row["published_at"], [])
            }
            guard let name = row["name"] as String?, let assetID = row["asset_id"] as Int64? else { continue }
            current?.assets.append(
                AssetInfo(
                    name: name, size: row["size"], sha256: row["sha256"], manifest: try store.recorded(row["manifest_verdict"]),
                    bundle: bundles[assetID]))
        }
        if let done = current {
            releases.append(ReleaseInfo(repository: done.repository, tag: done.tag, publishedAt: done.published, assets: done.assets))
        }
        return releases
    }

    private static func assemble(store: InventoryStore, releases: [ReleaseInfo], audited: InventoryAudit.Outcome, now: Date) -> InventoryReport {
        var identities: [String: (issuer: String, count: Int, first: String?, last: String?)] = [:]
        for asset in releases.flatMap(\.assets) {
            guard let bundle = asset.bundle, bundle.verdict == .pass, let identity = bundle.identity else { continue }
            let key = identity + "\u{0}" + (bundle.issuer ?? "")
            var entry = identities[key] ?? (bundle.issuer ?? "", 0, nil, nil)
            entry.count += 1
            if let time = bundle.signingTime {
                entry.first = min(entry.first ?? time, time)
                entry.last = max(entry.last ?? time, time)
            }
            identities[key] = entry
        }
        var months: [String: [ReleaseState: Int]] = [:]
        for release in releases {
            months[String((release.publishedAt ?? "unknown").prefix(7)), default: [:]][release.state, default: 0] += 1
        }
        func count(_ state: ReleaseState) -> Int { releases.filter { $0.state == state }.count }
        let assets = releases.flatMap(\.assets)
        let repositories = Set(releases.map(\.repository)).count
        return InventoryReport(
            generatedAt: RFC3339.string(now), inventory: store.path, trustedRootSHA256: audited.summary.trustedRootSHA256,
            summary: Summary(
                repositories: repositories, releases: releases.count, signedReleases: count(.signed), partiallySignedReleases: count(.partial),
                failingReleases: count(.signedFailing), unsignedReleases: count(.unsigned), assets: assets.count,
                signedAssets: assets.filter { $0.bundle?.verdict == .pass }.count,
                failingBundles: assets.filter { $0.bundle?.verdict == .fail }.count, findings: audited.findings.count),
            timeline: months.keys.sorted().map { month in
                let states = months[month] ?? [:]
                return Month(
                    month: month, signed: states[.signed] ?? 0, partial: states[.partial] ?? 0, failing: states[.signedFailing] ?? 0,
                    unsigned: states[.unsigned] ?? 0)
            },
            identities: identities.map { key, value in
                IdentityInfo(
                    identity: String(key.split(separator: "\u{0}", omittingEmptySubsequences: false)[0]), issuer: value.issuer, bundles: value.count,
                    firstSigned: value.first, lastSigned: value.last)
            }.sorted { ($0.bundles, $1.identity) > ($1.bundles, $0.identity) },
            findings: audited.findings, releases: releases)
    }

    // MARK: Formats

    public func json(runID: RunID) throws -> [UInt8] {
        Array(try ResultDocument(mediaType: Self.mediaType, runID: runID, payload: self).jsonText().utf8) + [0x0A]
    }

    /// RFC 4180 CSV, one row per asset (releases without assets get one row with empty asset columns); `signed` is
    /// `yes` (a bundle that verifies), `failing` (a bundle that does not) or `no` (no bundle).
    public func csv() -> [UInt8] {
        var lines = [
            "repository,release,published_at,release_state,asset,size,sha256,manifest,signed,identity,issuer,log_index,signing_time,verdict,reason"
        ]
        func field(_ value: String?) -> String {
            guard let value else { return "" }
            // Cells starting with = + - @ are prefixed so spreadsheets do not run them as formulas.
            let safe = value.first.map { "=+-@\t\r".contains($0) } == true ? "'" + value : value
            return safe.contains(where: { ",\"\n\r".contains($0) }) ? "\"" + safe.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : safe
        }
        for release in releases {
            let head = [release.repository, release.tag, release.publishedAt ?? "", release.state.rawValue].map(field)
            if release.assets.isEmpty { lines.append((head + Array(repeating: "", count: 11)).joined(separator: ",")) }
            for asset in release.assets {
                let bundle = asset.bundle
                let cells = [
                    asset.name, String(asset.size), asset.sha256 ?? "", asset.manifest.rawValue,
                    bundle.map { $0.verdict == .pass ? "yes" : "failing" } ?? "no",
                    bundle?.identity ?? "", bundle?.issuer ?? "", bundle?.logIndex.map(String.init) ?? "", bundle?.signingTime ?? "",
                    bundle?.verdict.rawValue ?? "", bundle?.reason ?? "",
                ].map(field)
                lines.append((head + cells).joined(separator: ","))
            }
        }
        return Array((lines.joined(separator: "\r\n") + "\r\n").utf8)
    }

    public func html() -> [UInt8] { Array(InventoryReportHTML(report: self).render().utf8) }
}

/// A release's JSON carries its `state` too, so that readers need not derive it.
extension InventoryReport.ReleaseInfo {
    private enum CodingKeys: String, CodingKey { case repository, tag, publishedAt, state, assets }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            repository: try container.decode(String.self, forKey: .repository), tag: try container.decode(String.self, forKey: .tag),
            publishedAt: try container.decodeIfPresent(String.self, forKey: .publishedAt),
            assets: try container.decode([InventoryReport.AssetInfo].self, forKey: .assets))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(repository, forKey: .repository)
        try container.encode(tag, forKey: .tag)
        try container.encodeIfPresent(publishedAt, forKey: .publishedAt)
        try container.encode(state, forKey: .state)
        try container.encode(assets, forKey: .assets)
    }
}
