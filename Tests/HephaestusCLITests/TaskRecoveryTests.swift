import Foundation
import HephaestusCore
import HephaestusInventory
import HephaestusPlatform
import HephaestusService
import HephaestusTestSupport
import Synchronization
import Testing

/// A worker process killed with SIGKILL in the middle of its tasks, and started again: no task is lost, none runs
/// twice.
@Suite("task recovery after kill -9")
struct TaskRecoveryTests {
    /// A GitHub API that accepts requests and answers none until released: tasks stay running, deterministically.
    final class StalledAPI: Sendable {
        let server: LoopbackHTTPServer
        private let arrived: Arrivals
        private let release = DispatchSemaphore(value: 0)

        final class Arrivals: Sendable {
            let paths = Mutex<[String]>([])
        }

        init() throws {
            let arrived = Arrivals()
            let release = self.release
            self.arrived = arrived
            server = try LoopbackHTTPServer { request in
                arrived.paths.withLock { $0.append(request.path) }
                release.wait()
                release.signal()
                return HTTPServerResponse(status: 503)
            }
        }

        var paths: [String] { arrived.paths.withLock { $0 } }

        func stop() {
            release.signal()
            server.stop()
        }
    }

    /// Waits until `condition` holds (checked every 50 ms), failing after `seconds`.
    static func wait(seconds: Double = 60, _ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while try await !condition() {
            guard Date() < deadline else { throw WaitTimeout(what: what) }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    struct WaitTimeout: Error, CustomStringConvertible {
        let what: String
        var description: String { "timed out waiting for \(what)" }
    }

    @Test("A second process with a replica name a live one holds is refused (it could take over that one's running tasks)")
    func replicaNameHeld() throws {
        let directory = try TemporaryDirectory(prefix: "hephaestus-serve-replica")
        let service = try ServiceProcess(arguments: ["--replica", "r1"], directory: directory)
        _ = try service.createAccount("ci", role: "viewer")
        let same = try HephaestusBinary.run(["tasks", "work", "--store", service.store, "--replica", "r1", "--until-idle"])
        #expect(same.status == 78, "\(same.stderrText)")
        #expect(same.stderrText.contains("replica r1 is running in another process sharing this store"), "\(same.stderrText)")
        // A second serve with the name is refused before it listens: no port file, nothing served.
        let ports = directory.file("second-ports.json")
        let second = try HephaestusBinary.run([
            "serve", "--listen", "127.0.0.1:0", "--grpc-listen", "off", "--store", service.store, "--replica", "r1", "--port-file", ports,
        ])
        #expect(second.status == 78, "\(second.stderrText)")
        #expect(!FileManager.default.fileExists(atPath: ports), "the second serve listened before it was refused")
        let other = try HephaestusBinary.run(["tasks", "work", "--store", service.store, "--replica", "r2", "--until-idle"])
        #expect(other.status == 0, "\(other.stderrText)")
        #expect(service.stop() == 0)
        // Its process gone, the name is free.
        let after = try HephaestusBinary.run(["tasks", "work", "--store", service.store, "--replica", "r1", "--until-idle"])
        #expect(after.status == 0, "\(after.stderrText)")
    }

    @Test(
        "SIGTERM while a client follows a task still running elsewhere: its event stream ends and serve exits 0",
        .enabled(if: TestVenv.isUsable("python")))
    func drainEndsFollowers() async throws {
        let directory = try TemporaryDirectory(prefix: "hephaestus-serve-drain")
        // A task another machine's worker holds for an hour: this service neither runs nor recovers it.
        let store = try ServiceStore.open(.sqlite(path: directory.file("service.sqlite")))
        let submission = TaskSubmission(operation: "inventory.scan", request: "{}", account: "ci", interruption: .rerun)
        let task = try await store.tasks.enqueue(submission, at: Date())
        _ = try #require(try await store.tasks.claim(by: RunnerID(replica: "another-machine", worker: 0), lease: 3600, at: Date()))
        let service = try ServiceProcess(directory: directory)
        let token = try service.createAccount("ci", role: "viewer")

        let follower = Process()
        follower.executableURL = URL(fileURLWithPath: try #require(TestVenv.tool("python")))
        follower.arguments = [
            TestVenv.projectRoot.appendingPathComponent("fixtures/service/rest_events.py").path, service.restURL, token, task.id,
        ]
        let output = Pipe()
        follower.standardOutput = output
        try follower.run()
        // Its first two events (queued, started) printed: the stream is open and waiting for more.
        var printed = ""
        while printed.split(separator: "\n").count < 2 {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            printed += String(decoding: chunk, as: UTF8.self)
        }
        #expect(printed.contains(#""event": "started""#), "\(printed)")

        service.process.terminate()
        try await Self.wait(seconds: 45, "serve to exit after SIGTERM") { !service.process.isRunning }
        #expect(service.stop() == 0)
        try await Self.wait(seconds: 10, "the follower's stream to end") { !follower.isRunning }
        #expect(follower.terminationStatus == 0, "the stream ended cleanly (the client resumes with Last-Event-ID)")
        #expect(service.log.contains("serve.stopped"), "\(service.log.suffix(2000))")
        #expect(try await store.tasks.task(task.id)?.status == .running, "the other machine's task is untouched")
    }

    @Test("kill -9 while two tasks run: the idempotent one runs again as attempt 2, the destructive one fails as interrupted")
    func killNine() async throws {
        let work = try TemporaryDirectory(prefix: "hephaestus-task-recovery")
        let path = work.file("service.sqlite")
        let store = try ServiceStore.open(.sqlite(path: path))
        let api = try StalledAPI()
        defer { api.stop() }
        let apiURL = api.server.baseURL.absoluteString

        let download = try await store.tasks.enqueue(
            try TaskSubmission(
                ReleaseDownloadOperation.descriptor,
                request: #"{"release":{"repository":"octo/demo","tag":"v1.0.0","latest":false,"includePrereleases":false},"#
                    + #""dest":"\#(work.file("downloads"))","github":{"apiURL":"\#(apiURL)"}}"#, account: "ci"), at: Date())
        let backfill = try await store.tasks.enqueue(
            try TaskSubmission(
                BackfillRunOperation.descriptor,
                request:
                    #"{"repository":"octo/demo","dryRun":true,"inventory":"\#(work.file("inventory.sqlite"))","github":{"apiURL":"\#(apiURL)"}}"#,
                account: "ci"), at: Date())
        #expect(download.interruption == .rerun)
        #expect(backfill.interruption == .fail)

        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = work.path
        environment["XDG_DATA_HOME"] = work.file("data")
        environment["GITHUB_TOKEN"] = "ghp_" + String(repeating: "A1b2", count: 9)
        let worker = Process()
        worker.executableURL = URL(fileURLWithPath: HephaestusBinary.path)
        worker.arguments = ["tasks", "work", "--store", "sqlite:\(path)", "--replica", "r1", "--workers", "2", "--max-retries", "0"]
        worker.environment = environment
        worker.standardOutput = FileHandle.nullDevice
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: try work.write("worker.log", "")))
        worker.standardError = log
        try worker.run()

        try await Self.wait("both tasks running and both requests at the API") {
            let statuses = try await [download.id, backfill.id].asyncMap { try await store.tasks.task($0)?.status }
            return statuses == [.running, .running] && api.paths.count >= 2
        }
        kill(worker.processIdentifier, SIGKILL)
        worker.waitUntilExit()
        #expect(worker.terminationReason == .uncaughtSignal)
        #expect(worker.terminationStatus == SIGKILL)
        // Still running in the store: nobody told it the process died.
        #expect(try await store.tasks.task(download.id)?.status == .running)
        api.stop()

        // The replica starts again: recovery first, then the requeued task's next attempt (the API is gone now).
        let restarted = try HephaestusBinary.run(
            ["tasks", "work", "--store", "sqlite:\(path)", "--replica", "r1", "--until-idle", "--max-retries", "0", "--json"],
            environment: environment)
        #expect(restarted.status == 0, "\(restarted.stderrText)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(restarted.stdout)) as? [String: Any])
        let recovered = try #require(report["recovered"] as? [[String: Any]])
        #expect(recovered.map { $0["task"] as? String } == [download.id, backfill.id])
        #expect(recovered.map { $0["resolution"] as? String } == ["requeued", "failed"])
        #expect((recovered[1]["reason"] as? String)?.contains("destructive") == true)
        #expect(report["failed"] as? Int == 1)

        let downloaded = try #require(try await store.tasks.task(download.id))
        #expect(downloaded.attempts == 2)
        #expect(downloaded.status == .failed)
        #expect(downloaded.failure?.code.hasPrefix("transport.") == true, "\(String(describing: downloaded.failure))")
        let downloadEvents = try await store.tasks.events(of: download.id, after: nil)
        #expect(downloadEvents.map(\.type) == [.queued, .started, .queued, .started, .failed])
        #expect(downloadEvents.map(\.id) == [1, 2, 3, 4, 5])
        #expect(downloadEvents[2].data.contains("attempt 1 on r1/"))

        let interrupted = try #require(try await store.tasks.task(backfill.id))
        #expect(interrupted.attempts == 1, "a destructive task never runs twice")
        #expect(interrupted.status == .failed)
        #expect(interrupted.failure?.code == "task.interrupted")
        #expect(try await store.tasks.events(of: backfill.id, after: nil).map(\.type) == [.queued, .started, .failed])
        #expect(try await store.tasks.tasks(matching: TaskFilter(status: .running)).isEmpty)
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
