import Foundation
import HephaestusPlatform
import HephaestusSigstore

/// `publish.pypi`: validates wheels and sdists, then uploads them to a PyPI-compatible index with the legacy upload
/// API, as twine does — in this order, and only this one:
///
/// 1. the upload target (`repositoryURL`, else the `repository` named in the `.pypirc`, else PyPI);
/// 2. every distribution inspected: one invalid distribution and nothing is uploaded;
/// 3. a dry run stops here;
/// 4. the credentials: the password from the variable `passwordEnv` names (else `TWINE_PASSWORD`, else the `.pypirc`),
///    read from the run's environment; or a short-lived token by trusted publishing;
/// 5. with `attestations`, every PEP 740 attestation signed (and self-verified) before the first upload, stopping at
///    the first signing failure (no further transparency-log entry after it; nothing uploaded);
/// 6. the uploads: the first file alone, then `jobs` at a time, outcomes in input order; no upload starts after a
///    failure.
///
/// Items: warnings as they arise (a readable `.pypirc` holding a password, a distribution without a long description)
/// and each file's outcome, in input order.
public enum PublishPyPIOperation: Operation {
    public struct Request: Codable, Sendable, Equatable {
        /// Wheels and sdists.
        public var distributions: [String]
        /// The upload URL (default: the `repository`'s, else https://upload.pypi.org/legacy/).
        public var repositoryURL: String?
        /// A repository named in the config file (`pypi` and `testpypi` are built in; default `pypi`).
        public var repository: String?
        /// The `.pypirc` to read (default `~/.pypirc`, from the run's `HOME`).
        public var configFile: String?
        /// The username (default: `TWINE_USERNAME`, else the config file's, else `__token__`).
        public var username: String?
        /// The environment variable holding the password or API token (default `TWINE_PASSWORD`).
        public var passwordEnv: String?
        /// Skip files the index already has with the same content.
        public var skipExisting: Bool
        /// The index's simple API, read to compare a file the index says it has (default: derived from the upload URL).
        public var indexURL: String?
        /// Sign and send PEP 740 publish attestations (keyless).
        public var attestations: Bool
        /// Get a short-lived upload token from the index with the CI's OIDC identity.
        public var trustedPublishing: Bool
        /// Validate and report what would be uploaded; contact nothing.
        public var dryRun: Bool
        /// Uploads at a time after the first file (1…8).
        public var jobs: Int
        /// How attestations are signed.
        public var signing: SigningChoice
        /// The trust root attestations are verified with before they are sent; `staging` selects the staging services.
        public var trust: TrustChoice

        public init(
            distributions: [String], repositoryURL: String? = nil, repository: String? = nil, configFile: String? = nil, username: String? = nil,
            passwordEnv: String? = nil, skipExisting: Bool = false, indexURL: String? = nil, attestations: Bool = false,
            trustedPublishing: Bool = false, dryRun: Bool = false, jobs: Int = 1, signing: SigningChoice = SigningChoice(),
            trust: TrustChoice = TrustChoice()
        ) {
            self.distributions = distributions
            self.repositoryURL = repositoryURL
            self.repository = repository
            self.configFile = configFile
            self.username = username
            self.passwordEnv = passwordEnv
            self.skipExisting = skipExisting
            self.indexURL = indexURL
            self.attestations = attestations
            self.trustedPublishing = trustedPublishing
            self.dryRun = dryRun
            self.jobs = jobs
            self.signing = signing
            self.trust = trust
        }

        private enum CodingKeys: String, CodingKey {
            case distributions, repositoryURL, repository, configFile, username, passwordEnv, skipExisting, indexURL, attestations
            case trustedPublishing, dryRun, jobs, signing, trust
        }

        /// Only `distributions` is required; flags default to false, `jobs` to 1.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.init(
                distributions: try container.decode([String].self, forKey: .distributions),
                repositoryURL: try container.decodeIfPresent(String.self, forKey: .repositoryURL),
                repository: try container.decodeIfPresent(String.self, forKey: .repository),
                configFile: try container.decodeIfPresent(String.self, forKey: .configFile),
                username: try container.decodeIfPresent(String.self, forKey: .username),
                passwordEnv: try container.decodeIfPresent(String.self, forKey: .passwordEnv),
                skipExisting: try container.decodeIfPresent(Bool.self, forKey: .skipExisting) ?? false,
                indexURL: try container.decodeIfPresent(String.self, forKey: .indexURL),
                attestations: try container.decodeIfPresent(Bool.self, forKey: .attestations) ?? false,
                trustedPublishing: try container.decodeIfPresent(Bool.self, forKey: .trustedPublishing) ?? false,
                dryRun: try container.decodeIfPresent(Bool.self, forKey: .dryRun) ?? false,
                jobs: try container.decodeIfPresent(Int.self, forKey: .jobs) ?? 1,
                signing: try container.decodeIfPresent(SigningChoice.self, forKey: .signing) ?? SigningChoice(),
                trust: try container.decodeIfPresent(TrustChoice.self, forKey: .trust) ?? TrustChoice())
        }

        public func validate() throws(RequestError) {
            try trust.validate()
            try signing.validate(staging: trust.staging)
            if signing.key != nil, attestations {
                throw RequestError("--attestations need keyless signing (PyPI verifies the certificate's identity); drop --key")
            }
            if let repositoryURL, URL(string: repositoryURL)?.host == nil {
                throw RequestError("--repository-url \(repositoryURL) is not an absolute URL")
            }
            if repository != nil, repositoryURL != nil { throw RequestError("give --repository NAME or --repository-url URL, not both") }
            if let indexURL, URL(string: indexURL)?.host == nil { throw RequestError("--index-url \(indexURL) is not an absolute URL") }
            try RequestError.checkRange(jobs, 1...8, option: "--jobs")
            try RequestError.requireDistinctNames(distributions, argument: "DIST")
        }
    }

    /// What the operation produces while it works.
    public enum Item: Codable, Sendable, Equatable {
        /// A remark that does not stop the upload.
        case warning(PublishWarning)
        /// One distribution's outcome, in input order.
        case file(PyPIUploader.Outcome)

        private enum CodingKeys: String, CodingKey { case warning, file }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            if let warning = try container.decodeIfPresent(PublishWarning.self, forKey: .warning) {
                self = .warning(warning)
            } else {
                self = .file(try container.decode(PyPIUploader.Outcome.self, forKey: .file))
            }
        }

        /// `{"warning": {…}}` or `{"file": {…}}`.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            switch self {
            case .warning(let warning): try container.encode(warning, forKey: .warning)
            case .file(let outcome): try container.encode(outcome, forKey: .file)
            }
        }
    }

    public typealias Report = PyPIReport

    public static let descriptor = OperationDescriptor(
        name: "publish.pypi", command: "publish pypi",
        summary: "Validate wheels and sdists, then upload them (with PEP 740 attestations on request) to a PyPI-compatible index.",
        reportMediaType: MediaType.pypiPublishResult, effect: .destructive,
        errorCodes: [PublishError.Code]([
            .invalidDistribution, .missingCredentials, .configuration, .credentialsRejected, .fileExists, .existingDiffers, .uploadRejected,
            .trustedPublishing,
        ]).map(\.rawValue) + FileError.Code.allCases.map(\.rawValue) + TransportError.Code.allCases.map(\.rawValue)
            + SigningError.Code.allCases.map(\.rawValue),
        longRunning: true)

    public static func run(_ request: Request, in context: OperationContext, emit: ItemSink<Item>) async throws -> PyPIReport {
        try request.validate()
        return try await BlockingWork.run {
            let (url, configured, readable) = try PyPIRC.uploadTarget(
                repositoryURL: request.repositoryURL.flatMap { URL(string: $0) }, repository: request.repository, configFile: request.configFile,
                environment: context.environment)
            if let readable { emit(.warning(PublishWarning(event: "publish.config-readable", message: readable))) }
            try HTTPClient.checkScheme(url)
            let index = HTTPClient.redacted(url)
            let checked = try Distribution.inspectAll(request.distributions)
            for warning in checked.flatMap(\.warnings) { emit(.warning(PublishWarning(event: "publish.warning", message: warning))) }
            if request.dryRun {
                let outcomes = checked.map { PyPIUploader.Outcome.wouldUpload($0, attestations: request.attestations) }
                for outcome in outcomes { emit(.file(outcome)) }
                return PyPIReport(index: index, files: outcomes)
            }
            try context.checkCancellation()
            let client = try context.network.client()
            let credentials =
                try request.trustedPublishing
                ? TrustedPublishing(repositoryURL: url, http: client, environment: context.environment, redactor: context.redactor).credentials()
                : Self.credentials(request, configured: configured, in: context)
            let trust = try request.attestations ? request.trust.resolve(in: context) : nil
            let session =
                try trust.map {
                    try SigningSession(
                        credential: request.signing.credential(in: context), signingConfig: request.signing.configSelection(trust: $0),
                        trust: $0, http: client, logger: context.logger, clock: context.clock)
                }
            let simpleURL = request.indexURL.flatMap { URL(string: $0) }
            if let simpleURL { try HTTPClient.checkScheme(simpleURL) }
            // Every attestation is signed (and self-verified) before the first upload: a signing failure uploads
            // nothing, and no file after it is signed (each signature is a transparency-log entry).
            var items: [(distribution: Distribution, attestations: [[String: Any]])] = []
            for distribution in checked {
                try context.checkCancellation()
                items.append((distribution, try session.map { [try PublishAttestation.make(for: distribution, session: $0)] } ?? []))
            }
            try context.checkCancellation()
            // One progress bar at a time: with parallel uploads the per-file outcomes are the progress.
            let uploader = PyPIUploader(
                repositoryURL: url, http: client, skipExisting: request.skipExisting, simpleURL: simpleURL, logger: context.logger,
                transferProgress: { name in
                    guard request.jobs == 1, let feed = context.progress.transferFeed(label: name) else { return nil }
                    return { sent, total in feed(sent, total) }
                })
            let outcomes = try uploader.uploadAll(items, credentials: credentials, jobs: request.jobs) { emit(.file($0)) }
            return PyPIReport(index: index, files: outcomes)
        }
    }

    /// The username and password (twine's order), the password's source logged, never the password.
    static func credentials(_ request: Request, configured: PyPIRC.Repository?, in context: OperationContext) throws -> IndexCredentials {
        let (credentials, source) = try IndexCredentials.resolve(
            username: request.username, passwordVariable: request.passwordEnv, environment: context.environment, configured: configured,
            redactor: context.redactor)
        context.logger.info("publish.credentials", metadata: ["username": .string(credentials.username), "password-from": .string(source.rawValue)])
        return credentials
    }
}

/// A remark that does not stop a publication, under the event name it is logged with.
public struct PublishWarning: Codable, Sendable, Equatable {
    /// `publish.config-readable` (a `.pypirc` holding a password that others can read) or `publish.warning` (a
    /// distribution remark, as `twine check` warns).
    public let event: String
    public let message: String

    public init(event: String, message: String) {
        self.event = event
        self.message = message
    }
}

/// The report of `publish.pypi` (`publish pypi --json`): the index (credentials removed from its URL) and each
/// file's outcome, in input order.
public struct PyPIReport: OperationReport, Equatable {
    public let index: String
    public let files: [PyPIUploader.Outcome]

    public init(index: String, files: [PyPIUploader.Outcome]) {
        self.index = index
        self.files = files
    }
}
