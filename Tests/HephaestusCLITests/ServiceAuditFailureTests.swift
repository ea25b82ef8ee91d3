import Foundation
import HephaestusTestSupport
import Testing

extension ServiceTests {
    /// Runs one SQL statement on the service's store from another process (Python's sqlite3), as an operator's tool
    /// or a failing volume would change it under the running service.
    static func sqlite(_ service: ServiceProcess, _ statement: String) throws {
        let python = try #require(TestVenv.tool("python"))
        let result = try ProcessResult.run(
            python,
            [
                "-c", "import sqlite3, sys\nc = sqlite3.connect(sys.argv[1], timeout=30)\nc.execute(sys.argv[2])\nc.commit()",
                service.directory.file("service.sqlite"), statement,
            ])
        #expect(result.status == 0, "\(result.stderrText)")
    }

    @Test(
        "an audit record that cannot be written: 503 over REST, UNAVAILABLE over gRPC; a change does not run, a verdict is withheld",
        .enabled(if: SharedFixtures.isAvailable && TestVenv.isUsable("python")))
    func unwritableAudit() throws {
        let service = try ServiceProcess()
        let admin = try service.createAccount("root", role: "admin")
        let before = try Self.curl(service, "POST", "/v1/accounts", token: admin, body: Array(#"{"name":"before","role":"viewer"}"#.utf8))
        #expect(before.status == 200, "\(before.body)")

        // From now on every insert into the audit log fails, as on a full disk or a volume gone read-only.
        try Self.sqlite(
            service, "CREATE TRIGGER no_audit BEFORE INSERT ON audit_record BEGIN SELECT RAISE(ABORT, 'the audit volume is read-only'); END")
        let rest = try Self.curl(service, "POST", "/v1/accounts", token: admin, body: Array(#"{"name":"during-rest","role":"admin"}"#.utf8))
        #expect(rest.status == 503, "\(rest.body)")
        #expect((Self.json(rest.body)["error"] as? [String: Any])?["code"] as? String == "audit.unwritable", "\(rest.body)")
        let requestFile = try service.directory.write("create.json", #"{"name":"during-grpc","role":"admin"}"#)
        let grpc = try #require(try Self.grpc(service, token: admin, ["call", "accounts.create", requestFile]).first?["error"] as? [String: Any])
        #expect(grpc["status"] as? String == "UNAVAILABLE" && grpc["code"] as? String == "audit.unwritable", "\(grpc)")
        // A task is not queued; a refusal that cannot be recorded is 503 too (never an unaudited 401).
        let list = try Self.batchList(in: service.directory, count: 1)
        let task = try Self.curl(
            service, "POST", "/v1/tasks", token: admin,
            body: Array(
                try JSONSerialization.data(withJSONObject: ["operation": "verify.batch", "request": ["list": list, "trust": [String: String]()]])))
        #expect(task.status == 503, "\(task.body)")
        #expect(try Self.curl(service, "GET", "/v1/operations").status == 503)
        // A read-only call (its outcome its one record) has run, but its answer is withheld: 503, no verdict.
        let verified = try Self.curl(service, "POST", "/v1/verify/bundle", token: admin, body: try Self.verifyBody())
        #expect(verified.status == 503 && !verified.body.contains("verdict"), "\(verified.body)")
        let typed = try #require(try Self.grpc(service, token: admin, ["get", "no-such-task"]).first?["error"] as? [String: Any])
        #expect(typed["status"] as? String == "UNAVAILABLE", "\(typed)")

        // Writable again: nothing ran while the log could not record it, and the chain is whole.
        try Self.sqlite(service, "DROP TRIGGER no_audit")
        let accounts = try HephaestusBinary.run(["accounts", "list", "--store", service.store, "--json"])
        let names = ((Self.json(accounts.stdoutText)["accounts"] as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String }
        #expect(Set(names) == ["root", "before"], "\(accounts.stdoutText)")
        let tasks = Self.json(try Self.curl(service, "GET", "/v1/tasks", token: admin).body)
        #expect((tasks["tasks"] as? [Any])?.isEmpty ?? true, "\(tasks)")
        let verify = try HephaestusBinary.run(["audit", "verify", "--store", service.store])
        #expect(verify.status == 0, "\(verify.stdoutText) \(verify.stderrText)")
        #expect(service.log.contains("audit.unwritable"))
        #expect(service.stop() == 0)
    }
}
