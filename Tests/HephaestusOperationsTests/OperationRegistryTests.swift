import Foundation
import HephaestusCore
import HephaestusOperations
import HephaestusPlatform
import HephaestusTestSupport
import Logging
import Testing

/// The registry every front end is built from: listed, well formed, and runnable from JSON alone.
@Suite("operation registry")
struct OperationRegistryTests {
    static let descriptors = OperationRegistry.descriptors

    @Test("every operation has a unique group.name and CLI command, a versioned media type, and error codes")
    func wellFormed() {
        #expect(!Self.descriptors.isEmpty)
        #expect(Set(Self.descriptors.map(\.name)).count == Self.descriptors.count, "names are unique")
        #expect(Set(Self.descriptors.map(\.command)).count == Self.descriptors.count, "commands are unique")
        for descriptor in Self.descriptors {
            #expect(descriptor.name.wholeMatch(of: /[a-z]+(-[a-z]+)*\.[a-z]+(-[a-z]+)*/) != nil, "\(descriptor.name)")
            #expect(descriptor.command.hasPrefix(descriptor.group), "\(descriptor.name) runs as \(descriptor.command)")
            #expect(descriptor.reportMediaType.hasPrefix("application/vnd.hephaestus."), "\(descriptor.name)")
            #expect(descriptor.reportMediaType.hasSuffix("+json;version=1"), "\(descriptor.name)")
            #expect(!descriptor.errorCodes.isEmpty, "\(descriptor.name) names the codes it can end with")
            #expect(OperationRegistry.operation(named: descriptor.name)?.descriptor == descriptor)
        }
    }

    @Test("operations share a report media type only when they share the report type (publish pypi and github do not)")
    func distinctMediaTypes() {
        func reportType<O: HephaestusCore.Operation>(_: O.Type) -> ObjectIdentifier { ObjectIdentifier(O.Report.self) }
        var reports: [String: Set<ObjectIdentifier>] = [:]
        for operation in OperationRegistry.operations {
            reports[operation.descriptor.reportMediaType, default: []].insert(reportType(operation))
        }
        for (mediaType, types) in reports {
            #expect(types.count == 1, "\(mediaType) names \(types.count) different reports")
        }
        let pypi = OperationRegistry.operation(named: "publish.pypi")?.descriptor.reportMediaType
        #expect(pypi != nil && pypi != OperationRegistry.operation(named: "publish.github")?.descriptor.reportMediaType)
    }

    static func context() -> OperationContext {
        OperationContext(logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    @Test(
        "a request decoded from JSON runs: verify.bundle passes a genuine bundle and reports a failure as a verdict",
        .enabled(if: SharedFixtures.isAvailable, Comment(rawValue: SharedFixtures.absenceMessage)))
    func runsFromJSON() async throws {
        let directory = SharedFixtures.sigstorePython.path
        let operation = try #require(OperationRegistry.operation(named: "verify.bundle"))
        let identity = "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2"
        func request(identity: String) -> [UInt8] {
            Array(
                #"{"bundle": "\#(directory)/bundle_v3_github.whl.sigstore", "artifact": "\#(directory)/bundle_v3_github.whl", "signer": {"certificateIdentity": "\#(identity)", "certificateOidcIssuer": "https://token.actions.githubusercontent.com"}, "trust": {}}"#
                    .utf8)
        }
        let pass = try await operation.runJSON(request(identity: identity), in: Self.context())
        #expect(pass.failure == nil)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(pass.json)) as? [String: Any])
        #expect(document["verdict"] as? String == "pass")
        #expect(document["identity"] as? String == identity)
        #expect(document["mediaType"] as? String == VerifyBundleOperation.descriptor.reportMediaType)

        let fail = try await operation.runJSON(request(identity: "someone@example.com"), in: Self.context())
        #expect(fail.failure?.code == "verify.identity-mismatch")
        #expect(ExitCodeTable.status(for: try #require(fail.failure)) == .checkFailed)
    }

    @Test("a malformed request is a usage error naming the field")
    func malformedRequest() async throws {
        let operation = try #require(OperationRegistry.operation(named: "verify.bundle"))
        do {
            _ = try await operation.runJSON(Array(#"{"bundle": "b", "signer": {}, "trust": {}}"#.utf8), in: Self.context())
            Issue.record("a request without an artifact ran")
        } catch let error as RequestError {
            #expect(error.message.contains("artifact is required"), "\(error.message)")
            #expect(ExitCodeTable.status(for: error) == .usage)
        }
        do {
            _ = try await operation.runJSON(
                Array(#"{"bundle": "b", "artifact": "a", "signer": {"certificateIdentity": 7}, "trust": {}}"#.utf8), in: Self.context())
            Issue.record("a number for an identity was accepted")
        } catch let error as RequestError {
            #expect(error.message.contains("signer.certificateIdentity"), "\(error.message)")
        }
    }
}

@Suite("operation reference")
struct OperationReference {
    @Test("docs/reference/operations.md is generated from the registry (RECORD_SNAPSHOTS=1 regenerates it)")
    func documentationIsCurrent() throws {
        let path = ExitCodeDocumentation.repositoryRoot.appendingPathComponent("docs/reference/operations.md")
        let generated = HephaestusOperations.OperationReference.markdown()
        if ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] == "1" {
            try FileManager.default.createDirectory(at: path.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(generated.utf8).write(to: path)
        }
        let committed = try String(contentsOf: path, encoding: .utf8)
        #expect(committed == generated, "docs/reference/operations.md is stale: run RECORD_SNAPSHOTS=1 swift test --filter OperationReference")
    }

    @Test("every error code an operation names exists in the catalogue")
    func errorCodesExist() {
        let known = Set(ExitCodeTable.rows.map(\.code))
        for descriptor in OperationRegistry.descriptors {
            for code in descriptor.errorCodes { #expect(known.contains(code), "\(descriptor.name) names unknown code \(code)") }
        }
    }
}
