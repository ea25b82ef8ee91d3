import Foundation
import HephaestusTestSupport
import Testing

/// `POST /v1/analytics/events` of `hephaestus serve`, driven by real clients over loopback: curl for the small bodies,
/// httpx streaming a generated 200 MB body for the memory bound.
@Suite(
    "serve: POST /v1/analytics/events",
    .serialized,
    .enabled(if: FileManager.default.isExecutableFile(atPath: HephaestusBinary.serverPath), "hephaestus-server is not built"))
struct AnalyticsEventsServiceTests {
    static let lines = [
        #"{"time": "2026-01-02T03:04:05Z", "file": "a.py", "kind": "defect"}"#, "{oops",
        #"{"time": "2026-01-02T03:04:05Z", "file": "b.py", "kind": "review", "weight": 2}"#,
        #"{"time": "2026-01-02", "file": "b.py", "kind": "review"}"#,
    ]

    /// The service, with a request timeout long enough for a debug build to ingest 200 MB.
    static func service() throws -> ServiceProcess {
        let directory = try TemporaryDirectory(prefix: "hephaestus-serve")
        let config = try directory.write("serve.toml", "[limits]\nrequest_timeout_seconds = 600\n")
        return try ServiceProcess(arguments: ["--grpc-listen", "off", "--config", config], directory: directory)
    }

    /// The `X-Request-ID` of curl's last response.
    static func requestID(_ headers: String) -> String? {
        headers.split(separator: "\r\n").first { $0.lowercased().hasPrefix("x-request-id:") }.map {
            String($0.dropFirst("x-request-id:".count)).trimmingCharacters(in: .whitespaces)
        }
    }

    @Test("counts exact, malformed lines by number, strict refuses with 422, other roles and bad queries refused; each audited")
    func ingestWithCurl() throws {
        let service = try Self.service()
        let operatorToken = try service.createAccount("ingest-bot", role: "operator")
        let verifierToken = try service.createAccount("ci", role: "verifier")
        let body = Array((Self.lines.joined(separator: "\n") + "\n").utf8)

        let accepted = try ServiceTests.curl(service, "POST", "/v1/analytics/events", token: operatorToken, body: body)
        #expect(accepted.status == 200, "\(accepted.body)")
        let report = ServiceTests.json(accepted.body)
        #expect(report["mediaType"] as? String == "application/vnd.hephaestus.analytics-ingest+json;version=1")
        let summary = try #require(report["summary"] as? [String: Any], "\(accepted.body)")
        #expect(summary["lines"] as? Int == 4 && summary["accepted"] as? Int == 2 && summary["malformed"] as? Int == 2)
        #expect(summary["malformedLines"] as? [Int] == [2, 4])
        #expect(summary["bytes"] as? Int == body.count && summary["stored"] as? Bool == true)
        #expect(report["storedEvents"] as? Int == 2)
        // The service's event store sits beside its store, and the CLI reads and writes the same one by URL.
        let eventStore = service.directory.file("analytics.sqlite")
        #expect(report["store"] as? String == eventStore)
        let cli = try HephaestusBinary.run(
            ["analytics", "ingest", try service.directory.write("more.ndjson", Self.lines[0] + "\n"), "--store", "sqlite://\(eventStore)", "--json"])
        #expect(cli.status == 0, "\(cli.stderrText)")
        #expect(ServiceTests.json(cli.stdoutText)["storedEvents"] as? Int == 3)

        let strict = try ServiceTests.curl(service, "POST", "/v1/analytics/events?strict=true", token: operatorToken, body: body)
        #expect(strict.status == 422, "\(strict.body)")
        let refusedSummary = try #require(ServiceTests.json(strict.body)["summary"] as? [String: Any], "\(strict.body)")
        #expect(refusedSummary["malformedLines"] as? [Int] == [2, 4] && refusedSummary["stored"] as? Bool == false)
        #expect(ServiceTests.json(strict.body)["storedEvents"] as? Int == 3, "nothing more was stored")

        let verifier = try ServiceTests.curl(service, "POST", "/v1/analytics/events", token: verifierToken, body: body)
        #expect(verifier.status == 403, "\(verifier.body)")
        let anonymous = try ServiceTests.curl(service, "POST", "/v1/analytics/events", body: body)
        #expect(anonymous.status == 401, "\(anonymous.body)")
        let misspelt = try ServiceTests.curl(service, "POST", "/v1/analytics/events?strikt=true", token: operatorToken, body: body)
        #expect(misspelt.status == 400 && misspelt.body.contains("unknown query parameter strikt"), "\(misspelt.body)")

        let audit = try HephaestusBinary.run(["audit", "show", "--store", service.store, "--json"])
        #expect(audit.status == 0, "\(audit.stderrText)")
        let records = (ServiceTests.json(audit.stdoutText)["records"] as? [[String: Any]]) ?? []
        for (response, outcome, status) in [
            (accepted, "succeeded", "200"), (strict, "failed", "422"), (verifier, "refused", "403"), (anonymous, "refused", "401"),
            (misspelt, "failed", "400"),
        ] {
            let id = try #require(Self.requestID(response.headers), "\(response.headers)")
            let record = records.last { $0["requestId"] as? String == id }
            #expect(record?["operation"] as? String == "analytics.ingest", "\(id): \(record ?? [:])")
            #expect(record?["outcome"] as? String == outcome && record?["status"] as? String == status, "\(id): \(record ?? [:])")
        }
        #expect(try HephaestusBinary.run(["audit", "verify", "--store", service.store]).status == 0)
        #expect(service.stop() == 0, "\(service.log.suffix(2000))")
    }

    @Test(
        "a 200 MB body streamed with chunked encoding: exact counts, and the service's peak RSS grows by less than 32 MiB",
        .enabled(if: TestVenv.isUsable("python"), "the test venv (httpx) is absent"))
    func largeBodyBoundedMemory() throws {
        let python = try #require(TestVenv.tool("python"), "the test venv has no python")
        let service = try Self.service()
        let token = try service.createAccount("ingest-bot", role: "operator")
        let script = TestVenv.projectRoot.appendingPathComponent("fixtures/service/analytics_events.py").path
        // A first small body, so the peak measured before the large one includes what any request costs.
        let warm = try ProcessResult.run(
            python, [script, service.restURL, token, "--pid", String(service.process.processIdentifier), "--bytes", "1000000"])
        #expect(warm.status == 0, "\(warm.stderrText)")
        let result = try ProcessResult.run(
            python, [script, service.restURL, token, "--pid", String(service.process.processIdentifier), "--bytes", "200000000"])
        #expect(result.status == 0, "\(result.stderrText)")
        let run = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [String: Any], "\(result.stdoutText)")
        #expect(run["status"] as? Int == 200, "\(run["body"] ?? "")")
        let expected = try #require(run["expected"] as? [String: Any])
        let summary = try #require((run["report"] as? [String: Any])?["summary"] as? [String: Any], "\(run["body"] ?? "")")
        #expect((expected["bytes"] as? Int ?? 0) >= 200_000_000)
        for (key, expectedKey) in [
            ("bytes", "bytes"), ("lines", "lines"), ("accepted", "accepted"), ("malformed", "malformed"), ("overlong", "overlong"),
            ("malformedLines", "firstMalformedLines"),
        ] {
            #expect("\(summary[key] ?? "-")" == "\(expected[expectedKey] ?? "+")", "\(key)")
        }
        let before = try #require(run["vmHWMBeforeKiB"] as? Int)
        let after = try #require(run["vmHWMAfterKiB"] as? Int)
        print("POST /v1/analytics/events: \(expected["bytes"] ?? 0) bytes; service VmHWM \(before) KiB before, \(after) KiB after")
        #expect(after - before < 32 * 1024, "the service's peak RSS grew by \(after - before) KiB while ingesting 200 MB")
        #expect(service.stop() == 0, "\(service.log.suffix(2000))")
    }
}
