import HephaestusPlatform

/// The `--json` payload of `hephaestus digest FILE...`: one entry per file, in argument order.
public struct DigestReport: OperationReport, Equatable {
    /// One file: its digest, or why it could not be hashed.
    public struct File: Codable, Sendable, Equatable {
        public let name: String
        public let algorithm: DigestAlgorithm
        /// Lower-case hex; nil when the file could not be read.
        public let digest: String?
        public let error: String?
        public let errorCode: String?

        public init(name: String, algorithm: DigestAlgorithm, digest: String?, error: String?, errorCode: String?) {
            self.name = name
            self.algorithm = algorithm
            self.digest = digest
            self.error = error
            self.errorCode = errorCode
        }

        public init(_ line: ChecksumLine) {
            self.init(name: line.name, algorithm: line.digest.algorithm, digest: line.digest.hex, error: nil, errorCode: nil)
        }

        public init(name: String, algorithm: DigestAlgorithm, error: FileError) {
            self.init(name: name, algorithm: algorithm, digest: nil, error: error.description, errorCode: error.code)
        }

        /// The line `sha256sum` prints for this file (nil when it could not be hashed).
        public var checksumLine: String? {
            digest.map { ChecksumLine.format(hex: $0, name: name) }
        }

        /// Why the file could not be hashed, with the code of the file error (nil when it was hashed).
        public var failure: (any CodedError)? {
            guard let error else { return nil }
            guard let code = errorCode.flatMap(FileError.Code.init(rawValue:)) else { return GeneralError.unexpected(error) }
            return UnhashedFile(errorCode: code, description: error)
        }
    }

    public var files: [File] = []

    public init(files: [File] = []) {
        self.files = files
    }

    public mutating func add(_ line: ChecksumLine) {
        files.append(File(line))
    }

    public mutating func add(name: String, algorithm: DigestAlgorithm, error: FileError) {
        files.append(File(name: name, algorithm: algorithm, error: error))
    }

    /// The first file that could not be hashed (its file error sets the exit status), nil when every file was.
    public var failure: (any CodedError)? {
        files.lazy.compactMap(\.failure).first
    }
}

/// A file `digest` could not hash, as its report records it: the file error's code and message.
public struct UnhashedFile: CodedError, Equatable {
    public let errorCode: FileError.Code
    public let description: String

    public init(errorCode: FileError.Code, description: String) {
        self.errorCode = errorCode
        self.description = description
    }
}

/// The `--json` payload of `hephaestus digest --check MANIFEST...`: every verdict in manifest order, and each
/// manifest's totals.
public struct DigestCheckReport: OperationReport, Equatable {
    /// One listed file's verdict.
    public struct Verdict: Codable, Sendable, Equatable {
        public enum Outcome: String, Codable, Sendable, CaseIterable {
            case ok, failed, unreadable
        }

        public let manifest: String
        public let name: String
        public let verdict: Outcome
        public let reason: String?

        public init(manifest: String, name: String, verdict: Outcome, reason: String?) {
            self.manifest = manifest
            self.name = name
            self.verdict = verdict
            self.reason = reason
        }

        public init(_ verdict: ChecksumVerdict, manifest: String) {
            switch verdict {
            case .ok(let name): self.init(manifest: manifest, name: name, verdict: .ok, reason: nil)
            case .failed(let name): self.init(manifest: manifest, name: name, verdict: .failed, reason: "checksum mismatch")
            case .unreadable(let name, let error): self.init(manifest: manifest, name: name, verdict: .unreadable, reason: error.description)
            }
        }

        /// The stdout line `sha256sum -c` prints for this verdict.
        public var formatted: String {
            switch verdict {
            case .ok: ChecksumVerdict.format(name: name, status: "OK")
            case .failed: ChecksumVerdict.format(name: name, status: "FAILED")
            case .unreadable: ChecksumVerdict.format(name: name, status: "FAILED open or read")
            }
        }
    }

    /// One manifest's totals; `error` says why it did not pass.
    public struct Manifest: Codable, Sendable, Equatable {
        public let path: String
        public let passed: Bool
        public let verified: Int
        public let mismatched: Int
        public let unreadable: Int
        public let malformedLines: Int
        public let missingIgnored: Int
        public let error: String?

        public init(path: String, summary: ChecksumCheckSummary?, error: (any Error)?) {
            let summary = summary ?? ChecksumCheckSummary()
            self.path = path
            passed = error == nil
            verified = summary.verified
            mismatched = summary.mismatched
            unreadable = summary.unreadable
            malformedLines = summary.malformed
            missingIgnored = summary.missingIgnored
            self.error = error.map { "\($0)" }
        }

        /// The totals as the checker counted them.
        public var summary: ChecksumCheckSummary {
            ChecksumCheckSummary(
                verified: verified, mismatched: mismatched, unreadable: unreadable, malformed: malformedLines, missingIgnored: missingIgnored)
        }

        /// Why the manifest did not pass, as the error the check ended with: a failed check (from the totals), a
        /// manifest without checksum lines or without any present file, or a manifest that could not be read (all
        /// recognised from the recorded message, which is the error's description); nil when it passed.
        public var failure: (any CodedError)? {
            guard !passed else { return nil }
            let message = error ?? ""
            if summary.mismatched + summary.unreadable + summary.malformed > 0 {
                return DigestCheckError.checkFailed(summary: summary)
            }
            let candidates: [any CodedError] =
                DigestAlgorithm.allCases.map { DigestCheckError.noChecksumLines(manifest: path, algorithm: $0) }
                + [
                    DigestCheckError.nothingVerified(manifest: path), FileError.notFound(path: path), FileError.isDirectory(path: path),
                    FileError.notRegularFile(path: path), FileError.permissionDenied(path: path),
                ]
            if let known = candidates.first(where: { $0.description == message }) { return known }
            let readFailed = "\(path): read failed: "
            if message.hasPrefix(readFailed) { return FileError.readFailed(path: path, reason: String(message.dropFirst(readFailed.count))) }
            return GeneralError.unexpected(message)
        }
    }

    public var verdicts: [Verdict] = []
    public var manifests: [Manifest] = []

    public init(verdicts: [Verdict] = [], manifests: [Manifest] = []) {
        self.verdicts = verdicts
        self.manifests = manifests
    }

    public mutating func add(_ verdict: ChecksumVerdict, manifest: String) {
        verdicts.append(Verdict(verdict, manifest: manifest))
    }

    public mutating func add(manifest path: String, summary: ChecksumCheckSummary?, error: (any Error)?) {
        manifests.append(Manifest(path: path, summary: summary, error: error))
    }

    /// The first manifest that did not pass (its error sets the exit status), nil when all passed.
    public var failure: (any CodedError)? {
        manifests.lazy.compactMap(\.failure).first
    }
}
