import HephaestusPlatform
import HephaestusSigstore

/// The one table that maps error codes to exit statuses.
///
/// Every ``CodedError`` code of every area has a row here; `docs/exit-codes.md` is generated from these rows and a
/// test fails when it is stale or when an area gains a code without a row.
public enum ExitCodeTable {
    /// One row: an error code, its exit status and when it happens.
    public struct Row: Sendable, Equatable {
        public let code: String
        public let status: ExitStatus
        public let when: String
    }

    /// The code for command-line errors reported by the argument parser.
    public static let usageCode = "usage.invalid-argument"
    /// The code for errors that carry no code of their own (bugs).
    public static let internalCode = "internal.unexpected"

    public static let rows: [Row] = [
        Row(code: usageCode, status: .usage, when: "an option or argument is missing, unknown or invalid"),
        Row(code: internalCode, status: .software, when: "an unexpected internal error"),
        // Files
        Row(code: FileError.Code.notFound.rawValue, status: .noInput, when: "an input file does not exist"),
        Row(code: FileError.Code.isDirectory.rawValue, status: .noInput, when: "a directory was given where a file is expected"),
        Row(code: FileError.Code.notRegularFile.rawValue, status: .noInput, when: "an input is a FIFO, device or socket"),
        Row(code: FileError.Code.permissionDenied.rawValue, status: .noPermission, when: "a file cannot be opened for lack of permission"),
        Row(code: FileError.Code.readFailed.rawValue, status: .ioError, when: "reading a file failed part-way"),
        Row(code: FileError.Code.writeFailed.rawValue, status: .cannotCreate, when: "an output file could not be written"),
        Row(code: FileError.Code.alreadyExists.rawValue, status: .cannotCreate, when: "an output file exists and --overwrite was not given"),
        // Platform
        Row(code: LibraryError.Code.unavailable.rawValue, status: .unavailable, when: "libcurl or libarchive (loaded on first use) cannot be loaded: a broken installation"),
        // Crypto
        Row(code: CryptoError.Code.malformedKey.rawValue, status: .dataError, when: "a public key cannot be parsed"),
        Row(code: CryptoError.Code.unsupportedKey.rawValue, status: .dataError, when: "a key type, curve or size is not supported"),
        Row(code: CryptoError.Code.malformedCertificate.rawValue, status: .dataError, when: "a certificate cannot be parsed"),
        Row(code: CryptoError.Code.malformedSignature.rawValue, status: .checkFailed, when: "a signature is not well-formed"),
        Row(code: CryptoError.Code.invalidSignature.rawValue, status: .checkFailed, when: "a signature does not verify"),
        Row(code: CryptoError.Code.keySchemeMismatch.rawValue, status: .checkFailed, when: "a key cannot make the claimed kind of signature"),
        Row(code: CryptoError.Code.chainInvalid.rawValue, status: .checkFailed, when: "a certificate chain does not validate"),
        Row(code: CryptoError.Code.malformedEncoding.rawValue, status: .dataError, when: "DER or Base64 input is malformed"),
        Row(code: CryptoError.Code.internalFailure.rawValue, status: .software, when: "OpenSSL failed unexpectedly"),
        // Digest manifests
        Row(code: DigestCheckError.Code.checkFailed.rawValue, status: .checkFailed, when: "a listed file mismatched or was unreadable, or a manifest line was malformed"),
        Row(code: DigestCheckError.Code.noChecksumLines.rawValue, status: .dataError, when: "a manifest holds no checksum line"),
        Row(code: DigestCheckError.Code.nothingVerified.rawValue, status: .checkFailed, when: "with --ignore-missing, no listed file exists"),
        // Sigstore verification
        Row(code: VerificationError.Code.malformedBundle.rawValue, status: .checkFailed, when: "a bundle is not valid JSON or breaks its version's structural rules"),
        Row(code: VerificationError.Code.unsupportedMediaType.rawValue, status: .checkFailed, when: "a bundle's media type is unknown"),
        Row(code: VerificationError.Code.malformedTrustedRoot.rawValue, status: .dataError, when: "a trusted root cannot be parsed"),
        Row(code: VerificationError.Code.invalidPolicy.rawValue, status: .usage, when: "the verification policy does not fit the bundle (e.g. --key for a certificate bundle)"),
        Row(code: VerificationError.Code.artifactMismatch.rawValue, status: .checkFailed, when: "the bundle signs another artifact"),
        Row(code: VerificationError.Code.signatureInvalid.rawValue, status: .checkFailed, when: "the signature over the artifact does not verify"),
        Row(code: VerificationError.Code.certificateChainInvalid.rawValue, status: .checkFailed, when: "the signing certificate does not chain to a trusted CA at a verified time"),
        Row(code: VerificationError.Code.certificateProfileInvalid.rawValue, status: .checkFailed, when: "the signing certificate lacks Fulcio's profile (usage, SAN, issuer)"),
        Row(code: VerificationError.Code.signedCertificateTimestampInvalid.rawValue, status: .checkFailed, when: "no embedded SCT from a trusted CT log verifies"),
        Row(code: VerificationError.Code.identityMismatch.rawValue, status: .checkFailed, when: "the certificate SAN is not the expected identity"),
        Row(code: VerificationError.Code.issuerMismatch.rawValue, status: .checkFailed, when: "the OIDC issuer is not the expected one"),
        Row(code: VerificationError.Code.claimMismatch.rawValue, status: .checkFailed, when: "a GitHub workflow claim is not the expected value"),
        Row(code: VerificationError.Code.transparencyLogEntryInvalid.rawValue, status: .checkFailed, when: "a log entry is from an untrusted log or unsupported"),
        Row(code: VerificationError.Code.transparencyLogEntryInconsistent.rawValue, status: .checkFailed, when: "a log entry does not repeat the bundle's signature, key or digest"),
        Row(code: VerificationError.Code.inclusionPromiseInvalid.rawValue, status: .checkFailed, when: "a signed entry timestamp (SET) does not verify"),
        Row(code: VerificationError.Code.inclusionProofInvalid.rawValue, status: .checkFailed, when: "an inclusion proof does not lead to its root hash"),
        Row(code: VerificationError.Code.checkpointInvalid.rawValue, status: .checkFailed, when: "a checkpoint is malformed, unsigned by the log, or disagrees with the proof"),
        Row(code: VerificationError.Code.timestampInvalid.rawValue, status: .checkFailed, when: "an RFC 3161 timestamp cannot be checked against the trusted root"),
        Row(code: VerificationError.Code.noVerifiedTime.rawValue, status: .checkFailed, when: "no signed time (SET or RFC 3161) verifies"),
        Row(code: VerificationError.Code.statementMismatch.rawValue, status: .checkFailed, when: "a DSSE in-toto statement does not name the artifact"),
        Row(code: VerificationError.Code.keyMismatch.rawValue, status: .checkFailed, when: "the managed key does not match"),
        Row(code: BatchVerificationFailure.code, status: .checkFailed, when: "`verify batch`: at least one line failed verification (each line says why)"),
        // Signing
        Row(code: SigningError.Code.noIdentityToken.rawValue, status: .configuration, when: "keyless signing found no OIDC token (option, SIGSTORE_ID_TOKEN or CI ambient credentials)"),
        Row(code: SigningError.Code.malformedIdentityToken.rawValue, status: .dataError, when: "the OIDC token is not a JWT with iss, sub and exp"),
        Row(code: SigningError.Code.identityTokenNotUsable.rawValue, status: .noPermission, when: "the OIDC token has expired, is not yet valid, or names an unverified e-mail"),
        Row(code: SigningError.Code.certificateRejected.rawValue, status: .checkFailed, when: "the CA returned a certificate for another key, or refused the proof of possession"),
        Row(code: SigningError.Code.malformedServiceResponse.rawValue, status: .unavailable, when: "a signing service (CA, log, TSA) answered something unusable"),
        Row(code: SigningError.Code.selfVerificationFailed.rawValue, status: .checkFailed, when: "the bundle just produced does not verify; nothing was written"),
        Row(code: SigningError.Code.invalidSigningConfig.rawValue, status: .dataError, when: "the signing configuration cannot be used"),
        Row(code: SigningError.Code.invalidStatement.rawValue, status: .dataError, when: "the --in-toto input is not an in-toto statement with a sha256 subject"),
        // Local test instance (codes declared by HephaestusLocalSigstore, see ``localInstanceCodes``)
        Row(code: "dev.corrupt-state", status: .dataError, when: "the `dev sigstore` directory's kept state is damaged"),
        Row(code: "dev.not-an-instance", status: .noInput, when: "`dev sigstore token` names a directory with no instance"),
        // Transport
        Row(code: TransportError.Code.invalidConfiguration.rawValue, status: .usage, when: "a network option is out of range (--timeout, --max-retries, …)"),
        Row(code: TransportError.Code.invalidURL.rawValue, status: .usage, when: "a URL is malformed or uses an unsupported scheme"),
        Row(code: TransportError.Code.insecureURL.rawValue, status: .usage, when: "a plain-http URL points off loopback"),
        Row(code: TransportError.Code.transport.rawValue, status: .unavailable, when: "a non-retryable network failure (TLS, refused after retries)"),
        Row(code: TransportError.Code.httpStatus.rawValue, status: .unavailable, when: "the server answered a non-retryable error status (e.g. 404)"),
        Row(code: TransportError.Code.gaveUp.rawValue, status: .unavailable, when: "retries or the deadline were exhausted"),
        Row(code: TransportError.Code.rateLimited.rawValue, status: .unavailable, when: "the API rate limit resets only after the deadline"),
        Row(code: TransportError.Code.unauthorized.rawValue, status: .noPermission, when: "the token was rejected (expired or revoked)"),
        Row(code: TransportError.Code.redirectRefused.rawValue, status: .checkFailed, when: "a redirect went to a refused scheme or from a non-GET request"),
        Row(code: TransportError.Code.tooManyRedirects.rawValue, status: .unavailable, when: "more than 10 redirects"),
        Row(code: TransportError.Code.bodyTooLarge.rawValue, status: .checkFailed, when: "a download exceeded the maximum size"),
        Row(code: TransportError.Code.sizeMismatch.rawValue, status: .checkFailed, when: "a download's size differs from the size the release API declared"),
        Row(code: TransportError.Code.digestMismatch.rawValue, status: .checkFailed, when: "a download's SHA-256 differs from the digest the release API declared"),
        // GitHub
        Row(code: GitHubError.Code.missingToken.rawValue, status: .configuration, when: "a command needs a GitHub token and none is set"),
        Row(code: GitHubError.Code.malformedToken.rawValue, status: .configuration, when: "the token's shape is wrong (prefix, length, whitespace)"),
        Row(code: GitHubError.Code.invalidRepository.rawValue, status: .usage, when: "--repository is not OWNER/REPO"),
        Row(code: GitHubError.Code.releaseNotFound.rawValue, status: .noInput, when: "no release has the given tag"),
        Row(code: GitHubError.Code.noRelease.rawValue, status: .noInput, when: "the repository has no published release"),
        Row(code: GitHubError.Code.noMatchingAsset.rawValue, status: .noInput, when: "no asset matches the pattern"),
        Row(code: GitHubError.Code.malformedResponse.rawValue, status: .unavailable, when: "the API answered something unexpected"),
        Row(code: GitHubError.Code.unsafeAssetName.rawValue, status: .checkFailed, when: "an asset name cannot be made a safe file name"),
        Row(code: GitHubError.Code.assetExists.rawValue, status: .checkFailed, when: "a release already has a different asset of that name (use --replace where offered)"),
        // Archives
        Row(code: ArchiveError.Code.unreadable.rawValue, status: .noInput, when: "an archive cannot be opened"),
        Row(code: ArchiveError.Code.unsupportedFormat.rawValue, status: .checkFailed, when: "an archive is neither tar, tar.gz nor zip"),
        Row(code: ArchiveError.Code.corrupt.rawValue, status: .checkFailed, when: "an archive is corrupt, truncated or concatenated"),
        Row(code: ArchiveError.Code.unsafeEntry.rawValue, status: .checkFailed, when: "an entry breaks an extraction rule (traversal, link escape, special file, …)"),
        Row(code: ArchiveError.Code.limitExceeded.rawValue, status: .checkFailed, when: "an archive exceeds an extraction limit (a bomb?)"),
        Row(code: ArchiveError.Code.destinationExists.rawValue, status: .cannotCreate, when: "the extraction destination exists and is not empty"),
        Row(code: ArchiveError.Code.writeFailed.rawValue, status: .cannotCreate, when: "an extracted file could not be written"),
        // Wheels
        Row(code: WheelError.Code.notAWheel.rawValue, status: .checkFailed, when: "the wheelhouse holds files that are not wheels"),
        Row(code: WheelError.Code.invalidFilename.rawValue, status: .checkFailed, when: "a wheel's file name breaks PEP 427"),
        Row(code: WheelError.Code.unreadable.rawValue, status: .checkFailed, when: "a wheel is not a readable, safe zip"),
        Row(code: WheelError.Code.missingMetadata.rawValue, status: .checkFailed, when: "a wheel lacks .dist-info/WHEEL, METADATA or RECORD"),
        Row(code: WheelError.Code.recordMismatch.rawValue, status: .checkFailed, when: "a wheel's files do not match its RECORD"),
        Row(code: WheelError.Code.metadataMismatch.rawValue, status: .checkFailed, when: "METADATA names another distribution or version than the file name"),
        Row(code: WheelError.Code.empty.rawValue, status: .checkFailed, when: "the wheelhouse holds no wheel"),
        // Inventory and backfill
        Row(code: InventoryError.Code.missing.rawValue, status: .noInput, when: "the inventory file does not exist"),
        Row(code: InventoryError.Code.schema.rawValue, status: .dataError, when: "the inventory is not a Hephaestus inventory or its schema is unusable"),
        Row(code: InventoryError.Code.runNotFound.rawValue, status: .noInput, when: "`backfill rollback` names an unknown run"),
        Row(code: InventoryError.Code.runInProgress.rawValue, status: .configuration, when: "`backfill rollback` names a run still marked running"),
        Row(code: InventoryError.Code.untiedAsset.rawValue, status: .checkFailed, when: "an asset's bytes do not match its SHA-256 manifest: never signed"),
        Row(code: InventoryError.Code.bundleConflict.rawValue, status: .checkFailed, when: "a release already carries a bundle asset that does not verify for its subject"),
        // Publication
        Row(code: PublishError.Code.invalidDistribution.rawValue, status: .dataError, when: "a distribution fails validation (name, archive, metadata, description); nothing is uploaded"),
        Row(code: PublishError.Code.missingCredentials.rawValue, status: .configuration, when: "no index password/token in the environment or ~/.pypirc and no --trusted-publishing"),
        Row(code: PublishError.Code.configuration.rawValue, status: .configuration, when: "~/.pypirc (or --config-file) is malformed or does not define the --repository named"),
        Row(code: PublishError.Code.credentialsRejected.rawValue, status: .noPermission, when: "the index rejected the credentials (401/403)"),
        Row(code: PublishError.Code.fileExists.rawValue, status: .checkFailed, when: "the index already has the file and --skip-existing was not given"),
        Row(code: PublishError.Code.existingDiffers.rawValue, status: .checkFailed, when: "the index already has a file of that name with other content (even with --skip-existing)"),
        Row(code: PublishError.Code.uploadRejected.rawValue, status: .dataError, when: "the index refused the upload (its reason is shown)"),
        Row(code: PublishError.Code.trustedPublishing.rawValue, status: .noPermission, when: "the index would not exchange the OIDC token for an upload token"),
        Row(code: PublishError.Code.assetDiffers.rawValue, status: .checkFailed, when: "a release asset of that name has other content and --replace was not given"),
        Row(code: PublishError.Code.confirmationMismatch.rawValue, status: .usage, when: "the typed confirmation did not match the tag; nothing was deleted"),
        // Release checks and install
        Row(code: ReleaseCheckError.Code.noArchive.rawValue, status: .noInput, when: "the release has no wheelhouse archive"),
        Row(code: ReleaseCheckError.Code.ambiguousArchive.rawValue, status: .usage, when: "several archives match: --pattern must choose"),
        Row(code: ReleaseCheckError.Code.missingManifest.rawValue, status: .checkFailed, when: "no SHA-256 manifest (and no --allow-missing-manifest)"),
        Row(code: ReleaseCheckError.Code.manifestDoesNotNameArchive.rawValue, status: .checkFailed, when: "the manifest does not list the archive"),
        Row(code: ReleaseCheckError.Code.checksumMismatch.rawValue, status: .checkFailed, when: "the archive's SHA-256 differs from the manifest"),
        Row(code: ReleaseCheckError.Code.missingBundle.rawValue, status: .checkFailed, when: "--require-sigstore and no bundle"),
        Row(code: ReleaseCheckError.Code.pipFailed.rawValue, status: .toolFailed, when: "pip refused or failed to install (its message is shown)"),
        Row(code: ReleaseCheckError.Code.environment.rawValue, status: .configuration, when: "Python, venv or the target environment is unusable"),
    ]

    /// The codes of `LocalInstanceError`, the `dev sigstore` test instance's errors: it lives in
    /// HephaestusLocalSigstore, which this shipped library does not import, so its codes are spelled here and
    /// HephaestusLocalSigstoreTests checks that they are exactly that enum's codes.
    public static let localInstanceCodes = ["dev.corrupt-state", "dev.not-an-instance"]

    /// Every code an area declares, for the completeness test.
    public static let declaredCodes: [String] =
        [usageCode, internalCode]
        + FileError.Code.allCases.map(\.rawValue)
        + LibraryError.Code.allCases.map(\.rawValue)
        + CryptoError.Code.allCases.map(\.rawValue)
        + DigestCheckError.Code.allCases.map(\.rawValue)
        + VerificationError.Code.allCases.map(\.rawValue) + [BatchVerificationFailure.code]
        + SigningError.Code.allCases.map(\.rawValue)
        + localInstanceCodes
        + TransportError.Code.allCases.map(\.rawValue)
        + GitHubError.Code.allCases.map(\.rawValue)
        + ArchiveError.Code.allCases.map(\.rawValue)
        + WheelError.Code.allCases.map(\.rawValue)
        + ReleaseCheckError.Code.allCases.map(\.rawValue)
        + InventoryError.Code.allCases.map(\.rawValue)
        + PublishError.Code.allCases.map(\.rawValue)

    /// The exit status for `code`; unknown codes are internal errors.
    public static func status(forCode code: String) -> ExitStatus {
        rows.first { $0.code == code }?.status ?? .software
    }

    /// The exit status for any error.
    public static func status(for error: any Error) -> ExitStatus {
        if let coded = error as? any CodedError {
            return status(forCode: coded.code)
        }
        return .software
    }

    /// `docs/exit-codes.md`, generated from ``rows`` and ``ExitStatus``.
    public static func markdown() -> String {
        var lines = [
            "# Exit codes",
            "",
            "<!-- Generated from Sources/HephaestusCore/Errors/ExitCodeTable.swift by",
            "     `RECORD_SNAPSHOTS=1 swift test --filter ExitCodeDocumentation`. Do not edit by hand. -->",
            "",
            "| status | meaning |",
            "|---|---|",
        ]
        for status in ExitStatus.allCases {
            lines.append("| \(status.rawValue) | \(status.meaning) |")
        }
        lines += ["", "## By error code", "", "| error code | status | when |", "|---|---|---|"]
        for row in rows {
            lines.append("| `\(row.code)` | \(row.status.rawValue) | \(row.when) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
