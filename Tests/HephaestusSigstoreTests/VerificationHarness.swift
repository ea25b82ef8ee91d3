import Foundation
import HephaestusPlatform
import HephaestusSigstore
import HephaestusTestSupport
import Testing

/// Shared expectations for verifier tests.
enum Harness {
    static let artifact = Array("hephaestus release wheelhouse\n".utf8)
    static let identity = "signer@example.com"
    static let issuer = "https://issuer.example.com"

    static func policy(
        artifact: [UInt8] = Harness.artifact, identity: String = Harness.identity, issuer: String = Harness.issuer
    ) throws -> VerificationPolicy {
        try VerificationPolicy(artifact: .bytes(artifact), identity: .certificate(identity: .exact(identity), issuer: .exact(issuer), claims: []))
    }

    /// Verifies and returns the result, recording the error as a test issue on failure.
    @discardableResult
    static func expectPass(
        _ minted: MintedBundle, by instance: VirtualSigstore, policy: VerificationPolicy? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> VerificationResult {
        try instance.verifier().verify(try minted.parsed(), policy: try policy ?? Harness.policy())
    }

    /// Expects verification (parsing included) to fail with `code`.
    static func expectFailure(
        _ minted: MintedBundle, by instance: VirtualSigstore, code: VerificationError.Code, policy: VerificationPolicy? = nil,
        clock: @escaping @Sendable () -> Date = Date.init, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let verifier = try instance.verifier(clock: clock)
        let policy = try policy ?? Harness.policy()
        do {
            let result = try verifier.verify(try minted.parsed(), policy: policy)
            Issue.record("expected \(code.rawValue), but the bundle verified for \(result.identity)", sourceLocation: sourceLocation)
        } catch let error as VerificationError {
            #expect(error.errorCode == code, "got \(error)", sourceLocation: sourceLocation)
        }
    }
}
