import Foundation
import GRDB
import HephaestusCore
import HephaestusOperations
import HephaestusPlatform
import HephaestusTestSupport
import Logging
import Synchronization
import Testing

@testable import HephaestusService

@Suite("Request gate: authenticate, authorise, audit, run")
struct RequestGateTests {
    /// A store with one active account per role, one expired and one revoked, and their tokens.
    struct Setup {
        let fixture: StoreFixture
        let gate: RequestGate
        let tokens: [String: String]

        init() async throws {
            fixture = try StoreKind.sqlite.make()
            let accounts = fixture.first.accounts
            var tokens: [String: String] = [:]
            for role in Role.allCases {
                tokens[role.rawValue] = try await accounts.create(name: role.rawValue, role: role, expiresAt: nil, at: epoch).token.text
            }
            tokens["expired"] = try await accounts.create(name: "expired", role: .admin, expiresAt: epoch + 10, at: epoch).token.text
            tokens["revoked"] = try await accounts.create(name: "revoked", role: .admin, expiresAt: nil, at: epoch).token.text
            _ = try await accounts.revoke(named: "revoked", at: epoch + 1)
            self.tokens = tokens
            gate = RequestGate(store: fixture.first, logger: Logger(label: "test"), clock: { epoch + 100 })
        }

        func request(_ credential: String?, _ action: GatedAction, transport: AuditTransport = .rest) -> GateRequest {
            GateRequest(
                requestID: UUID().uuidString, transport: transport, authorization: credential.map { tokens[$0].map { "Bearer \($0)" } ?? $0 },
                action: action, source: "127.0.0.1:5000")
        }
    }

    @Test("The matrix: every operation × every role and bad credential — allowed exactly when the table says, every request audited")
    func matrix() async throws {
        let setup = try await Setup()
        let credentials: [String?] =
            Role.allCases.map(\.rawValue) + [
                "expired", "revoked", nil, "Bearer hph_malformed", "Basic Zm9vOmJhcg==",
                "Bearer " + (try BearerToken.generate()).text,
            ]
        var requests = 0
        var ran = 0
        for descriptor in OperationRegistry.descriptors {
            let required = PermissionTable.standard.minimumRole(for: descriptor)
            for credential in credentials {
                requests += 1
                let role = credential.flatMap(Role.init(rawValue:))
                let expected = role != nil && required != nil && role! >= required!
                do {
                    try await setup.gate.perform(setup.request(credential, .operation(descriptor))) { admission in
                        #expect(admission.account.role == role)
                        ran += 1
                    }
                    #expect(expected, "\(credential ?? "no token") ran \(descriptor.name)")
                } catch let error as AccessError {
                    #expect(!expected, "\(credential ?? "no token") was refused \(descriptor.name): \(error)")
                    #expect(error.category == (role == nil ? .unauthenticated : .permissionDenied))
                }
            }
        }
        let records = try await setup.fixture.first.audit.records(matching: AuditFilter())
        let refused = records.filter { $0.entry.outcome == .refused }
        let succeeded = records.filter { $0.entry.outcome == .succeeded }
        // One record per request; a call that changes something is also on record (allowed) before it ran.
        #expect(refused.count + succeeded.count == requests)
        #expect(succeeded.count == ran)
        let allowed = records.filter { $0.entry.outcome == .allowed }
        let changing = succeeded.filter { OperationRegistry.operation(named: $0.entry.operation)?.descriptor.effect != .readOnly }
        #expect(allowed.map(\.entry.requestID) == changing.map(\.entry.requestID))
        #expect(allowed.count > 0 && allowed.count < succeeded.count)
        #expect(Set(refused.map(\.entry.status)) == ["401", "403"])
        #expect(try await setup.fixture.first.audit.verify().broken == nil)
        // Refusals name the account when there is one, and never a token.
        #expect(refused.contains { $0.entry.account == "revoked" && $0.entry.code == "auth.revoked" })
        #expect(refused.contains { $0.entry.account == "expired" && $0.entry.code == "auth.expired" })
        #expect(refused.contains { $0.entry.account == nil && $0.entry.code == "auth.missing" })
        #expect(refused.contains { $0.entry.code == "auth.malformed" })
        #expect(refused.contains { $0.entry.code == "auth.unknown-token" })
        #expect(refused.contains { $0.entry.account == "viewer" && $0.entry.code == "auth.forbidden" })
    }

    @Test("Tokens never reach the audit log or the store file")
    func noSecrets() async throws {
        let setup = try await Setup()
        for (_, token) in setup.tokens {
            _ = try? await setup.gate.admit(setup.request("Bearer \(token)", .readTasks))
        }
        _ = try? await setup.gate.admit(setup.request("Bearer hph_notatoken", .readTasks))
        let json = try JSONEncoder().encode(try await setup.fixture.first.audit.records(matching: AuditFilter()))
        let path = try #require(setup.fixture.path)
        let files = try [path, path + "-wal"].filter { FileManager.default.fileExists(atPath: $0) }.map {
            try Data(contentsOf: URL(fileURLWithPath: $0))
        }
        for token in setup.tokens.values + ["hph_notatoken"] {
            #expect(json.range(of: Data(token.utf8)) == nil)
            for bytes in files { #expect(bytes.range(of: Data(token.utf8)) == nil) }
        }
    }

    @Test("An audit log that cannot be written refuses the request (503): a change never runs, a read-only answer is withheld")
    func unwritableAudit() async throws {
        let setup = try await Setup()
        let path = try #require(setup.fixture.path)
        // Another connection makes every append fail, as a full disk or a read-only volume would.
        try await DatabaseQueue(path: path).write { db in
            try db.execute(sql: "CREATE TRIGGER no_audit BEFORE INSERT ON audit_record BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END")
        }
        let ran = Mutex<[String]>([])
        let calls: [(String?, OperationDescriptor)] = [
            ("operator", ReleaseInstallOperation.descriptor), ("verifier", VerifyBundleOperation.descriptor),
            ("viewer", VerifyBundleOperation.descriptor), (nil, VerifyBundleOperation.descriptor),
        ]
        for (credential, descriptor) in calls {
            await #expect(throws: AuditError.self) {
                try await setup.gate.perform(setup.request(credential, .operation(descriptor))) { _ in
                    ran.withLock { $0.append(descriptor.name) }
                }
            }
        }
        // The change never ran; the read-only verification ran, and its answer was withheld (the error above).
        #expect(ran.withLock { $0 } == [VerifyBundleOperation.descriptor.name])
        #expect(AuditError.unwritable(reason: "x").category.httpStatus == 503)
        #expect(AuditError.unwritable(reason: "x").category.grpcStatus == .unavailable)
        await #expect(throws: AuditError.self) {
            try await setup.gate.recordRefusal(setup.request(nil, .unknown("POST /v1/nope")), status: "404", code: nil)
        }
    }

    @Test("Outcomes: a thrown error is audited failed with its code and status; a cancellation cancelled; gRPC and CLI statuses")
    func outcomes() async throws {
        let setup = try await Setup()
        let descriptor = VerifyBundleOperation.descriptor
        try await setup.gate.perform(setup.request("viewer", .readSchema, transport: .grpc)) { _ in }
        await #expect(throws: RequestError.self) {
            try await setup.gate.perform(setup.request("admin", .operation(descriptor), transport: .grpc)) { _ in throw RequestError("bad digest") }
        }
        await #expect(throws: CancellationError.self) {
            try await setup.gate.perform(setup.request("admin", .operation(descriptor))) { _ in throw CancellationError() }
        }
        let admission = try await setup.gate.admit(setup.request("operator", .startTask(ReleaseInstallOperation.descriptor)))
        try await admission.finish(.succeeded, status: "202")
        try await setup.gate.recordRefusal(setup.request("operator", .unknown("POST /v1/nope")), status: "404", code: nil)
        await #expect(throws: AccessError.self) { try await setup.gate.admit(setup.request(nil, .readTasks, transport: .grpc)) }

        let records = try await setup.fixture.first.audit.records(matching: AuditFilter()).map(\.entry)
        // Read-only calls: one record, their outcome; starting a task: allowed, then its outcome.
        #expect(records.map(\.outcome) == [.succeeded, .failed, .cancelled, .allowed, .succeeded, .refused, .refused])
        #expect(records[0].status == "OK" && records[0].operation == "schema.read")
        #expect(records[1].status == "INVALID_ARGUMENT")
        #expect(records[1].code == "usage.invalid-argument")
        #expect(records[2].status == "499")
        #expect(records[3].operation == "tasks.start:release.install" && records[3].status == "200")
        #expect(records[4].status == "202")
        #expect(records[5].account == "operator")
        #expect(records[5].operation == "POST /v1/nope")
        #expect(records[6].status == "UNAUTHENTICATED")
        #expect(records.allSatisfy { $0.source == "127.0.0.1:5000" })
        #expect(AuditStatus.of(.unauthenticated, .cli) == "77")
    }
}
