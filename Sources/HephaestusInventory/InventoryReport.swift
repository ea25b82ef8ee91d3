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

        /// `signed` when every asset has a passing bundle, `unsigned` when none has one, else `partial`.
        public var state: ReleaseState {
            let signed = assets.filter { $0.bundle?.verdict == .pass }.count
            if !assets.isEmpty && signed == assets.count { return .signed }
            return signed == 0 ? .unsigned : .partial
        }
    }

    /// How much of a release is signed.
    public enum ReleaseState: String, Codable, Sendable, CaseIterable, CustomStringConvertible {
        case signed, partial, unsigned

        public var description: String { rawValue }
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
        public let unsigned: Int
    }

    public struct Summary: Codable, Sendable {
        public let repositories: Int
        public let releases: Int
        public let signedReleases: Int
        public let partiallySignedReleases: Int
        public let unsignedReleases: Int
        public let assets: Int
        public let signedAssets: Int
        public let failingBundles: Int
        public let findings: Int
    }

    public let generatedAt: String
    public let inventory: String
    public let summary: Summary
    public let timeline: [Month]
    public let identities: [IdentityInfo]
    public let findings: [InventoryAudit.Finding]
    public let releases: [ReleaseInfo]

    /// Reads the inventory and runs the audit (no identity expectations) for the findings; `now` is its generation time.
    public static func build(store: InventoryStore, audit: InventoryAudit, now: Date = Date()) async throws -> InventoryReport {
        let releases = try await BlockingWork.run { try Self.releases(in: store) }
        let findings = try await audit.run().findings
        return assemble(store: store, releases: releases, findings: findings, now: now)
    }

    /// Every release of the inventory with its (present) assets and their bundles.
    private static func releases(in store: InventoryStore) throws -> [ReleaseInfo] {
        let rows = try store.pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT r.name AS repository, rel.tag, rel.published_at, a.name, a.size, a.sha256, a.manifest_verdict,
                        b.identity, b.issuer, b.log_index, b.signing_time, b.verdict, b.reason, b.id AS bundle_id
                    FROM release rel JOIN repository r ON r.id = rel.repository_id
                    LEFT JOIN asset a ON a.release_id = rel.id AND a.removed = 0
                    LEFT JOIN bundle b ON b.asset_id = a.id
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
            guard let name = row["name"] as String? else { continue }
            let bundle: BundleInfo? =
                (row["bundle_id"] as Int64?) == nil
                ? nil
                : BundleInfo(
                    identity: row["identity"], issuer: row["issuer"], logIndex: row["log_index"], signingTime: row["signing_time"],
                    verdict: try store.recorded(row["verdict"]), reason: row["reason"])
            current?.assets.append(
                AssetInfo(name: name, size: row["size"], sha256: row["sha256"], manifest: try store.recorded(row["manifest_verdict"]), bundle: bundle)
            )
        }
        if let done = current {
            releases.append(ReleaseInfo(repository: done.repository, tag: done.tag, publishedAt: done.published, assets: done.assets))
        }
        return releases
    }

    private static func assemble(store: InventoryStore, releases: [ReleaseInfo], findings: [InventoryAudit.Finding], now: Date) -> InventoryReport {
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
        var months: [String: (signed: Int, partial: Int, unsigned: Int)] = [:]
        for release in releases {
            let month = String((release.publishedAt ?? "unknown").prefix(7))
            var entry = months[month] ?? (0, 0, 0)
            switch release.state {
            case .signed: entry.signed += 1
            case .partial: entry.partial += 1
            case .unsigned: entry.unsigned += 1
            }
            months[month] = entry
        }
        let assets = releases.flatMap(\.assets)
        let repositories = Set(releases.map(\.repository)).count
        return InventoryReport(
            generatedAt: RFC3339.string(now), inventory: store.path,
            summary: Summary(
                repositories: repositories, releases: releases.count, signedReleases: releases.filter { $0.state == .signed }.count,
                partiallySignedReleases: releases.filter { $0.state == .partial }.count,
                unsignedReleases: releases.filter { $0.state == .unsigned }.count, assets: assets.count,
                signedAssets: assets.filter { $0.bundle?.verdict == .pass }.count,
                failingBundles: assets.filter { $0.bundle?.verdict == .fail }.count, findings: findings.count),
            timeline: months.keys.sorted().map {
                Month(month: $0, signed: months[$0]!.signed, partial: months[$0]!.partial, unsigned: months[$0]!.unsigned)
            },
            identities: identities.map { key, value in
                IdentityInfo(
                    identity: String(key.split(separator: "\u{0}", omittingEmptySubsequences: false)[0]), issuer: value.issuer, bundles: value.count,
                    firstSigned: value.first, lastSigned: value.last)
            }.sorted { ($0.bundles, $1.identity) > ($1.bundles, $0.identity) },
            findings: findings, releases: releases)
    }

    // MARK: Formats

    public func json(runID: RunID) throws -> [UInt8] {
        Array(try ResultDocument(mediaType: Self.mediaType, runID: runID, payload: self).jsonText().utf8) + [0x0A]
    }

    /// RFC 4180 CSV, one row per asset (releases without assets get one row with empty asset columns).
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
                    asset.name, String(asset.size), asset.sha256 ?? "", asset.manifest.rawValue, bundle?.verdict == .pass ? "yes" : "no",
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
