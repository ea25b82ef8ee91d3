import HephaestusPlatform

/// Why a release was not trusted or not installed.
public enum ReleaseCheckError: CodedError, Equatable {
    case noArchive(release: String, pattern: String)
    case ambiguousArchive(candidates: [String])
    case missingManifest(archive: String)
    case manifestDoesNotNameArchive(manifest: String, archive: String)
    case checksumMismatch(archive: String, expected: String, actual: String)
    case missingBundle(archive: String)
    case archiveTooLarge(archive: String, size: Int64, limit: Int64)
    case pipFailed(status: Int32, message: String)
    case environment(String)

    public enum Code: String, ErrorCode {
        case noArchive = "release.no-archive"
        case ambiguousArchive = "release.ambiguous-archive"
        case missingManifest = "release.missing-manifest"
        case manifestDoesNotNameArchive = "release.manifest-does-not-name-archive"
        case checksumMismatch = "release.checksum-mismatch"
        case missingBundle = "release.missing-bundle"
        case archiveTooLarge = "release.archive-too-large"
        case pipFailed = "release.pip-failed"
        case environment = "release.environment"

        public var definition: (category: ErrorCategory, summary: String) {
            switch self {
            case .noArchive: (.notFound, "the release has no wheelhouse archive")
            case .ambiguousArchive: (.usage, "several archives match: --pattern must choose")
            case .missingManifest: (.checkFailed, "no SHA-256 manifest (and no --allow-missing-manifest)")
            case .manifestDoesNotNameArchive: (.checkFailed, "the manifest does not list the archive")
            case .checksumMismatch: (.checkFailed, "the archive's SHA-256 differs from the manifest")
            case .missingBundle: (.checkFailed, "--require-sigstore and no bundle")
            case .archiveTooLarge: (.checkFailed, "a local --archive is larger than --max-size")
            case .pipFailed: (.toolFailed, "pip refused or failed to install (its message is shown)")
            case .environment: (.configuration, "Python, venv or the target environment is unusable")
            }
        }
    }

    public var errorCode: Code {
        switch self {
        case .noArchive: .noArchive
        case .ambiguousArchive: .ambiguousArchive
        case .missingManifest: .missingManifest
        case .manifestDoesNotNameArchive: .manifestDoesNotNameArchive
        case .checksumMismatch: .checksumMismatch
        case .missingBundle: .missingBundle
        case .archiveTooLarge: .archiveTooLarge
        case .pipFailed: .pipFailed
        case .environment: .environment
        }
    }

    public var description: String {
        switch self {
        case .noArchive(let release, let pattern): "release \(release) has no wheelhouse archive matching \(pattern)"
        case .ambiguousArchive(let candidates): "several wheelhouse archives match (\(candidates.joined(separator: ", "))): choose one with --pattern"
        case .missingManifest(let archive):
            "no SHA-256 manifest for \(archive) (looked for \(archive).sha256 and SHA256SUMS); --allow-missing-manifest skips this check (unsafe)"
        case .manifestDoesNotNameArchive(let manifest, let archive): "checksum failed: \(manifest) does not list \(archive)"
        case .checksumMismatch(let archive, let expected, let actual):
            "checksum failed: \(archive) has SHA-256 \(actual), the manifest says \(expected)"
        case .missingBundle(let archive):
            "Sigstore check failed: no bundle for \(archive) (looked for \(archive).sigstore.json and \(archive).sigstore) and --require-sigstore is set"
        case .archiveTooLarge(let archive, let size, let limit): "\(archive) is \(size) bytes, more than --max-size \(limit)"
        case .pipFailed(let status, let message): "pip failed (exit \(status)): \(message)"
        case .environment(let message): message
        }
    }
}
