import Foundation
import HephaestusPlatform
import HephaestusSigstore

/// `verify.files`: each file verified with its own bundle, found as the Sigstore client specification's discovery
/// order has it (`FILE.sigstore.json`, then `FILE.sigstore`, beside the file or in `bundleDir`), against one signer
/// policy; one verdict per file, in the order given (sigstore-python's `verify identity FILE...`).
public enum VerifyFilesOperation: Operation {
    public struct Request: Codable, Sendable, Equatable {
        public var files: [String]
        /// Where the bundles are (by the file's base name), instead of beside each file.
        public var bundleDir: String?
        public var signer: SignerChoice
        public var trust: TrustChoice

        public init(files: [String], bundleDir: String? = nil, signer: SignerChoice, trust: TrustChoice = TrustChoice()) {
            self.files = files
            self.bundleDir = bundleDir
            self.signer = signer
            self.trust = trust
        }

        public func validate() throws(RequestError) {
            guard !files.isEmpty else { throw RequestError("give at least one FILE to verify") }
            try RequestError.requireDistinctNames(files, argument: "FILE")
            try signer.validate()
            try trust.validate()
        }
    }

    /// Every file's verdict, in the order given.
    public struct Report: OperationReport {
        public let files: [VerificationReport]

        public var passed: Int { files.filter { $0.verdict == .pass }.count }

        public var failure: (any CodedError)? {
            let failed = files.count - passed
            return failed > 0 ? VerifyFilesFailure(failed: failed, total: files.count) : nil
        }
    }

    public typealias Item = VerificationReport

    public static let descriptor = OperationDescriptor(
        name: "verify.files", command: "verify files",
        summary: "Verify files with their bundles (FILE.sigstore.json, then FILE.sigstore) for one signer, offline; one verdict per file.",
        reportMediaType: MediaType.verificationFiles, effect: .readOnly,
        errorCodes: FileError.Code.reading.map(\.rawValue) + VerificationError.Code.allCases.map(\.rawValue) + TrustErrorCodes.source
            + TrustErrorCodes.policy
            + [CryptoError.Code.malformedKey.rawValue, CryptoError.Code.unsupportedKey.rawValue, VerifyFilesFailure.Code.filesFailed.rawValue])

    public static func run(_ request: Request, in context: OperationContext, emit: ItemSink<Item>) async throws -> Report {
        try request.validate()
        let signer = try request.signer.signerPolicy(command: "verify FILE...")
        let verification = try BundleVerification(trust: request.trust.resolve(in: context))
        let verdicts = try await BlockingWork.run {
            ParallelMap.map(request.files, jobs: ProcessInfo.processInfo.activeProcessorCount) { file -> VerificationReport in
                verify(file, bundleDir: request.bundleDir, signer: signer, verification: verification)
            }.compactMap(\.value)
        }
        for verdict in verdicts {
            emit(verdict)
            context.logger.info(
                verdict.verdict == .pass ? "verify.passed" : "verify.failed",
                metadata: ["artifact": .string(verdict.artifact), "bundle": .string(verdict.bundle), "code": .string(verdict.code ?? "")])
        }
        return Report(files: verdicts)
    }

    /// The bundle of `file`: the first of `FILE.sigstore.json` and `FILE.sigstore` that exists (in `bundleDir` by the
    /// file's base name when given), and the places looked at.
    static func bundle(of file: String, in bundleDir: String?) -> (found: String?, tried: [String]) {
        let base = bundleDir.map { $0 + "/" + (file.split(separator: "/").last.map(String.init) ?? file) } ?? file
        let tried = [base + ".sigstore.json", base + ".sigstore"]
        return (tried.first { NativePath.exists($0) }, tried)
    }

    private static func verify(_ file: String, bundleDir: String?, signer: SignerPolicy, verification: BundleVerification) -> VerificationReport {
        let (found, tried) = bundle(of: file, in: bundleDir)
        guard let bundlePath = found else {
            return VerificationReport(bundle: tried[0], artifact: file, outcome: .failure(MissingBundle(file: file, tried: tried)))
        }
        let outcome = Result { () throws -> VerificationResult in
            let artifact = ArtifactPolicy.file(path: file)
            try UnreadableInput.checkReadable(artifact)
            return try verification.verify(bundlePath: bundlePath, policy: try VerificationPolicy(artifact: artifact, signer: signer))
        }
        return VerificationReport(bundle: bundlePath, artifact: file, outcome: outcome)
    }
}

/// No bundle was found for a file (none of the discovery order's names exists).
public struct MissingBundle: CodedError {
    public let file: String
    public let tried: [String]
    public var errorCode: FileError.Code { .notFound }
    public var description: String { "no bundle for \(file): looked for \(tried.joined(separator: " and "))" }
}

/// Some files of `verify FILE...` failed verification (each verdict says why).
public struct VerifyFilesFailure: CodedError {
    public enum Code: String, ErrorCode {
        case filesFailed = "verify.files-failed"

        public var definition: (category: ErrorCategory, summary: String) {
            (.checkFailed, "`verify FILE...`: at least one file failed verification or had no bundle (each verdict says why)")
        }
    }

    public let failed: Int
    public let total: Int
    public var errorCode: Code { .filesFailed }
    public var description: String { "\(failed) of \(total) files failed verification" }
}
