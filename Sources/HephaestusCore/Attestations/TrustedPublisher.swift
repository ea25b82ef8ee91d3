import HephaestusPlatform
import HephaestusSigstore

/// A PyPI Trusted Publisher: who PyPI lets publish a project, and the signer policy pypi-attestations derives from it
/// (`GitHubPublisher`, `GitLabPublisher`, `GooglePublisher`, `CircleCIPublisher` and their `_as_policy()`).
public enum TrustedPublisher: Sendable, Equatable, Codable, CustomStringConvertible {
    /// A GitHub Actions workflow: `repository` is `owner/repo`, `workflow` the workflow's file name (`release.yml`).
    case github(repository: String, workflow: String?)
    /// A GitLab CI/CD pipeline: `project` is `namespace/project`, `workflow` the CI file path (`.gitlab-ci.yml`).
    case gitlab(project: String, workflow: String?)
    /// A Google Cloud service account.
    case google(email: String)
    /// A CircleCI pipeline (read from provenance objects; no command-line option names one).
    case circleCI(projectID: String, pipelineDefinitionID: String, vcsOrigin: String?, vcsRef: String?)

    public static let githubIssuer = "https://token.actions.githubusercontent.com"
    public static let gitlabIssuer = "https://gitlab.com"
    public static let googleIssuer = "https://accounts.google.com"
    public static let circleCIIssuer = "https://oidc.circleci.com"

    /// The publisher's kind as PEP 740 provenance names it.
    public var kind: String {
        switch self {
        case .github: "GitHub"
        case .gitlab: "GitLab"
        case .google: "Google"
        case .circleCI: "CircleCI"
        }
    }

    public var description: String {
        switch self {
        case .github(let repository, let workflow): "GitHub \(repository)" + (workflow.map { " workflow \($0)" } ?? "")
        case .gitlab(let project, let workflow): "GitLab \(project)" + (workflow.map { " CI file \($0)" } ?? "")
        case .google(let email): "Google service account \(email)"
        case .circleCI(let project, let pipeline, _, _): "CircleCI project \(project) pipeline \(pipeline)"
        }
    }

    /// The signer rule of this publisher.
    public var rule: TrustedPublisherRule { TrustedPublisherRule(publisher: self) }
}

/// The checks pypi-attestations makes of a signing certificate for a Trusted Publisher.
///
/// GitHub: the OIDC issuer is GitHub Actions', the Source Repository URI is `https://github.com/OWNER/REPO`, and (with a
/// workflow) the Build Config URI is `https://github.com/OWNER/REPO/.github/workflows/WORKFLOW@SUFFIX` for the
/// certificate's own Source Repository Digest or Ref (at least one present). GitLab: issuer `https://gitlab.com`,
/// Source Repository URI `https://gitlab.com/NAMESPACE/PROJECT`, Build Config URI
/// `https://gitlab.com/NAMESPACE/PROJECT//CI_FILE@SUFFIX` for its digest or its ref (both required). Google: the SAN
/// is the service account and the issuer `https://accounts.google.com`. All comparisons are exact.
public struct TrustedPublisherRule: SignerRule {
    public let publisher: TrustedPublisher

    public var description: String { "Trusted Publisher \(publisher)" }

    public func check(_ certificate: FulcioCertificate) throws(VerificationError) {
        switch publisher {
        case .github(let repository, let workflow):
            try expect(certificate, issuer: TrustedPublisher.githubIssuer)
            try expect(certificate, claim: "sourceRepositoryURI", "https://github.com/\(repository)")
            guard let workflow else { return }
            let suffixes = ["sourceRepositoryDigest", "sourceRepositoryRef"].compactMap { certificate.claims[$0] }
            guard !suffixes.isEmpty else {
                throw VerificationError.claimMismatch(
                    claim: "Source Repository Digest or Ref", expected: "either present", actual: "neither")
            }
            try expectBuildConfig(
                certificate, candidates: suffixes.map { "https://github.com/\(repository)/.github/workflows/\(workflow)@\($0)" },
                publisher: "\(workflow) @ \(repository)")
        case .gitlab(let project, let workflow):
            try expect(certificate, issuer: TrustedPublisher.gitlabIssuer)
            try expect(certificate, claim: "sourceRepositoryURI", "https://gitlab.com/\(project)")
            guard let workflow else { return }
            var suffixes: [String] = []
            for claim in ["sourceRepositoryDigest", "sourceRepositoryRef"] {
                guard let value = certificate.claims[claim] else {
                    throw VerificationError.claimMismatch(claim: claim, expected: "present (GitLab publishers need both)", actual: "absent")
                }
                suffixes.append(value)
            }
            try expectBuildConfig(
                certificate, candidates: suffixes.map { "https://gitlab.com/\(project)//\(workflow)@\($0)" },
                publisher: "\(workflow) @ \(project)")
        case .google(let email):
            guard certificate.identity == email else {
                throw VerificationError.identityMismatch(expected: email, actual: certificate.identity)
            }
            try expect(certificate, issuer: TrustedPublisher.googleIssuer)
        case .circleCI(let projectID, let pipelineDefinitionID, let vcsOrigin, let vcsRef):
            try expect(certificate, issuer: TrustedPublisher.circleCIIssuer)
            if let vcsOrigin { try expect(certificate, claim: "sourceRepositoryURI", vcsOrigin) }
            if let vcsRef { try expect(certificate, claim: "sourceRepositoryRef", vcsRef) }
            try expect(
                certificate, claim: "buildSignerURI",
                "https://circleci.com/api/v2/projects/\(projectID)/pipeline-definitions/\(pipelineDefinitionID)")
        }
    }

    private func expect(_ certificate: FulcioCertificate, issuer: String) throws(VerificationError) {
        guard certificate.issuer == issuer else { throw VerificationError.issuerMismatch(expected: issuer, actual: certificate.issuer) }
    }

    private func expect(_ certificate: FulcioCertificate, claim: String, _ expected: String) throws(VerificationError) {
        let actual = certificate.claims[claim]
        guard actual == expected else {
            throw VerificationError.claimMismatch(claim: claim, expected: expected, actual: actual ?? "absent")
        }
    }

    private func expectBuildConfig(_ certificate: FulcioCertificate, candidates: [String], publisher: String) throws(VerificationError) {
        let actual = certificate.claims["buildConfigURI"]
        guard let actual, candidates.contains(actual) else {
            throw VerificationError.claimMismatch(
                claim: "Build Config URI (does not match expected Trusted Publisher \(publisher))",
                expected: candidates.joined(separator: " or "), actual: actual ?? "absent")
        }
    }
}
