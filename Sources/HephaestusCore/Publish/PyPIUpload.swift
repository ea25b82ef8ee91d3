import Foundation
import HephaestusPlatform
import HephaestusSigstore
import Logging

/// Upload credentials for a PyPI-compatible index (registered with the run's redactor; never printed).
public struct IndexCredentials: Sendable {
    public let username: String
    public let password: String

    public init(username: String, password: String, redactor: SecretRedactor) {
        self.username = username
        self.password = password
        redactor.register(password)
    }

    /// Where the password came from, for the log (never the password itself).
    public enum Source: String, Sendable {
        case environment
        case configFile = "config-file"
    }

    /// Username: `--username`, else `TWINE_USERNAME`, else the `.pypirc` repository's, else `__token__`. Password:
    /// the variable `--password-env` names (which must then be set), else `TWINE_PASSWORD`, else the `.pypirc`
    /// repository's — twine's order.
    public static func resolve(
        username: String?, passwordVariable: String?, environment: [String: String], configured: PyPIRC.Repository? = nil,
        redactor: SecretRedactor
    ) throws -> (IndexCredentials, Source) {
        let variable = passwordVariable ?? "TWINE_PASSWORD"
        let password: String
        let source: Source
        if let value = environment[variable], !value.isEmpty {
            (password, source) = (value, .environment)
        } else if passwordVariable == nil, let value = configured?.password {
            (password, source) = (value, .configFile)
        } else {
            throw PublishError.missingCredentials(
                passwordVariable != nil
                    ? "\(variable) is not set"
                    : "set \(variable) (or pass --password-env NAME), put a password in ~/.pypirc, or use --trusted-publishing")
        }
        guard !password.contains("\n"), !password.contains("\r") else {
            throw PublishError.missingCredentials("the password from \(source == .environment ? variable : "the config file") contains a line break")
        }
        let name = username ?? environment["TWINE_USERNAME"].flatMap { $0.isEmpty ? nil : $0 } ?? configured?.username ?? "__token__"
        return (IndexCredentials(username: name, password: password, redactor: redactor), source)
    }

    var authorization: String { "Basic " + Base64.encode(Array("\(username):\(password)".utf8)) }
}

/// The legacy upload API (`POST` multipart/form-data with `:action=file_upload`), as twine speaks it.
public struct PyPIUploader {
    public static let defaultRepositoryURL = URL(string: "https://upload.pypi.org/legacy/")!

    /// What became of one distribution.
    public struct Outcome: Codable, Sendable, Equatable {
        public enum Status: String, Codable, Sendable, CaseIterable {
            /// The index stored it (now, or in an earlier attempt whose answer was lost: see `note`).
            case uploaded
            /// The index already had it and `skipExisting` was given.
            case skippedExisting = "skipped-existing"
            /// A dry run: valid, not sent.
            case wouldUpload = "would-upload"
        }

        /// For a file the index already had: what its simple page said of the index's copy.
        public enum Existing: String, Codable, Sendable, CaseIterable {
            /// Its SHA-256 on the index's simple page is ours.
            case identical
            /// The page could not tell (see `note`).
            case unverified
        }

        public let file: String
        public let status: Status
        public let sha256: String
        public let blake2b256: String
        public let attestations: Int
        public var existing: Existing?
        public var note: String?

        public init(
            file: String, status: Status, sha256: String, blake2b256: String, attestations: Int, existing: Existing? = nil, note: String? = nil
        ) {
            self.file = file
            self.status = status
            self.sha256 = sha256
            self.blake2b256 = blake2b256
            self.attestations = attestations
            self.existing = existing
            self.note = note
        }

        /// What a dry run reports for a validated distribution.
        public static func wouldUpload(_ distribution: Distribution, attestations: Bool) -> Outcome {
            Outcome(
                file: distribution.filename, status: .wouldUpload, sha256: distribution.sha256.hex,
                blake2b256: Hex.encode(distribution.blake2b256), attestations: attestations ? 1 : 0)
        }
    }

    public let repositoryURL: URL
    public let http: HTTPClient
    public let skipExisting: Bool
    /// Where to compare a file the index says it already has.
    public let lookup: IndexFileLookup
    public let logger: Logger
    /// A progress feed for each file's transfer (by file name), e.g. a terminal progress bar.
    public let transferProgress: @Sendable (String) -> (@Sendable (_ sent: Int64, _ total: Int64) -> Void)?

    public init(
        repositoryURL: URL, http: HTTPClient, skipExisting: Bool, simpleURL: URL? = nil, logger: Logger,
        transferProgress: @escaping @Sendable (String) -> (@Sendable (Int64, Int64) -> Void)? = { _ in nil }
    ) {
        self.repositoryURL = repositoryURL
        self.http = http
        self.skipExisting = skipExisting
        self.lookup = IndexFileLookup(simpleURL: simpleURL ?? IndexFileLookup.simpleURL(forUpload: repositoryURL), http: http)
        self.logger = logger
        self.transferProgress = transferProgress
    }

    /// The form twine sends: protocol fields, digests, core metadata, attestations, then the file.
    public static func form(for distribution: Distribution, attestations: [[String: Any]]) throws -> MultipartForm {
        var form = MultipartForm()
        let metadata = distribution.metadata
        form.addField(":action", "file_upload")
        form.addField("protocol_version", "1")
        form.addField("metadata_version", metadata.value("Metadata-Version") ?? "2.1")
        form.addField("name", distribution.name)
        form.addField("version", distribution.version)
        form.addField("filetype", distribution.kind.rawValue)
        form.addField("pyversion", distribution.pythonVersion)
        form.addField("sha256_digest", distribution.sha256.hex)
        form.addField("blake2_256_digest", Hex.encode(distribution.blake2b256))
        let single = [
            ("summary", "Summary"), ("author", "Author"), ("author_email", "Author-email"), ("maintainer", "Maintainer"),
            ("maintainer_email", "Maintainer-email"), ("license", "License"), ("license_expression", "License-Expression"),
            ("keywords", "Keywords"), ("home_page", "Home-page"), ("download_url", "Download-URL"), ("requires_python", "Requires-Python"),
            ("description_content_type", "Description-Content-Type"),
        ]
        for (field, header) in single {
            if let value = metadata.value(header) { form.addField(field, value) }
        }
        if let description = metadata.description { form.addField("description", description) }
        let repeated = [
            ("classifiers", "Classifier"), ("requires_dist", "Requires-Dist"), ("provides_extra", "Provides-Extra"),
            ("project_urls", "Project-URL"), ("platform", "Platform"), ("supported_platform", "Supported-Platform"),
            ("requires_external", "Requires-External"), ("dynamic", "Dynamic"), ("license_file", "License-File"),
        ]
        for (field, header) in repeated {
            for value in metadata.values(header) { form.addField(field, value) }
        }
        if !attestations.isEmpty {
            let json = try JSONSerialization.data(withJSONObject: attestations, options: [.sortedKeys, .withoutEscapingSlashes])
            form.addField("attestations", String(decoding: json, as: UTF8.self))
        }
        try form.addFile("content", filename: distribution.filename, contentType: "application/octet-stream", path: distribution.path)
        return form
    }

    /// Uploads one distribution. "Already exists" answers are skipped with `skipExisting` (twine's rule: 409, or 400/403
    /// whose message says the file exists), else an error.
    public func upload(_ distribution: Distribution, credentials: IndexCredentials, attestations: [[String: Any]] = []) throws -> Outcome {
        let form = try Self.form(for: distribution, attestations: attestations)
        var headers = HTTPHeaders()
        headers.add("Content-Type", form.contentType)
        headers.add("Authorization", credentials.authorization)
        let body = form.body()
        body.progress = transferProgress(distribution.filename)
        let request = HTTPRequest(method: "POST", url: repositoryURL, headers: headers, streamedBody: body)
        let response: HTTPResponse
        do {
            response = try http.send(request, maximumBody: 1 << 20)
        } catch TransportError.unauthorized {
            throw PublishError.credentialsRejected(url: HTTPClient.redacted(repositoryURL), status: 401)
        }
        let message = response.errorMessage
        let outcome = { (status: Outcome.Status) in
            Outcome(
                file: distribution.filename, status: status, sha256: distribution.sha256.hex, blake2b256: Hex.encode(distribution.blake2b256),
                attestations: attestations.count)
        }
        switch response.status {
        case 200..<300:
            logger.info("publish.uploaded", metadata: ["file": .string(distribution.filename), "index": .string(HTTPClient.redacted(repositoryURL))])
            return outcome(.uploaded)
        case let status where [409, 400, 403].contains(status) && Self.saysExists(status: status, message: message):
            return try existing(distribution, retried: response.attempts > 1, outcome: outcome)
        case 403:
            throw PublishError.credentialsRejected(url: HTTPClient.redacted(repositoryURL), status: 403)
        default:
            throw PublishError.uploadRejected(
                file: distribution.filename, status: response.status, reason: message.isEmpty ? "no reason given" : message)
        }
    }

    /// The index already has a file of this name. Its SHA-256 on the index's simple page decides: other bytes are
    /// always an error (even with `skipExisting`: what users would download is not what was built); our bytes after a
    /// retried upload mean an earlier attempt stored the file and only its answer was lost (`uploaded`); otherwise
    /// twine's rule: skipped with `skipExisting`, else an error.
    func existing(_ distribution: Distribution, retried: Bool, outcome: (Outcome.Status) -> Outcome) throws -> Outcome {
        let index = HTTPClient.redacted(repositoryURL)
        let comparison = lookup.compare(distribution)
        var result: Outcome
        switch comparison {
        case .differs(let theirs):
            throw PublishError.existingDiffers(file: distribution.filename, url: index, indexSHA256: theirs, ours: distribution.sha256.hex)
        case .identical where retried:
            logger.info("publish.uploaded-earlier-attempt", metadata: ["file": .string(distribution.filename), "index": .string(index)])
            result = outcome(.uploaded)
            result.note = "an earlier attempt stored it; its answer was lost"
            return result
        case .identical:
            guard skipExisting else { throw PublishError.fileExists(file: distribution.filename, url: index, note: "with the same content") }
            result = outcome(.skippedExisting)
            result.existing = .identical
        case .unverified(let reason):
            guard skipExisting else {
                throw PublishError.fileExists(
                    file: distribution.filename, url: index, note: retried ? "perhaps stored by an earlier attempt whose answer was lost" : nil)
            }
            result = outcome(.skippedExisting)
            result.existing = .unverified
            result.note = "not compared with the index's copy: \(reason)"
        }
        logger.warning(
            "publish.skipped-existing", metadata: ["file": .string(distribution.filename), "existing": .string(result.existing?.rawValue ?? "")])
        return result
    }

    /// Uploads every distribution with its attestations: the first alone (an index creates the release with its first
    /// file), the rest up to `jobs` at a time. `progress` sees each outcome in input order: the first's as soon as it is
    /// done, the others' when the rest are. After a failure no further upload starts; uploads already under way finish;
    /// then the failure of the earliest file is thrown (the outcomes before it have been reported).
    public func uploadAll(
        _ items: [(distribution: Distribution, attestations: [[String: Any]])], credentials: IndexCredentials, jobs: Int,
        progress: (Outcome) -> Void
    ) throws -> [Outcome] {
        guard let first = items.first else { return [] }
        func send(_ item: (distribution: Distribution, attestations: [[String: Any]])) throws -> Outcome {
            try upload(item.distribution, credentials: credentials, attestations: item.attestations)
        }
        var outcomes = [try send(first)]
        progress(outcomes[0])
        for result in ParallelMap.map(Array(items.dropFirst()), jobs: jobs, stopAtFirstFailure: true, send) {
            switch result {
            case .success(let outcome):
                outcomes.append(outcome)
                progress(outcome)
            case .failure(let error): throw error
            // Only after a failure, which is thrown first (items are claimed in input order).
            case .notStarted: continue
            }
        }
        return outcomes
    }

    static func saysExists(status: Int, message: String) -> Bool {
        if status == 409 { return true }
        let text = message.lowercased()
        return text.contains("already exist") || text.contains("already been taken") || text.contains("overwrite artifact")
            || text.contains("does not allow updating assets")
    }
}

/// PEP 740 publish attestations: an in-toto statement naming the distribution (predicate
/// `https://docs.pypi.org/attestations/publish/v1`), signed as a DSSE envelope, in PyPI's attestation shape.
public enum PublishAttestation {
    public static let predicateType = "https://docs.pypi.org/attestations/publish/v1"

    public static func statement(for distribution: Distribution) -> [UInt8] {
        let object: [String: Any] = [
            "_type": "https://in-toto.io/Statement/v1",
            "subject": [["name": distribution.filename, "digest": ["sha256": distribution.sha256.hex]]],
            "predicateType": predicateType, "predicate": NSNull(),
        ]
        return Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data())
    }

    /// Signs the statement and converts the (self-verified) bundle into an attestation object.
    public static func make(for distribution: Distribution, session: SigningSession) throws -> [String: Any] {
        try attestation(fromBundle: session.attest(statement: statement(for: distribution)).json)
    }

    /// `{version: 1, verification_material: {certificate, transparency_entries}, envelope: {statement, signature}}`.
    public static func attestation(fromBundle json: [UInt8]) throws -> [String: Any] {
        guard let bundle = try JSONSerialization.jsonObject(with: Data(json)) as? [String: Any],
            let material = bundle["verificationMaterial"] as? [String: Any],
            let certificate = (material["certificate"] as? [String: Any])?["rawBytes"] as? String,
            let entries = material["tlogEntries"] as? [Any],
            let envelope = bundle["dsseEnvelope"] as? [String: Any], let payload = envelope["payload"] as? String,
            let signature = (envelope["signatures"] as? [[String: Any]])?.first?["sig"] as? String
        else { throw SigningError.invalidSigningConfig("publish attestations need keyless signing (a certificate) and a DSSE bundle") }
        return [
            "version": 1,
            "verification_material": ["certificate": certificate, "transparency_entries": entries],
            "envelope": ["statement": payload, "signature": signature],
        ]
    }
}

/// Trusted publishing: exchanges an ambient OIDC token for a short-lived upload token at the index.
public struct TrustedPublishing {
    public let repositoryURL: URL
    public let http: HTTPClient
    public let environment: [String: String]
    public let redactor: SecretRedactor

    public init(repositoryURL: URL, http: HTTPClient, environment: [String: String], redactor: SecretRedactor) {
        self.repositoryURL = repositoryURL
        self.http = http
        self.environment = environment
        self.redactor = redactor
    }

    /// The index's own base: `upload.pypi.org` → `pypi.org`, `test.pypi.org` stays; others: the upload URL's origin.
    public var indexBase: URL {
        var components = URLComponents(url: repositoryURL, resolvingAgainstBaseURL: false)!
        if components.host == "upload.pypi.org" { components.host = "pypi.org" }
        components.path = ""
        components.query = nil
        return components.url!
    }

    public func credentials() throws -> IndexCredentials {
        let audienceURL = indexBase.appendingPathComponent("_/oidc/audience")
        let audienceResponse = try http.send(HTTPRequest(url: audienceURL))
        guard audienceResponse.status == 200,
            let audience = (try? JSONSerialization.jsonObject(with: Data(audienceResponse.body)) as? [String: Any])?["audience"] as? String
        else {
            throw PublishError.trustedPublishing(
                "the index does not offer trusted publishing (\(HTTPClient.redacted(audienceURL)): HTTP \(audienceResponse.status))")
        }
        let (token, _) = try IdentityTokenProvider(environment: environment, http: http, redactor: redactor, audience: audience).token(explicit: nil)
        redactor.register(token.rawValue)
        var headers = HTTPHeaders()
        headers.add("Content-Type", "application/json")
        let mintURL = indexBase.appendingPathComponent("_/oidc/mint-token")
        let body = Array(try JSONSerialization.data(withJSONObject: ["token": token.rawValue]))
        let response = try http.send(HTTPRequest(method: "POST", url: mintURL, headers: headers, body: body))
        let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        guard response.status == 200, let minted = object?["token"] as? String, !minted.isEmpty else {
            let reasons = (object?["errors"] as? [[String: Any]])?.compactMap { $0["description"] as? String }.joined(separator: "; ")
            throw PublishError.trustedPublishing("the index refused the OIDC token (HTTP \(response.status)): \(reasons ?? response.errorMessage)")
        }
        return IndexCredentials(username: "__token__", password: minted, redactor: redactor)
    }
}
