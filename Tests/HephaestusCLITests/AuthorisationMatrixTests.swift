import Foundation
import HephaestusTestSupport
import Testing

/// Every operation × every role × no, malformed, unknown, expired and revoked tokens, over REST and gRPC, against a
/// running service: no call gets past the gate without the right, and every refusal is in the audit log.
@Suite(
    "serve: the authorisation matrix",
    .enabled(
        if: FileManager.default.isExecutableFile(atPath: HephaestusBinary.serverPath) && TestVenv.isUsable("python"),
        "hephaestus-server or the test venv is missing"))
struct AuthorisationMatrixTests {
    @Test("0 bypasses over REST and gRPC; every refusal audited")
    func matrix() throws {
        let service = try ServiceProcess()
        var tokens: [String: String] = [:]
        for role in ["viewer", "verifier", "operator", "admin"] { tokens[role] = try service.createAccount(role, role: role) }
        tokens["revoked"] = try service.createAccount("gone", role: "admin")
        let revoke = try HephaestusBinary.run(["accounts", "revoke", "gone", "--store", service.store])
        #expect(revoke.status == 0, "\(revoke.stderrText)")
        tokens["expired"] = try service.createAccount("brief", role: "admin", expires: "1s")
        let tokensFile = try service.directory.write("tokens.json", Array(try JSONSerialization.data(withJSONObject: tokens)))
        let operations = try ServiceTests.curl(service, "GET", "/v1/operations", token: tokens["viewer"])
        #expect(operations.status == 200)
        let operationsFile = try service.directory.write("operations.json", operations.body)
        // Expiry is a time: wait until the short-lived account's second has passed.
        Thread.sleep(forTimeInterval: 1.2)

        let python = try #require(TestVenv.tool("python"))
        let script = TestVenv.projectRoot.appendingPathComponent("fixtures/service/authorisation_matrix.py").path
        let run = try ProcessResult.run(
            python,
            [script, "--rest", service.restURL, "--grpc", try #require(service.grpcAddress), "--tokens", tokensFile, "--operations", operationsFile])
        #expect(run.status == 0, "\(run.stderrText.suffix(2000))")
        let calls = run.stdoutText.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let operationCount = (ServiceTests.json(operations.body)["operations"] as? [Any])?.count ?? 0
        #expect(calls.count >= operationCount * 11 * 1, "\(calls.count) calls for \(operationCount) operations")
        let bypasses = calls.filter { $0["bypass"] as? Bool == true }
        #expect(bypasses.isEmpty, "\(bypasses.prefix(10))")
        #expect(Set(calls.compactMap { $0["transport"] as? String }) == ["rest", "grpc"])

        let audit = try HephaestusBinary.run(["audit", "show", "--store", service.store, "--json"])
        #expect(audit.status == 0, "\(audit.stderrText)")
        let refused = calls.filter { $0["expected"] as? String != "allowed" }
        let unaudited = refused.filter { call in
            guard let id = call["requestId"] as? String else { return true }
            return !audit.stdoutText.contains(id)
        }
        #expect(!refused.isEmpty && unaudited.isEmpty, "\(unaudited.count) of \(refused.count) refusals not audited: \(unaudited.prefix(5))")
        let verify = try HephaestusBinary.run(["audit", "verify", "--store", service.store])
        #expect(verify.status == 0, "\(verify.stdoutText) \(verify.stderrText)")
        #expect(service.stop() == 0)
    }
}
