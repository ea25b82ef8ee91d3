import Foundation
import HephaestusTestSupport
import Testing

/// `hephaestus serve`'s telemetry against real counterparts on loopback: Debian's Prometheus server scraping
/// `/metrics` (and promtool linting it), the OTLP receiver (grpcio, opentelemetry-proto) receiving the request spans
/// of REST and gRPC calls, headless Chromium rendering the dashboard.
@Suite(
    "serve: /metrics, request spans and the dashboard",
    .serialized,
    .enabled(if: FileManager.default.isExecutableFile(atPath: HephaestusBinary.serverPath), "hephaestus-server is not built"))
struct ServiceTelemetryTests {
    static let inCI = ProcessInfo.processInfo.environment["HEPHAESTUS_TEST_VENV"] != nil

    static func curl(_ arguments: [String]) throws -> (status: Int, body: String) {
        let result = try ProcessResult.runTool("curl", ["-sS", "-w", "\n%{http_code}"] + arguments)
        let text = result.stdoutText
        let split = text.lastIndex(of: "\n") ?? text.endIndex
        return (Int(text[split...].trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1, String(text[..<split]))
    }

    static func verify(
        _ service: ServiceProcess, token: String, artifact: String = "bundle_v3_github.whl", traceparent: String? = nil
    ) throws
        -> (status: Int, headers: String, body: String)
    {
        try ServiceTests.curl(
            service, "POST", "/v1/verify/bundle", token: token, body: try ServiceTests.verifyBody(artifact: artifact),
            headers: traceparent.map { ["traceparent: \($0)"] } ?? [])
    }

    /// Waits for `condition` (polled every 50 ms) up to `seconds`; false when it never held.
    static func eventually(_ seconds: Double = 30, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            usleep(50_000)
        }
        return try condition()
    }

    // MARK: - Prometheus

    /// Debian's Prometheus server on a loopback port, scraping `target` every second.
    final class PrometheusServer {
        let directory: TemporaryDirectory
        let process = Process()
        let url: String

        init(target: String, credentialsFile: String?) throws {
            directory = try TemporaryDirectory(prefix: "prometheus")
            let port = try ClosedLoopbackPort().port
            url = "http://127.0.0.1:\(port)"
            var config = """
                global:
                  scrape_interval: 1s
                  scrape_timeout: 1s
                scrape_configs:
                  - job_name: hephaestus
                    metrics_path: /metrics
                    static_configs:
                      - targets: ['\(target)']

                """
            if let credentialsFile {
                config += "    authorization:\n      type: Bearer\n      credentials_file: \(credentialsFile)\n"
            }
            let configFile = try directory.write("prometheus.yml", config)
            process.executableURL = URL(fileURLWithPath: try #require(ToolLocator.find("prometheus")))
            process.arguments = [
                "--config.file=\(configFile)", "--storage.tsdb.path=\(directory.file("data"))", "--web.listen-address=127.0.0.1:\(port)",
            ]
            let log = directory.file("prometheus.log")
            FileManager.default.createFile(atPath: log, contents: nil)
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            process.standardOutput = FileHandle.nullDevice
            try process.run()
        }

        deinit {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
        }

        /// The result vector of an instant query (`[{"metric": {...}, "value": [t, "v"]}]`); empty while it is not up.
        func query(_ expression: String) throws -> [[String: Any]] {
            let response = try ServiceTelemetryTests.curl(["--data-urlencode", "query=\(expression)", "\(url)/api/v1/query"])
            guard response.status == 200, let document = ServiceTests.json(response.body)["data"] as? [String: Any] else { return [] }
            return document["result"] as? [[String: Any]] ?? []
        }

        /// The sum of an instant query's values (0 when empty).
        func value(_ expression: String) throws -> Double {
            try query(expression).compactMap { (($0["value"] as? [Any])?.last as? String).flatMap(Double.init) }.reduce(0, +)
        }

        var log: String { (try? String(contentsOfFile: directory.file("prometheus.log"), encoding: .utf8)) ?? "" }
    }

    @Test(
        "Prometheus scrapes /metrics with the scrape token: up, request, operation and verification series move; promtool has nothing to say",
        .enabled(if: SharedFixtures.isAvailable))
    func prometheusScrapesServe() throws {
        guard ToolLocator.find("prometheus") != nil, let promtool = ToolLocator.find("promtool") else {
            #expect(!Self.inCI, "prometheus and promtool (Debian package prometheus) are required")
            return
        }
        let directory = try TemporaryDirectory(prefix: "hephaestus-serve")
        let tokenFile = try directory.write("metrics-token", "scrape-token-0123456789abcdef\n")
        let config = try directory.write("serve.toml", "[metrics]\ntoken_file = \"\(tokenFile)\"\n")
        let service = try ServiceProcess(arguments: ["--config", config], directory: directory)
        let verifier = try service.createAccount("ci", role: "verifier")

        // Without the scrape token: 401 with the service's error document; with it: the text format.
        let refused = try Self.curl([service.restURL + "/metrics"])
        #expect(refused.status == 401 && refused.body.contains("service.metrics-token-required"), "\(refused)")
        let wrong = try Self.curl(["-H", "Authorization: Bearer scrape-token-0123456789abcdeX", service.restURL + "/metrics"])
        #expect(wrong.status == 401)
        #expect(try Self.verify(service, token: verifier).status == 200)
        let scraped = try Self.curl(["-H", "Authorization: Bearer scrape-token-0123456789abcdef", service.restURL + "/metrics"])
        #expect(scraped.status == 200)
        #expect(scraped.body.contains(#"hephaestus_http_server_requests_total{method="POST",route="/v1/verify/bundle",status="200"} 1"#))
        #expect(scraped.body.contains(#"hephaestus_operations_total{operation="verify.bundle",outcome="success"} 1"#))
        #expect(scraped.body.contains(#"hephaestus_tasks{status="queued"} 0"#))
        #expect(scraped.body.contains("# TYPE hephaestus_http_server_request_duration_seconds histogram"))
        let lint = try ProcessResult.run(promtool, ["check", "metrics"], stdin: Array(scraped.body.utf8))
        #expect(lint.status == 0 && lint.stdoutText.isEmpty && lint.stderrText.isEmpty, "\(lint.stdoutText)\(lint.stderrText)")

        let prometheus = try PrometheusServer(target: String(service.restURL.dropFirst("http://".count)), credentialsFile: tokenFile)
        #expect(try Self.eventually(60) { try prometheus.value(#"up{job="hephaestus"}"#) == 1 }, "\(prometheus.log)")
        let before = try prometheus.value(#"hephaestus_http_server_requests_total{route="/v1/verify/bundle"}"#)
        // Known requests: two verifications that pass, one that fails (another artifact), one without a token, over gRPC one.
        #expect(try Self.verify(service, token: verifier).status == 200)
        #expect(try Self.verify(service, token: verifier).status == 200)
        #expect(try Self.verify(service, token: verifier, artifact: "a.txt").status == 200)
        #expect(try ServiceTests.curl(service, "GET", "/v1/operations").status == 401)
        let body = try service.directory.write("grpc.json", try ServiceTests.verifyBody())
        _ = try ServiceTests.grpc(service, token: verifier, ["verify-bundle", body])
        #expect(
            try Self.eventually(30) {
                try prometheus.value(#"hephaestus_http_server_requests_total{route="/v1/verify/bundle"}"#) >= before + 3
            }, "the request counter moves")
        #expect(try prometheus.value(#"hephaestus_http_server_requests_total{route="/v1/operations",status="401"}"#) == 1)
        #expect(
            try Self.eventually(10) {
                try prometheus.value(#"hephaestus_grpc_server_calls_total{service="hephaestus.v1.Verification",method="VerifyBundle",code="OK"}"#)
                    == 1
            })
        #expect(try prometheus.value(#"hephaestus_operations_total{operation="verify.bundle",outcome="success"}"#) == 4)
        #expect(try prometheus.value(#"hephaestus_operations_total{operation="verify.bundle",outcome="failure"}"#) == 1)
        #expect(try prometheus.value(#"hephaestus_verification_failures_total{code="verify.artifact-mismatch"}"#) == 1)
        #expect(try prometheus.value(#"hephaestus_http_server_request_duration_seconds_count{route="/v1/verify/bundle"}"#) >= 4)
        #expect(try !prometheus.query(#"hephaestus_tasks{status="queued"}"#).isEmpty)
        #expect(try !prometheus.query(#"hephaestus_operation_duration_seconds_bucket{operation="verify.bundle",le="+Inf"}"#).isEmpty)
        #expect(service.stop() == 0)
    }

    // MARK: - Spans

    static func traceparent() -> (header: String, traceID: String, parentID: String) {
        let traceID = (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        let parentID = (0..<8).map { _ in String(format: "%02x", UInt8.random(in: 1...255)) }.joined()
        return ("00-\(traceID)-\(parentID)-01", traceID, parentID)
    }

    @Test(
        "REST and gRPC requests are server spans continuing the caller's traceparent, with the operation and verification spans under them",
        .enabled(if: SharedFixtures.isAvailable && OTLPReceiver.python != nil))
    func requestSpansContinueTheTrace() throws {
        let receiver = try OTLPReceiver()
        let service = try ServiceProcess(environment: [
            "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.grpcEndpoint, "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc", "OTEL_BSP_SCHEDULE_DELAY": "100",
            "OTEL_SERVICE_NAME": "hephaestus-serve-test",
        ])
        let verifier = try service.createAccount("ci", role: "verifier")
        let rest = Self.traceparent()
        let passed = try Self.verify(service, token: verifier, traceparent: rest.header)
        #expect(passed.status == 200)
        let failing = Self.traceparent()
        #expect(try Self.verify(service, token: verifier, artifact: "a.txt", traceparent: failing.header).status == 200)
        let unauthenticated = Self.traceparent()
        #expect(try ServiceTests.curl(service, "GET", "/v1/operations", headers: ["traceparent: \(unauthenticated.header)"]).status == 401)
        let grpc = Self.traceparent()
        let body = try service.directory.write("grpc.json", try ServiceTests.verifyBody())
        let answer = try ServiceTests.grpc(service, token: verifier, ["--traceparent", grpc.header, "verify-bundle", body])
        #expect(answer.first?["verdict"] as? String == "pass")

        func spans(of trace: String) throws -> [[String: Any]] { try receiver.spans().filter { $0["trace_id"] as? String == trace } }
        // A server span ends after its response is written, so it may be exported in a later batch than its children:
        // wait for it in both traces.
        func complete(_ trace: String) throws -> Bool {
            let found = try spans(of: trace)
            return found.count >= 3 && found.contains { $0["kind"] as? String == "SPAN_KIND_SERVER" }
        }
        #expect(try Self.eventually(30) { try complete(grpc.traceID) && complete(rest.traceID) })

        // REST: POST /v1/verify/bundle (server) <- verify.bundle <- sigstore.verify <- its steps.
        let restSpans = try spans(of: rest.traceID)
        let server = try #require(restSpans.first { $0["kind"] as? String == "SPAN_KIND_SERVER" }, "\(restSpans)")
        #expect(server["name"] as? String == "POST /v1/verify/bundle")
        #expect(server["parent_span_id"] as? String == rest.parentID, "the caller's span is the parent")
        let attributes = server["attributes"] as? [String: Any] ?? [:]
        #expect(attributes["http.request.method"] as? String == "POST")
        #expect(attributes["http.route"] as? String == "/v1/verify/bundle")
        #expect(attributes["url.path"] as? String == "/v1/verify/bundle")
        #expect(attributes["http.response.status_code"] as? Int == 200)
        #expect((attributes["hephaestus.request_id"] as? String).map { passed.headers.lowercased().contains($0) } == true, "X-Request-ID")
        #expect((server["status"] as? [String: Any])?["code"] as? String == "STATUS_CODE_UNSET")
        #expect((server["resource"] as? [String: Any])?["service.name"] as? String == "hephaestus-serve-test")
        let operation = try #require(restSpans.first { $0["name"] as? String == "verify.bundle" })
        #expect(operation["parent_span_id"] as? String == server["span_id"] as? String)
        #expect(operation["kind"] as? String == "SPAN_KIND_INTERNAL")
        let verification = try #require(restSpans.first { $0["name"] as? String == "sigstore.verify" })
        #expect(verification["parent_span_id"] as? String == operation["span_id"] as? String)
        #expect(restSpans.contains { $0["name"] as? String == "sigstore.verify.signature" })

        // A negative verdict: the request succeeded (200, status unset), the operation span failed.
        let failed = try spans(of: failing.traceID)
        let failedOperation = try #require(failed.first { $0["name"] as? String == "verify.bundle" })
        #expect((failedOperation["status"] as? [String: Any])?["code"] as? String == "STATUS_CODE_ERROR")
        #expect((failedOperation["attributes"] as? [String: Any])?["error.type"] as? String == "verify.artifact-mismatch")
        #expect(
            (failed.first { $0["kind"] as? String == "SPAN_KIND_SERVER" }?["status"] as? [String: Any])?["code"] as? String == "STATUS_CODE_UNSET")

        // Refused before any operation: one server span, 401 as error.type, no operation span.
        #expect(try Self.eventually(10) { try !spans(of: unauthenticated.traceID).isEmpty })
        let refused = try spans(of: unauthenticated.traceID)
        #expect(refused.count == 1 && refused.first?["name"] as? String == "GET /v1/operations")
        let refusedAttributes = refused.first?["attributes"] as? [String: Any] ?? [:]
        #expect(refusedAttributes["http.response.status_code"] as? Int == 401 && refusedAttributes["error.type"] as? String == "401")

        // gRPC: hephaestus.v1.Verification/VerifyBundle (server) <- verify.bundle.
        let grpcSpans = try spans(of: grpc.traceID)
        let call = try #require(grpcSpans.first { $0["kind"] as? String == "SPAN_KIND_SERVER" }, "\(grpcSpans)")
        #expect(call["name"] as? String == "hephaestus.v1.Verification/VerifyBundle")
        #expect(call["parent_span_id"] as? String == grpc.parentID)
        let rpc = call["attributes"] as? [String: Any] ?? [:]
        #expect(rpc["rpc.system"] as? String == "grpc" && rpc["rpc.service"] as? String == "hephaestus.v1.Verification")
        #expect(rpc["rpc.method"] as? String == "VerifyBundle" && rpc["rpc.grpc.status_code"] as? Int == 0)
        #expect(grpcSpans.first { $0["name"] as? String == "verify.bundle" }?["parent_span_id"] as? String == call["span_id"] as? String)
        #expect(service.stop() == 0)
    }

    @Test(
        "parentbased_ratelimiting: root traces limited to N per second, sampled parents always followed; spans flushed on SIGTERM",
        .enabled(if: OTLPReceiver.python != nil))
    func rateLimitedSamplingAndShutdownFlush() throws {
        let receiver = try OTLPReceiver()
        // An export delay longer than the test: the spans can only arrive through the flush on shutdown.
        let service = try ServiceProcess(environment: [
            "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.httpEndpoint, "OTEL_BSP_SCHEDULE_DELAY": "600000",
            "OTEL_TRACES_SAMPLER": "parentbased_ratelimiting", "OTEL_TRACES_SAMPLER_ARG": "2",
        ])
        let started = Date()
        for _ in 0..<20 { #expect(try Self.curl([service.restURL + "/healthz"]).status == 200) }
        let elapsed = Date().timeIntervalSince(started)
        let parents = (0..<3).map { _ in Self.traceparent() }
        for parent in parents {
            #expect(try Self.curl(["-H", "traceparent: \(parent.header)", service.restURL + "/healthz"]).status == 200)
        }
        #expect(((try? receiver.spans()) ?? []).isEmpty, "nothing exported before the flush")
        #expect(service.stop() == 0)
        let spans = try receiver.spans()
        let roots = spans.filter { ($0["parent_span_id"] as? String ?? "").isEmpty }
        #expect(roots.count >= 1 && Double(roots.count) <= 2 + 2 * elapsed.rounded(.up), "\(roots.count) root traces in \(elapsed) s")
        for parent in parents {
            #expect(spans.contains { $0["trace_id"] as? String == parent.traceID && $0["parent_span_id"] as? String == parent.parentID })
        }
        #expect(spans.allSatisfy { $0["name"] as? String == "GET /healthz" })
    }

    // MARK: - Dashboard

    @Test(
        "dashboard: sign-in by form or one-time link, session cookie flags, cross-site refusals, revocation, what Chromium renders",
        .enabled(if: SharedFixtures.isAvailable))
    func dashboard() throws {
        let service = try ServiceProcess()
        let admin = try service.createAccount("root", role: "admin")
        let viewer = try service.createAccount("watcher", role: "viewer")
        let verifier = try service.createAccount("ci", role: "verifier")
        #expect(try Self.verify(service, token: verifier).status == 200)
        #expect(try Self.verify(service, token: verifier, artifact: "a.txt").status == 200)
        #expect(try ServiceTests.curl(service, "GET", "/v1/operations").status == 401)
        let task = try ServiceTests.startTask(service, token: verifier, list: try ServiceTests.batchList(in: service.directory, count: 2))

        // Without a session: the sign-in form, no data.
        let anonymous = try ServiceTests.curl(service, "GET", "/dashboard")
        #expect(anonymous.status == 200 && anonymous.body.contains("<form method=\"post\" action=\"/dashboard/login\""))
        #expect(!anonymous.body.contains("verify.bundle"))
        #expect(anonymous.headers.lowercased().contains("content-security-policy: default-src 'none'"))
        // A wrong token: refused, audited.
        let form = ["Content-Type: application/x-www-form-urlencoded"]
        let cookies = service.directory.file("cookies.txt")
        let wrong = try Self.curl(["-X", "POST", "-H", form[0], "--data", "token=nope", service.restURL + "/dashboard/login"])
        #expect(wrong.status == 401 && wrong.body.contains("login-error"))
        // Another site posting the form: refused before the token is even looked at.
        let crossSite = try Self.curl([
            "-X", "POST", "-H", form[0], "-H", "Origin: https://evil.example", "--data", "token=\(viewer)", service.restURL + "/dashboard/login",
        ])
        #expect(crossSite.status == 403 && crossSite.body.contains("service.cross-site"), "\(crossSite)")
        // The form: 303 to /dashboard with the session cookie (HttpOnly, SameSite=Strict, scoped to /dashboard).
        let signIn = try Self.curl([
            "-X", "POST", "-H", form[0], "-H", "Origin: \(service.restURL)", "--data-urlencode", "token=\(viewer)", "-c", cookies, "-D", "-",
            service.restURL + "/dashboard/login",
        ])
        #expect(signIn.status == 303, "\(signIn)")
        #expect(signIn.body.contains("HttpOnly; SameSite=Strict") && signIn.body.contains("Path=/dashboard"))
        #expect(!signIn.body.contains(viewer), "the token never comes back")
        let page = try Self.curl(["-b", cookies, service.restURL + "/dashboard"])
        #expect(page.status == 200 && page.body.contains("watcher (viewer)") && page.body.contains("audit-restricted"))

        // Revoking the account ends its session at the next load.
        #expect(try HephaestusBinary.run(["accounts", "revoke", "watcher", "--store", service.store]).status == 0)
        let revoked = try Self.curl(["-b", cookies, service.restURL + "/dashboard"])
        #expect(revoked.status == 401 && revoked.body.contains("revoked"), "\(revoked)")

        // A one-time link for a browser (asked with the admin's bearer token), used once.
        let link = try Self.curl(["-X", "POST", "-H", "Authorization: Bearer \(admin)", service.restURL + "/dashboard/login"])
        let path = try #require(ServiceTests.json(link.body)["url"] as? String, "\(link)")
        #expect(path.hasPrefix("/dashboard/session?code=") && !path.contains(admin))
        let crossSiteLink = try Self.curl(["-H", "Sec-Fetch-Site: cross-site", service.restURL + path])
        #expect(crossSiteLink.status == 403, "a link another site navigates to is refused (and not spent)")

        guard let chromium = ToolLocator.find("chromium") ?? ToolLocator.find("chromium-browser") else {
            #expect(ProcessInfo.processInfo.environment["HEPHAESTUS_REQUIRE_CHROMIUM"] == nil, "chromium is required by this test job")
            return
        }
        let rendered = try ProcessResult.run(
            chromium,
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=\(service.directory.file("chromium"))",
                "--virtual-time-budget=2000", "--dump-dom", service.restURL + path,
            ])
        #expect(rendered.status == 0, "\(rendered.stderrText)")
        let dom = rendered.stdoutText
        #expect(dom.contains("root (admin)"), "signed in through the link: \(dom.prefix(600))")
        #expect(dom.contains("<td>POST /v1/verify/bundle</td><td>2</td>"), "both verifications counted")
        #expect(dom.contains("<td>GET /v1/operations</td><td>1</td><td>0</td>"))
        #expect(dom.contains("<td>verify.bundle</td><td>1</td><td>1</td><td>0</td>"), "one pass, one fail")
        #expect(dom.contains("verify.artifact-mismatch"))
        #expect(dom.contains("id=\"request-chart\"") && dom.contains("<rect x=\"464\" y=\"0\" width=\"14\" height=\"60\">"), "the chart's latest bar")
        #expect(dom.contains("id=\"audit-events\"") && dom.contains("dashboard.login") && dom.contains("auth.revoked"))
        #expect(dom.contains("service.cross-site"), "the refused cross-site link is audited")
        #expect(dom.contains("<td>analytics.ingest</td>") && dom.contains("never run"))
        #expect(dom.contains("<td>\(task.prefix(8))</td><td>verify.batch</td>"), "the task in the recent tasks")
        #expect(!dom.contains(admin) && !dom.contains(verifier), "no token in the page")
        let reused = try Self.curl([service.restURL + path])
        #expect(reused.status == 401, "the link works once")

        let second = try Self.curl(["-X", "POST", "-H", "Authorization: Bearer \(admin)", service.restURL + "/dashboard/login"])
        let secondPath = try #require(ServiceTests.json(second.body)["url"] as? String)
        let shot = service.directory.file("dashboard.png")
        let screenshot = try ProcessResult.run(
            chromium,
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=\(service.directory.file("chromium2"))",
                "--window-size=1280,1400", "--screenshot=\(shot)", service.restURL + secondPath,
            ])
        #expect(screenshot.status == 0)
        let png = try Data(contentsOf: URL(fileURLWithPath: shot))
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        if let destination = ProcessInfo.processInfo.environment["HEPHAESTUS_DASHBOARD_SCREENSHOT"] {
            try? FileManager.default.removeItem(atPath: destination)
            try FileManager.default.copyItem(atPath: shot, toPath: destination)
        }
        #expect(service.stop() == 0)
    }
}
