import Foundation
import HephaestusPlatform
import HephaestusSigstore

/// Which release of which repository, as the CLI's `--repository OWNER/REPO (--tag T | --latest)
/// [--include-prereleases]` give it (`release download`).
public struct ReleaseChoice: Codable, Sendable, Equatable {
    public var repository: String
    public var tag: String?
    /// The newest published release (drafts and prereleases skipped).
    public var latest: Bool
    /// With `latest`: consider prereleases too.
    public var includePrereleases: Bool

    public init(repository: String, tag: String? = nil, latest: Bool = false, includePrereleases: Bool = false) {
        self.repository = repository
        self.tag = tag
        self.latest = latest
        self.includePrereleases = includePrereleases
    }

    public func validate() throws(RequestError) {
        guard (tag != nil) != latest else { throw RequestError("give exactly one of --tag or --latest") }
        if includePrereleases && !latest { throw RequestError("--include-prereleases needs --latest") }
        do { _ = try GitHubRepository(repository) } catch { throw RequestError("\(error)") }
    }

    /// The selector (the request validated).
    public func selector() throws -> ReleaseSelector {
        try validate()
        return ReleaseSelector(
            repository: try GitHubRepository(repository), which: tag.map { .tag($0) } ?? .latest(includePrereleases: includePrereleases))
    }

    private enum CodingKeys: String, CodingKey { case repository, tag, latest, includePrereleases }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        repository = try container.decode(String.self, forKey: .repository)
        tag = try container.decodeIfPresent(String.self, forKey: .tag)
        latest = try container.decodeIfPresent(Bool.self, forKey: .latest) ?? false
        includePrereleases = try container.decodeIfPresent(Bool.self, forKey: .includePrereleases) ?? false
    }
}

/// Where the release checked by `release verify` and `release install` comes from: a GitHub release
/// (`repository` with `tag` or `latest`, the archive chosen by `pattern`), or local files (`archive`, with an optional
/// `manifest` and `bundle`) on air-gapped machines.
public struct ReleaseSourceChoice: Codable, Sendable, Equatable {
    public var repository: String?
    public var tag: String?
    public var latest: Bool
    public var includePrereleases: Bool
    /// Which release asset is the archive (shell glob; default `*wheelhouse*` ending in .tar.gz, .tgz or .zip).
    public var pattern: String?
    public var archive: String?
    /// With `archive`: the SHA-256 manifest (default ARCHIVE.sha256, then SHA256SUMS beside it).
    public var manifest: String?
    /// With `archive`: the Sigstore bundle (default ARCHIVE.sigstore.json, then ARCHIVE.sigstore).
    public var bundle: String?

    public init(
        repository: String? = nil, tag: String? = nil, latest: Bool = false, includePrereleases: Bool = false, pattern: String? = nil,
        archive: String? = nil, manifest: String? = nil, bundle: String? = nil
    ) {
        self.repository = repository
        self.tag = tag
        self.latest = latest
        self.includePrereleases = includePrereleases
        self.pattern = pattern
        self.archive = archive
        self.manifest = manifest
        self.bundle = bundle
    }

    public func validate() throws(RequestError) {
        switch (repository, archive) {
        case (nil, nil): throw RequestError("give a release (--repository OWNER/REPO with --tag or --latest) or --archive FILE")
        case (.some, .some): throw RequestError("--repository and --archive cannot be used together")
        case (.some(let repository), nil):
            guard (tag != nil) != latest else { throw RequestError("give exactly one of --tag or --latest") }
            if manifest != nil || bundle != nil { throw RequestError("--manifest and --bundle go with --archive; releases are searched for them") }
            do { _ = try GitHubRepository(repository) } catch { throw RequestError("\(error)") }
        case (nil, .some):
            if tag != nil || latest || pattern != nil { throw RequestError("--tag, --latest and --pattern go with --repository") }
        }
        if includePrereleases && !latest { throw RequestError("--include-prereleases needs --latest") }
    }

    /// The source; the GitHub client is made (from `github` and the run's context) only for a release.
    public func source(github: GitHubChoice, maximumSize: Int64, in context: OperationContext) throws -> ReleaseSource {
        try validate()
        if let archive { return .local(archive: archive, manifest: manifest, bundle: bundle, maximumSize: maximumSize) }
        let selector = ReleaseSelector(
            repository: try GitHubRepository(repository!), which: tag.map { .tag($0) } ?? .latest(includePrereleases: includePrereleases))
        return .github(selector, client: try github.client(in: context), pattern: pattern, maximumSize: maximumSize)
    }

    private enum CodingKeys: String, CodingKey { case repository, tag, latest, includePrereleases, pattern, archive, manifest, bundle }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        repository = try container.decodeIfPresent(String.self, forKey: .repository)
        tag = try container.decodeIfPresent(String.self, forKey: .tag)
        latest = try container.decodeIfPresent(Bool.self, forKey: .latest) ?? false
        includePrereleases = try container.decodeIfPresent(Bool.self, forKey: .includePrereleases) ?? false
        pattern = try container.decodeIfPresent(String.self, forKey: .pattern)
        archive = try container.decodeIfPresent(String.self, forKey: .archive)
        manifest = try container.decodeIfPresent(String.self, forKey: .manifest)
        bundle = try container.decodeIfPresent(String.self, forKey: .bundle)
    }
}

/// What Sigstore must say about the archive, as `--require-sigstore`, `--sigstore-identity`, `--sigstore-issuer` and
/// the trust options give it.
public struct SigstoreChoice: Codable, Sendable, Equatable {
    /// Fail unless a bundle exists for the archive and verifies for one of the identities.
    public var requireSigstore: Bool
    /// Allowed signer identities: exact, or globs where `*` matches any characters (slashes too).
    public var sigstoreIdentity: [String]
    /// The signer's OIDC issuer (default: GitHub Actions).
    public var sigstoreIssuer: String
    public var trust: TrustChoice
    /// `--policy FILE`: the signer policy, replacing `--sigstore-identity` and `--sigstore-issuer`; `{tag}`,
    /// `{repository}` and `{version}` in it are filled from the release being checked.
    public var policy: String?

    public init(
        requireSigstore: Bool = false, sigstoreIdentity: [String] = [], sigstoreIssuer: String = SigstorePolicy.githubActionsIssuer,
        trust: TrustChoice = TrustChoice(), policy: String? = nil
    ) {
        self.policy = policy
        self.requireSigstore = requireSigstore
        self.sigstoreIdentity = sigstoreIdentity
        self.sigstoreIssuer = sigstoreIssuer
        self.trust = trust
    }

    public func validate() throws(RequestError) {
        if let policy {
            if policy.isEmpty { throw RequestError("--policy must not be empty") }
            if !sigstoreIdentity.isEmpty || sigstoreIssuer != SigstorePolicy.githubActionsIssuer {
                throw RequestError("--policy replaces --sigstore-identity and --sigstore-issuer: give one or the other")
            }
        } else if requireSigstore && sigstoreIdentity.isEmpty {
            throw RequestError("--require-sigstore needs at least one --sigstore-identity (or --policy): there is no \"any identity\"")
        }
        try trust.validate()
    }

    public func policy(in context: OperationContext) throws -> SigstorePolicy {
        SigstorePolicy(
            required: requireSigstore, identities: sigstoreIdentity, issuer: sigstoreIssuer, trust: try trust.resolve(in: context),
            policyFile: try policy.map { try PolicyFile(path: $0) })
    }

    private enum CodingKeys: String, CodingKey { case requireSigstore, sigstoreIdentity, sigstoreIssuer, trust, policy }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        requireSigstore = try container.decodeIfPresent(Bool.self, forKey: .requireSigstore) ?? false
        sigstoreIdentity = try container.decodeIfPresent([String].self, forKey: .sigstoreIdentity) ?? []
        sigstoreIssuer = try container.decodeIfPresent(String.self, forKey: .sigstoreIssuer) ?? SigstorePolicy.githubActionsIssuer
        trust = try container.decodeIfPresent(TrustChoice.self, forKey: .trust) ?? TrustChoice()
        policy = try container.decodeIfPresent(String.self, forKey: .policy)
    }
}

/// Everything `release verify` and `release install` share: the source, what Sigstore must say, whether a missing
/// manifest is tolerated, the staging directory, size and extraction limits, and the GitHub API and token.
public struct ReleaseCheckRequest: Codable, Sendable, Equatable {
    public static let defaultMaximumSize: Int64 = 8 << 30

    public var source: ReleaseSourceChoice
    public var sigstore: SigstoreChoice
    /// Proceed without a SHA-256 manifest (reported as unsafe).
    public var allowMissingManifest: Bool
    /// Parent directory of the private staging directory (default: the system temporary directory).
    public var workdir: String?
    /// Keep the staging directory afterwards (for inspection).
    public var keepWorkdir: Bool
    /// Largest archive accepted, in bytes.
    public var maxSize: Int64
    public var limits: ExtractionChoice
    public var github: GitHubChoice
    /// `--deep`: each wheel against its PEP 740 provenance.
    public var provenance: ProvenanceChoice

    public init(
        source: ReleaseSourceChoice, sigstore: SigstoreChoice = SigstoreChoice(), allowMissingManifest: Bool = false, workdir: String? = nil,
        keepWorkdir: Bool = false, maxSize: Int64 = ReleaseCheckRequest.defaultMaximumSize, limits: ExtractionChoice = ExtractionChoice(),
        github: GitHubChoice = GitHubChoice(), provenance: ProvenanceChoice = ProvenanceChoice()
    ) {
        self.provenance = provenance
        self.source = source
        self.sigstore = sigstore
        self.allowMissingManifest = allowMissingManifest
        self.workdir = workdir
        self.keepWorkdir = keepWorkdir
        self.maxSize = maxSize
        self.limits = limits
        self.github = github
    }

    public func validate() throws(RequestError) {
        try source.validate()
        try sigstore.validate()
        try limits.validate()
        try ReleaseDownloadOperation.Request.validate(maxSize: maxSize)
        try provenance.validate(releaseRepository: source.archive == nil ? source.repository : nil)
    }

    /// The pipeline of checks, its notices handed to `notify`.
    public func pipeline(in context: OperationContext, notify: @escaping @Sendable (ReleaseNotice) -> Void) throws -> ReleasePipeline {
        try validate()
        let sigstorePolicy = try sigstore.policy(in: context)
        return ReleasePipeline(
            source: try source.source(github: github, maximumSize: maxSize, in: context), sigstore: sigstorePolicy,
            allowMissingManifest: allowMissingManifest, limits: limits.limits, workRoot: workdir,
            provenance: try provenance.check(releaseRepository: source.archive == nil ? source.repository : nil, trust: sigstorePolicy.trust),
            notify: notify)
    }

    private enum CodingKeys: String, CodingKey {
        case source, sigstore, allowMissingManifest, workdir, keepWorkdir, maxSize, limits, github, provenance
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        source = try container.decode(ReleaseSourceChoice.self, forKey: .source)
        sigstore = try container.decodeIfPresent(SigstoreChoice.self, forKey: .sigstore) ?? SigstoreChoice()
        allowMissingManifest = try container.decodeIfPresent(Bool.self, forKey: .allowMissingManifest) ?? false
        workdir = try container.decodeIfPresent(String.self, forKey: .workdir)
        keepWorkdir = try container.decodeIfPresent(Bool.self, forKey: .keepWorkdir) ?? false
        maxSize = try container.decodeIfPresent(Int64.self, forKey: .maxSize) ?? Self.defaultMaximumSize
        limits = try container.decodeIfPresent(ExtractionChoice.self, forKey: .limits) ?? ExtractionChoice()
        github = try container.decodeIfPresent(GitHubChoice.self, forKey: .github) ?? GitHubChoice()
        provenance = try container.decodeIfPresent(ProvenanceChoice.self, forKey: .provenance) ?? ProvenanceChoice()
    }
}
