import HephaestusPlatform

/// The verdict for one manifest line, in manifest order.
public enum ChecksumVerdict: Sendable, Equatable {
    case ok(name: String)
    case failed(name: String)
    /// The listed file could not be opened or read.
    case unreadable(name: String, error: FileError)

    public var name: String {
        switch self {
        case .ok(let name), .failed(let name), .unreadable(let name, _): name
        }
    }

    /// The stdout line `sha256sum -c` prints for this verdict.
    ///
    /// coreutils escapes a name in check output only when it contains a newline.
    public var formatted: String {
        switch self {
        case .ok: Self.format(name: name, status: "OK")
        case .failed: Self.format(name: name, status: "FAILED")
        case .unreadable: Self.format(name: name, status: "FAILED open or read")
        }
    }

    /// `NAME: STATUS`, the name escaped as coreutils does in check output (only when it contains a newline).
    static func format(name: String, status: String) -> String {
        let needsEscape = name.utf8.contains(0x0A)
        let shown = (needsEscape ? "\\" : "") + (needsEscape ? ChecksumLine.escape(name) : name)
        return "\(shown): \(status)"
    }
}

/// Totals of a manifest check, the figures `sha256sum -c` warns about.
public struct ChecksumCheckSummary: Sendable, Equatable {
    public var verified = 0
    public var mismatched = 0
    public var unreadable = 0
    public var malformed = 0
    public var missingIgnored = 0

    /// True when the manifest holds: every listed (not ignored) file matched and every line parsed.
    public var passed: Bool { mismatched == 0 && unreadable == 0 && malformed == 0 && verified > 0 }
}

/// Checks files against a manifest with `sha256sum -c` semantics.
public struct ChecksumManifestChecker: Sendable {
    public let manifestPath: String
    public let algorithm: DigestAlgorithm
    /// Skip (rather than fail) listed files that do not exist, like `--ignore-missing`.
    public let ignoresMissingFiles: Bool

    public init(manifestPath: String, algorithm: DigestAlgorithm = .sha256, ignoresMissingFiles: Bool = false) {
        self.manifestPath = manifestPath
        self.algorithm = algorithm
        self.ignoresMissingFiles = ignoresMissingFiles
    }

    /// Reads the manifest and checks every entry, reporting each verdict as it is reached.
    ///
    /// - Returns: the totals, when the manifest could be read and held at least one checksum line.
    /// - Throws: ``FileError`` when the manifest cannot be read; ``DigestCheckError`` when no line parses or, with
    ///   ``ignoresMissingFiles``, no listed file exists; ``DigestCheckError/checkFailed(summary:)`` when any line
    ///   failed, after every verdict has been reported.
    @discardableResult
    public func check(onVerdict: (ChecksumVerdict) -> Void) throws -> ChecksumCheckSummary {
        let bytes = try FileReader.contents(of: manifestPath)
        let manifest = ChecksumManifest(bytes: bytes, algorithm: algorithm)
        guard !manifest.entries.isEmpty else {
            throw DigestCheckError.noChecksumLines(manifest: manifestPath, algorithm: algorithm)
        }
        var summary = ChecksumCheckSummary()
        summary.malformed = manifest.malformedLines.count
        for entry in manifest.entries {
            let name = entry.line.name
            do {
                let actual = try algorithm.hash(fileAt: name)
                if actual == entry.line.digest {
                    summary.verified += 1
                    onVerdict(.ok(name: name))
                } else {
                    summary.mismatched += 1
                    onVerdict(.failed(name: name))
                }
            } catch let error {
                if ignoresMissingFiles, case .notFound = error {
                    summary.missingIgnored += 1
                    continue
                }
                summary.unreadable += 1
                onVerdict(.unreadable(name: name, error: error))
            }
        }
        if ignoresMissingFiles && summary.verified + summary.mismatched + summary.unreadable == 0 {
            throw DigestCheckError.nothingVerified(manifest: manifestPath)
        }
        if !summary.passed {
            throw DigestCheckError.checkFailed(summary: summary)
        }
        return summary
    }
}
