/// Hotspots: change frequency × complexity (Adam Tornhill, *Your Code as a Crime Scene*), with code-maat's default
/// thresholds and a weight for files on the supply-chain trust path.
///
/// score = bounded revisions × total indentation complexity × w, where bounded revisions count only commits of at most
/// the maximum change-set size (code-maat's default 30 files), files with fewer than the minimum revisions (code-maat's
/// default 5) are left out, and w is the trust-path weight for a file matching a trust-path pattern, 1 otherwise.
/// Ordered by score (highest first), then bounded revisions (most first), then path (byte order).
public enum Hotspots {
    /// A trust-path pattern: fnmatch(3), case-insensitive, `*` matching `/` too.
    public struct TrustPath: Codable, Sendable, Equatable {
        public let category: String
        public let pattern: String

        public init(category: String, pattern: String) {
            self.category = category
            self.pattern = pattern
        }
    }

    /// The default trust path: files whose path names verification, signing, extraction, or identity and policy.
    public static let defaultTrustPaths: [TrustPath] = [
        TrustPath(category: "verification", pattern: "*verif*"),
        TrustPath(category: "signing", pattern: "*signing*"),
        TrustPath(category: "signing", pattern: "*signer*"),
        TrustPath(category: "signing", pattern: "*signature*"),
        TrustPath(category: "signing", pattern: "*sign.*"),
        TrustPath(category: "signing", pattern: "*sigstore*"),
        TrustPath(category: "extraction", pattern: "*extract*"),
        TrustPath(category: "extraction", pattern: "*archive*"),
        TrustPath(category: "extraction", pattern: "*unpack*"),
        TrustPath(category: "identity-policy", pattern: "*identity*"),
        TrustPath(category: "identity-policy", pattern: "*policy*"),
        TrustPath(category: "identity-policy", pattern: "*trust*"),
    ]

    public static let defaultTrustPathWeight = 2.0

    public struct Hotspot: Codable, Sendable, Equatable {
        public let rank: Int
        public let score: Double
        /// The trust-path category the file matched (nil: not on the trust path).
        public let trustPath: String?
        /// The weight applied (the trust-path weight, or 1).
        public let weight: Double
        public let inputs: FileInputs
    }

    /// The hotspots among `files`.
    public static func rank(_ files: [FileInputs], minRevisions: Int, trustPaths: [TrustPath], trustPathWeight: Double) -> [Hotspot] {
        let scored = files.filter { $0.boundedRevisions >= minRevisions }.map { file in
            let category = trustPaths.first { PathFilter.matches($0.pattern, file.path, caseInsensitive: true) }?.category
            let weight = category == nil ? 1 : trustPathWeight
            return (score: Double(file.boundedRevisions) * file.complexity.totalIndentation * weight, category: category, weight: weight, file: file)
        }
        let ordered = scored.sorted {
            if $0.score != $1.score { return $0.score > $1.score }
            if $0.file.boundedRevisions != $1.file.boundedRevisions { return $0.file.boundedRevisions > $1.file.boundedRevisions }
            return Array($0.file.path.utf8).lexicographicallyPrecedes(Array($1.file.path.utf8))
        }
        return ordered.enumerated().map { index, entry in
            Hotspot(rank: index + 1, score: entry.score, trustPath: entry.category, weight: entry.weight, inputs: entry.file)
        }
    }
}
