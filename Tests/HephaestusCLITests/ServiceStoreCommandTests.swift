import Foundation
import HephaestusCore
import HephaestusPlatform
import HephaestusService
import HephaestusTestSupport
import Synchronization
import Testing

/// `accounts`, `audit` and `tasks work` on a store file, as an administrator runs them.
@Suite("service store commands")
struct ServiceStoreCommandTests {
    /// A directory with a store and a run of `hephaestus` pointed at it (its data directory too, so nothing outside is
    /// touched).
    final class Workspace: Sendable {
        let directory: TemporaryDirectory
        let path: String

        init() throws {
            directory = try TemporaryDirectory(prefix: "hephaestus-service-cli")
            path = directory.file("service.sqlite")
        }

        var store: String { "sqlite:\(path)" }

        var environment: [String: String] {
            var environment = ProcessInfo.processInfo.environment
            environment["XDG_DATA_HOME"] = directory.file("data")
            environment["HOME"] = directory.path
            return environment
        }

        func run(_ arguments: [String]) throws -> ProcessResult {
            try HephaestusBinary.run(arguments + ["--store", store], environment: environment)
        }

        func sqlite(_ sql: String) throws {
            let result = try ProcessResult.runTool("sqlite3", [path, sql])
            #expect(result.status == 0, "sqlite3: \(result.stderrText)")
        }
    }

    @Test("accounts create prints the token once; --json has name, role, token, expires; the token is in no file or log")
    func createPrintsTokenOnce() throws {
        let workspace = try Workspace()
        let created = try workspace.run(["accounts", "create", "ci", "--role", "verifier", "--log-level", "debug"])
        #expect(created.status == 0, "\(created.stderrText)")
        let token = created.stdoutText.trimmingCharacters(in: .newlines)
        #expect(token.hasPrefix("hph_") && token.utf8.count == 47)
        #expect(!created.stderrText.contains(token))

        let json = try workspace.run(["accounts", "create", "deploy", "--role", "operator", "--expires", "P90D", "--json", "--log-format", "json"])
        #expect(json.status == 0, "\(json.stderrText)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout)) as? [String: Any])
        #expect(document["name"] as? String == "deploy")
        #expect(document["role"] as? String == "operator")
        #expect(document["mediaType"] as? String == "application/vnd.hephaestus.account+json;version=1")
        let second = try #require(document["token"] as? String)
        let expires = try #require((document["expires"] as? String).flatMap(RFC3339.date))
        #expect(abs(expires.timeIntervalSinceNow - 90 * 86400) < 600)
        #expect(!json.stderrText.contains(second))

        let listed = try workspace.run(["accounts", "list", "--json"])
        #expect(listed.status == 0)
        #expect(listed.stdoutText.contains("\"deploy\"") && listed.stdoutText.contains("\"active\""))
        let shown = try workspace.run(["audit", "show", "--json"])
        for output in [listed.stdoutText, shown.stdoutText] {
            #expect(!output.contains(token) && !output.contains(second))
        }
        for file in try FileManager.default.contentsOfDirectory(atPath: workspace.directory.path) {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: workspace.directory.file(file)))
            #expect(bytes.range(of: Data(token.utf8)) == nil, "\(file) holds the token")
            #expect(bytes.range(of: Data(second.utf8)) == nil, "\(file) holds the token")
        }
    }

    @Test("Refusals: a taken name, an unknown role, a bad duration, PostgreSQL, no store, a foreign file — one line and distinct statuses")
    func refusals() throws {
        let workspace = try Workspace()
        #expect(try workspace.run(["accounts", "create", "ci", "--role", "viewer"]).status == 0)
        let cases: [([String], Int32, String)] = [
            (["accounts", "create", "ci", "--role", "viewer"], 73, "an account named ci exists already"),
            (["accounts", "create", "x", "--role", "root"], 64, "unknown role \"root\""),
            (["accounts", "create", "x", "--role", "admin", "--expires", "5y"], 64, "--expires 5y"),
            (["accounts", "revoke", "nobody"], 66, "no account named nobody"),
            (["audit", "show", "--since", "yesterday"], 64, "--since yesterday"),
        ]
        for (arguments, status, message) in cases {
            let result = try workspace.run(arguments)
            #expect(result.status == status, "\(arguments): \(result.stderrText)")
            #expect(result.stderrText.contains(message), "\(arguments): \(result.stderrText)")
        }
        let postgres = try HephaestusBinary.run(
            ["audit", "verify", "--store", "postgres://admin:secret@db/hephaestus"], environment: workspace.environment)
        #expect(postgres.status == 78)
        #expect(postgres.stderrText.contains("not supported in this build yet"))
        #expect(!postgres.stderrText.contains("secret"))
        #expect(postgres.stderrText.split(separator: "\n").count == 1)
        let missing = try HephaestusBinary.run(["accounts", "list", "--store", "sqlite:" + workspace.directory.file("none.sqlite")])
        #expect(missing.status == 66)
        #expect(!FileManager.default.fileExists(atPath: workspace.directory.file("none.sqlite")))
        let foreign = try workspace.directory.write("notes.sqlite", "not a database, keep me\n")
        let refused = try HephaestusBinary.run(["accounts", "create", "x", "--role", "viewer", "--store", "sqlite:\(foreign)"])
        #expect(refused.status == 65)
        #expect(try String(contentsOfFile: foreign, encoding: .utf8) == "not a database, keep me\n")
    }

    /// A store whose log holds 8 records (4 account changes, each `allowed` then `succeeded`), verified intact.
    static func auditedWorkspace() throws -> Workspace {
        let workspace = try Workspace()
        for name in ["a", "b", "c"] { #expect(try workspace.run(["accounts", "create", name, "--role", "viewer"]).status == 0) }
        #expect(try workspace.run(["accounts", "revoke", "b"]).status == 0)
        let verified = try workspace.run(["audit", "verify"])
        #expect(verified.status == 0, "\(verified.stderrText)")
        #expect(verified.stdoutText.hasPrefix("audit log intact: 8 record(s); head 8:sha256:"))
        return workspace
    }

    @Test(
        "audit verify names the first record altered, removed or reordered in the store, and exits 1",
        .enabled(if: ToolLocator.find("sqlite3") != nil, "sqlite3 tampers with the store"),
        arguments: [
            ("alter a field", "UPDATE audit_record SET operation = 'accounts.list' WHERE sequence = 3", 3, "altered"),
            ("alter the outcome", "UPDATE audit_record SET outcome = 'refused' WHERE sequence = 6", 6, "altered"),
            ("remove a record", "DELETE FROM audit_record WHERE sequence = 4", 4, "removed"),
            ("remove the last record", "DELETE FROM audit_record WHERE sequence = 8", 8, "removed"),
            ("remove the first record", "DELETE FROM audit_record WHERE sequence = 1", 1, "removed"),
            (
                "swap two records",
                "UPDATE audit_record SET sequence = -2 WHERE sequence = 2; UPDATE audit_record SET sequence = 2 WHERE sequence = 5; "
                    + "UPDATE audit_record SET sequence = 5 WHERE sequence = -2", 2, "moved"
            ),
            (
                "remove a record and renumber the rest",
                "DELETE FROM audit_record WHERE sequence = 5; UPDATE audit_record SET sequence = sequence - 1 WHERE sequence > 5; "
                    + "UPDATE audit_head SET sequence = 7", 5, "altered"
            ),
        ])
    func tampering(name: String, sql: String, sequence: Int, word: String) throws {
        let workspace = try Self.auditedWorkspace()
        try workspace.sqlite(sql)
        let result = try workspace.run(["audit", "verify"])
        #expect(result.status == 1, "\(name): \(result.stdoutText) \(result.stderrText)")
        #expect(result.stderrText.contains("the audit log is broken at record \(sequence):"), "\(name): \(result.stderrText)")
        #expect(result.stderrText.contains(word), "\(name): \(result.stderrText)")
        #expect(result.stdoutText.hasPrefix("audit log BROKEN"))
        let json = try workspace.run(["audit", "verify", "--json"])
        #expect(json.status == 1)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout)) as? [String: Any])
        #expect((document["broken"] as? [String: Any])?["sequence"] as? Int == sequence)
    }

    @Test(
        "audit verify --expect-head detects a consistent rewrite of the tail that the chain alone cannot",
        .enabled(if: ToolLocator.find("sqlite3") != nil, "sqlite3 rewrites the store"))
    func expectHead() throws {
        let workspace = try Self.auditedWorkspace()
        let head = try #require(try workspace.run(["audit", "verify"]).stdoutText.split(separator: " ").last).trimmingCharacters(in: .newlines)
        #expect(try workspace.run(["audit", "verify", "--expect-head", head]).status == 0)
        // The tail removed, head marker included: the chain that is left holds.
        try workspace.sqlite(
            "DELETE FROM audit_record WHERE sequence > 6; UPDATE audit_head SET sequence = 6, hash = (SELECT hash FROM audit_record WHERE sequence = 6)"
        )
        #expect(try workspace.run(["audit", "verify"]).status == 0)
        let caught = try workspace.run(["audit", "verify", "--expect-head", head])
        #expect(caught.status == 1)
        #expect(caught.stderrText.contains("broken at record 7: the log ends before the head recorded earlier"), "\(caught.stderrText)")
        // Rewritten consistently from record 8 on: another hash at the recorded sequence.
        let bad = try workspace.run(["audit", "verify", "--expect-head", "6:sha256:" + String(repeating: "ab", count: 32)])
        #expect(bad.status == 1)
        #expect(bad.stderrText.contains("broken at record 6: it does not match the head recorded earlier"))
        #expect(try workspace.run(["audit", "verify", "--expect-head", "six"]).status == 64)
    }

    @Test("audit show filters by account and time, oldest first, and names each record's target")
    func show() throws {
        let workspace = try Self.auditedWorkspace()
        let all = try workspace.run(["audit", "show", "--json"])
        let records = try #require((try JSONSerialization.jsonObject(with: Data(all.stdout)) as? [String: Any])?["records"] as? [[String: Any]])
        #expect(records.map { $0["sequence"] as? Int } == Array(1...8))
        #expect(records.map { $0["target"] as? String } == ["a", "a", "b", "b", "c", "c", "b", "b"])
        #expect(records.allSatisfy { $0["transport"] as? String == "cli" && ($0["source"] as? String)?.hasPrefix("local:") == true })
        let none = try workspace.run(["audit", "show", "--account", "nobody", "--json"])
        #expect(none.stdoutText.contains("\"records\" : [\n\n  ]") || none.stdoutText.contains("\"records\" : []"))
        let future = try workspace.run(["audit", "show", "--since", "2999-01-01T00:00:00Z"])
        #expect(future.status == 0)
        #expect(future.stdoutText.split(separator: "\n").count == 1, "only the header: \(future.stdoutText)")
        let recent = try workspace.run(["audit", "show", "--since", "1h", "--limit", "2"])
        #expect(recent.stdoutText.split(separator: "\n").count == 3)
    }

    @Test("An unwritable audit log refuses an account change from the command line; nothing is changed")
    func unwritableAuditRefusesChange() throws {
        let workspace = try Self.auditedWorkspace()
        try workspace.sqlite("CREATE TRIGGER no_audit BEFORE INSERT ON audit_record BEGIN SELECT RAISE(ABORT, 'disk full'); END")
        let refused = try workspace.run(["accounts", "create", "late", "--role", "admin"])
        #expect(refused.status == 69, "\(refused.stderrText)")
        #expect(refused.stderrText.contains("the audit record could not be written"))
        #expect(refused.stdout.isEmpty)
        #expect(!(try workspace.run(["accounts", "list"]).stdoutText.contains("late")))
    }
}
