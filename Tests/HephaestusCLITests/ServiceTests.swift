import Foundation
import HephaestusTestSupport
import Testing

/// `hephaestus serve` driven by real clients on loopback: curl and Python for REST, a grpcio client generated from
/// proto/ for gRPC; limits tested with raw bytes on a socket.
@Suite(
    "serve: REST and gRPC with real clients",
    .serialized,
    .enabled(if: FileManager.default.isExecutableFile(atPath: HephaestusBinary.serverPath), "hephaestus-server is not built"))
struct ServiceTests {
    static let genuine = SharedFixtures.sigstorePython
    static let identity = "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2"
    static let issuer = "https://token.actions.githubusercontent.com"

    /// The REST body verifying the genuine production bundle (`bundle` as an object).
    static func verifyBody(artifact: String = "bundle_v3_github.whl") throws -> [UInt8] {
        let bundle = try JSONSerialization.jsonObject(with: Data(contentsOf: genuine.appendingPathComponent("bundle_v3_github.whl.sigstore")))
        let digest = try Self.sha256(genuine.appendingPathComponent(artifact).path)
        let body: [String: Any] = [
            "bundle": bundle, "artifactDigest": "sha256:\(digest)", "certificateIdentity": identity, "certificateOidcIssuer": issuer,
        ]
        return Array(try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys]))
    }

    static func sha256(_ path: String) throws -> String {
        let result = try ProcessResult.runTool("sha256sum", [path])
        return String(result.stdoutText.prefix(64))
    }

    /// `curl` with the token, the body (from a file) and the method; returns (status, headers, body).
    static func curl(
        _ service: ServiceProcess, _ method: String, _ path: String, token: String? = nil, body: [UInt8]? = nil, headers: [String] = []
    ) throws -> (status: Int, headers: String, body: String) {
        var arguments = ["-sS", "-X", method, "-D", service.directory.file("headers.txt"), "-o", service.directory.file("body.txt")]
        arguments += ["-w", "%{http_code}"]
        if let token { arguments += ["-H", "Authorization: Bearer \(token)"] }
        for header in headers { arguments += ["-H", header] }
        if let body {
            let file = try service.directory.write("request.json", body)
            arguments += ["-H", "Content-Type: application/json", "--data-binary", "@\(file)"]
        }
        let result = try ProcessResult.runTool("curl", arguments + [service.restURL + path])
        let status = Int(result.stdoutText) ?? -1
        let responseHeaders = (try? String(contentsOfFile: service.directory.file("headers.txt"), encoding: .utf8)) ?? ""
        let responseBody = (try? String(contentsOfFile: service.directory.file("body.txt"), encoding: .utf8)) ?? ""
        return (status, responseHeaders, responseBody)
    }

    static func json(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    /// Runs fixtures/service/grpc_client.py with the test venv's Python; one JSON document per output line.
    static func grpc(_ service: ServiceProcess, token: String?, _ arguments: [String], authorization: String? = nil) throws -> [[String: Any]] {
        let python = try #require(TestVenv.tool("python"), "the test venv has no python")
        var options = ["--address", try #require(service.grpcAddress)]
        if let token { options += ["--token", token] }
        if let authorization { options += ["--authorization", authorization] }
        let script = TestVenv.projectRoot.appendingPathComponent("fixtures/service/grpc_client.py").path
        let result = try ProcessResult.run(python, [script] + options + arguments)
        #expect(result.status == 0, "\(result.stderrText)")
        return result.stdoutText.split(separator: "\n").map { json(String($0)) }
    }

    @Test(
        "curl: health without a token, everything under /v1 with one; verify/bundle gives the CLI's document",
        .enabled(if: SharedFixtures.isAvailable))
    func restWithCurl() throws {
        let service = try ServiceProcess()
        let verifier = try service.createAccount("ci", role: "verifier")
        let health = try Self.curl(service, "GET", "/healthz")
        #expect(health.status == 200 && Self.json(health.body)["status"] as? String == "ok")
        let refused = try Self.curl(service, "GET", "/v1/operations")
        #expect(refused.status == 401)
        #expect((Self.json(refused.body)["error"] as? [String: Any])?["code"] as? String == "auth.missing", "\(refused.body)")
        #expect(refused.headers.lowercased().contains("x-request-id:"))
        let operations = try Self.curl(service, "GET", "/v1/operations", token: verifier)
        #expect(operations.status == 200)
        let listed = (Self.json(operations.body)["operations"] as? [[String: Any]])?.compactMap { $0["name"] as? String } ?? []
        #expect(listed.contains("verify.bundle") && listed.contains("release.install") && listed.count >= 20)

        let passed = try Self.curl(service, "POST", "/v1/verify/bundle", token: verifier, body: try Self.verifyBody())
        #expect(passed.status == 200, "\(passed.body)")
        var served = Self.json(passed.body)
        #expect(served["verdict"] as? String == "pass")
        // Parity with the CLI: the same document but for the run id and how the bundle and artifact were named.
        let cli = try HephaestusBinary.run(
            [
                "verify", "bundle", "--bundle", "bundle_v3_github.whl.sigstore", "--certificate-identity", Self.identity,
                "--certificate-oidc-issuer", Self.issuer, "bundle_v3_github.whl", "--json",
            ], in: Self.genuine.path)
        var printed = Self.json(cli.stdoutText)
        for key in ["runId", "bundle", "artifact"] {
            served[key] = nil
            printed[key] = nil
        }
        #expect(NSDictionary(dictionary: served).isEqual(to: printed), "REST \(served)\nCLI \(printed)")

        // A bundle for another artifact: a fail verdict, still 200.
        let failed = try Self.curl(service, "POST", "/v1/verify/bundle", token: verifier, body: try Self.verifyBody(artifact: "a.txt"))
        #expect(failed.status == 200 && Self.json(failed.body)["verdict"] as? String == "fail")
        #expect(Self.json(failed.body)["code"] as? String == "verify.artifact-mismatch")
        // Malformed: not JSON, an unknown field, no digest.
        for body in ["not json", #"{"artifactDigest":"sha256:00","bundle":{},"surprise":1}"#, #"{"bundle":{}}"#] {
            let malformed = try Self.curl(service, "POST", "/v1/verify/bundle", token: verifier, body: Array(body.utf8))
            #expect(malformed.status == 400, "\(body): \(malformed.body)")
            #expect((Self.json(malformed.body)["error"] as? [String: Any])?["code"] as? String == "usage.invalid-argument")
        }
        // An unknown route under /v1: 404 for an authenticated caller, 401 for anyone else.
        #expect(try Self.curl(service, "GET", "/v1/nothing/here", token: verifier).status == 404)
        #expect(try Self.curl(service, "GET", "/v1/nothing/here").status == 401)
        #expect(service.stop() == 0, "\(service.log.suffix(2000))")
    }

    @Test(
        "grpcio client generated from proto/: the same verification, statuses from the category table",
        .enabled(if: SharedFixtures.isAvailable && TestVenv.isUsable("python")))
    func grpcClient() throws {
        let service = try ServiceProcess()
        let verifier = try service.createAccount("ci", role: "verifier")
        let viewer = try service.createAccount("dash", role: "viewer")
        let body = try service.directory.write("body.json", try Self.verifyBody())
        let rest = Self.json(try Self.curl(service, "POST", "/v1/verify/bundle", token: verifier, body: try Self.verifyBody()).body)
        let results = try Self.grpc(service, token: verifier, ["verify-bundle", body])
        var result = try #require(results.first)
        #expect(result["verdict"] as? String == "pass", "\(result)")
        // The message's proto3 JSON mapping is the REST body (run ids aside; int64 fields print as strings).
        var restDocument = rest
        result["runId"] = nil
        restDocument["runId"] = nil
        #expect(result["identity"] as? String == restDocument["identity"] as? String)
        #expect((result["claims"] as? [String: String]) == (restDocument["claims"] as? [String: String]))
        #expect(Set(result.keys) == Set(restDocument.keys), "gRPC \(result.keys.sorted()) REST \(restDocument.keys.sorted())")

        let missing = try #require(try Self.grpc(service, token: nil, ["verify-bundle", body]).first?["error"] as? [String: Any])
        #expect(missing["status"] as? String == "UNAUTHENTICATED" && missing["code"] as? String == "auth.missing")
        let malformed = try #require(
            try Self.grpc(service, token: nil, ["verify-bundle", body], authorization: "Basic abc").first?["error"] as? [String: Any])
        #expect(malformed["status"] as? String == "UNAUTHENTICATED")
        let forbidden = try #require(try Self.grpc(service, token: viewer, ["verify-bundle", body]).first?["error"] as? [String: Any])
        #expect(forbidden["status"] as? String == "PERMISSION_DENIED" && forbidden["code"] as? String == "auth.forbidden")
        let unknown = try #require(try Self.grpc(service, token: verifier, ["call", "no.such", body]).first?["error"] as? [String: Any])
        #expect(unknown["status"] as? String == "INVALID_ARGUMENT", "\(unknown)")
        #expect(service.stop() == 0)
    }

    @Test("limits: body size 413, gRPC message size RESOURCE_EXHAUSTED, rate 429 with Retry-After, conflicting lengths 400, slow headers cut")
    func limits() throws {
        let work = try TemporaryDirectory()
        let config = try work.write(
            "service.toml",
            """
            [limits]
            max_body_bytes = 4096
            max_grpc_message_bytes = 2048
            max_operation_body_bytes = 1024
            header_timeout_seconds = 1
            [rate_limits.role]
            operator = 2
            """)
        let service = try ServiceProcess(arguments: ["--config", config], directory: work)
        let operatorToken = try service.createAccount("ops", role: "operator")
        let large = try Self.curl(service, "POST", "/v1/verify/bundle", token: operatorToken, body: Array(repeating: UInt8(ascii: " "), count: 5000))
        #expect(large.status == 413, "\(large.body)")
        #expect((Self.json(large.body)["error"] as? [String: Any])?["code"] as? String == "service.body-too-large")
        // A request of 3,000 bytes: within the REST body limit (refused for what it says, 400), over gRPC's message limit.
        let digest = "sha256:" + String(repeating: "a", count: 64)
        let midsize = try work.write("midsize.json", #"{"artifactDigest": "\#(digest)", "bundleJson": "\#(String(repeating: "x", count: 2900))"}"#)
        let rest = try Self.curl(
            service, "POST", "/v1/verify/bundle", token: operatorToken, body: Array(try String(contentsOfFile: midsize, encoding: .utf8).utf8))
        #expect(rest.status == 400, "\(rest.body)")
        // An operation's request over its own limit (1,024 bytes here): 413 over REST (tasks too), RESOURCE_EXHAUSTED over gRPC.
        let files = #"{"files": [\#(Array(repeating: "\"/tmp/a\"", count: 200).joined(separator: ","))]}"#
        let operation = try Self.curl(service, "POST", "/v1/digest/files", token: operatorToken, body: Array(files.utf8))
        #expect(operation.status == 413 && (Self.json(operation.body)["error"] as? [String: Any])?["code"] as? String == "service.body-too-large")
        let task = try Self.curl(
            service, "POST", "/v1/tasks", token: operatorToken, body: Array(#"{"operation": "digest.files", "request": \#(files)}"#.utf8))
        #expect(task.status == 413, "\(task.body)")
        let called = try #require(
            try Self.grpc(service, token: operatorToken, ["call", "digest.files", try work.write("files.json", files)]).first?["error"]
                as? [String: Any])
        #expect(called["status"] as? String == "RESOURCE_EXHAUSTED", "\(called)")
        let grpc = try #require(try Self.grpc(service, token: operatorToken, ["verify-bundle", midsize]).first?["error"] as? [String: Any])
        #expect(grpc["status"] as? String == "RESOURCE_EXHAUSTED" && grpc["code"] as? String == "service.body-too-large", "\(grpc)")
        // Two operator calls per minute: the third is refused with Retry-After.
        var statuses: [Int] = []
        var last = ""
        for _ in 0..<3 {
            let call = try Self.curl(service, "POST", "/v1/wheelhouse/pack", token: operatorToken, body: Array("[]".utf8))
            statuses.append(call.status)
            last = call.headers
        }
        #expect(statuses[0] == 400 && statuses[1] == 400 && statuses[2] == 429, "\(statuses)")
        #expect(last.lowercased().contains("retry-after:"), "\(last)")
        // Verifier-level calls are not limited by default.
        for _ in 0..<4 { #expect(try Self.curl(service, "POST", "/v1/verify/bundle", token: operatorToken, body: Array("{}".utf8)).status == 400) }

        let port = try #require(Int(service.restURL.split(separator: ":").last ?? ""))
        // Content-Length and Transfer-Encoding together: 400 and the connection closed.
        let conflicting = try RawHTTP.exchange(
            port: port,
            "POST /v1/verify/bundle HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        #expect(conflicting.hasPrefix("HTTP/1.1 400"), "\(conflicting)")
        // Headers trickled one byte at a time: the connection is closed after the header timeout.
        let slow = try RawHTTP.trickle(port: port, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + String(repeating: "a", count: 100), interval: 0.2)
        #expect(slow.closedAfter < 5, "the connection stayed open \(slow.closedAfter) s")
        #expect(slow.sentBytes < 100)
        #expect(service.stop() == 0)
    }
}

extension ServiceTests {
    /// The request body bytes serve holds now (`hephaestus_server_request_body_bytes` on /metrics).
    static func heldBodyBytes(_ service: ServiceProcess) throws -> Int? {
        let metrics = try curl(service, "GET", "/metrics")
        let line = metrics.body.split(separator: "\n").first { $0.hasPrefix("hephaestus_server_request_body_bytes ") }
        return line.flatMap { Double($0.split(separator: " ")[1]) }.map { Int($0) }
    }

    /// Waits until serve holds exactly `bytes` of request bodies (a state the test needs before its next request; it
    /// fails rather than wait more than 30 s).
    static func waitForHeldBodyBytes(_ service: ServiceProcess, _ bytes: Int) throws {
        let deadline = Date().addingTimeInterval(30)
        var held: Int?
        repeat {
            held = try heldBodyBytes(service)
            if held == bytes { return }
        } while Date() < deadline
        Issue.record("serve holds \(held.map(String.init) ?? "no") body bytes, not \(bytes)")
    }

    @Test(
        "body budget: while one request holds every body byte serve takes, the next gets 503 service.busy (gRPC: UNAVAILABLE), audited; both are taken once it lets go",
        .enabled(if: SharedFixtures.isAvailable))
    func bodyBudget() throws {
        let work = try TemporaryDirectory()
        let body = try Self.verifyBody()
        let budget = body.count + 1000
        let config = try work.write("service.toml", "[limits]\nmax_body_bytes = \(budget)\nmax_body_bytes_in_flight = \(budget)\n")
        let service = try ServiceProcess(arguments: ["--config", config], directory: work)
        let token = try service.createAccount("ci", role: "verifier")
        let bodyFile = try work.write("verify.json", body)
        let port = try #require(Int(service.restURL.split(separator: ":").last ?? ""))

        // A client that declares the largest body and sends one byte of it holds the whole budget.
        let holder = try RawHTTP.connect(port)
        let head =
            "POST /v1/verify/bundle HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\nContent-Type: application/json\r\n"
            + "Content-Length: \(budget)\r\n\r\n{"
        _ = Array(head.utf8).withUnsafeBytes { send(holder, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        try Self.waitForHeldBodyBytes(service, budget)

        let busy = try Self.curl(service, "POST", "/v1/verify/bundle", token: token, body: body)
        #expect(busy.status == 503, "\(busy.body)")
        #expect((Self.json(busy.body)["error"] as? [String: Any])?["code"] as? String == "service.busy", "\(busy.body)")
        #expect(busy.headers.lowercased().contains("retry-after: 1"), "\(busy.headers)")
        // The token is checked before any body byte is taken: a caller without one is told so, not that serve is busy.
        #expect(try Self.curl(service, "POST", "/v1/verify/bundle", body: body).status == 401)
        let grpcBusy = try Self.grpc(service, token: token, ["verify-bundle", bodyFile])
        let grpcError = grpcBusy.first?["error"] as? [String: Any]
        #expect(grpcError?["status"] as? String == "UNAVAILABLE" && grpcError?["code"] as? String == "service.busy", "\(grpcBusy)")

        close(holder)
        try Self.waitForHeldBodyBytes(service, 0)
        let verified = try Self.curl(service, "POST", "/v1/verify/bundle", token: token, body: body)
        #expect(verified.status == 200 && Self.json(verified.body)["verdict"] as? String == "pass", "\(verified.body)")
        let grpcVerified = try Self.grpc(service, token: token, ["verify-bundle", bodyFile])
        #expect(grpcVerified.first?["verdict"] as? String == "pass", "\(grpcVerified)")
        try Self.waitForHeldBodyBytes(service, 0)

        let audit = try HephaestusBinary.run(["audit", "show", "--store", service.store, "--json"])
        let records = (Self.json(audit.stdoutText)["records"] as? [[String: Any]]) ?? []
        let refusals = records.filter { $0["code"] as? String == "service.busy" }
        #expect(Set(refusals.compactMap { $0["status"] as? String }) == ["503", "UNAVAILABLE"], "\(refusals)")
        #expect(refusals.allSatisfy { $0["account"] as? String == "ci" && $0["operation"] as? String == "verify.bundle" }, "\(refusals)")
        #expect(try HephaestusBinary.run(["audit", "verify", "--store", service.store]).status == 0)
        #expect(service.stop() == 0)
    }

    @Test(
        "SIGTERM with a VerifyBatch stream its client keeps open: the drain ends it once the request timeout and the workers' grace have passed, exit 0",
        .enabled(if: SharedFixtures.isAvailable && TestVenv.isUsable("python")))
    func drainEndsOpenStreams() async throws {
        let work = try TemporaryDirectory()
        let config = try work.write("service.toml", "[limits]\nrequest_timeout_seconds = 1\n")
        let service = try ServiceProcess(arguments: ["--config", config], directory: work)
        let token = try service.createAccount("ci", role: "verifier")
        let batch = try work.write("batch.json", #"{"items": ["# + String(decoding: try Self.verifyBody(), as: UTF8.self) + "]}")
        let client = Process()
        client.executableURL = URL(fileURLWithPath: try #require(TestVenv.tool("python")))
        client.arguments = [
            TestVenv.projectRoot.appendingPathComponent("fixtures/service/grpc_client.py").path, "--address", try #require(service.grpcAddress),
            "--token", token, "verify-batch-held-open", batch,
        ]
        let output = Pipe()
        client.standardOutput = output
        try client.run()
        defer { if client.isRunning { client.terminate() } }
        let first = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        #expect(first.contains(#""verdict": "pass""#), "\(first)")

        let signalled = Date()
        service.process.terminate()
        try await TaskRecoveryTests.wait(seconds: 90, "serve to exit after SIGTERM") { !service.process.isRunning }
        #expect(service.stop() == 0)
        // The longer of the request timeout (1 s) and the workers' grace (20 s), and the drain's 10 s margin.
        #expect(Date().timeIntervalSince(signalled) < 60)
        try await TaskRecoveryTests.wait(seconds: 10, "the client's call to end") { !client.isRunning }
        let rest = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(rest.contains(#""status": "CANCELLED""#), "the stream was reset: \(rest)")
    }

    @Test("Audit records name what a request acts on: the account revoked, the task read, cancelled or watched (REST and gRPC)")
    func auditTargets() throws {
        let service = try ServiceProcess()
        let admin = try service.createAccount("root", role: "admin")
        _ = try service.createAccount("bob", role: "viewer")
        #expect(try Self.curl(service, "DELETE", "/v1/accounts/bob", token: admin).status == 200)
        let started = try Self.curl(
            service, "POST", "/v1/tasks", token: admin, body: Array(#"{"operation":"inventory.scan","request":{"repositories":["o/r"]}}"#.utf8))
        let task = try #require(Self.json(started.body)["id"] as? String, "\(started.body)")
        #expect(try Self.curl(service, "GET", "/v1/tasks/\(task)", token: admin).status == 200)
        _ = try Self.grpc(service, token: admin, ["cancel", task])
        let audit = try HephaestusBinary.run(["audit", "show", "--store", service.store, "--json"])
        let records = (Self.json(audit.stdoutText)["records"] as? [[String: Any]]) ?? []
        let targets = records.compactMap { record in
            (record["target"] as? String).map { "\(record["operation"] ?? "") \(record["transport"] ?? "") \($0)" }
        }
        #expect(targets.contains("accounts.revoke rest bob"), "\(targets)")
        #expect(targets.contains { $0.hasSuffix(" rest \(task)") }, "\(targets)")
        #expect(targets.contains { $0.hasSuffix(" grpc \(task)") }, "\(targets)")
        #expect(service.stop() == 0)
    }

    @Test("POST /v1/accounts with a body that is not a JSON object (a string, an array, broken JSON) is 400, not a server error")
    func accountsBodyNotAnObject() throws {
        let service = try ServiceProcess()
        let admin = try service.createAccount("root", role: "admin")
        for body in [#""AAA""#, "[]", "{", "12"] {
            let answer = try Self.curl(service, "POST", "/v1/accounts", token: admin, body: Array(body.utf8))
            #expect(answer.status == 400, "\(body): \(answer.status) \(answer.body)")
            #expect((Self.json(answer.body)["error"] as? [String: Any])?["code"] as? String == "usage.invalid-argument", "\(answer.body)")
        }
        #expect(service.stop() == 0)
    }

    @Test("POST /v1/tasks checks the token before it reserves the body: a caller without an account is told 401 at once and holds nothing")
    func tasksBodyAfterToken() throws {
        let work = try TemporaryDirectory()
        let service = try ServiceProcess(arguments: [], directory: work)
        let port = try #require(Int(service.restURL.split(separator: ":").last ?? ""))
        // The largest task request, declared and never sent: it would reserve 8 MiB of the 32 MiB budget until the
        // request timeout (four such callers would have held all of it).
        let holder = try RawHTTP.connect(port)
        defer { close(holder) }
        let head = "POST /v1/tasks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1048576\r\n\r\n{"
        _ = Array(head.utf8).withUnsafeBytes { send(holder, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var answer = [UInt8](repeating: 0, count: 4096)
        let count = recv(holder, &answer, answer.count, 0)  // at most 10 s (the socket's timeout)
        let response = count > 0 ? String(decoding: answer[0..<count], as: UTF8.self) : ""
        #expect(response.hasPrefix("HTTP/1.1 401"), "\(response)")
        #expect(response.contains("auth.missing"), "\(response)")
        try Self.waitForHeldBodyBytes(service, 0)
        let audit = try HephaestusBinary.run(["audit", "show", "--store", service.store, "--json"])
        let records = (Self.json(audit.stdoutText)["records"] as? [[String: Any]]) ?? []
        #expect(records.contains { $0["operation"] as? String == "tasks.start" && $0["status"] as? String == "401" }, "\(records)")
        #expect(service.stop() == 0)
    }
}

/// fixtures/service/hold_store.py: SQLite's write lock on a service store, taken while a task is certainly running.
struct StoreLockHolder {
    let process = Process()
    let input = Pipe()
    let output = Pipe()

    init(store: String, task: String) throws {
        process.executableURL = URL(fileURLWithPath: try #require(TestVenv.tool("python")))
        process.arguments = [TestVenv.projectRoot.appendingPathComponent("fixtures/service/hold_store.py").path, store, task]
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        guard line.hasPrefix("held") else {
            process.waitUntilExit()
            throw ServiceProcess.Failure("hold_store.py did not take the lock (exit \(process.terminationStatus)); see its stderr")
        }
    }

    /// Closes the holder's standard input: it rolls back and exits.
    func release() throws {
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }
}

extension ServiceTests {
    /// A `verify batch` list of `count` lines repeating the genuine production bundle: a long-running operation that
    /// changes nothing (so an interrupted run may run again).
    static func batchList(in directory: TemporaryDirectory, count: Int) throws -> String {
        let line = try JSONSerialization.data(
            withJSONObject: [
                "bundle": genuine.appendingPathComponent("bundle_v3_github.whl.sigstore").path,
                "artifact": genuine.appendingPathComponent("bundle_v3_github.whl").path, "identity": identity, "issuer": issuer,
            ], options: [.sortedKeys])
        var text = ""
        for _ in 0..<count { text += String(decoding: line, as: UTF8.self) + "\n" }
        return try directory.write("list-\(count).jsonl", text)
    }

    static func startTask(_ service: ServiceProcess, token: String, list: String, jobs: Int? = nil) throws -> String {
        var request: [String: Any] = ["list": list, "trust": [String: String]()]
        if let jobs { request["jobs"] = jobs }
        let body = try JSONSerialization.data(withJSONObject: ["operation": "verify.batch", "request": request])
        let started = try curl(service, "POST", "/v1/tasks", token: token, body: Array(body))
        #expect(started.status == 202, "\(started.body)")
        return try #require(json(started.body)["id"] as? String, "\(started.body)")
    }

    /// Reads the task's events with httpx-sse (fixtures/service/rest_events.py).
    static func events(_ service: ServiceProcess, token: String, task: String, options: [String] = []) throws -> [[String: Any]] {
        let python = try #require(TestVenv.tool("python"))
        let script = TestVenv.projectRoot.appendingPathComponent("fixtures/service/rest_events.py").path
        let result = try ProcessResult.run(python, [script, service.restURL, token, task] + options)
        #expect(result.status == 0, "\(result.stderrText.suffix(1500))")
        return result.stdoutText.split(separator: "\n").map { json(String($0)) }
    }

    @Test(
        "tasks: POST /v1/tasks, events over SSE with ids, a stream resumed with Last-Event-ID",
        .enabled(if: SharedFixtures.isAvailable && TestVenv.isUsable("python")))
    func tasksAndEvents() throws {
        let service = try ServiceProcess()
        let token = try service.createAccount("ci", role: "verifier")
        let task = try Self.startTask(service, token: token, list: try Self.batchList(in: service.directory, count: 50))
        let all = try Self.events(service, token: token, task: task)
        let types = all.compactMap { $0["event"] as? String }
        #expect(types.first == "queued" && types.contains("started") && types.last == "succeeded", "\(types)")
        #expect(all.compactMap { Int($0["id"] as? String ?? "") } == Array(1...all.count))
        #expect(all.allSatisfy { ($0["data"] as? [String: Any])?["type"] as? String == $0["event"] as? String })
        // Two events, disconnect, resume after the second: the rest, nothing twice, nothing lost.
        let first = try Self.events(service, token: token, task: task, options: ["--stop-after", "2"])
        let rest = try Self.events(service, token: token, task: task, options: ["--last-event-id", "2"])
        #expect((first + rest).compactMap { $0["id"] as? String } == all.compactMap { $0["id"] as? String })
        let status = Self.json(try Self.curl(service, "GET", "/v1/tasks/\(task)", token: token).body)
        #expect(status["status"] as? String == "succeeded" && status["attempts"] as? Int == 1, "\(status)")
        #expect((status["report"] as? [String: Any])?["mediaType"] as? String == "application/vnd.hephaestus.verification-batch+json;version=1")
        // gRPC Watch streams the same events.
        let watched = try Self.grpc(service, token: token, ["watch", task])
        #expect(watched.compactMap { $0["type"] as? String } == types)
        #expect(service.stop() == 0)
    }

    @Test(
        "kill -9 during a running task, restart: it resumes (read-only: run again) and ends once",
        .enabled(if: SharedFixtures.isAvailable && TestVenv.isUsable("python")))
    func killDuringTask() throws {
        let directory = try TemporaryDirectory(prefix: "hephaestus-serve-kill")
        let first = try ServiceProcess(directory: directory)
        let token = try first.createAccount("ci", role: "verifier")
        // One verification at a time over a list long enough to be running for a while after its first result.
        let lines = 1_000
        let task = try Self.startTask(first, token: token, list: try Self.batchList(in: directory, count: lines), jobs: 1)
        // Hold the store's write lock once the worker has persisted a result, so the task cannot end, then kill.
        let holder = try StoreLockHolder(store: directory.file("service.sqlite"), task: task)
        first.kill()
        try holder.release()
        let second = try ServiceProcess(directory: directory)
        let events = try Self.events(second, token: token, task: task)
        let types = events.compactMap { $0["event"] as? String }
        let terminal = types.filter { ["succeeded", "failed", "cancelled"].contains($0) }
        #expect(terminal.count == 1 && types.last == terminal.first, "\(types.suffix(5))")
        // Killed while running: no outcome before the second start, which ran the whole list again (read-only).
        let restart = try #require(types.indices.filter { types[$0] == "started" }.last)
        #expect(types.filter { $0 == "started" }.count == 2, "\(types.prefix(5))")
        #expect(!types[..<restart].contains { terminal.contains($0) }, "the first attempt ended before the kill: \(types.prefix(8))")
        #expect(types[restart...].filter { $0 == "progress" }.count >= lines, "\(types.count) events")
        let status = Self.json(try Self.curl(second, "GET", "/v1/tasks/\(task)", token: token).body)
        #expect(status["status"] as? String == "succeeded" || (status["error"] as? [String: Any])?["message"] != nil, "\(status)")
        #expect(status["attempts"] as? Int == 2, "\(status)")
        #expect(second.stop() == 0)
    }

    @Test("schemathesis against /v1/openapi.json finds no server error", .enabled(if: TestVenv.isUsable("schemathesis")))
    func schemathesis() throws {
        let service = try ServiceProcess()
        let token = try service.createAccount("fuzz", role: "verifier")
        let tool = try #require(TestVenv.tool("schemathesis"))
        let result = try ProcessResult.run(
            tool,
            [
                "run", "\(service.restURL)/v1/openapi.json", "--header", "Authorization: Bearer \(token)", "--checks", "not_a_server_error",
                "--max-examples", "10", "--no-color",
            ], in: service.directory.path, environment: ProcessInfo.processInfo.environment.merging(["SCHEMATHESIS_HOOKS": ""]) { $1 })
        #expect(result.status == 0, "\(result.stdoutText.suffix(3000)) \(result.stderrText.suffix(1000))")
        #expect(service.stop() == 0)
    }
}

/// HTTP/1.1 over a raw socket, for what curl will not send.
enum RawHTTP {
    static func connect(_ port: Int) throws -> Int32 {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let status = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { Foundation.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard status == 0 else { throw ServiceProcess.Failure("connect to 127.0.0.1:\(port) failed") }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return socket
    }

    /// Sends `request` and reads until the server closes (or 10 s).
    static func exchange(port: Int, _ request: String) throws -> String {
        let socket = try connect(port)
        defer { close(socket) }
        _ = Array(request.utf8).withUnsafeBytes { send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(socket, &buffer, buffer.count, 0)
            if count <= 0 { break }
            response += buffer[0..<count]
        }
        return String(decoding: response, as: UTF8.self)
    }

    /// Sends `text` one byte every `interval` seconds until the server closes the connection; how long that took and
    /// how many bytes went out.
    static func trickle(port: Int, _ text: String, interval: Double) throws -> (closedAfter: Double, sentBytes: Int) {
        let socket = try connect(port)
        defer { close(socket) }
        let start = Date()
        var sent = 0
        for byte in Array(text.utf8) {
            var value = byte
            if send(socket, &value, 1, Int32(MSG_NOSIGNAL)) != 1 { break }
            sent += 1
            // Closed by the server? A read that returns 0 (or fails) says so.
            var pollDescriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            if poll(&pollDescriptor, 1, Int32(interval * 1000)) > 0 {
                var sink = [UInt8](repeating: 0, count: 256)
                if recv(socket, &sink, sink.count, 0) <= 0 { break }
            }
        }
        return (Date().timeIntervalSince(start), sent)
    }
}
