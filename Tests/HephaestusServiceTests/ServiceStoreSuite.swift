import Foundation
import HephaestusCore
import HephaestusPlatform
import HephaestusTestSupport
import Synchronization
import Testing

@testable import HephaestusService

/// A store implementation under test: a fresh store, and a second, independent handle on the same store (another
/// process's view). A PostgreSQL implementation adds a case here and runs the same suite.
struct StoreKind: Sendable, CustomTestStringConvertible {
    let name: String
    let make: @Sendable () throws -> StoreFixture

    var testDescription: String { name }

    static let sqlite = StoreKind(name: "sqlite") {
        let directory = try TemporaryDirectory(prefix: "hephaestus-store")
        let path = directory.file("service.sqlite")
        return StoreFixture(
            directory: directory, first: try ServiceStore.open(.sqlite(path: path)), second: { try ServiceStore.open(.sqlite(path: path)) },
            path: path)
    }

    static let all: [StoreKind] = [.sqlite]
}

struct StoreFixture: Sendable {
    let directory: TemporaryDirectory
    let first: ServiceStore
    let second: @Sendable () throws -> ServiceStore
    /// The file holding it (nil for a server database).
    let path: String?
}

let epoch = Date(timeIntervalSince1970: 1_800_000_000)

@Suite("Service store: opening")
struct StoreOpeningSuite {
    @Test("Replicas starting at once on a new SQLite store: it is created once and every replica opens it")
    func concurrentCreation() async throws {
        for _ in 0..<30 {
            let directory = try TemporaryDirectory(prefix: "hephaestus-store")
            let path = directory.file("service.sqlite")
            var stores: [ServiceStore] = []
            for outcome in ParallelMap.map(Array(0..<4), jobs: 4, { _ in try ServiceStore.open(.sqlite(path: path)) }) {
                switch outcome {
                case .success(let store): stores.append(store)
                case .failure(let error): Issue.record("\(error)")
                case .notStarted: Issue.record("not started")
                }
            }
            guard let first = stores.first else { continue }
            _ = try await first.accounts.create(name: "ci", role: .viewer, expiresAt: nil, at: epoch)
            for store in stores { #expect(try await store.accounts.accounts().map(\.name) == ["ci"]) }
        }
    }
}

@Suite("Service store: accounts")
struct AccountStoreSuite {
    @Test("Create shows a token once, stores only its hash; the token authenticates from another handle", arguments: StoreKind.all)
    func createAndAuthenticate(kind: StoreKind) async throws {
        let fixture = try kind.make()
        let issued = try await fixture.first.accounts.create(name: "ci", role: .verifier, expiresAt: nil, at: epoch)
        #expect(issued.account == Account(name: "ci", role: .verifier, createdAt: epoch, expiresAt: nil))
        let other = try fixture.second()
        let authenticator = Authenticator(accounts: other.accounts, clock: { epoch })
        #expect(try await authenticator.authenticate(authorization: "Bearer \(issued.token.text)") == issued.account)
        #expect(try await other.accounts.accounts().map(\.name) == ["ci"])
        if let path = fixture.path {
            for file in [path, path + "-wal"] where FileManager.default.fileExists(atPath: file) {
                let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
                #expect(bytes.range(of: Data(issued.token.text.utf8)) == nil, "the token is in \(file)")
                #expect(bytes.range(of: Data(issued.token.text.dropFirst(4).utf8)) == nil, "the token's secret is in \(file)")
            }
        }
    }

    @Test("Unknown, revoked and expired tokens are refused on the next authentication", arguments: StoreKind.all)
    func refusals(kind: StoreKind) async throws {
        let fixture = try kind.make()
        let clock = Mutex(epoch)
        let authenticator = Authenticator(accounts: fixture.first.accounts, clock: { clock.withLock { $0 } })
        let expiring = try await fixture.first.accounts.create(name: "short", role: .viewer, expiresAt: epoch + 60, at: epoch)
        let revoked = try await fixture.first.accounts.create(name: "gone", role: .admin, expiresAt: nil, at: epoch)
        #expect(try await authenticator.authenticate(authorization: "Bearer \(expiring.token.text)").name == "short")
        #expect(try await authenticator.authenticate(authorization: "Bearer \(revoked.token.text)").name == "gone")

        let other = try fixture.second()
        let revokedAccount = try await other.accounts.revoke(named: "gone", at: epoch + 1)
        #expect(revokedAccount.revokedAt == epoch + 1)
        await #expect(throws: AccessError.revoked(account: "gone")) {
            try await authenticator.authenticate(authorization: "Bearer \(revoked.token.text)")
        }
        clock.withLock { $0 = epoch + 60 }
        await #expect(throws: AccessError.expired(account: "short")) {
            try await authenticator.authenticate(authorization: "Bearer \(expiring.token.text)")
        }
        let stranger = try BearerToken.generate()
        await #expect(throws: AccessError.unknownToken) { try await authenticator.authenticate(authorization: "Bearer \(stranger.text)") }
    }

    @Test("SQLite: the token lookup answers while every reader of the pool is held by a long read")
    func lookupBesideBusyReaders() async throws {
        let directory = try TemporaryDirectory(prefix: "hephaestus-store")
        let store = try SQLiteServiceStore(path: directory.file("service.sqlite"))
        let issued = try await store.create(name: "ci", role: .viewer, expiresAt: nil, at: epoch)
        // Every reader of the pool held, as long listings (`audit show` over a large log) can hold them.
        let readers = store.pool.configuration.maximumReaderCount
        let holding = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        for _ in 0..<readers {
            DispatchQueue.global().async {
                try? store.pool.read { _ in
                    holding.signal()
                    release.wait()
                }
            }
        }
        for _ in 0..<readers { holding.wait() }
        defer { for _ in 0..<readers { release.signal() } }
        // The lookup answers, or the bound passes (a lookup through the pool would wait for a reader until `release`).
        // Not a task group: it would wait for a lookup blocked in place, and `release` comes only after it.
        let answered = await withCheckedContinuation { (continuation: CheckedContinuation<Account?, Never>) in
            let resumed = Mutex(false)
            let finish: @Sendable (Account?) -> Void = { account in
                let first = resumed.withLock { done in
                    defer { done = true }
                    return !done
                }
                guard first else { return }
                continuation.resume(returning: account)
            }
            Task { finish(try? await store.account(withTokenHash: issued.token.hash)) }
            DispatchQueue.global().asyncAfter(deadline: .now() + 20) { finish(nil) }
        }
        #expect(answered?.name == "ci", "the token lookup waited for the pool's readers")
    }

    @Test("Names are never reused; revoking an unknown account is not-found; revoking twice keeps the first time", arguments: StoreKind.all)
    func names(kind: StoreKind) async throws {
        let store = try kind.make().first
        _ = try await store.accounts.create(name: "ci", role: .operator, expiresAt: nil, at: epoch)
        await #expect(throws: ServiceStoreError.accountExists("ci")) {
            try await store.accounts.create(name: "ci", role: .viewer, expiresAt: nil, at: epoch)
        }
        _ = try await store.accounts.revoke(named: "ci", at: epoch + 5)
        #expect(try await store.accounts.revoke(named: "ci", at: epoch + 9).revokedAt == epoch + 5)
        await #expect(throws: ServiceStoreError.accountExists("ci")) {
            try await store.accounts.create(name: "ci", role: .viewer, expiresAt: nil, at: epoch)
        }
        await #expect(throws: ServiceStoreError.accountNotFound("nobody")) { try await store.accounts.revoke(named: "nobody", at: epoch) }
        await #expect(throws: RequestError.self) { try await store.accounts.create(name: "past", role: .viewer, expiresAt: epoch - 1, at: epoch) }
    }
}

@Suite("Service store: audit log")
struct AuditLogSuite {
    static func entry(_ index: Int, account: String? = "ci", time: Date = epoch) -> AuditEntry {
        AuditEntry(
            time: time, requestID: "req-\(index)", account: account, role: account == nil ? nil : .verifier, transport: .rest,
            operation: "verify.bundle", outcome: .allowed, status: "200")
    }

    @Test("Appends chain from 1; verify holds; the head is the last record", arguments: StoreKind.all)
    func chain(kind: StoreKind) async throws {
        let log = try kind.make().first.audit
        #expect(try await log.verify() == AuditVerification(verified: 0, head: nil, broken: nil))
        var records: [AuditRecord] = []
        for index in 1...5 { records.append(try await log.append(Self.entry(index))) }
        #expect(records.map(\.sequence) == [1, 2, 3, 4, 5])
        #expect(records[0].previousHash == AuditChain.genesis)
        #expect(records[3].previousHash == records[2].hash)
        let verification = try await log.verify(pageSize: 2)
        #expect(verification == AuditVerification(verified: 5, head: AuditHead(sequence: 5, hash: records[4].hash), broken: nil))
    }

    @Test("Two handles with four concurrent writers each never fork the chain nor lose a record", arguments: StoreKind.all)
    func concurrentAppends(kind: StoreKind) async throws {
        let fixture = try kind.make()
        let logs = [fixture.first.audit, try fixture.second().audit]
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (which, log) in logs.enumerated() {
                for client in 0..<4 {
                    group.addTask {
                        for index in 0..<20 { _ = try await log.append(Self.entry(which * 1000 + client * 100 + index)) }
                    }
                }
            }
            try await group.waitForAll()
        }
        let verification = try await logs[0].verify()
        #expect(verification.verified == 160)
        let requestIDs = try await logs[1].records(matching: AuditFilter()).map(\.entry.requestID)
        #expect(Set(requestIDs).count == 160, "every append is one record")
        #expect(verification.broken == nil)
    }

    @Test("A head recorded earlier anchors the chain: its record must keep its hash and the log must reach it", arguments: StoreKind.all)
    func anchors(kind: StoreKind) async throws {
        let log = try kind.make().first.audit
        var records: [AuditRecord] = []
        for index in 1...4 { records.append(try await log.append(Self.entry(index))) }
        let head = AuditHead(sequence: 3, hash: records[2].hash)
        #expect(try AuditHead(parsing: head.description) == head)
        #expect(try AuditHead(parsing: "3 sha256:\(records[2].hash)") == head)
        #expect(try AuditHead(parsing: "3:\(records[2].hash)") == head)
        for bad in ["", "3", "x:\(records[2].hash)", "0:\(records[2].hash)", "3:sha256:\(records[2].hash.uppercased())", "3:abc"] {
            #expect(throws: RequestError.self) { try AuditHead(parsing: bad) }
        }
        #expect(try await log.verify(anchor: head).broken == nil)
        #expect(try await log.verify(anchor: AuditHead(sequence: 3, hash: records[1].hash)).broken?.sequence == 3)
        #expect(try await log.verify(anchor: AuditHead(sequence: 9, hash: records[1].hash)).broken?.sequence == 5)
    }

    @Test("A log growing while it is verified holds (appends land between every read); records added outside it do not", arguments: StoreKind.all)
    func verifyWhileAppending(kind: StoreKind) async throws {
        let log = try kind.make().first.audit
        for index in 1...5 { _ = try await log.append(Self.entry(index)) }
        // A running service: a record is committed after each read the verification makes, as requests arrive.
        let growing = GrowingAuditLog(base: log, appends: 6)
        let verification = try await growing.verify(pageSize: 2)
        #expect(verification.broken == nil, "\(String(describing: verification.broken))")
        #expect(verification.verified == 5)
        #expect(growing.appended > 2, "records landed during the check")
        #expect(try await log.verify().verified == 5 + Int64(growing.appended))
        // Empty when the check began: the first record lands meanwhile.
        let empty = try kind.make().first.audit
        #expect(try await GrowingAuditLog(base: empty, appends: 1).verify().broken == nil)
        // A record the head never covered (written beside the log, not through it), and a head that is gone.
        let eighth = try #require(try await log.records(matching: AuditFilter()).first { $0.sequence == 8 })
        let stale = try await StaleHeadAuditLog(base: log, head: AuditHead(sequence: 8, hash: eighth.hash)).verify()
        #expect(stale.broken == .init(sequence: 9, reason: "records after the head marker (8) were added outside the log"))
        #expect(stale.verified == 8)
        let headless = try await StaleHeadAuditLog(base: log, head: nil).verify()
        #expect(headless.broken == .init(sequence: 1, reason: "the log's head marker is missing (the log was rewritten)"))
    }

    @Test("show filters by time and account, and limits to the most recent", arguments: StoreKind.all)
    func filters(kind: StoreKind) async throws {
        let log = try kind.make().first.audit
        _ = try await log.append(Self.entry(1, account: "a", time: epoch))
        _ = try await log.append(Self.entry(2, account: nil, time: epoch + 10))
        _ = try await log.append(Self.entry(3, account: "b", time: epoch + 20))
        _ = try await log.append(Self.entry(4, account: "a", time: epoch + 30))
        #expect(try await log.records(matching: AuditFilter()).map(\.sequence) == [1, 2, 3, 4])
        #expect(try await log.records(matching: AuditFilter(since: epoch + 10)).map(\.sequence) == [2, 3, 4])
        #expect(try await log.records(matching: AuditFilter(account: "a")).map(\.sequence) == [1, 4])
        #expect(try await log.records(matching: AuditFilter(since: epoch + 5, account: "a")).map(\.sequence) == [4])
        #expect(try await log.records(matching: AuditFilter(limit: 2)).map(\.sequence) == [3, 4])
        #expect(try await log.records(matching: AuditFilter()).first?.entry == Self.entry(1, account: "a", time: epoch))
    }
}

@Suite("Service store: task queue")
struct TaskQueueSuite {
    static func submission(_ operation: String = "inventory.scan", interruption: InterruptionPolicy = .rerun) -> TaskSubmission {
        TaskSubmission(operation: operation, request: #"{"repositories":["o/r"]}"#, account: "ci", interruption: interruption)
    }

    static let runner = RunnerID(replica: "r1", worker: 0)

    @Test("A replica name is held by one handle (process) at a time, and is free again once released", arguments: StoreKind.all)
    func replicaHolds(kind: StoreKind) async throws {
        let fixture = try kind.make()
        let other = try fixture.second()
        let hold = try fixture.first.tasks.holdReplica("host-a")
        #expect(throws: ServiceStoreError.replicaInUse("host-a")) { try other.tasks.holdReplica("host-a") }
        let elsewhere = try other.tasks.holdReplica("host-b")
        // Names are not confused, whatever characters they hold.
        let odd = try other.tasks.holdReplica("host-a/../x y")
        #expect(throws: ServiceStoreError.replicaInUse("host-a/../x y")) { try fixture.first.tasks.holdReplica("host-a/../x y") }
        hold.release()
        let taken = try other.tasks.holdReplica("host-a")
        for held in [taken, elsewhere, odd] { held.release() }
    }

    @Test("A task's life: queued, started, progress, succeeded — events numbered from 1, resumable after an id", arguments: StoreKind.all)
    func life(kind: StoreKind) async throws {
        let queue = try kind.make().first.tasks
        let task = try await queue.enqueue(Self.submission(), at: epoch)
        #expect(task.status == .queued)
        #expect(task.attempts == 0)
        let claim = try #require(try await queue.claim(by: Self.runner, lease: 30, at: epoch + 1))
        #expect(claim.task.id == task.id)
        #expect(claim.task.status == .running)
        #expect(claim.attempt == 1)
        #expect(claim.task.runner == "r1/0")
        #expect(try await queue.claim(by: Self.runner, lease: 30, at: epoch + 1) == nil)
        _ = try await queue.recordProgress(#"{"stage":"fetch"}"#, for: claim, at: epoch + 2)
        let done = try await queue.complete(claim, with: .finished(report: #"{"ok":true}"#, failure: nil), at: epoch + 3)
        #expect(done.status == .succeeded)
        #expect(done.report == #"{"ok":true}"#)
        let events = try await queue.events(of: task.id, after: nil)
        #expect(events.map(\.id) == [1, 2, 3, 4])
        #expect(events.map(\.type) == [.queued, .started, .progress, .succeeded])
        #expect(events[1].data == #"{"attempt":1,"runner":"r1\/0"}"# || events[1].data == #"{"attempt":1,"runner":"r1/0"}"#)
        #expect(try await queue.events(of: task.id, after: 2).map(\.id) == [3, 4])
        await #expect(throws: TaskError.claimLost(task: task.id, attempt: 1)) {
            try await queue.complete(claim, with: .cancelled, at: epoch + 4)
        }
        await #expect(throws: ServiceStoreError.taskNotFound("nope")) { try await queue.events(of: "nope", after: nil) }
        #expect(try await queue.task("nope") == nil)
    }

    @Test("A negative verdict fails the task with its report kept; a thrown error fails it with the code", arguments: StoreKind.all)
    func failures(kind: StoreKind) async throws {
        let queue = try kind.make().first.tasks
        _ = try await queue.enqueue(Self.submission(), at: epoch)
        _ = try await queue.enqueue(Self.submission(), at: epoch)
        let first = try #require(try await queue.claim(by: Self.runner, lease: 30, at: epoch))
        let verdict = TaskFailure(code: "inventory.findings", message: "2 findings")
        let failed = try await queue.complete(first, with: .finished(report: "{}", failure: verdict), at: epoch)
        #expect(failed.status == .failed)
        #expect(failed.failure == verdict)
        #expect(failed.report == "{}")
        let second = try #require(try await queue.claim(by: Self.runner, lease: 30, at: epoch))
        let thrown = try await queue.complete(second, with: .failed(TaskFailure(code: "transport.unreachable", message: "down")), at: epoch)
        #expect(thrown.failure?.code == "transport.unreachable")
        #expect(try await queue.events(of: second.task.id, after: nil).last?.data == #"{"code":"transport.unreachable","message":"down"}"#)
    }

    @Test("Two handles claiming 30 tasks with 6 claimers each claim every task exactly once", arguments: StoreKind.all)
    func exclusiveClaims(kind: StoreKind) async throws {
        let fixture = try kind.make()
        let queues = [fixture.first.tasks, try fixture.second().tasks]
        for _ in 0..<30 { _ = try await queues[0].enqueue(Self.submission(), at: epoch) }
        let claimed = try await withThrowingTaskGroup(of: [String].self) { group in
            for worker in 0..<6 {
                let queue = queues[worker % 2]
                group.addTask {
                    var mine: [String] = []
                    while let claim = try await queue.claim(by: RunnerID(replica: "r\(worker % 2)", worker: worker), lease: 30, at: epoch) {
                        mine.append(claim.task.id)
                    }
                    return mine
                }
            }
            return try await group.reduce(into: [String]()) { $0 += $1 }
        }
        #expect(claimed.count == 30)
        #expect(Set(claimed).count == 30)
    }

    @Test("Cancel: a queued task at once, a running one through its worker's renewal, a finished one unchanged", arguments: StoreKind.all)
    func cancellation(kind: StoreKind) async throws {
        let queue = try kind.make().first.tasks
        let running = try await queue.enqueue(Self.submission(), at: epoch)
        let claim = try #require(try await queue.claim(by: Self.runner, lease: 30, at: epoch))
        let queued = try await queue.enqueue(Self.submission(), at: epoch)
        #expect(try await queue.cancel(queued.id, at: epoch).status == .cancelled)
        #expect(try await queue.events(of: queued.id, after: nil).map(\.type) == [.queued, .cancelled])
        #expect(try await !queue.renew(claim, lease: 30, at: epoch))
        let asked = try await queue.cancel(running.id, at: epoch)
        #expect(asked.status == .running)
        #expect(asked.cancelRequested)
        #expect(try await queue.renew(claim, lease: 30, at: epoch + 1))
        let cancelled = try await queue.complete(claim, with: .cancelled, at: epoch + 2)
        #expect(cancelled.status == .cancelled)
        #expect(try await queue.cancel(running.id, at: epoch + 3) == cancelled)
        await #expect(throws: ServiceStoreError.taskNotFound("missing")) { try await queue.cancel("missing", at: epoch) }
    }

    @Test(
        "Recovery: a rerunnable task is queued again and its next attempt counted; a destructive one fails as interrupted", arguments: StoreKind.all)
    func recovery(kind: StoreKind) async throws {
        let fixture = try kind.make()
        let queue = fixture.first.tasks
        let rerunnable = try await queue.enqueue(Self.submission("inventory.scan", interruption: .rerun), at: epoch)
        let destructive = try await queue.enqueue(Self.submission("backfill.run", interruption: .fail), at: epoch)
        let first = try #require(try await queue.claim(by: Self.runner, lease: 30, at: epoch))
        let second = try #require(try await queue.claim(by: RunnerID(replica: "r1", worker: 1), lease: 30, at: epoch))
        #expect([first.task.id, second.task.id] == [rerunnable.id, destructive.id])

        // Another replica leaves live leases alone.
        let other = try fixture.second().tasks
        #expect(try await other.recover(replica: "r2", at: epoch + 10) == [])
        // The replica restarting recovers its own tasks.
        let recovered = try await other.recover(replica: "r1", at: epoch + 10)
        #expect(recovered.map(\.taskID) == [rerunnable.id, destructive.id])
        #expect(recovered[0].resolution == .requeued)
        guard case .failed(let reason) = recovered[1].resolution else {
            Issue.record("the destructive task was not failed")
            return
        }
        #expect(reason.contains("destructive"))
        let failed = try #require(try await queue.task(destructive.id))
        #expect(failed.status == .failed)
        #expect(failed.failure?.code == "task.interrupted")
        #expect(try await queue.events(of: destructive.id, after: nil).map(\.type) == [.queued, .started, .failed])

        // The dead process's claims are fenced off.
        await #expect(throws: TaskError.claimLost(task: rerunnable.id, attempt: 1)) {
            try await queue.recordProgress("{}", for: first, at: epoch + 11)
        }
        await #expect(throws: TaskError.claimLost(task: destructive.id, attempt: 1)) {
            try await queue.complete(second, with: .cancelled, at: epoch + 11)
        }
        // The rerunnable one runs again as attempt 2, and ends once.
        let again = try #require(try await other.claim(by: RunnerID(replica: "r2", worker: 0), lease: 30, at: epoch + 12))
        #expect(again.task.id == rerunnable.id)
        #expect(again.attempt == 2)
        _ = try await other.complete(again, with: .finished(report: "{}", failure: nil), at: epoch + 13)
        let events = try await queue.events(of: rerunnable.id, after: nil)
        #expect(events.map(\.type) == [.queued, .started, .queued, .started, .succeeded])
        #expect(events.filter(\.type.isTerminal).count == 1)
        #expect(events[2].data.contains("queued again"))
    }

    @Test("Recovery by lease: another replica takes over only once the lease expired; out of attempts fails", arguments: StoreKind.all)
    func leases(kind: StoreKind) async throws {
        let fixture = try kind.make()
        let queue = fixture.first.tasks
        let other = try fixture.second().tasks
        let task = try await queue.enqueue(Self.submission(), at: epoch)
        for attempt in 1...TaskRules.maxAttempts {
            let claim = try #require(try await queue.claim(by: Self.runner, lease: 30, at: epoch))
            #expect(claim.attempt == attempt)
            #expect(try await other.recover(replica: "r2", at: epoch + 29) == [])
            #expect(try await queue.renew(claim, lease: 30, at: epoch + 29) == false)
            let recovered = try await other.recover(replica: "r2", at: epoch + 60)
            #expect(recovered.count == 1)
            if attempt < TaskRules.maxAttempts {
                #expect(recovered[0].resolution == .requeued)
            } else {
                #expect(recovered[0].resolution != .requeued)
            }
        }
        let final = try #require(try await queue.task(task.id))
        #expect(final.status == .failed)
        #expect(final.attempts == TaskRules.maxAttempts)
        #expect(final.failure?.message.contains("3 attempts were interrupted") == true)
    }

    @Test("A task cancelled while its process died ends cancelled, not queued again", arguments: StoreKind.all)
    func cancelledThenDied(kind: StoreKind) async throws {
        let queue = try kind.make().first.tasks
        let task = try await queue.enqueue(Self.submission(), at: epoch)
        _ = try #require(try await queue.claim(by: Self.runner, lease: 30, at: epoch))
        _ = try await queue.cancel(task.id, at: epoch)
        _ = try await queue.recover(replica: "r1", at: epoch + 1)
        #expect(try await queue.task(task.id)?.status == .cancelled)
    }

    @Test("Release (drain): rerunnable queued again, destructive failed", arguments: StoreKind.all)
    func release(kind: StoreKind) async throws {
        let queue = try kind.make().first.tasks
        _ = try await queue.enqueue(Self.submission(interruption: .rerun), at: epoch)
        _ = try await queue.enqueue(Self.submission(interruption: .fail), at: epoch)
        let first = try #require(try await queue.claim(by: Self.runner, lease: 30, at: epoch))
        let second = try #require(try await queue.claim(by: Self.runner, lease: 30, at: epoch))
        #expect(try await queue.release(first, reason: "was stopped by a draining process", at: epoch).resolution == .requeued)
        #expect(try await queue.release(second, reason: "was stopped by a draining process", at: epoch).resolution != .requeued)
        #expect(try await queue.tasks(matching: TaskFilter(status: .queued)).map(\.id) == [first.task.id])
        #expect(try await queue.tasks(matching: TaskFilter(status: .failed)).map(\.id) == [second.task.id])
    }
}

/// An audit log to which another request's record is appended after each read (`records` or `head`), `appends` times.
final class GrowingAuditLog: AuditLog, Sendable {
    let base: any AuditLog
    private let appendsLeft: Mutex<Int>
    private let total: Int

    init(base: any AuditLog, appends: Int) {
        self.base = base
        appendsLeft = Mutex(appends)
        total = appends
    }

    /// Records appended so far.
    var appended: Int { total - appendsLeft.withLock { $0 } }

    private func appendAnother() async throws {
        let next = appendsLeft.withLock { left -> Int? in
            guard left > 0 else { return nil }
            left -= 1
            return left
        }
        if let next { _ = try await base.append(AuditLogSuite.entry(100 + next)) }
    }

    func append(_ entry: AuditEntry) async throws(AuditError) -> AuditRecord { try await base.append(entry) }

    func records(after sequence: Int64, limit: Int) async throws -> [AuditRecord] {
        let page = try await base.records(after: sequence, limit: limit)
        try await appendAnother()
        return page
    }

    func head() async throws -> AuditHead? {
        let head = try await base.head()
        try await appendAnother()
        return head
    }

    func records(matching filter: AuditFilter) async throws -> [AuditRecord] { try await base.records(matching: filter) }
}

/// An audit log whose stored head is `head`, whatever its records say (a head left behind, or removed).
struct StaleHeadAuditLog: AuditLog {
    let base: any AuditLog
    let head: AuditHead?

    func append(_ entry: AuditEntry) async throws(AuditError) -> AuditRecord { try await base.append(entry) }
    func records(after sequence: Int64, limit: Int) async throws -> [AuditRecord] { try await base.records(after: sequence, limit: limit) }
    func head() async throws -> AuditHead? { head }
    func records(matching filter: AuditFilter) async throws -> [AuditRecord] { try await base.records(matching: filter) }
}
