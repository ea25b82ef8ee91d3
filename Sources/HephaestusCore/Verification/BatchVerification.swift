import Foundation
import HephaestusPlatform
import HephaestusSigstore

/// `verify batch`: a JSON-lines list of bundles, verified in parallel with one trust root, answered line for line.
///
/// Input lines: `{"bundle": P, "artifact": P | "digest": "sha256:…", "identity" | "identity_regexp": …,
/// "issuer" | "issuer_regexp": …, "key": P?}`; relative paths resolve against the list file's directory.
/// Lines are processed in windows so that memory stays bounded however long the list is.
public struct BatchVerification: Sendable {
    /// One output line.
    public struct Outcome: Codable, Sendable {
        /// Every line names its media type (``MediaType/verificationBatchLine``).
        public let mediaType: String
        public let line: Int
        public let verdict: VerificationReport.Verdict
        public let reason: String?
        public let code: String?
        public let bundle: String?
        public let identity: String?
        public let issuer: String?
        public let logIndex: Int64?
        public let signingTime: Date?
        public let runId: RunID
        /// The output line, rendered when the outcome is made (by the worker that verified it), so that the ordered
        /// output does not serialise the batch.
        public let jsonLine: [UInt8]

        public var passed: Bool { verdict == .pass }

        public init(
            line: Int, verdict: VerificationReport.Verdict, reason: String?, code: String?, bundle: String?, identity: String?, issuer: String?,
            logIndex: Int64?, signingTime: Date?, runId: RunID
        ) {
            mediaType = MediaType.verificationBatchLine
            self.line = line
            self.verdict = verdict
            self.reason = reason
            self.code = code
            self.bundle = bundle
            self.identity = identity
            self.issuer = issuer
            self.logIndex = logIndex
            self.signingTime = signingTime
            self.runId = runId
            jsonLine = Self.render(
                line: line, verdict: verdict, reason: reason, code: code, bundle: bundle, identity: identity, issuer: issuer, logIndex: logIndex,
                signingTime: signingTime, runId: runId)
        }

        private enum CodingKeys: String, CodingKey {
            case mediaType, line, verdict, reason, code, bundle, identity, issuer, logIndex, signingTime, runId
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.init(
                line: try container.decode(Int.self, forKey: .line), verdict: try container.decode(VerificationReport.Verdict.self, forKey: .verdict),
                reason: try container.decodeIfPresent(String.self, forKey: .reason), code: try container.decodeIfPresent(String.self, forKey: .code),
                bundle: try container.decodeIfPresent(String.self, forKey: .bundle),
                identity: try container.decodeIfPresent(String.self, forKey: .identity),
                issuer: try container.decodeIfPresent(String.self, forKey: .issuer),
                logIndex: try container.decodeIfPresent(Int64.self, forKey: .logIndex),
                signingTime: try container.decodeIfPresent(Date.self, forKey: .signingTime), runId: try container.decode(RunID.self, forKey: .runId))
        }

        /// Compact JSON with sorted keys, absent values omitted, the signing time in RFC 3339 (UTC, whole seconds) —
        /// what `JSONEncoder` with `.sortedKeys` and `.iso8601` writes, without its cost.
        static func render(
            line: Int, verdict: VerificationReport.Verdict, reason: String?, code: String?, bundle: String?, identity: String?, issuer: String?,
            logIndex: Int64?, signingTime: Date?, runId: RunID
        ) -> [UInt8] {
            var fields: [String: CanonicalJSON] = [
                "mediaType": .string(MediaType.verificationBatchLine), "line": .integer(Int64(line)), "verdict": .string(verdict.rawValue),
                "runId": .string(runId.value),
            ]
            if let reason { fields["reason"] = .string(reason) }
            if let code { fields["code"] = .string(code) }
            if let bundle { fields["bundle"] = .string(bundle) }
            if let identity { fields["identity"] = .string(identity) }
            if let issuer { fields["issuer"] = .string(issuer) }
            if let logIndex { fields["logIndex"] = .integer(logIndex) }
            if let signingTime { fields["signingTime"] = .string(RFC3339.string(signingTime)) }
            return CanonicalJSON.object(fields).serialized
        }
    }

    public let verification: BundleVerification
    /// `--policy FILE`: the signer of every line (lines then carry no identity, issuer or key).
    public let policy: SignerPolicy?
    public let jobs: Int
    public let runID: RunID
    /// Lines per parallel window.
    public let windowSize: Int

    public init(verification: BundleVerification, policy: SignerPolicy? = nil, jobs: Int, runID: RunID, windowSize: Int = 2048) {
        self.verification = verification
        self.policy = policy
        self.jobs = max(1, jobs)
        self.runID = runID
        self.windowSize = windowSize
    }

    /// Verifies every line of the list, calling `emit` in input order with each outcome. Returns (passed, failed)
    /// counts; a list without a request (empty, or blank lines only) is an error, so that a list that came out empty
    /// never passes.
    @discardableResult
    public func run(listPath: String, emit: (Outcome) -> Void) throws -> (passed: Int, failed: Int) {
        let directory = URL(fileURLWithPath: listPath).deletingLastPathComponent().path
        let reader = try LineReader(path: listPath)
        var counts = (passed: 0, failed: 0)
        var lineNumber = 0
        while true {
            var window: [(Int, [UInt8])] = []
            while window.count < windowSize, let line = try reader.nextLine() {
                lineNumber += 1
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
                window.append((lineNumber, line))
            }
            if window.isEmpty { break }
            let outcomes = ParallelMap.map(window, jobs: jobs) { verifyLine(number: $0.0, text: $0.1, directory: directory) }
            for case .success(let outcome) in outcomes {
                if outcome.passed { counts.passed += 1 } else { counts.failed += 1 }
                emit(outcome)
            }
        }
        guard counts.passed + counts.failed > 0 else { throw BatchListError.empty(list: listPath) }
        return counts
    }

    func verifyLine(number: Int, text: [UInt8], directory: String) -> Outcome {
        var bundlePath: String?
        do {
            let request = try BatchRequest(json: text, directory: directory, line: number, policy: policy)
            bundlePath = request.bundle
            let result = try verification.verify(bundlePath: request.bundle, policy: request.policy)
            return Outcome(
                line: number, verdict: .pass, reason: nil, code: nil, bundle: request.bundle, identity: result.identity,
                issuer: result.issuer, logIndex: result.logEntries.first?.logIndex, signingTime: result.signingTime,
                runId: runID)
        } catch {
            return Outcome(
                line: number, verdict: .fail, reason: "\(error)", code: (error as? any CodedError)?.code ?? "internal.unexpected",
                bundle: bundlePath, identity: nil, issuer: nil, logIndex: nil, signingTime: nil, runId: runID)
        }
    }
}

/// One parsed input line.
struct BatchRequest {
    let bundle: String
    let policy: VerificationPolicy

    struct Malformed: CodedError {
        let reason: String
        var errorCode: VerificationError.Code { .invalidPolicy }
        var description: String { "malformed list line: \(reason)" }
    }

    /// The keys a line may have.
    static let keys: Set<String> = ["bundle", "artifact", "digest", "identity", "identity_regexp", "issuer", "issuer_regexp", "key"]

    init(json: [UInt8], directory: String, line: Int, policy: SignerPolicy? = nil) throws {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json)) as? [String: Any] else {
            throw Malformed(reason: "not a JSON object")
        }
        // A misspelt key must not be ignored (a dropped constraint would verify less than was asked).
        if let unknown = object.keys.sorted().first(where: { !Self.keys.contains($0) }) {
            throw Malformed(reason: "unknown key \(unknown.debugDescription) in line \(line) (known: \(Self.keys.sorted().joined(separator: ", ")))")
        }
        func string(_ key: String) throws -> String? {
            guard let value = object[key], !(value is NSNull) else { return nil }
            guard let text = value as? String, !text.isEmpty else { throw Malformed(reason: "\(key) must be a non-empty string") }
            return text
        }
        func path(_ value: String) -> String { value.hasPrefix("/") ? value : "\(directory)/\(value)" }
        guard let bundle = try string("bundle") else { throw Malformed(reason: "bundle is required") }
        self.bundle = path(bundle)
        let artifact: ArtifactPolicy
        switch (try string("artifact"), try string("digest")) {
        case (let file?, nil): artifact = .file(path: path(file))
        case (nil, let digest?):
            guard let parsed = try? ArtifactReference.digest(digest) else { throw Malformed(reason: "digest must be sha256:<64 hex>") }
            artifact = .digest(parsed)
        default: throw Malformed(reason: "exactly one of artifact or digest is required")
        }
        if let policy {
            if let given = ["identity", "identity_regexp", "issuer", "issuer_regexp", "key"].first(where: { object[$0] != nil }) {
                throw Malformed(reason: "\(given) in line \(line): --policy gives the signer of every line")
            }
            self.policy = try VerificationPolicy(artifact: artifact, signer: policy)
            return
        }
        let identity: IdentityPolicy
        if let key = try string("key") {
            guard object["identity"] == nil, object["identity_regexp"] == nil else {
                throw Malformed(reason: "key replaces identity and issuer")
            }
            identity = .publicKey(try PublicKey(pemOrDER: FileReader.contents(of: path(key), limit: 1 << 20)))
        } else {
            let san: ValueMatcher
            switch (try string("identity"), try string("identity_regexp")) {
            case (let exact?, nil): san = .exact(exact)
            case (nil, let pattern?): san = .regularExpression(pattern)
            default: throw Malformed(reason: "exactly one of identity or identity_regexp is required")
            }
            let issuer: ValueMatcher
            switch (try string("issuer"), try string("issuer_regexp")) {
            case (let exact?, nil): issuer = .exact(exact)
            case (nil, let pattern?): issuer = .regularExpression(pattern)
            default: throw Malformed(reason: "exactly one of issuer or issuer_regexp is required")
            }
            identity = .certificate(identity: san, issuer: issuer, claims: [])
        }
        self.policy = try VerificationPolicy(artifact: artifact, identity: identity)
    }
}

/// Reads a file line by line with a fixed buffer.
final class LineReader {
    private let reader: FileReader
    private var pending: [UInt8] = []
    private var chunks: [[UInt8]] = []
    private var finished = false
    private var iterator: IndexingIterator<[[UInt8]]>?

    init(path: String) throws {
        reader = try path == "-" ? FileReader.standardInput() : FileReader(path: path)
    }

    /// The next line without its newline, or nil at the end. Lines over 16 MiB are refused.
    func nextLine() throws -> [UInt8]? {
        while true {
            if let newline = pending.firstIndex(of: 0x0A) {
                let line = Array(pending[..<newline])
                pending.removeSubrange(...newline)
                return line
            }
            if finished {
                guard !pending.isEmpty else { return nil }
                defer { pending = [] }
                return pending
            }
            guard let chunk = try reader.readChunk() else {
                finished = true
                continue
            }
            pending += chunk
            guard pending.count <= 16 << 20 else {
                throw FileError.readFailed(path: reader.path, reason: "a line is longer than 16 MiB")
            }
        }
    }
}

/// `verify.batch`: a JSON-lines list of bundles verified in parallel with one trust root, one outcome per line, in
/// input order.
public enum VerifyBatchOperation: Operation {
    public struct Request: Codable, Sendable, Equatable {
        /// The JSON-lines list (`-` for standard input on the CLI).
        public var list: String
        public var trust: TrustChoice
        /// Parallel verifications (1…256); default the number of CPU cores.
        public var jobs: Int?
        /// A policy file: the signer of every line, whose lines then carry no identity, issuer or key.
        public var policy: String?

        public init(list: String, trust: TrustChoice = TrustChoice(), jobs: Int? = nil, policy: String? = nil) {
            self.policy = policy
            self.list = list
            self.trust = trust
            self.jobs = jobs
        }

        /// Parallel verifications allowed (also `inventory audit --jobs`).
        public static let jobsRange = 1...256

        public func validate() throws(RequestError) {
            try trust.validate()
            if let jobs { try RequestError.checkRange(jobs, Self.jobsRange, option: "--jobs") }
        }
    }

    /// How many lines passed and failed.
    public struct Report: OperationReport, Equatable {
        public let passed: Int
        public let failed: Int

        public var failure: (any CodedError)? {
            failed > 0 ? BatchVerificationFailure(failed: failed, total: passed + failed) : nil
        }
    }

    public typealias Item = BatchVerification.Outcome

    public static let descriptor = OperationDescriptor(
        name: "verify.batch", command: "verify batch",
        summary: "Verify a JSON-lines list of bundles in parallel; one outcome per line, in input order.",
        reportMediaType: MediaType.verificationBatch, effect: .readOnly,
        errorCodes: FileError.Code.reading.map(\.rawValue) + [
            VerificationError.Code.malformedTrustedRoot.rawValue, BatchVerificationFailure.Code.linesFailed.rawValue,
            BatchListError.Code.empty.rawValue,
        ] + TrustErrorCodes.source + TrustErrorCodes.policy,
        longRunning: true)

    public static func run(_ request: Request, in context: OperationContext, emit: ItemSink<Item>) async throws -> Report {
        try request.validate()
        let jobs = request.jobs ?? ProcessInfo.processInfo.activeProcessorCount
        let counts = try await BlockingWork.run {
            let policy = try request.policy.map { try PolicyFile(path: $0).signerPolicy(templates: [:], command: descriptor.command) }
            let batch = BatchVerification(
                verification: try BundleVerification(trust: request.trust.resolve(in: context)), policy: policy, jobs: jobs, runID: context.runID)
            return try batch.run(listPath: request.list) { emit($0) }
        }
        context.logger.info(
            "verify.batch-completed", metadata: ["passed": .stringConvertible(counts.passed), "failed": .stringConvertible(counts.failed)])
        return Report(passed: counts.passed, failed: counts.failed)
    }
}

/// A list that holds no request at all: a CI job whose list came out empty must not pass.
public enum BatchListError: CodedError, Equatable {
    case empty(list: String)

    public enum Code: String, ErrorCode {
        case empty = "verify.batch-empty"

        public var definition: (category: ErrorCategory, summary: String) {
            (.invalidInput, "`verify batch`: the list holds no request (empty, or blank lines only)")
        }
    }

    public var errorCode: Code { .empty }

    public var description: String {
        switch self {
        case .empty(let list): "\(list) holds no request: nothing was verified"
        }
    }
}

/// Some lines of a batch failed verification (each line says why).
public struct BatchVerificationFailure: CodedError {
    public enum Code: String, ErrorCode {
        case linesFailed = "verify.batch-failed"

        public var definition: (category: ErrorCategory, summary: String) {
            (.checkFailed, "`verify batch`: at least one line failed verification (each output line says why)")
        }
    }

    public let failed: Int
    public let total: Int
    public var errorCode: Code { .linesFailed }
    public var description: String { "\(failed) of \(total) bundles failed verification" }
}
