import Foundation
import HephaestusCore
import HephaestusOperations
import HephaestusPlatform
import HephaestusTestSupport
import Logging
import Testing

@testable import HephaestusService

@Suite("Accounts and audit operations")
struct ServiceOperationTests {
    static func context(_ store: ServiceStore? = nil, environment: [String: String] = ["USER": "alice"]) -> OperationContext {
        OperationContext(logger: Logger(label: "test"), environment: environment, serviceStore: store)
    }

    @Test("From the command line: the store the request names, changes audited as cli by the local user")
    func commandLine() async throws {
        let directory = try TemporaryDirectory(prefix: "hephaestus-ops")
        let location = "sqlite:" + directory.file("s.sqlite")
        let created = try await AccountsCreateOperation.run(.init(name: "ci", role: "verifier", expires: "12h", store: location), in: Self.context())
        #expect(created.role == .verifier)
        #expect(created.token.hasPrefix("hph_"))
        #expect(created.expires != nil)
        _ = try await AccountsRevokeOperation.run(.init(name: "ci", store: location), in: Self.context())
        let listed = try await AccountsListOperation.run(.init(store: location), in: Self.context())
        #expect(listed.accounts.map(\.state) == [.revoked])
        let shown = try await AuditShowOperation.run(.init(account: nil, store: location), in: Self.context())
        #expect(shown.records.map(\.entry.outcome) == [.allowed, .succeeded, .allowed, .succeeded])
        #expect(shown.records.allSatisfy { $0.entry.transport == .cli && $0.entry.source == "local:alice" && $0.entry.target == "ci" })
        let verified = try await AuditVerifyOperation.run(.init(store: location), in: Self.context())
        #expect(verified.failure == nil)
        #expect(verified.verification.verified == 4)
        let json = try JSONEncoder().encode(verified)
        #expect(try JSONDecoder().decode(AuditVerifyOperation.Report.self, from: json) == verified)
        let failedChange = await #expect(throws: ServiceStoreError.self) {
            try await AccountsRevokeOperation.run(.init(name: "nobody", store: location), in: Self.context())
        }
        #expect(failedChange == .accountNotFound("nobody"))
        #expect(try await AuditShowOperation.run(.init(store: location), in: Self.context()).records.last?.entry.code == "account.not-found")
    }

    @Test("In a service: the attached store, a request naming another is refused, and the gate's audit is not doubled")
    func attached() async throws {
        let fixture = try StoreKind.sqlite.make()
        let context = Self.context(fixture.first)
        _ = try await AccountsCreateOperation.run(.init(name: "ci", role: "admin"), in: context)
        #expect(try await fixture.first.audit.records(matching: AuditFilter()).isEmpty)
        await #expect(throws: RequestError.self) {
            try await AccountsListOperation.run(.init(store: "sqlite:/tmp/elsewhere.sqlite"), in: context)
        }
        #expect(try await AccountsListOperation.run(.init(), in: context).accounts.map(\.account.name) == ["ci"])
        // Through the registry's JSON runner, as transports call it.
        let document = try await AccountsListOperation.runJSON(Array("{}".utf8), in: context)
        #expect(String(decoding: document.json, as: UTF8.self).contains("\"state\" : \"active\""))
    }

    @Test("Default store under XDG_DATA_HOME; since as a time or a duration back; bad values refused")
    func requests() async throws {
        let directory = try TemporaryDirectory(prefix: "hephaestus-ops")
        let environment = ["XDG_DATA_HOME": directory.path, "USER": "bob"]
        _ = try await AccountsCreateOperation.run(.init(name: "x", role: "viewer"), in: Self.context(environment: environment))
        #expect(FileManager.default.fileExists(atPath: directory.file("hephaestus/service.sqlite")))
        #expect(StoreLocation.defaultLocation(environment: ["HOME": "/home/u"]) == .sqlite(path: "/home/u/.local/share/hephaestus/service.sqlite"))
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(try AuditShowOperation.Request(since: "24h").filter(now: now).since == now - 86400)
        #expect(try AuditShowOperation.Request(since: "2027-01-15T00:00:00Z").filter(now: now).since == RFC3339.date("2027-01-15T00:00:00Z"))
        #expect(throws: RequestError.self) { try AuditShowOperation.Request(since: "soon").filter(now: now) }
        #expect(throws: RequestError.self) { try AuditShowOperation.Request(limit: 0).filter(now: now) }
        await #expect(throws: RequestError.self) {
            try await AccountsCreateOperation.run(.init(name: "y", role: "viewer", expires: "forever"), in: Self.context(environment: environment))
        }
    }

    @Test("Store locations: sqlite paths, PostgreSQL refused with its password masked, anything else refused")
    func locations() throws {
        #expect(try StoreLocation(parsing: "sqlite:/var/lib/h.sqlite") == .sqlite(path: "/var/lib/h.sqlite"))
        #expect(try StoreLocation(parsing: "sqlite:///var/lib/h.sqlite") == .sqlite(path: "/var/lib/h.sqlite"))
        #expect(try StoreLocation(parsing: "sqlite:rel.sqlite") == .sqlite(path: "rel.sqlite"))
        #expect(throws: ServiceStoreError.self) { try StoreLocation(parsing: "sqlite:") }
        #expect(throws: ServiceStoreError.self) { try StoreLocation(parsing: "/var/lib/h.sqlite") }
        let postgres = try StoreLocation(parsing: "postgresql://svc:hunter2@db:5432/hephaestus")
        #expect(postgres.description == "postgresql://svc:***@db:5432/hephaestus")
        #expect(
            throws: ServiceStoreError.unsupported(
                location: postgres.description, reason: "PostgreSQL stores are planned for a later release; use sqlite:PATH")
        ) {
            try ServiceStore.open(postgres)
        }
        #expect(ServiceStoreError.unsupported(location: "", reason: "").category.exitStatus.rawValue == 78)
    }

    @Test("Store locations that may also be paths (the event store): URLs read as --store reads them, anything else a path")
    func locationsOrPaths() throws {
        #expect(try StoreLocation(parsingURLOrPath: "events.sqlite") == .sqlite(path: "events.sqlite"))
        #expect(try StoreLocation(parsingURLOrPath: "/var/lib/events.sqlite") == .sqlite(path: "/var/lib/events.sqlite"))
        #expect(try StoreLocation(parsingURLOrPath: "sqlite:///var/lib/e.sqlite").sqliteFile() == "/var/lib/e.sqlite")
        #expect(try StoreLocation(parsingURLOrPath: "sqlite:e.sqlite").sqliteFile() == "e.sqlite")
        #expect(throws: ServiceStoreError.self) { try StoreLocation(parsingURLOrPath: "") }
        #expect(throws: ServiceStoreError.self) { try StoreLocation(parsingURLOrPath: "sqlite:") }
        let mysql = #expect(throws: ServiceStoreError.self) { try StoreLocation(parsingURLOrPath: "mysql://db/events") }
        #expect(mysql?.code == "store.invalid-location")
        let postgres = #expect(throws: ServiceStoreError.self) {
            try StoreLocation(parsingURLOrPath: "postgres://u:secret@db/events").sqliteFile()
        }
        #expect(postgres?.code == "store.unsupported")
        #expect(postgres?.description.contains("secret") == false)
    }

    @Test("A file that is not a service store is refused and left unchanged")
    func foreignFiles() async throws {
        let directory = try TemporaryDirectory(prefix: "hephaestus-ops")
        let text = try directory.write("notes.txt", "keep me")
        #expect(throws: ServiceStoreError.self) { try ServiceStore.open(.sqlite(path: text)) }
        #expect(try String(contentsOfFile: text, encoding: .utf8) == "keep me")
        #expect(throws: ServiceStoreError.missing(location: "sqlite:" + directory.file("none.sqlite"))) {
            try ServiceStore.open(.sqlite(path: directory.file("none.sqlite")), mustExist: true)
        }
        // A new store is its owner's only, in a private directory; reopening it is fine.
        let store = try ServiceStore.open(.sqlite(path: directory.file("private/s.sqlite")))
        _ = try await store.accounts.create(name: "x", role: .viewer, expiresAt: nil, at: Date())
        for file in ["private/s.sqlite", "private/s.sqlite-wal"] {
            let mode = try FileManager.default.attributesOfItem(atPath: directory.file(file))[.posixPermissions] as? Int
            #expect(mode == 0o600, "\(file): \(String(mode ?? 0, radix: 8))")
        }
        #expect(try FileManager.default.attributesOfItem(atPath: directory.file("private"))[.posixPermissions] as? Int == 0o700)
        _ = try ServiceStore.open(.sqlite(path: directory.file("private/s.sqlite")), mustExist: true)
    }
}
