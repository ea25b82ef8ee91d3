import HephaestusCore
import HephaestusOperations
import Testing

@testable import HephaestusService

@Suite("Roles and permissions")
struct PermissionTableTests {
    /// Registered operations no role may run over the network: a local test Sigstore, a conformance harness, the
    /// headless worker. Adding an operation without a rule fails the registry test below until it is decided.
    static let unserved: Set<String> = ["dev.sigstore", "dev.sigstore-token", "conformance.tuf-client", "tasks.work"]

    @Test("Every registered operation has a minimum role, or is deliberately unserved (deny by default)")
    func everyOperationDecided() {
        let table = PermissionTable.standard
        for descriptor in OperationRegistry.descriptors {
            let role = table.minimumRole(for: descriptor)
            if Self.unserved.contains(descriptor.name) {
                #expect(role == nil, "\(descriptor.name) is unserved but the table lets \(role?.rawValue ?? "") run it")
            } else {
                #expect(role != nil, "\(descriptor.name) is in no rule of the permission table: nobody may run it")
            }
            if descriptor.effect != .readOnly, let role {
                #expect(role >= .operator, "\(descriptor.name) changes things but \(role.rawValue) may run it")
            }
            if ["accounts", "audit"].contains(descriptor.group) { #expect(role == .admin, "\(descriptor.name)") }
        }
    }

    @Test("API.md's table: viewer reads, verifier verifies, operator changes, admin manages accounts and audit")
    func apiTable() throws {
        func role(_ name: String) throws -> Role? {
            PermissionTable.standard.minimumRole(for: try #require(OperationRegistry.operation(named: name)).descriptor)
        }
        // It can write a file on the server (`output`): operator, until reading and writing a report are told apart.
        #expect(try role("inventory.report") == .operator)
        #expect(try role("trust.show") == .viewer)
        #expect(try role("backfill.status") == .viewer)
        for name in ["verify.bundle", "verify.batch", "verify.files", "digest.files", "digest.check", "inventory.audit", "release.verify"] {
            #expect(try role(name) == .verifier, "\(name)")
        }
        for name in ["release.install", "inventory.scan", "backfill.run", "backfill.rollback", "sign.files", "publish.pypi", "publish.github"] {
            #expect(try role(name) == .operator, "\(name)")
        }
        for name in ["accounts.create", "accounts.list", "accounts.revoke", "audit.show", "audit.verify"] {
            #expect(try role(name) == .admin, "\(name)")
        }
    }

    @Test("An operation of an unknown group is refused to every role, admin included")
    func unknownGroupDenied() {
        let stranger = OperationDescriptor(
            name: "future.thing", command: "future thing", summary: "", reportMediaType: "x", effect: .readOnly, errorCodes: [])
        for role in Role.allCases {
            let account = Account(name: "a", role: role, createdAt: epoch, expiresAt: nil)
            #expect(throws: AccessError.forbidden(account: "a", role: role, action: "future.thing", required: nil)) {
                try PermissionTable.standard.authorize(.operation(stranger), for: account)
            }
            #expect(throws: AccessError.self) { try PermissionTable.standard.authorize(.unknown("GET /v1/nope"), for: account) }
        }
    }

    @Test("Tasks: viewers read; a task's owner may cancel it whatever the role, others need admin; only long-running operations start")
    func taskActions() throws {
        let viewer = Account(name: "v", role: .viewer, createdAt: epoch, expiresAt: nil)
        let operatorAccount = Account(name: "o", role: .operator, createdAt: epoch, expiresAt: nil)
        let admin = Account(name: "root", role: .admin, createdAt: epoch, expiresAt: nil)
        let table = PermissionTable.standard
        try table.authorize(.readTasks, for: viewer)
        try table.authorize(.readSchema, for: viewer)
        try table.authorize(.cancelTask(owner: "v"), for: viewer)
        #expect(throws: AccessError.self) { try table.authorize(.cancelTask(owner: "v"), for: operatorAccount) }
        try table.authorize(.cancelTask(owner: "v"), for: admin)
        let install = try #require(OperationRegistry.operation(named: "release.install")).descriptor
        try table.authorize(.startTask(install), for: operatorAccount)
        #expect(throws: AccessError.self) { try table.authorize(.startTask(install), for: viewer) }
        let bundle = try #require(OperationRegistry.operation(named: "verify.bundle")).descriptor
        #expect(throws: AccessError.self) { try table.authorize(.startTask(bundle), for: admin) }
        #expect(throws: TaskError.self) { try TaskSubmission(bundle, request: "{}", account: "o") }
        #expect(try TaskSubmission(install, request: "{}", account: "o").interruption == .rerun)
        let backfill = try #require(OperationRegistry.operation(named: "backfill.run")).descriptor
        #expect(try TaskSubmission(backfill, request: "{}", account: "o").interruption == .fail)
    }

    @Test("Roles are ordered and parse from their names only")
    func roles() throws {
        #expect(Role.allCases.sorted() == [.viewer, .verifier, .operator, .admin])
        #expect(try Role(parsing: "operator") == .operator)
        #expect(throws: RequestError.self) { try Role(parsing: "Admin") }
    }
}
