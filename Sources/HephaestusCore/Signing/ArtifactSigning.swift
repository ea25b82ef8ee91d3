import Foundation
import HephaestusPlatform
import HephaestusSigstore
import Logging

/// Which signing config to use.
public enum SigningConfigSelection: Sendable, Equatable {
    case production
    case staging
    case file(path: String)

    public func load() throws -> SigningConfig {
        switch self {
        case .production: return try SigningConfig.production()
        case .staging: return try SigningConfig.staging()
        case .file(let path): return try SigningConfig(json: FileReader.contents(of: path, limit: 1 << 20))
        }
    }
}

/// Everything one signing run needs, loaded once: the signing config's selected services (as clients over the one
/// HTTP client), the trust root for self-verification, and the signer's key material — refreshed when a keyless
/// certificate is about to expire. Used by `sign`, `backfill run` and `conformance sign-bundle`.
public final class SigningSession {
    /// Who signs.
    public enum Credential {
        /// Keyless: an OIDC token (explicit or found by ``IdentityTokenProvider``).
        case keyless(IdentityTokenProvider, explicitToken: String?)
        /// A PEM private key file (ECDSA P-256/P-384 or Ed25519).
        case managedKey(path: String)
    }

    public let signer: BundleSigner
    private let who: BundleSigner.Signer
    private var material: BundleSigner.KeyMaterial?
    private let clock: @Sendable () -> Date
    /// The signer as logs and records name it (identity and issuer, or the key's fingerprint).
    public let signerDescription: String

    public init(
        credential: Credential, signingConfig: SigningConfigSelection, trust: TrustSelection, http: HTTPClient, logger: Logger,
        clock: @escaping @Sendable () -> Date = Date.init
    ) throws {
        self.clock = clock
        let config = try signingConfig.load()
        let trustedRoot = try trust.load()
        let keyless: Bool
        if case .keyless = credential { keyless = true } else { keyless = false }
        let selection = try config.select(at: clock(), keyless: keyless)
        let logs: [any TransparencyLogging] = selection.transparencyLogs.map { service -> any TransparencyLogging in
            if service.majorAPIVersion == 2 { return RekorV2Client(baseURL: service.url, http: http) }
            return RekorV1Client(baseURL: service.url, http: http)
        }
        signer = BundleSigner(
            verifier: BundleVerifier(trustedRoot: trustedRoot, clock: clock),
            certificateAuthority: selection.certificateAuthority.map { FulcioClient(baseURL: $0.url, http: http) },
            transparencyLogs: logs,
            timestampAuthorities: selection.timestampAuthorities.map { TimestampClient(url: $0.url, http: http) },
            clock: clock)
        logger.info(
            "sign.services",
            metadata: [
                "ca": .string(selection.certificateAuthority.map { HTTPClient.redacted($0.url) } ?? "none"),
                "tlogs": .string(
                    selection.transparencyLogs.map { "\(HTTPClient.redacted($0.url)) (v\($0.majorAPIVersion))" }.joined(separator: ", ")),
                "tsas": .string(selection.timestampAuthorities.map { HTTPClient.redacted($0.url) }.joined(separator: ", ")),
            ])
        switch credential {
        case .keyless(let provider, let explicit):
            let (token, source) = try provider.token(explicit: explicit)
            provider.redactor.register(token.rawValue)
            try token.checkUsable(at: clock())
            logger.info(
                "sign.identity",
                metadata: [
                    "identity": .string(token.certificateIdentity), "issuer": .string(token.issuer), "source": .string(source.rawValue),
                    "token_expires": .string(RFC3339.string(token.expiry)),
                ])
            who = .keyless(token)
            signerDescription = "\(token.certificateIdentity) (\(token.issuer))"
        case .managedKey(let path):
            let pem = String(decoding: try FileReader.contents(of: path, limit: 1 << 20), as: UTF8.self)
            if pem.contains("ENCRYPTED") {
                throw SigningError.invalidKey("\(path) is an encrypted private key; decrypt it (openssl pkey) into a protected file first")
            }
            let key: PrivateKey
            do {
                key = try PrivateKey(pem: pem)
            } catch {
                if (try? PublicKey(pem: pem)) != nil {
                    throw SigningError.invalidKey("\(path) is a public key; --key takes the PEM private key (the public key verifies)")
                }
                if case CryptoError.malformedKey(let reason) = error { throw SigningError.invalidKey("\(path): \(reason)") }
                throw error
            }
            switch key.publicKey.kind {
            case .ecdsa(.p256), .ecdsa(.p384), .ed25519: break
            default: throw SigningError.invalidKey("\(path): \(key.publicKey.kind) keys are not supported (ECDSA P-256/P-384, Ed25519)")
            }
            let hint = Base64.encode(DigestAlgorithm.sha256.hash(key.publicKey.derSubjectPublicKeyInfo).bytes)
            who = .managedKey(key, hint: hint)
            signerDescription = "key sha256:\(DigestAlgorithm.sha256.hash(key.publicKey.derSubjectPublicKeyInfo).hex)"
        }
    }

    /// The key material, obtained on first use and renewed when the certificate has under a minute left.
    public func keyMaterial() throws -> BundleSigner.KeyMaterial {
        if let material, material.isUsable(at: clock()) { return material }
        let fresh = try signer.prepare(who)
        material = fresh
        return fresh
    }

    public func sign(_ artifact: BundleSigner.Artifact) throws -> BundleSigner.SignedBundle {
        try signer.sign(artifact, using: try keyMaterial())
    }

    public func attest(statement: [UInt8]) throws -> BundleSigner.SignedBundle {
        try signer.attest(statement: statement, using: try keyMaterial())
    }

    /// Whether the key signs messages rather than digests (Ed25519): the artifact's bytes are then needed.
    public func needsArtifactBytes() throws -> Bool {
        if case .ed25519 = try keyMaterial().key.publicKey.kind { return true }
        return false
    }
}

/// `hephaestus sign`: signs files (or in-toto statements) into Sigstore bundles v0.3, keyless or with a managed
/// key, through the services a signing config selects, and writes each bundle only after it verified.
public struct ArtifactSigning {
    public typealias Credential = SigningSession.Credential

    public struct Request {
        public var files: [String]
        public var bundlePath: String?
        public var overwrite: Bool
        public var inToto: Bool
        public var signingConfig: SigningConfigSelection
        public var trust: TrustSelection

        public init(
            files: [String], bundlePath: String? = nil, overwrite: Bool = false, inToto: Bool = false,
            signingConfig: SigningConfigSelection = .production, trust: TrustSelection = .production
        ) {
            self.files = files
            self.bundlePath = bundlePath
            self.overwrite = overwrite
            self.inToto = inToto
            self.signingConfig = signingConfig
            self.trust = trust
        }
    }

    /// One signed file.
    public struct Outcome: Codable, Sendable {
        /// What was signed: the file's digest (a message signature) or an in-toto statement (a DSSE envelope).
        public enum Kind: String, Codable, Sendable, CaseIterable {
            case messageSignature = "message-signature"
            case dsse
        }

        public let file: String
        public let bundle: String
        public let sha256: String
        public let kind: Kind
        /// The verification of the written bundle (identity, issuer, log entries, verified times).
        public let verification: VerificationResult
    }

    public let request: Request
    public let credential: Credential
    public let http: HTTPClient
    public let logger: Logger
    public let clock: @Sendable () -> Date

    public init(request: Request, credential: Credential, http: HTTPClient, logger: Logger, clock: @escaping @Sendable () -> Date = Date.init) {
        self.request = request
        self.credential = credential
        self.http = http
        self.logger = logger
        self.clock = clock
    }

    /// Where the bundle of `file` goes.
    public func bundlePath(for file: String) -> String { request.bundlePath ?? file + ".sigstore.json" }

    /// Signs every file in order; stops at the first failure (bundles already written stay: each verified).
    /// `checkCancellation` is called before each file is signed: what it throws stops the run there.
    public func run(checkCancellation: () throws -> Void = {}, onSigned: (Outcome) -> Void = { _ in }) throws -> [Outcome] {
        if request.bundlePath != nil, request.files.count != 1 {
            throw SigningError.invalidSigningConfig("--bundle names one output: sign one file at a time with it")
        }
        // Refuse before any service is asked: unreadable inputs and outputs we would not overwrite.
        for file in request.files {
            _ = try FileReader(path: file)
            let output = bundlePath(for: file)
            try AtomicFileWriter.checkDestination(output, overwrite: request.overwrite)
        }
        let session = try SigningSession(
            credential: credential, signingConfig: request.signingConfig, trust: request.trust, http: http, logger: logger, clock: clock)
        var outcomes: [Outcome] = []
        for file in request.files {
            try checkCancellation()
            let outcome = try sign(file: file, session: session)
            outcomes.append(outcome)
            onSigned(outcome)
        }
        return outcomes
    }

    private func sign(file: String, session: SigningSession) throws -> Outcome {
        let output = bundlePath(for: file)
        let (signed, digest) = try Self.sign(file: file, inToto: request.inToto, session: session)
        try AtomicFileWriter.write(signed.json + [0x0A], to: output, overwrite: request.overwrite)
        logger.info("sign.written", metadata: ["file": .string(file), "bundle": .string(output)])
        return Outcome(
            file: file, bundle: output, sha256: digest.hex, kind: request.inToto ? .dsse : .messageSignature, verification: signed.verification)
    }

    /// Signs `file` (an in-toto statement with `inToto`) and returns the verified bundle and the file's SHA-256,
    /// writing nothing.
    public static func sign(file: String, inToto: Bool, session: SigningSession) throws -> (BundleSigner.SignedBundle, Digest) {
        if inToto {
            let statement = try FileReader.contents(of: file, limit: 16 << 20)
            return (try session.attest(statement: statement), DigestAlgorithm.sha256.hash(statement))
        }
        if try session.needsArtifactBytes() {
            // Ed25519 signs the message itself (no prehash): the file is read whole.
            let bytes = try FileReader.contents(of: file, limit: 1 << 30)
            let digest = DigestAlgorithm.sha256.hash(bytes)
            return (try session.sign(BundleSigner.Artifact(digest: digest, bytes: bytes)), digest)
        }
        let digest = try DigestAlgorithm.sha256.hash(fileAt: file)
        return (try session.sign(BundleSigner.Artifact(digest: digest)), digest)
    }
}

/// `sign.files`: signs files (or in-toto statements) into Sigstore bundles, one after another, each verified before
/// it is written; each signed file is an item as soon as its bundle is written.
///
/// Destructive: every signature is a permanent entry in a public transparency log, and signing again makes another.
public enum SignFilesOperation: Operation {
    public struct Request: Codable, Sendable, Equatable {
        /// The files to sign (in-toto statements with `inToto`).
        public var files: [String]
        /// Where to write the bundle (one file only; default `FILE.sigstore.json`).
        public var bundle: String?
        /// Replace existing bundles.
        public var overwrite: Bool
        /// The files are in-toto statements: sign each as a DSSE envelope.
        public var inToto: Bool
        public var signing: SigningChoice
        /// The trust root each bundle is verified with before it is written; `staging` selects the staging services too.
        public var trust: TrustChoice
        /// The embedded staging signing config when `signing.signingConfig` is not given, whatever `trust` says (default:
        /// `trust.staging`). For the sigstore-conformance protocol, whose `--staging` applies to whichever of the trust
        /// root and the signing config is not given.
        public var stagingSigningConfig: Bool?

        public init(
            files: [String], bundle: String? = nil, overwrite: Bool = false, inToto: Bool = false, signing: SigningChoice = SigningChoice(),
            trust: TrustChoice = TrustChoice(), stagingSigningConfig: Bool? = nil
        ) {
            self.files = files
            self.bundle = bundle
            self.overwrite = overwrite
            self.inToto = inToto
            self.signing = signing
            self.trust = trust
            self.stagingSigningConfig = stagingSigningConfig
        }

        private enum CodingKeys: String, CodingKey { case files, bundle, overwrite, inToto, signing, trust, stagingSigningConfig }

        /// Only `files` is required; flags default to false, signing and trust to keyless production.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            files = try container.decode([String].self, forKey: .files)
            bundle = try container.decodeIfPresent(String.self, forKey: .bundle)
            overwrite = try container.decodeIfPresent(Bool.self, forKey: .overwrite) ?? false
            inToto = try container.decodeIfPresent(Bool.self, forKey: .inToto) ?? false
            signing = try container.decodeIfPresent(SigningChoice.self, forKey: .signing) ?? SigningChoice()
            trust = try container.decodeIfPresent(TrustChoice.self, forKey: .trust) ?? TrustChoice()
            stagingSigningConfig = try container.decodeIfPresent(Bool.self, forKey: .stagingSigningConfig)
        }

        /// Whether the embedded staging signing config is the default one.
        var stagingServices: Bool { stagingSigningConfig ?? trust.staging }

        public func validate() throws(RequestError) {
            try trust.validate()
            try signing.validate(staging: stagingServices)
            if bundle != nil && files.count != 1 { throw RequestError("--bundle names one output: give exactly one FILE with it") }
        }
    }

    public typealias Item = ArtifactSigning.Outcome
    public typealias Report = SigningReport

    public static let descriptor = OperationDescriptor(
        name: "sign.files", command: "sign",
        summary: "Sign files into Sigstore bundles (keyless via OIDC, or with a managed key), each verified before it is written.",
        reportMediaType: MediaType.signingResult, effect: .destructive,
        errorCodes: FileError.Code.allCases.map(\.rawValue) + SigningError.Code.allCases.map(\.rawValue)
            + TransportError.Code.allCases.map(\.rawValue) + VerificationError.Code.allCases.map(\.rawValue)
            + [CryptoError.Code.malformedKey.rawValue, CryptoError.Code.unsupportedKey.rawValue],
        longRunning: true)

    /// Refuses unreadable files and bundles it would not overwrite before any service is asked; then signs the files in
    /// order and stops at the first failure (bundles already written stay: each verified).
    public static func run(_ request: Request, in context: OperationContext, emit: ItemSink<Item>) async throws -> SigningReport {
        try request.validate()
        let signed = try await BlockingWork.run {
            let trust = try request.trust.resolve(in: context)
            let signingConfig =
                request.stagingSigningConfig.map { request.signing.configSelection(staging: $0) } ?? request.signing.configSelection(trust: trust)
            let signing = ArtifactSigning(
                request: ArtifactSigning.Request(
                    files: request.files, bundlePath: request.bundle, overwrite: request.overwrite, inToto: request.inToto,
                    signingConfig: signingConfig, trust: trust),
                credential: try request.signing.credential(in: context), http: try context.network.client(), logger: context.logger,
                clock: context.clock)
            return try signing.run(checkCancellation: context.checkCancellation) { emit($0) }
        }
        return SigningReport(signed: signed)
    }
}

/// The report of `sign.files` (`sign --json`): every signed file, in input order.
public struct SigningReport: OperationReport {
    public let signed: [ArtifactSigning.Outcome]

    public init(signed: [ArtifactSigning.Outcome]) {
        self.signed = signed
    }
}
