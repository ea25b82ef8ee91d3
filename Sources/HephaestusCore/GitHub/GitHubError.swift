import HephaestusPlatform

/// Failures of the GitHub side: tokens, repositories, releases, assets.
public enum GitHubError: CodedError, Equatable {
    case missingToken(sources: [String])
    case malformedToken(source: String, reason: String)
    case invalidRepository(String)
    case releaseNotFound(repository: String, tag: String)
    case noRelease(repository: String)
    case noMatchingAsset(release: String, pattern: String)
    case malformedResponse(url: String, reason: String)
    case unsafeAssetName(name: String, reason: String)
    case assetExists(release: String, name: String)

    public enum Code: String, ErrorCode {
        case missingToken = "github.missing-token"
        case malformedToken = "github.malformed-token"
        case invalidRepository = "github.invalid-repository"
        case releaseNotFound = "github.release-not-found"
        case noRelease = "github.no-release"
        case noMatchingAsset = "github.no-matching-asset"
        case malformedResponse = "github.malformed-response"
        case unsafeAssetName = "github.unsafe-asset-name"
        case assetExists = "github.asset-exists"

        public var definition: (category: ErrorCategory, summary: String) {
            switch self {
            case .missingToken: (.missingCredentials, "a command needs a GitHub token and none is set")
            case .malformedToken: (.configuration, "the token's shape is wrong (prefix, length, whitespace)")
            case .invalidRepository: (.usage, "--repository is not OWNER/REPO")
            case .releaseNotFound: (.notFound, "no release has the given tag")
            case .noRelease: (.notFound, "the repository has no published release")
            case .noMatchingAsset: (.notFound, "no asset matches the pattern")
            case .malformedResponse: (.unavailable, "the API answered something unexpected")
            case .unsafeAssetName: (.checkFailed, "an asset name cannot be made a safe file name")
            case .assetExists: (.checkFailed, "a release already has a different asset of that name (use --replace where offered)")
            }
        }
    }

    public var errorCode: Code {
        switch self {
        case .missingToken: .missingToken
        case .malformedToken: .malformedToken
        case .invalidRepository: .invalidRepository
        case .releaseNotFound: .releaseNotFound
        case .noRelease: .noRelease
        case .noMatchingAsset: .noMatchingAsset
        case .malformedResponse: .malformedResponse
        case .unsafeAssetName: .unsafeAssetName
        case .assetExists: .assetExists
        }
    }

    public var description: String {
        switch self {
        case .missingToken(let sources): "no GitHub token: set \(sources.joined(separator: " or "))"
        case .malformedToken(let source, let reason): "\(source) does not hold a valid GitHub token: \(reason)"
        case .invalidRepository(let value): "invalid repository \"\(value)\": expected OWNER/REPO"
        case .releaseNotFound(let repository, let tag): "\(repository) has no release tagged \(tag)"
        case .noRelease(let repository): "\(repository) has no published release"
        case .noMatchingAsset(let release, let pattern): "release \(release) has no asset matching \(pattern)"
        case .malformedResponse(let url, let reason): "\(url): unexpected response: \(reason)"
        case .unsafeAssetName(let name, let reason): "refusing asset name \(name.debugDescription): \(reason)"
        case .assetExists(let release, let name): "release \(release) already has an asset named \(name)"
        }
    }
}
