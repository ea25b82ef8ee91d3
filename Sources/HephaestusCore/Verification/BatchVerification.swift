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
    public struct Outcome: Encodable, Sendable {
        public let line: Int
        public let verdict: String
        public let reason: String?
        public let code: String?
        public let bundle: String?
        public let identity: String?
        public let issuer: String?
        public let logIndex: Int64?
        public let signingTime: Date?
        public let runId: RunID

        public var passed: Bool { verdict == "pass" }

        /// The output line: compact JSON with sorted keys, absent values omitted, the signing time in ISO 8601 (UTC,
        /// whole seconds) — what `JSONEncoder` with `.sortedKeys` and `.iso8601` writes, without its cost. Rendered
        /// by the workers, so that the ordered output does not serialise the batch.
        public var jsonLine: [UInt8] {
            var fields: [String: CanonicalJSON] = [
                "line": .integer(Int64(line)), "verdict": .string(verdict), "runId": .string(runId.value),
            ]
            if let reason { fields["reason"] = .string(reason) }
            if let code { fields["code"] = .string(code) }
            if let bundle { fields["bundle"] = .string(bundle) }
            if let identity { fields["identity"] = .string(identity) }
            if let issuer { fields["issuer"] = .string(issuer) }
            if let logIndex { fields["logIndex"] = .integer(logIndex) }
            if let signingTime { fields["signingTime"] = .string(Self.iso8601(signingTime)) }
            return CanonicalJSON.object(fields).serialized
        }

        static func iso8601(_ date: Date) -> String {
            var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
            var parts = tm()
            gmtime_r(&seconds, &parts)
            func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
            return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
        }
    }

    public let verification: BundleVerification
    public let jobs: Int
    public let runID: RunID
    /// Lines per parallel window.
    public let windowSize: Int

    public init(verification: BundleVerification, jobs: Int, runID: RunID, windowSize: Int = 2048) {
        self.verification = verification
        self.jobs = max(1, jobs)
        self.runID = runID
        self.windowSize = windowSize
    }

    /// Verifies every line of the list, calling `emit` in input order with each outcome and its rendered JSON line.
    /// Returns (passed, failed) counts.
    @discardableResult
    public func run(listPath: String, emit: (Outcome, [UInt8]) -> Void) throws -> (passed: Int, failed: Int) {
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
            let outcomes = verifyWindow(window, directory: directory)
            for (outcome, line) in outcomes {
                if outcome.passed { counts.passed += 1 } else { counts.failed += 1 }
                emit(outcome, line)
            }
        }
        return counts
    }

    private func verifyWindow(_ window: [(Int, [UInt8])], directory: String) -> [(Outcome, [UInt8])] {
        let results = UnsafeMutableBufferPointer<(Outcome, [UInt8])?>.allocate(capacity: window.count)
        results.initialize(repeating: nil)
        defer { results.deallocate() }
        let slots = SendableBuffer(results)
        let workers = min(jobs, window.count)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var index = worker
            while index < window.count {
                let outcome = verifyLine(number: window[index].0, text: window[index].1, directory: directory)
                slots.buffer[index] = (outcome, outcome.jsonLine)
                index += workers
            }
        }
        return results.map { $0! }
    }

    func verifyLine(number: Int, text: [UInt8], directory: String) -> Outcome {
        var bundlePath: String?
        do {
            let request = try BatchRequest(json: text, directory: directory)
            bundlePath = request.bundle
            let result = try verification.verify(bundlePath: request.bundle, policy: request.policy)
            return Outcome(
                line: number, verdict: "pass", reason: nil, code: nil, bundle: request.bundle, identity: result.identity,
                issuer: result.issuer, logIndex: result.logEntries.first?.logIndex, signingTime: result.signingTime,
                runId: runID)
        } catch {
            return Outcome(
                line: number, verdict: "fail", reason: "\(error)", code: (error as? any CodedError)?.code ?? "internal.unexpected",
                bundle: bundlePath, identity: nil, issuer: nil, logIndex: nil, signingTime: nil, runId: runID)
        }
    }
}

/// Each worker writes only its own slots.
private struct SendableBuffer: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<(BatchVerification.Outcome, [UInt8])?>
    init(_ buffer: UnsafeMutableBufferPointer<(BatchVerification.Outcome, [UInt8])?>) { self.buffer = buffer }
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

    init(json: [UInt8], directory: String) throws {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json)) as? [String: Any] else {
            throw Malformed(reason: "not a JSON object")
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
            guard case .digest(let parsed) = ArtifactReference.resolve(digest, relativeTo: "/nonexistent") else {
                throw Malformed(reason: "digest must be sha256:<64 hex>")
            }
            artifact = .digest(parsed)
        default: throw Malformed(reason: "exactly one of artifact or digest is required")
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
