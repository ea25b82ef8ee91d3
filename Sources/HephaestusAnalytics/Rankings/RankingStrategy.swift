import Foundation

/// How `analytics rankings` orders files for refactoring (the formulas are documented in docs/analytics.md).
///
/// Over the ranked files, N(x) = x / max(x) (0 when the maximum is 0) for revisions r, churn c (added + deleted),
/// authors a, indentation complexity k (total) and defects d; u = 1 − line coverage (u = 1 for a file the coverage
/// report does not list, or when there is no report):
///
/// - `churn_based`    = 0.5·N(c) + 0.3·N(r) + 0.2·N(a)
/// - `coverage_first` = 0.6·u + 0.25·N(k) + 0.15·N(r)
/// - `risk_weighted`  = 0.3·N(r) + 0.3·N(k) + 0.25·u + 0.15·N(d)
/// - `composite`      = the mean of the three above
///
/// Scores are rounded to 6 decimal places; files are ordered by rounded score (highest first), then by path (byte
/// order).
public enum RankingStrategy: String, Codable, Sendable, CaseIterable {
    case riskWeighted = "risk_weighted"
    case coverageFirst = "coverage_first"
    case churnBased = "churn_based"
    case composite

    /// The maxima the normalisation divides by.
    public struct Maxima: Codable, Sendable, Equatable {
        public var revisions = 0
        public var churn = 0
        public var authors = 0
        public var complexity = 0.0
        public var defects = 0.0

        public init(_ files: [FileInputs]) {
            for file in files {
                revisions = max(revisions, file.revisions)
                churn = max(churn, file.churn)
                authors = max(authors, file.authors)
                complexity = max(complexity, file.complexity.totalIndentation)
                defects = max(defects, file.defects)
            }
        }
    }

    /// The score of `file` among files of `maxima`.
    public func score(_ file: FileInputs, _ maxima: Maxima) -> Double {
        func normalised(_ value: Double, _ maximum: Double) -> Double { maximum == 0 ? 0 : value / maximum }
        let r = normalised(Double(file.revisions), Double(maxima.revisions))
        let c = normalised(Double(file.churn), Double(maxima.churn))
        let a = normalised(Double(file.authors), Double(maxima.authors))
        let k = normalised(file.complexity.totalIndentation, maxima.complexity)
        let d = normalised(file.defects, maxima.defects)
        let u = 1 - (file.coverage?.rate ?? 0)
        let churnBased = 0.5 * c + 0.3 * r + 0.2 * a
        let coverageFirst = 0.6 * u + 0.25 * k + 0.15 * r
        let riskWeighted = 0.3 * r + 0.3 * k + 0.25 * u + 0.15 * d
        switch self {
        case .churnBased: return churnBased
        case .coverageFirst: return coverageFirst
        case .riskWeighted: return riskWeighted
        case .composite: return (riskWeighted + coverageFirst + churnBased) / 3
        }
    }

    /// `files` ranked: (rounded score, file), best first.
    public func rank(_ files: [FileInputs]) -> [(score: Double, file: FileInputs)] {
        let maxima = Maxima(files)
        return files.map { ((score($0, maxima) * 1e6).rounded() / 1e6, $0) }
            .sorted { $0.score != $1.score ? $0.score > $1.score : Array($0.file.path.utf8).lexicographicallyPrecedes(Array($1.file.path.utf8)) }
    }
}
