import Foundation
import HephaestusCore
import HephaestusPlatform
import HephaestusSigstore
import HephaestusTestSupport
import Testing

/// Issue 14, "Inputs", in process: the requests of `verify bundle` and `verify batch` and the ranges of numeric options.
@Suite("Verification inputs")
struct VerificationInputTests {
    static let signer = SignerChoice(certificateIdentity: "signer@example.com", certificateOidcIssuer: "https://issuer.example.com")

    /// `a.txt`, its bundle and the trusted root, in a fresh directory.
    static func workspace() throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory()
        let sigstore = try VirtualSigstore()
        try directory.write("trusted_root.json", sigstore.trustedRootJSON)
        try directory.write("a.txt", "an artifact\n")
        try directory.write("a.txt.sigstore.json", try sigstore.sign(Array("an artifact\n".utf8)).json)
        return directory
    }

    @Test("FILE_OR_DIGEST: a file wins; a digest prefix with malformed hex is a usage error, not a missing file")
    func artifactReference() throws {
        let directory = try TemporaryDirectory()
        let hex = String(repeating: "ab", count: 32)
        #expect(try ArtifactReference.digest("a.txt") == nil)
        #expect(try ArtifactReference.digest("sha256:" + hex)?.hex == hex)
        for malformed in ["sha256:abc", "sha256:" + String(repeating: "zz", count: 32), "sha512:" + hex] {
            #expect(throws: RequestError.self, "\(malformed)") { try ArtifactReference.digest(malformed) }
        }
        try directory.write("sha256:abc", "a file by that name")
        guard case .file = try ArtifactReference.resolve("sha256:abc", relativeTo: directory.path) else {
            Issue.record("an existing file named like a digest is the file")
            return
        }
    }

    @Test("An empty identity, issuer, claim or key is refused, naming the flag")
    func emptySignerValues() {
        let cases: [(String, SignerChoice)] = [
            ("--certificate-identity", SignerChoice(certificateIdentity: "", certificateOidcIssuer: "https://issuer.example.com")),
            ("--certificate-oidc-issuer-regexp", SignerChoice(certificateIdentity: "a@example.com", certificateOidcIssuerRegexp: "")),
            (
                "--github-ref",
                SignerChoice(certificateIdentity: "a@example.com", certificateOidcIssuer: "https://issuer.example.com", githubRef: "")
            ),
            ("--key", SignerChoice(key: "")),
        ]
        for (flag, choice) in cases {
            #expect(throws: RequestError("\(flag) must not be empty")) { try choice.validate() }
        }
    }

    @Test("verify.bundle: a missing or directory artifact is thrown as an unreadable input with its file code, not a verdict")
    func unreadableArtifact() async throws {
        let directory = try Self.workspace()
        try FileManager.default.createDirectory(atPath: directory.file("folder"), withIntermediateDirectories: false)
        for (artifact, code) in [("missing.txt", "file.not-found"), ("folder", "file.is-directory")] {
            let request = VerifyBundleOperation.Request(
                bundle: directory.file("a.txt.sigstore.json"), artifact: directory.file(artifact), signer: Self.signer,
                trust: TrustChoice(trustedRoot: directory.file("trusted_root.json")))
            await #expect {
                _ = try await VerifyBundleOperation.run(request, in: .quiet(), emit: ItemSink { _ in })
            } throws: { error in
                let unreadable = error as? UnreadableInput
                return unreadable?.code == code && unreadable?.description.hasPrefix("cannot read artifact ") == true
            }
        }
        #expect(UnreadableInput("artifact", .permissionDenied(path: "a.txt")).category == .permissionDenied)
    }

    @Test("verify.batch: a list without a request is an error; an unknown key fails its line")
    func batchLists() async throws {
        let directory = try Self.workspace()
        let trust = TrustChoice(trustedRoot: directory.file("trusted_root.json"))
        try directory.write("empty.jsonl", "\n \n")
        await #expect(throws: BatchListError.empty(list: directory.file("empty.jsonl"))) {
            _ = try await VerifyBatchOperation.run(
                VerifyBatchOperation.Request(list: directory.file("empty.jsonl"), trust: trust), in: .quiet(), emit: ItemSink { _ in })
        }
        try directory.write(
            "typo.jsonl", #"{"bundle":"a.txt.sigstore.json","artifact":"a.txt","identity":"signer@example.com","isuer":"https://issuer.example.com"}"#
        )
        let outcomes = CollectedItems<BatchVerification.Outcome>()
        let report = try await VerifyBatchOperation.run(
            VerifyBatchOperation.Request(list: directory.file("typo.jsonl"), trust: trust), in: .quiet(), emit: outcomes.sink)
        #expect(report.failed == 1)
        #expect(outcomes.values.first?.reason?.contains(#"unknown key "isuer" in line 1"#) == true)
        #expect(outcomes.values.first?.mediaType == MediaType.verificationBatchLine)
    }

    @Test("Numeric options out of range are usage errors naming the option, the range and the value")
    func ranges() {
        #expect(throws: RequestError("--jobs must be between 1 and 256, not 0")) {
            try VerifyBatchOperation.Request(list: "l", jobs: 0).validate()
        }
        #expect(throws: RequestError("--max-entries must be positive, not -5")) { try ExtractionChoice(maxEntries: -5).validate() }
        #expect(throws: RequestError("--max-ratio must be at least 1, not nan")) { try ExtractionChoice(maxRatio: .nan).validate() }
        #expect(throws: RequestError("--max-size must be positive, not 0")) {
            try ReleaseCheckRequest(source: ReleaseSourceChoice(archive: "a.tar.gz"), maxSize: 0).validate()
        }
    }
}
