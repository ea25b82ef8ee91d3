import HephaestusPlatform

/// `digest.files`: the SHA-2 digest of each file, in argument order, as `sha256sum` computes them.
///
/// A file that cannot be read does not stop the others: its entry carries the error, and the first such error is the
/// report's failure (its file error's exit status).
public enum DigestFilesOperation: Operation {
    public struct Request: Codable, Sendable, Equatable {
        /// The files to hash (`-` for standard input on the CLI).
        public var files: [String]
        public var algorithm: DigestAlgorithm

        public init(files: [String], algorithm: DigestAlgorithm = .sha256) {
            self.files = files
            self.algorithm = algorithm
        }

        public func validate() throws(RequestError) {
            if files.isEmpty { throw RequestError("no FILE given (use - for standard input)") }
        }

        private enum CodingKeys: String, CodingKey { case files, algorithm }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            files = try container.decode([String].self, forKey: .files)
            algorithm = try container.decodeIfPresent(DigestAlgorithm.self, forKey: .algorithm) ?? .sha256
        }
    }

    /// Each file's entry, as soon as it is hashed (or found unreadable).
    public typealias Item = DigestReport.File

    public static let descriptor = OperationDescriptor(
        name: "digest.files", command: "digest", summary: "Print the SHA-2 checksum of each file, exactly as sha256sum does.",
        reportMediaType: MediaType.digestResult, effect: .readOnly, errorCodes: FileError.Code.reading.map(\.rawValue))

    public static func run(_ request: Request, in context: OperationContext, emit: ItemSink<Item>) async throws -> DigestReport {
        try request.validate()
        let report = try await BlockingWork.run {
            var report = DigestReport()
            for name in request.files {
                try context.checkCancellation()
                let file: DigestReport.File
                do throws(FileError) {
                    file = DigestReport.File(ChecksumLine(digest: try request.algorithm.hash(fileAt: name), name: name))
                } catch {
                    file = DigestReport.File(name: name, algorithm: request.algorithm, error: error)
                }
                report.files.append(file)
                emit(file)
            }
            return report
        }
        context.logger.info(
            "digest.completed", metadata: ["files": .stringConvertible(request.files.count), "algorithm": .string(request.algorithm.rawValue)])
        return report
    }
}

/// `digest.check`: every file listed in sha256sum-format manifests checked, with `sha256sum -c --strict` semantics.
///
/// Verdicts are produced in manifest order, each manifest's totals after its verdicts. A manifest that does not hold
/// (a mismatch, an unreadable file, a malformed line) or cannot be used does not stop the next; the first such
/// manifest's error is the report's failure.
public enum DigestCheckOperation: Operation {
    public struct Request: Codable, Sendable, Equatable {
        /// The manifests (`-` for standard input on the CLI).
        public var manifests: [String]
        public var algorithm: DigestAlgorithm
        /// Skip (rather than fail) listed files that do not exist (`--ignore-missing`).
        public var ignoreMissing: Bool

        public init(manifests: [String], algorithm: DigestAlgorithm = .sha256, ignoreMissing: Bool = false) {
            self.manifests = manifests
            self.algorithm = algorithm
            self.ignoreMissing = ignoreMissing
        }

        public func validate() throws(RequestError) {
            if manifests.isEmpty { throw RequestError("no FILE given (use - for standard input)") }
        }

        private enum CodingKeys: String, CodingKey { case manifests, algorithm, ignoreMissing }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            manifests = try container.decode([String].self, forKey: .manifests)
            algorithm = try container.decodeIfPresent(DigestAlgorithm.self, forKey: .algorithm) ?? .sha256
            ignoreMissing = try container.decodeIfPresent(Bool.self, forKey: .ignoreMissing) ?? false
        }
    }

    /// One result as it is reached: a listed file's verdict, or (after its verdicts) a manifest's totals.
    public struct Item: Codable, Sendable, Equatable {
        public let verdict: DigestCheckReport.Verdict?
        public let manifest: DigestCheckReport.Manifest?
        /// The code of the error that made the file unreadable, or that the manifest ended with.
        public let errorCode: String?

        public init(verdict: DigestCheckReport.Verdict, errorCode: String? = nil) {
            self.verdict = verdict
            manifest = nil
            self.errorCode = errorCode
        }

        public init(manifest: DigestCheckReport.Manifest, errorCode: String? = nil) {
            verdict = nil
            self.manifest = manifest
            self.errorCode = errorCode
        }
    }

    public static let descriptor = OperationDescriptor(
        name: "digest.check", command: "digest --check",
        summary: "Check the files listed in sha256sum-format manifests, as sha256sum -c --strict does.",
        reportMediaType: MediaType.digestCheckResult, effect: .readOnly,
        errorCodes: DigestCheckError.Code.allCases.map(\.rawValue) + FileError.Code.reading.map(\.rawValue))

    public static func run(_ request: Request, in context: OperationContext, emit: ItemSink<Item>) async throws -> DigestCheckReport {
        try request.validate()
        let report = try await BlockingWork.run {
            var report = DigestCheckReport()
            for manifest in request.manifests {
                try context.checkCancellation()
                let checker = ChecksumManifestChecker(
                    manifestPath: manifest, algorithm: request.algorithm, ignoresMissingFiles: request.ignoreMissing)
                let entry: DigestCheckReport.Manifest
                var code: String?
                do {
                    let summary = try checker.check { verdict in
                        report.add(verdict, manifest: manifest)
                        var unreadable: String?
                        if case .unreadable(_, let error) = verdict { unreadable = error.code }
                        emit(Item(verdict: DigestCheckReport.Verdict(verdict, manifest: manifest), errorCode: unreadable))
                    }
                    entry = DigestCheckReport.Manifest(path: manifest, summary: summary, error: nil)
                } catch DigestCheckError.checkFailed(let summary) {
                    entry = DigestCheckReport.Manifest(path: manifest, summary: summary, error: DigestCheckError.checkFailed(summary: summary))
                    code = DigestCheckError.Code.checkFailed.rawValue
                } catch {
                    entry = DigestCheckReport.Manifest(path: manifest, summary: nil, error: error)
                    code = (error as? any CodedError)?.code
                }
                report.manifests.append(entry)
                emit(Item(manifest: entry, errorCode: code))
            }
            return report
        }
        context.logger.info(
            "digest.check-completed",
            metadata: ["manifests": .stringConvertible(request.manifests.count), "passed": .stringConvertible(report.failure == nil)])
        return report
    }
}
