import Foundation
import HephaestusCore
import HephaestusPlatform
import HephaestusTestSupport
import Testing

/// `release verify --deep`: each wheel of a wheelhouse against its own PEP 740 provenance.
@Suite("release verify --deep (PEP 740 provenance per wheel)", .enabled(if: ReleaseOperationTests.hasPython, ReleaseOperationTests.pythonMissing))
struct ReleaseProvenanceTests {
    static let repository = "octo/wheels"

    let factory: WheelhouseFactory
    let wheels: [String]
    let provenance: TemporaryDirectory
    let workdir: TemporaryDirectory

    init() throws {
        factory = try WheelhouseFactory()
        wheels = [try factory.wheel("alpha-pkg", "1.2.0"), try factory.wheel("beta-pkg", "0.3.0")]
        try factory.release()
        provenance = try TemporaryDirectory(prefix: "provenance")
        workdir = try TemporaryDirectory()
    }

    /// A PEP 740 attestation object for `subject` (name, sha256), signed as `repository`'s release workflow.
    func attestation(name: String, sha256: String, repository: String = Self.repository) throws -> [UInt8] {
        let statement = Array(
            try JSONSerialization.data(
                withJSONObject: [
                    "_type": "https://in-toto.io/Statement/v1", "subject": [["name": name, "digest": ["sha256": sha256]]],
                    "predicateType": PublishAttestation.predicateType, "predicate": NSNull(),
                ] as [String: Any]))
        var options = VirtualSigstore.Options()
        let ref = "refs/tags/v1.0.0"
        options.identity = .uri("https://github.com/\(repository)/.github/workflows/release.yml@\(ref)")
        options.issuer = WheelhouseFactory.issuer
        options.leaf = { request in
            request.claims["1.3.6.1.4.1.57264.1.12"] = "https://github.com/\(repository)"
            request.claims["1.3.6.1.4.1.57264.1.14"] = ref
            request.claims["1.3.6.1.4.1.57264.1.18"] = "https://github.com/\(repository)/.github/workflows/release.yml@\(ref)"
        }
        let bundle = try factory.sigstore.attest(statement: statement, options: options)
        return Array(try JSONSerialization.data(withJSONObject: try PublishAttestation.attestation(fromBundle: bundle.json)))
    }

    /// Writes `WHEEL.publish.attestation` for the wheel at `path` (or for `content` under its name).
    func attest(_ path: String, content: [UInt8]? = nil, repository: String = Self.repository) throws {
        let name = URL(fileURLWithPath: path).lastPathComponent
        let sha256 = try content.map { DigestAlgorithm.sha256.hash($0) } ?? DigestAlgorithm.sha256.hash(fileAt: path)
        _ = try provenance.write("\(name).publish.attestation", try attestation(name: name, sha256: sha256.hex, repository: repository))
    }

    func request(_ choice: ProvenanceChoice) -> ReleaseCheckRequest {
        ReleaseCheckRequest(
            source: ReleaseSourceChoice(archive: factory.directory.file("demo-1.0.0-wheelhouse.tar.gz")),
            sigstore: SigstoreChoice(
                requireSigstore: true, sigstoreIdentity: ["https://github.com/octo/wheels/.github/workflows/release.yml@refs/tags/*"],
                trust: TrustChoice(trustedRoot: factory.trustedRoot)),
            workdir: workdir.path, provenance: choice)
    }

    var deep: ProvenanceChoice { ProvenanceChoice(deep: true, provenanceDir: provenance.path, provenanceRepository: Self.repository) }

    func run(_ choice: ProvenanceChoice) async throws -> ReleaseReport {
        try await ReleaseVerifyOperation.run(request(choice), in: ReleaseOperationTests.context(), emit: ItemSink { _ in })
    }

    @Test("every wheel with a verifying provenance passes, stage `provenance` after `wheels`")
    func passes() async throws {
        for wheel in wheels { try attest(wheel) }
        let report = try await run(deep)
        #expect(report.verdict == .pass, "\(report.reason ?? "")")
        #expect(report.stages.map(\.name).suffix(2) == ["wheels", "provenance"])
        #expect(report.provenance?.map(\.verdict) == [.pass, .pass])
        #expect(report.lines.contains("provenance: 2 of 2 wheels verified (PEP 740)"))
        // And with a workflow pinned.
        var pinned = deep
        pinned.provenanceWorkflow = "release.yml"
        #expect(try await run(pinned).verdict == .pass)
        pinned.provenanceWorkflow = "nightly.yml"
        #expect(try await run(pinned).code == "verify.claim-mismatch")
    }

    @Test("a missing provenance fails under --deep, unless --allow-missing-provenance (then reported and warned)")
    func missing() async throws {
        try attest(wheels[0])
        let failed = try await run(deep)
        #expect(failed.verdict == .fail && failed.failedStage == "provenance" && failed.code == "attestation.missing-provenance")
        #expect(failed.reason?.contains("beta_pkg-0.3.0-py3-none-any.whl has no PEP 740 provenance") == true, "\(failed.reason ?? "")")
        var allowing = deep
        allowing.allowMissingProvenance = true
        let notices = ReleaseOperationTests.Recorder<ReleaseNotice>()
        let report = try await ReleaseVerifyOperation.run(
            request(allowing), in: ReleaseOperationTests.context(), emit: ItemSink { notices.append($0) })
        #expect(report.verdict == .pass)
        #expect(report.provenance?.map(\.verdict) == [.pass, .missing])
        #expect(notices.values.contains { $0.event == "release.provenance-missing" })
        #expect(report.lines.last { $0.hasPrefix("provenance:") }?.contains("MISSING, not checked: beta_pkg-0.3.0-py3-none-any.whl") == true)
    }

    @Test("a provenance for other bytes, or from another publisher, fails the release")
    func refused() async throws {
        try attest(wheels[0], content: Array("other bytes".utf8))
        try attest(wheels[1])
        let tampered = try await run(deep)
        #expect(tampered.verdict == .fail && tampered.failedStage == "provenance" && tampered.code == "verify.statement-mismatch")
        try attest(wheels[0], repository: "evil/wheels")
        let foreign = try await run(deep)
        #expect(foreign.verdict == .fail && foreign.code == "verify.claim-mismatch", "\(foreign.reason ?? "")")
    }

    @Test("--deep needs a directory and, for a local archive, a publisher; the other options need --deep")
    func usage() throws {
        #expect(throws: RequestError.self) { try request(ProvenanceChoice(deep: true, provenanceRepository: Self.repository)).validate() }
        #expect(throws: RequestError.self) { try request(ProvenanceChoice(deep: true, provenanceDir: provenance.path)).validate() }
        #expect(throws: RequestError.self) { try request(ProvenanceChoice(provenanceDir: provenance.path)).validate() }
        #expect(throws: RequestError.self) { try request(ProvenanceChoice(allowMissingProvenance: true)).validate() }
        #expect(throws: RequestError.self) {
            try request(ProvenanceChoice(deep: true, provenanceDir: provenance.path, provenanceRepository: "not-a-slug")).validate()
        }
        try request(deep).validate()
    }
}
