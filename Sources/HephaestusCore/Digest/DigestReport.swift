import HephaestusPlatform

/// The `--json` payload of `hephaestus digest FILE...`.
public struct DigestReport: Encodable, Sendable {
    public struct File: Encodable, Sendable {
        public let name: String
        public let algorithm: String
        public let digest: String?
        public let error: String?
        public let errorCode: String?
    }

    public var files: [File] = []

    public init() {}

    public mutating func add(_ line: ChecksumLine) {
        files.append(File(name: line.name, algorithm: line.digest.algorithm.rawValue, digest: line.digest.hex, error: nil, errorCode: nil))
    }

    public mutating func add(name: String, algorithm: DigestAlgorithm, error: FileError) {
        files.append(File(name: name, algorithm: algorithm.rawValue, digest: nil, error: error.description, errorCode: error.code))
    }
}

/// The `--json` payload of `hephaestus digest --check MANIFEST...`.
public struct DigestCheckReport: Encodable, Sendable {
    public struct Verdict: Encodable, Sendable {
        public let manifest: String
        public let name: String
        public let verdict: String
        public let reason: String?
    }

    public struct Manifest: Encodable, Sendable {
        public let path: String
        public let passed: Bool
        public let verified: Int
        public let mismatched: Int
        public let unreadable: Int
        public let malformedLines: Int
        public let missingIgnored: Int
        public let error: String?
    }

    public var verdicts: [Verdict] = []
    public var manifests: [Manifest] = []

    public init() {}

    public mutating func add(_ verdict: ChecksumVerdict, manifest: String) {
        switch verdict {
        case .ok(let name): verdicts.append(Verdict(manifest: manifest, name: name, verdict: "ok", reason: nil))
        case .failed(let name):
            verdicts.append(Verdict(manifest: manifest, name: name, verdict: "failed", reason: "checksum mismatch"))
        case .unreadable(let name, let error):
            verdicts.append(Verdict(manifest: manifest, name: name, verdict: "unreadable", reason: error.description))
        }
    }

    public mutating func add(manifest path: String, summary: ChecksumCheckSummary?, error: (any Error)?) {
        let summary = summary ?? ChecksumCheckSummary()
        manifests.append(
            Manifest(
                path: path, passed: error == nil, verified: summary.verified, mismatched: summary.mismatched,
                unreadable: summary.unreadable, malformedLines: summary.malformed,
                missingIgnored: summary.missingIgnored, error: error.map { "\($0)" }))
    }
}
