import HephaestusPlatform

/// Failures of publication (PyPI uploads, GitHub release publishing, revocation). Credentials never appear.
public enum PublishError: CodedError, Equatable {
    case invalidDistribution(file: String, reason: String)
    case missingCredentials(String)
    case configuration(String)
    case credentialsRejected(url: String, status: Int)
    case fileExists(file: String, url: String, note: String?)
    case existingDiffers(file: String, url: String, indexSHA256: String, ours: String)
    case uploadRejected(file: String, status: Int, reason: String)
    case trustedPublishing(String)
    case assetDiffers(release: String, name: String)
    case confirmationMismatch(expected: String)

    public enum Code: String, ErrorCode {
        case invalidDistribution = "publish.invalid-distribution"
        case missingCredentials = "publish.missing-credentials"
        case configuration = "publish.configuration"
        case credentialsRejected = "publish.credentials-rejected"
        case fileExists = "publish.file-exists"
        case existingDiffers = "publish.existing-differs"
        case uploadRejected = "publish.upload-rejected"
        case trustedPublishing = "publish.trusted-publishing"
        case assetDiffers = "publish.asset-differs"
        case confirmationMismatch = "publish.confirmation-mismatch"

        public var definition: (category: ErrorCategory, summary: String) {
            switch self {
            case .invalidDistribution: (.invalidInput, "a distribution fails validation (name, archive, metadata, description); nothing is uploaded")
            case .missingCredentials: (.missingCredentials, "no index password/token in the environment or ~/.pypirc and no --trusted-publishing")
            case .configuration: (.configuration, "~/.pypirc (or --config-file) is malformed or does not define the --repository named")
            case .credentialsRejected: (.permissionDenied, "the index rejected the credentials (401/403)")
            case .fileExists: (.checkFailed, "the index already has the file and --skip-existing was not given")
            case .existingDiffers: (.checkFailed, "the index already has a file of that name with other content (even with --skip-existing)")
            case .uploadRejected: (.invalidInput, "the index refused the upload (its reason is shown)")
            case .trustedPublishing: (.permissionDenied, "the index would not exchange the OIDC token for an upload token")
            case .assetDiffers: (.checkFailed, "a release asset of that name has other content and --replace was not given")
            case .confirmationMismatch: (.usage, "the typed confirmation did not match the tag; nothing was deleted")
            }
        }
    }

    public var errorCode: Code {
        switch self {
        case .invalidDistribution: .invalidDistribution
        case .missingCredentials: .missingCredentials
        case .configuration: .configuration
        case .credentialsRejected: .credentialsRejected
        case .fileExists: .fileExists
        case .existingDiffers: .existingDiffers
        case .uploadRejected: .uploadRejected
        case .trustedPublishing: .trustedPublishing
        case .assetDiffers: .assetDiffers
        case .confirmationMismatch: .confirmationMismatch
        }
    }

    public var description: String {
        switch self {
        case .invalidDistribution(let file, let reason): "\(file): invalid distribution: \(reason); nothing was uploaded"
        case .missingCredentials(let hint): "no upload credentials: \(hint)"
        case .configuration(let problem): problem
        case .credentialsRejected(let url, let status):
            "\(url) rejected the credentials (HTTP \(status)): check the username and the password or API token (not shown)"
        case .fileExists(let file, let url, let note):
            "\(file) already exists on \(url)\(note.map { " (\($0))" } ?? "") (--skip-existing skips such files)"
        case .existingDiffers(let file, let url, let theirs, let ours):
            "\(file) already exists on \(url) with different content (the index has sha256 \(theirs), this file \(ours)); a released file cannot be replaced: publish a new version"
        case .uploadRejected(let file, let status, let reason): "\(file): the index refused the upload (HTTP \(status)): \(reason)"
        case .trustedPublishing(let reason): "trusted publishing failed: \(reason)"
        case .assetDiffers(let release, let name):
            "release \(release) already has an asset \(name) with different content (--replace replaces it)"
        case .confirmationMismatch(let expected): "confirmation did not match \(expected.debugDescription): nothing was deleted"
        }
    }
}
