import HephaestusPlatform

/// Failures of `digest --check`.
public enum DigestCheckError: CodedError, Equatable {
    /// Some lines were malformed, some files mismatched or could not be read.
    case checkFailed(summary: ChecksumCheckSummary)
    /// The manifest holds no line in a checksum format.
    case noChecksumLines(manifest: String, algorithm: DigestAlgorithm)
    /// With `--ignore-missing`, none of the listed files exists.
    case nothingVerified(manifest: String)

    public enum Code: String, ErrorCode {
        case checkFailed = "digest.check-failed"
        case noChecksumLines = "digest.no-checksum-lines"
        case nothingVerified = "digest.nothing-verified"

        public var definition: (category: ErrorCategory, summary: String) {
            switch self {
            case .checkFailed: (.checkFailed, "a listed file mismatched or was unreadable, or a manifest line was malformed")
            case .noChecksumLines: (.invalidInput, "a manifest holds no checksum line")
            case .nothingVerified: (.checkFailed, "with --ignore-missing, no listed file exists")
            }
        }
    }

    public var errorCode: Code {
        switch self {
        case .checkFailed: .checkFailed
        case .noChecksumLines: .noChecksumLines
        case .nothingVerified: .nothingVerified
        }
    }

    public var description: String {
        switch self {
        case .checkFailed(let summary):
            var parts: [String] = []
            if summary.malformed > 0 { parts.append(Self.count(summary.malformed, "line", "improperly formatted")) }
            if summary.unreadable > 0 { parts.append(Self.count(summary.unreadable, "listed file", "could not be read")) }
            if summary.mismatched > 0 {
                parts.append(Self.count(summary.mismatched, "computed checksum", "did NOT match"))
            }
            return "checksum check failed: " + parts.joined(separator: "; ")
        case .noChecksumLines(let manifest, let algorithm):
            return "\(manifest): no properly formatted \(algorithm.rawValue.uppercased()) checksum lines found"
        case .nothingVerified(let manifest):
            return "\(manifest): no file was verified"
        }
    }

    /// The warnings `sha256sum -c` prints on stderr for a failed check, one per kind, with its exact wording.
    public var coreutilsWarnings: [String] {
        guard case .checkFailed(let summary) = self else { return [] }
        var warnings: [String] = []
        if summary.malformed > 0 {
            warnings.append("WARNING: " + Self.count(summary.malformed, "line", "improperly formatted", verbs: ("is", "are")))
        }
        if summary.unreadable > 0 {
            warnings.append("WARNING: " + Self.count(summary.unreadable, "listed file", "could not be read"))
        }
        if summary.mismatched > 0 {
            warnings.append("WARNING: " + Self.count(summary.mismatched, "computed checksum", "did NOT match"))
        }
        return warnings
    }

    private static func count(_ n: Int, _ noun: String, _ predicate: String, verbs: (String, String)? = nil) -> String {
        let plural = n == 1 ? noun : noun + "s"
        if let verbs {
            return "\(n) \(plural) \(n == 1 ? verbs.0 : verbs.1) \(predicate)"
        }
        return "\(n) \(plural) \(predicate)"
    }
}
