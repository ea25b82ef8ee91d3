import Foundation
import HephaestusPlatform
import HephaestusSigstore

/// The `--json` payload of `wheelhouse pack`: the archive written, and its bundle when signed.
public struct WheelhousePackReport: OperationReport, Equatable {
    public let result: WheelhousePack.Result
    /// The Sigstore bundle written beside the archive (`--sign`).
    public let bundle: String?

    public init(result: WheelhousePack.Result, bundle: String?) {
        self.result = result
        self.bundle = bundle
    }

    private enum CodingKeys: String, CodingKey { case bundle }

    /// The `--json` document holds the result's fields at its top level (`archive`, `sha256`, …), beside `bundle`.
    public func encode(to encoder: any Encoder) throws {
        try result.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(bundle, forKey: .bundle)
    }

    public init(from decoder: any Decoder) throws {
        result = try WheelhousePack.Result(from: decoder)
        bundle = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(String.self, forKey: .bundle)
    }
}

/// `wheelhouse.pack`: the wheels of a directory (each checked: file name, METADATA, RECORD hashes) packed into a
/// reproducible `NAME-VERSION-wheelhouse.tar.gz` with its `.sha256` manifest, and signed when asked (as `sign` does).
public enum WheelhousePackOperation: Operation {
    public struct Request: Codable, Sendable, Equatable {
        /// The directory of wheels.
        public var directory: String
        /// The archive to write, named `NAME-VERSION-wheelhouse.tar.gz`.
        public var output: String
        /// Replace an existing archive, manifest and bundle.
        public var overwrite: Bool
        /// Sign the archive into `OUTPUT.sigstore.json`.
        public var sign: Bool
        public var signing: SigningChoice
        public var trust: TrustChoice

        public init(
            directory: String, output: String, overwrite: Bool = false, sign: Bool = false, signing: SigningChoice = SigningChoice(),
            trust: TrustChoice = TrustChoice()
        ) {
            self.directory = directory
            self.output = output
            self.overwrite = overwrite
            self.sign = sign
            self.signing = signing
            self.trust = trust
        }

        public func validate() throws(RequestError) {
            try signing.validate(staging: trust.staging)
            if let problem = WheelhousePack.outputNameProblem(output) { throw RequestError("--output \(output): \(problem)") }
            try trust.validate()
        }

        private enum CodingKeys: String, CodingKey { case directory, output, overwrite, sign, signing, trust }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            directory = try container.decode(String.self, forKey: .directory)
            output = try container.decode(String.self, forKey: .output)
            overwrite = try container.decodeIfPresent(Bool.self, forKey: .overwrite) ?? false
            sign = try container.decodeIfPresent(Bool.self, forKey: .sign) ?? false
            signing = try container.decodeIfPresent(SigningChoice.self, forKey: .signing) ?? SigningChoice()
            trust = try container.decodeIfPresent(TrustChoice.self, forKey: .trust) ?? TrustChoice()
        }
    }

    public static let descriptor = OperationDescriptor(
        name: "wheelhouse.pack", command: "wheelhouse pack",
        summary:
            "Pack the wheels of a directory into a reproducible NAME-VERSION-wheelhouse.tar.gz with its .sha256 manifest, and sign it when asked.",
        reportMediaType: MediaType.wheelhousePack, effect: .destructive,
        errorCodes: packErrorCodes, longRunning: true)

    private static var packErrorCodes: [String] {
        let packing: [String] =
            WheelError.Code.allCases.map(\.rawValue) + FileError.Code.allCases.map(\.rawValue) + [ArchiveError.Code.writeFailed.rawValue]
        let signing: [String] = SigningError.Code.allCases.map(\.rawValue) + TransportError.Code.allCases.map(\.rawValue)
        let checking: [String] =
            VerificationError.Code.allCases.map(\.rawValue) + [CryptoError.Code.malformedKey.rawValue, CryptoError.Code.unsupportedKey.rawValue]
        return packing + signing + checking
    }

    /// All or nothing: every output (archive, manifest, bundle) and, with `sign`, everything signing needs (the
    /// signing config, the trust root, the token or key) are checked before anything is written; the wheels are
    /// packed into temporary files, the archive is signed there, and only then are the files moved into place
    /// together. A failure at any step leaves no archive, manifest or bundle behind.
    public static func run(_ request: Request, in context: OperationContext, emit: ItemSink<Never>) async throws -> WheelhousePackReport {
        try request.validate()
        let pack = WheelhousePack(
            directory: request.directory, output: request.output, overwrite: request.overwrite, environment: context.environment)
        return try await BlockingWork.run {
            try pack.checkOutputs(signed: request.sign)
            let trust = request.sign ? try request.trust.resolve(in: context) : nil
            let session = try trust.map {
                try SigningSession(
                    credential: try request.signing.credential(in: context), signingConfig: request.signing.configSelection(trust: $0),
                    trust: $0, http: try context.network.client(), logger: context.logger, clock: context.clock)
            }
            context.progress.send(.stage("pack"))
            let staged = try pack.stage()
            var files = [staged.archive, staged.manifest]
            if let session {
                try context.checkCancellation()
                context.progress.send(.stage("sign"))
                let (signed, _) = try ArtifactSigning.sign(file: staged.archive.temporaryPath, inToto: false, session: session)
                let bundle = try StagedFile(destination: pack.bundlePath, overwrite: request.overwrite)
                try bundle.write(signed.json + [0x0A])
                files.append(bundle)
            }
            try AtomicFileWriter.commit(files)
            if session != nil {
                context.logger.info("sign.written", metadata: ["file": .string(request.output), "bundle": .string(pack.bundlePath)])
            }
            return WheelhousePackReport(result: staged.result, bundle: session == nil ? nil : pack.bundlePath)
        }
    }
}

/// `wheelhouse.extract`: a tar, tar.gz or zip archive extracted into a fresh directory, refusing anything unsafe, a
/// directory named like a wheel and an archive without any wheel (and then leaving nothing behind).
public enum WheelhouseExtractOperation: Operation {
    public struct Request: Codable, Sendable, Equatable {
        public var archive: String
        /// The destination directory: must not exist, or be empty (`--dest`).
        public var dest: String
        public var limits: ExtractionChoice

        public init(archive: String, dest: String, limits: ExtractionChoice = ExtractionChoice()) {
            self.archive = archive
            self.dest = dest
            self.limits = limits
        }

        public func validate() throws(RequestError) {
            try limits.validate()
        }

        private enum CodingKeys: String, CodingKey { case archive, dest, limits }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            archive = try container.decode(String.self, forKey: .archive)
            dest = try container.decode(String.self, forKey: .dest)
            limits = try container.decodeIfPresent(ExtractionChoice.self, forKey: .limits) ?? ExtractionChoice()
        }
    }

    public static let descriptor = OperationDescriptor(
        name: "wheelhouse.extract", command: "wheelhouse extract",
        summary: "Extract a wheelhouse (tar, tar.gz or zip) into a fresh directory, refusing anything unsafe and an archive without a wheel.",
        reportMediaType: MediaType.extraction, effect: .idempotent,
        errorCodes: ArchiveError.Code.allCases.map(\.rawValue) + [WheelError.Code.empty.rawValue, WheelError.Code.directoryNamedWheel.rawValue]
            + FileError.Code.reading.map(\.rawValue), longRunning: true)

    public static func run(_ request: Request, in context: OperationContext, emit: ItemSink<Never>) async throws -> ExtractionSummary {
        try request.validate()
        let extracted = try await BlockingWork.run {
            try SafeExtractor(limits: request.limits.limits, rules: WheelhouseInspection.extractionRules).extract(request.archive, into: request.dest)
        }
        context.logger.info(
            "wheelhouse.extracted", metadata: ["files": .stringConvertible(extracted.files.count), "bytes": .stringConvertible(extracted.bytes)])
        return ExtractionSummary(
            archive: request.archive, destination: request.dest, files: extracted.files, bytes: extracted.bytes, directories: extracted.directories,
            links: extracted.links)
    }
}
