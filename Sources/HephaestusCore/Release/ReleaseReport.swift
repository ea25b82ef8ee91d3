import Foundation
import HephaestusPlatform

/// What `release verify` and `release install` checked and did; rendered as text or `--json`.
public struct ReleaseReport: OperationReport {
    public struct Archive: Codable, Sendable {
        public var name: String
        public var path: String
        public var sha256: String
        public var size: Int64
    }

    public struct Manifest: Codable, Sendable {
        public enum Verdict: String, Codable, Sendable, CaseIterable {
            case pass
            /// No manifest, and --allow-missing-manifest.
            case skippedUnsafe = "skipped-unsafe"
        }

        public var verdict: Verdict
        public var file: String?
    }

    public struct Sigstore: Codable, Sendable {
        public enum Verdict: String, Codable, Sendable, CaseIterable {
            case pass
            /// The bundle is missing and not required.
            case absent
        }

        public var verdict: Verdict
        public var bundle: String?
        public var identity: String?
        public var issuer: String?
        public var logIndex: Int64?
        public var signingTime: Date?
        public var identityPinned: Bool
    }

    public struct Stage: Codable, Sendable {
        public var name: String
        public var seconds: Double

        public init(name: String, seconds: Double) {
            self.name = name
            self.seconds = seconds
        }
    }

    public enum Verdict: String, Codable, Sendable, CaseIterable {
        case pass, fail
    }

    /// `fail` when a stage failed: the report then holds what the stages before it established, and the failure.
    public var verdict: Verdict = .pass
    /// The stage that failed (`fetch`, `checksum`, `sigstore`, `extract`, `wheels`, `install`).
    public var failedStage: String?
    /// The failure's stable error code and its one-line reason, as the error line on stderr says it.
    public var code: String?
    public var reason: String?
    public var source: String
    public var archive: Archive?
    public var manifest: Manifest?
    public var sigstore: Sigstore?
    public var wheels: [InspectedWheel] = []
    /// `--deep`: each wheel's PEP 740 provenance outcome.
    public var provenance: [WheelProvenanceCheck.Outcome]?
    /// The distributions pip installed (or, with --dry-run, would install).
    public var installed: [String]?
    public var target: String?
    public var dryRun = false
    public var stages: [Stage] = []
    /// The staging directory, when it was kept (`--keep-workdir`) for inspection, whatever stage failed.
    public var workdir: String?
    /// The failure itself, in process (not encoded: `code` and `reason` say it; a report decoded from JSON has only
    /// those, and its ``failure`` is then an internal error carrying the reason).
    private var error: (any CodedError)?

    public init(source: String) {
        self.source = source
    }

    private enum CodingKeys: String, CodingKey {
        case verdict, failedStage, code, reason, source, archive, manifest, sigstore, wheels, installed, target, dryRun, stages, workdir
    }

    /// Records that `stage` failed with `error`.
    public mutating func fail(at stage: String, with error: any CodedError) {
        verdict = .fail
        failedStage = stage
        code = error.code
        reason = "\(error)"
        self.error = error
    }

    public var failure: (any CodedError)? {
        guard verdict == .fail else { return nil }
        return error ?? GeneralError.unexpected(reason ?? "the release check failed")
    }

    /// The text summary.
    public var lines: [String] {
        var lines: [String] = []
        if let archive { lines.append("archive:  \(archive.name) (sha256 \(archive.sha256), \(archive.size) bytes)") }
        if let manifest { lines.append("manifest: \(manifest.verdict.rawValue)\(manifest.file.map { " (\($0))" } ?? "")") }
        if let sigstore {
            var text = "sigstore: \(sigstore.verdict.rawValue)"
            if let identity = sigstore.identity { text += ", signed by \(identity)" }
            if let issuer = sigstore.issuer { text += " (\(issuer))" }
            if let index = sigstore.logIndex { text += ", log index \(index)" }
            if let time = sigstore.signingTime { text += ", at \(RFC3339.string(time))" }
            if !sigstore.identityPinned && sigstore.verdict == .pass { text += " [identity not pinned]" }
            lines.append(text)
        }
        lines.append("wheels:   " + (wheels.isEmpty ? "none" : wheels.map { "\($0.name) \($0.version)" }.joined(separator: ", ")))
        if let provenance {
            let verified = provenance.filter { $0.verdict == .pass }.count
            let missing = provenance.filter { $0.verdict == .missing }.map(\.wheel)
            lines.append(
                "provenance: \(verified) of \(provenance.count) wheels verified (PEP 740)"
                    + (missing.isEmpty ? "" : "; MISSING, not checked: " + missing.joined(separator: ", ")))
        }
        if let installed {
            lines.append(
                (dryRun ? "would install: " : "installed: ") + (installed.isEmpty ? "nothing" : installed.joined(separator: ", "))
                    + (target.map { " into \($0)" } ?? ""))
        }
        lines.append("stages:   " + stages.map { "\($0.name) \(String(format: "%.2f", $0.seconds))s" }.joined(separator: ", "))
        return lines
    }
}
