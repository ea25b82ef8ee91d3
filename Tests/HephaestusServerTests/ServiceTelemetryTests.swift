import CoreMetrics
import Foundation
import HTTPTypes
import HephaestusCore
import HephaestusOperations
import HephaestusPlatform
import HephaestusService
import HephaestusTelemetry
import HephaestusTestSupport
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Synchronization
import Testing
import Tracing

@testable import HephaestusServer

/// The service's telemetry in process: request spans and activity through the REST responder, the dashboard's
/// sessions, model and page, `/metrics` access.
@Suite("serve: telemetry and dashboard, in process")
struct ServiceTelemetryUnitTests {
    static let traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
    static let parentID = "00f067aa0ba902b7"

    /// A service core, gate and store (SQLite) with a viewer and an admin, the telemetry recording spans into a collector.
    struct Setup {
        let directory: TemporaryDirectory
        let store: ServiceStore
        let calls: CallGate
        let telemetry: ServiceTelemetry
        let spans = CollectingSpanProcessor()
        let tokens: [String: String]

        init(tracing: Bool = true) async throws {
            directory = try TemporaryDirectory(prefix: "serve-telemetry")
            store = try ServiceStore.open(.sqlite(path: directory.file("service.sqlite")))
            var tokens: [String: String] = [:]
            for role in [Role.viewer, .admin] {
                tokens[role.rawValue] = try await store.accounts.create(name: "\(role.rawValue)-1", role: role, expiresAt: nil, at: Date()).token.text
            }
            self.tokens = tokens
            let logger = Logger(label: "test")
            let tracer = tracing ? RecordingTracer(sampler: AlwaysOnSampler(), processor: spans) : nil
            telemetry = ServiceTelemetry(
                telemetry: Telemetry(
                    configuration: TelemetryConfiguration(environment: [:]), serviceVersion: "test", redact: { $0 }, report: { _ in }),
                tracer: tracer, settings: MetricsSettings(scrapeToken: "scrape-token-0123456789"), scheduleDelay: .seconds(5))
            let core = ServiceCore(
                verification: BundleVerificationService(roots: try TrustRoots(defaultSelection: .production, extra: [:])), limits: ServiceLimits(),
                logger: logger, serviceStore: store, instrumentation: telemetry.instrumentation)
            calls = CallGate(gate: RequestGate(store: store, logger: logger), core: core)
        }

        func application() throws -> some ApplicationProtocol {
            let router = try RESTRoutes(calls: calls, tasks: TaskService(queue: store.tasks)).router()
            MetricsRoute.register(on: router, telemetry: telemetry, tasks: store.tasks, bodyBudget: calls.core.bodyBudget)
            DashboardRoutes(calls: calls, telemetry: telemetry, tasks: store.tasks, audit: store.audit, secureCookies: true).register(on: router)
            return Application(responder: RESTTelemetryResponder(inner: router.buildResponder(), telemetry: telemetry))
        }
    }

    @Test("a REST request is one server span continuing traceparent, named by its route, with the semantic-convention attributes")
    func restSpans() async throws {
        let setup = try await Setup()
        try await setup.application().test(.router) { client in
            try await client.execute(
                uri: "/v1/operations", method: .get,
                headers: [
                    .authorization: "Bearer \(setup.tokens["viewer"]!)", HTTPField.Name("traceparent")!: "00-\(Self.traceID)-\(Self.parentID)-01",
                ]
            ) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/v1/tasks/nope", method: .get) { response in #expect(response.status == .unauthorized) }
            try await client.execute(uri: "/nowhere", method: .get) { response in #expect(response.status == .notFound) }
        }
        let spans = setup.spans.spans
        #expect(spans.count == 3)
        let first = try #require(spans.first)
        #expect(first.name == "GET /v1/operations" && first.kind == .server)
        #expect(first.context.traceID.description == Self.traceID && first.parentSpanID?.description == Self.parentID)
        #expect(first.attributes.get("http.route") == .string("/v1/operations"))
        #expect(first.attributes.get("http.response.status_code") == .int64(200))
        #expect(first.attributes.get("http.request.method") == .string("GET"))
        #expect(spans[1].name == "GET /v1/tasks/{id}" && spans[1].parentSpanID == nil)
        #expect(spans[1].attributes.get("error.type") == .string("401") && spans[1].status == nil)
        #expect(spans[2].name == "GET" && spans[2].attributes.get("http.route") == nil, "no route matched: the method only")
        let requests = setup.telemetry.activity.requests
        #expect(requests.map(\.route) == ["GET /v1/operations", "GET /v1/tasks/{id}", "GET unmatched"])
        #expect(requests.map(\.status) == ["200", "401", "404"] && !requests.contains(where: \.failed))
    }

    @Test("a task continues the trace of the request that queued it: its operation span is a child of POST /v1/tasks")
    func taskSpans() async throws {
        let setup = try await Setup()
        let taskID = try await setup.application().test(.router) { client in
            try await client.execute(
                uri: "/v1/tasks", method: .post,
                headers: [
                    .authorization: "Bearer \(setup.tokens["admin"]!)", .contentType: "application/json",
                    HTTPField.Name("traceparent")!: "00-\(Self.traceID)-\(Self.parentID)-01",
                ],
                body: ByteBuffer(
                    string:
                        #"{"operation": "inventory.audit", "request": {"inventory": "/nonexistent/inventory.sqlite", "identities": [], "issuers": [], "trust": {}}}"#
                )
            ) { response in
                #expect(response.status == .accepted)
                let task = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                return task?["id"] as? String ?? ""
            }
        }
        let request = try #require(setup.spans.spans.first { $0.name == "POST /v1/tasks" })
        #expect(request.context.traceID.description == Self.traceID)

        let logger = Logger(label: "test")
        let pool = try TaskWorkerPool(
            queue: setup.store.tasks, configuration: .init(replica: "r1", workers: 1, pollInterval: 0.05),
            operations: OperationRegistry.operation(named:),
            logger: logger
        ) { task, progress, cancellation in
            OperationContext(
                runID: RunID(task.id), logger: logger, progress: progress, cancellation: cancellation,
                instrumentation: setup.telemetry.instrumentation, serviceStore: setup.store)
        }
        let running = Task { try await pool.run() }
        for try await event in TaskService(queue: setup.store.tasks, pollInterval: .milliseconds(20)).follow(taskID, after: nil) {
            if event.type.isTerminal { break }
        }
        pool.drain()
        try await running.value
        let finished = try await setup.store.tasks.task(taskID)
        #expect(finished?.status == .failed && finished?.failure?.code == "inventory.missing", "\(String(describing: finished?.failure))")
        let operation = try #require(setup.spans.spans.first { $0.name == "inventory.audit" }, "\(setup.spans.spans.map(\.name))")
        #expect(operation.context.traceID == request.context.traceID, "the task's trace is the request's")
        #expect(operation.parentSpanID == request.context.spanID)
        #expect(operation.status?.code == .error)
    }

    @Test("/metrics needs the scrape token when one is configured; without tracing no span is made")
    func metricsRoute() async throws {
        let setup = try await Setup(tracing: false)
        try await setup.application().test(.router) { client in
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .unauthorized && response.headers[.wwwAuthenticate] == "Bearer realm=\"metrics\"")
            }
            try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer scrape-token-0123456789"]) { response in
                #expect(response.status == .ok && response.headers[.contentType] == MetricsRoute.contentType)
            }
        }
        #expect(setup.spans.spans.isEmpty)
        #expect(setup.telemetry.activity.requests.map(\.status) == ["401", "200"])
        #expect(MetricsSettings().allows(authorization: nil))
        let settings = MetricsSettings(scrapeToken: "abcdefabcdefabcdef")
        #expect(!settings.allows(authorization: nil) && !settings.allows(authorization: "Basic abcdefabcdefabcdef"))
        #expect(!settings.allows(authorization: "Bearer abcdefabcdefabcdeF") && settings.allows(authorization: "Bearer abcdefabcdefabcdef"))
        #expect(!ConstantTime.equal(Array("abc".utf8), Array("abcd".utf8)) && ConstantTime.equal([1, 2], [1, 2]))
    }

    @Test("[metrics] token_file: read, trimmed, refused when short or missing")
    func metricsTokenFile() throws {
        let directory = try TemporaryDirectory()
        let good = try directory.write("token", "  0123456789abcdef0123\n")
        let short = try directory.write("short", "abc\n")
        func settings(_ path: String) throws -> MetricsSettings {
            try MetricsSettings(file: try ConfigurationFile(text: "[metrics]\ntoken_file = \"\(path)\"\n", name: "serve.toml"))
        }
        #expect(try settings(good).scrapeToken == "0123456789abcdef0123")
        #expect(throws: RequestError.self) { try settings(short) }
        #expect(throws: RequestError.self) { try settings(directory.file("missing")) }
        #expect(try MetricsSettings(file: nil).scrapeToken == nil)
        let parsed = try ServeCommand.parse(["--config", try directory.write("serve.toml", "[metrics]\ntoken_file = \"\(good)\"\n")])
        #expect(try parsed.settings(environment: [:]).metrics.scrapeToken == "0123456789abcdef0123")
    }

    @Test("dashboard: the form signs in (cookie flags), pages are gated and audited, other sites are refused, sign-out ends the session")
    func dashboardSessions() async throws {
        let setup = try await Setup(tracing: false)
        let admin = setup.tokens["admin"]!
        try await setup.application().test(.router) { client in
            try await client.execute(uri: "/dashboard", method: .get) { response in
                #expect(response.status == .ok && String(buffer: response.body).contains("action=\"/dashboard/login\""))
                #expect(response.headers[.contentSecurityPolicy] == DashboardPage.contentSecurityPolicy)
            }
            try await client.execute(
                uri: "/dashboard/login", method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded", .origin: "https://evil.example"],
                body: ByteBuffer(string: "token=\(admin)")
            ) { response in #expect(response.status == .forbidden) }
            try await client.execute(
                uri: "/dashboard/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "token=wrong")
            ) { response in #expect(response.status == .unauthorized) }
            try await client.execute(uri: "/dashboard/login", method: .post, body: ByteBuffer(string: "")) { response in
                #expect(response.status == .badRequest)
            }
            let cookie = try await client.execute(
                uri: "/dashboard/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "token=\(admin.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)")
            ) { response in
                #expect(response.status == .seeOther && response.headers[.location] == "/dashboard")
                let setCookie = response.headers[.setCookie] ?? ""
                #expect(setCookie.contains("HttpOnly; SameSite=Strict; Secure") && setCookie.contains("Path=/dashboard"))
                return String(setCookie.prefix { $0 != ";" })
            }
            try await client.execute(uri: "/dashboard", method: .get, headers: [.cookie: cookie]) { response in
                let page = String(buffer: response.body)
                #expect(response.status == .ok && page.contains("admin-1 (admin)") && page.contains("id=\"audit-events\""))
                #expect(page.contains("dashboard.login"), "the sign-in is in the audit log")
            }
            try await client.execute(uri: "/dashboard", method: .get, headers: [.authorization: "Bearer \(setup.tokens["viewer"]!)"]) { response in
                #expect(String(buffer: response.body).contains("audit-restricted"))
            }
            try await client.execute(uri: "/dashboard/logout", method: .post, headers: [.cookie: cookie]) { response in
                #expect(response.status == .seeOther && response.headers[.setCookie]?.contains("Max-Age=0") == true)
            }
            try await client.execute(uri: "/dashboard", method: .get, headers: [.cookie: cookie]) { response in
                #expect(String(buffer: response.body).contains("action=\"/dashboard/login\""), "the session is gone")
            }
            try await client.execute(uri: "/dashboard/session?code=unknown", method: .get) { response in #expect(response.status == .unauthorized) }
        }
        let operations = try await setup.store.audit.records(matching: AuditFilter()).map { "\($0.entry.operation) \($0.entry.outcome.rawValue)" }
        #expect(operations.contains("dashboard.login refused"), "wrong token and other site audited: \(operations)")
        #expect(operations.contains("dashboard.read succeeded") && operations.contains("dashboard.logout succeeded"))
    }

    @Test("sessions and one-time codes expire; a code works once")
    func sessionStore() {
        let now = Mutex(Date(timeIntervalSince1970: 1_000_000))
        let sessions = DashboardSessions(clock: { now.withLock { $0 } })
        let session = sessions.open(authorization: "Bearer a")
        #expect(session.count == 43 && sessions.authorization(session: session) == "Bearer a")
        let code = sessions.issueCode(authorization: "Bearer b")
        #expect(sessions.redeem(code: code) == "Bearer b" && sessions.redeem(code: code) == nil)
        let late = sessions.issueCode(authorization: "Bearer c")
        now.withLock { $0 += 61 }
        #expect(sessions.redeem(code: late) == nil)
        now.withLock { $0 += DashboardSessions.lifetime }
        #expect(sessions.authorization(session: session) == nil)
        #expect(DashboardRoutes.formValue("token", in: Array("a=1&token=x%2By+z".utf8)) == "x+y z")
        #expect(DashboardRoutes.formValue("token", in: Array("a=1".utf8)) == nil)
    }

    @Test("the activity sees operations and verification failures through swift-metrics; the model computes rates and percentiles")
    func activityAndModel() throws {
        let now = Date(timeIntervalSince1970: 2_000_000)
        let activity = ServiceActivity(clock: { now })
        Timer(
            label: HephaestusMetric.operationDuration.rawValue, dimensions: [("operation", "verify.bundle"), ("outcome", "success")],
            factory: activity
        )
        .recordMilliseconds(20)
        Timer(
            label: HephaestusMetric.operationDuration.rawValue, dimensions: [("operation", "verify.bundle"), ("outcome", "failure")],
            factory: activity
        )
        .recordMilliseconds(30)
        Timer(
            label: HephaestusMetric.operationDuration.rawValue, dimensions: [("operation", "guard-rails.run"), ("outcome", "error")],
            factory: activity
        )
        .recordSeconds(2)
        Counter(
            label: HephaestusMetric.verificationFailures.rawValue, dimensions: [("step", "identity"), ("code", "verify.identity-mismatch")],
            factory: activity
        )
        .increment()
        Counter(label: HephaestusMetric.operations.rawValue, dimensions: [], factory: activity).increment()
        for index in 0..<100 {
            activity.record(
                ServiceActivity.Request(
                    time: now.addingTimeInterval(-Double(index)), transport: "rest", route: "POST /v1/verify/bundle",
                    status: index == 0 ? "503" : "200",
                    failed: index == 0, seconds: Double(index + 1) / 1000))
        }
        let model = DashboardModel(activity: activity, now: now, account: "a<b>", role: .viewer, queued: 2, running: 1, recentTasks: [], audit: nil)
        #expect(model.requestRate == 61.0 / 60 && model.windowRequests == 100 && model.serverErrors == 1)
        #expect(model.p50 == 0.05 && model.p95 == 0.095 && model.p99 == 0.099)
        #expect(model.histogram.reduce(0, +) == 100 && model.histogram.last == 10)
        #expect(model.verification.first?.success == 1 && model.verification.first?.failure == 1)
        #expect(model.failures == [DashboardModel.FailureRow(step: "identity", code: "verify.identity-mismatch", count: 1)])
        #expect(model.remediation.count == 1 && model.remediationTotals.error == 1)
        #expect(model.ingestion.map(\.operation) == DashboardModel.ingestionOperations)
        let page = DashboardPage.render(model)
        #expect(page.contains("a&lt;b&gt; (viewer)") && !page.contains("a<b>"), "escaped")
        #expect(page.contains("<meta http-equiv=\"refresh\" content=\"10\">") && !page.contains("<script"))
        #expect(page.contains("<td>verify.identity-mismatch</td>") && page.contains("id=\"tasks-queued\">2<"))
        #expect(page.contains("<rect x=\"464\" y=\"0\" width=\"14\" height=\"60\"><title>10</title></rect>"), "the latest 10 s, the tallest bar")
        #expect(!page.contains("SQL"), "plain strings, not another module's interpolation type")
        #expect(DashboardModel.percentile([], 0.5) == 0)
        // The CSP hash is the inline stylesheet's.
        let digest = Base64.encode(DigestAlgorithm.sha256.hash(Array(DashboardPage.style.utf8)).bytes)
        #expect(DashboardPage.contentSecurityPolicy.contains("'sha256-\(digest)'"))
    }
}
