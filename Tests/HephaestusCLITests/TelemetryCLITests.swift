import Foundation
import HephaestusTestSupport
import Testing

/// Traces, metrics and trace-correlated logs of real runs, against the reference OTLP receiver (grpcio and
/// opentelemetry-proto) and promtool.
@Suite("telemetry: OTLP traces, metrics files, trace ids in logs", .serialized)
struct TelemetryCLITests {
    static let hasReceiver = TestVenv.isUsable("python")
    static let receiverMissing: Comment = "needs the test venv's python with grpcio and opentelemetry-proto"
    static let identity = "https://github.com/octo/wheels/.github/workflows/release.yml@refs/tags/*"

    /// The process environment without any OTEL_ variable of the machine running the tests, plus `extra`.
    static func environment(_ extra: [String: String]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("OTEL_") }
        environment.removeValue(forKey: "GITHUB_TOKEN")
        environment.removeValue(forKey: "GH_TOKEN")
        environment.merge(extra) { _, new in new }
        return environment
    }

    static func logRecords(_ result: ProcessResult) -> [[String: Any]] {
        result.stderrText.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    /// A signed one-wheel release served by the GitHub-shaped server.
    static func servedRelease() throws -> (WheelhouseFactory, FakeGitHubServer) {
        let factory = try WheelhouseFactory()
        try factory.wheel("alpha-pkg", "1.2.0")
        try factory.release()
        let names = ["demo-1.0.0-wheelhouse.tar.gz", "demo-1.0.0-wheelhouse.tar.gz.sha256", "demo-1.0.0-wheelhouse.tar.gz.sigstore.json"]
        let assets: [[String: Any]] = names.enumerated().map { index, name in ["id": 11 + index, "name": name, "file": factory.directory.file(name)] }
        let release: [String: Any] = [
            "id": 1, "tag_name": "v1.0.0", "draft": false, "prerelease": false, "published_at": "2026-01-01T00:00:00Z", "assets": assets,
        ]
        return (factory, try FakeGitHubServer(config: FakeGitHubServer.config(releases: [release])))
    }

    @Test(
        "release install sends one trace: the operation, its six stages, the verification steps and every HTTP request, linked by traceparent",
        .enabled(if: hasReceiver, receiverMissing), arguments: ["grpc", "http/protobuf"])
    func releaseInstallTrace(otlpProtocol: String) throws {
        let receiver = try OTLPReceiver()
        let (factory, github) = try Self.servedRelease()
        let work = try TemporaryDirectory()
        let token = "ghp_" + String(repeating: "T0k3", count: 9)
        let endpoint = otlpProtocol == "grpc" ? receiver.grpcEndpoint : receiver.httpEndpoint
        let result = try HephaestusBinary.run(
            [
                "--log-format", "json", "release", "install", "--repository", "octo/wheels", "--api-url", github.apiURL, "--tag", "v1.0.0",
                "--venv", work.file("venv"), "--workdir", work.path, "--require-sigstore", "--sigstore-identity", Self.identity,
                "--trusted-root", factory.trustedRoot, "--retry-base-delay", "0.01",
            ],
            environment: Self.environment([
                "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_EXPORTER_OTLP_PROTOCOL": otlpProtocol, "OTEL_SERVICE_NAME": "release-runner",
                "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=ci%20runner", "GITHUB_TOKEN": token,
            ]))
        #expect(result.status == 0, "\(result.stderrText)")
        let spans = try receiver.spans()
        #expect(Set(spans.map { $0["protocol"] as? String }) == [otlpProtocol])
        let byName = Dictionary(grouping: spans) { $0["name"] as? String ?? "" }
        let root = try #require(byName["release.install"]?.first)
        #expect(root["parent_span_id"] as? String == "")
        #expect((root["status"] as? [String: Any])?["code"] as? String == "STATUS_CODE_UNSET")
        #expect((root["attributes"] as? [String: Any])?["hephaestus.operation"] as? String == "release.install")
        #expect((root["resource"] as? [String: Any])?["service.name"] as? String == "release-runner")
        #expect((root["resource"] as? [String: Any])?["deployment.environment"] as? String == "ci runner")
        let traceID = try #require(root["trace_id"] as? String)
        #expect(spans.allSatisfy { $0["trace_id"] as? String == traceID }, "one trace")
        let rootID = try #require(root["span_id"] as? String)

        // The six stages, children of the operation.
        let stages = ["fetch", "checksum", "sigstore", "extract", "wheels", "install"]
        for stage in stages {
            let span = try #require(byName["release.stage.\(stage)"]?.first, "no span release.stage.\(stage)")
            #expect(span["parent_span_id"] as? String == rootID)
        }
        // Verification steps under sigstore.verify under the sigstore stage.
        let verify = try #require(byName["sigstore.verify"]?.first)
        #expect(verify["parent_span_id"] as? String == byName["release.stage.sigstore"]?.first?["span_id"] as? String)
        for step in [
            "artifact-digest", "transparency-log", "signed-timestamps", "certificate-chain", "signed-certificate-timestamps", "identity", "signature",
        ] {
            let span = try #require(byName["sigstore.verify.\(step)"]?.first, "no step \(step)")
            #expect(span["parent_span_id"] as? String == verify["span_id"] as? String)
        }
        // HTTP requests: client spans under the fetch stage, with the semantic conventions' attributes, no secrets.
        let fetch = try #require(byName["release.stage.fetch"]?.first)
        let requests = byName["GET"] ?? []
        #expect(requests.count >= 4, "the release lookup and three downloads")
        for request in requests {
            #expect(request["kind"] as? String == "SPAN_KIND_CLIENT")
            #expect(request["parent_span_id"] as? String == fetch["span_id"] as? String)
            let attributes = try #require(request["attributes"] as? [String: Any])
            #expect(attributes["http.request.method"] as? String == "GET")
            #expect(attributes["http.response.status_code"] as? Int == 200 || attributes["http.response.status_code"] as? Int == 302)
            #expect((attributes["url.full"] as? String)?.hasPrefix("http://127.0.0.1:") == true)
            #expect(attributes["server.address"] as? String == "127.0.0.1")
        }
        let everything = try String(contentsOfFile: receiver.directory.file("spans.jsonl"), encoding: .utf8)
        #expect(!everything.contains(token), "the token reaches no span")

        // The server received each client span's traceparent.
        let sent = try github.requests().compactMap {
            ($0["headers"] as? [String: Any])?.first { $0.key.lowercased() == "traceparent" }?.value as? String
        }
        #expect(sent.count == requests.count)
        #expect(Set(sent) == Set(requests.map { "00-\(traceID)-\($0["span_id"] as? String ?? "")-01" }))

        // Log records written while a span was active carry its ids.
        let records = Self.logRecords(result)
        let traced = records.filter { $0["trace_id"] != nil }
        #expect(!traced.isEmpty)
        #expect(traced.allSatisfy { $0["trace_id"] as? String == traceID })
        let spanIDs = Set(spans.compactMap { $0["span_id"] as? String })
        #expect(traced.allSatisfy { spanIDs.contains($0["span_id"] as? String ?? "") })
        let attempt = try #require(records.first { $0["event"] as? String == "http.attempt" })
        #expect(
            requests.contains { $0["span_id"] as? String == attempt["span_id"] as? String }
                || attempt["span_id"] as? String == fetch["span_id"] as? String)
    }

    @Test("a failed verification: the operation span is an error with its code, the failing step too", .enabled(if: hasReceiver, receiverMissing))
    func failedVerificationTrace() throws {
        let receiver = try OTLPReceiver()
        let factory = try WheelhouseFactory()
        try factory.wheel("alpha-pkg", "1.2.0")
        try factory.release(identity: "https://github.com/someone/else/.github/workflows/release.yml@refs/tags/v1.0.0")
        let result = try HephaestusBinary.run(
            [
                "release", "verify", "--archive", "demo-1.0.0-wheelhouse.tar.gz", "--require-sigstore", "--sigstore-identity", Self.identity,
                "--trusted-root", factory.trustedRoot, "--workdir", try TemporaryDirectory().path,
            ], in: factory.directory.path,
            environment: Self.environment([
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": receiver.httpEndpoint + "/v1/traces", "OTEL_TRACES_SAMPLER": "always_on",
            ]))
        #expect(result.status == 1, "\(result.stderrText)")
        let spans = try receiver.spans()
        let root = try #require(spans.first { $0["name"] as? String == "release.verify" })
        let status = try #require(root["status"] as? [String: Any])
        #expect(status["code"] as? String == "STATUS_CODE_ERROR")
        #expect((status["message"] as? String)?.contains("identity mismatch") == true)
        #expect((root["attributes"] as? [String: Any])?["error.type"] as? String == "verify.identity-mismatch")
        #expect((root["events"] as? [[String: Any]])?.first?["name"] as? String == "hephaestus.failure")
        let step = try #require(spans.first { $0["name"] as? String == "sigstore.verify.identity" })
        #expect((step["status"] as? [String: Any])?["code"] as? String == "STATUS_CODE_ERROR")
        #expect((step["attributes"] as? [String: Any])?["error.type"] as? String == "verify.identity-mismatch")
        #expect((step["events"] as? [[String: Any]])?.first?["name"] as? String == "exception")
    }

    @Test(
        "no exporter configured, or the SDK disabled: no connection, no libcurl, no trace ids in the logs",
        .enabled(if: hasReceiver && SharedFixtures.isAvailable, receiverMissing))
    func offMeansOff() throws {
        let receiver = try OTLPReceiver()
        let listening = "http://127.0.0.1:\(receiver.listenPort)"
        let verify = [
            "--log-format", "json", "--log-level", "debug", "verify", "bundle", "--bundle", "bundle_v3_github.whl.sigstore",
            "--certificate-identity", "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2",
            "--certificate-oidc-issuer", "https://token.actions.githubusercontent.com", "bundle_v3_github.whl",
        ]
        for extra in [
            ["OTEL_TRACES_SAMPLER": "always_on", "OTEL_SERVICE_NAME": "x"],
            ["OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": listening, "OTEL_TRACES_SAMPLER": "always_on"],
            ["OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": listening],
        ] {
            var environment = Self.environment(extra)
            environment["LD_DEBUG"] = "files"
            let result = try HephaestusBinary.run(verify, in: SharedFixtures.sigstorePython.path, environment: environment)
            #expect(result.status == 0, "\(extra): \(result.stderrText.suffix(800))")
            #expect(!result.stderrText.contains("file=libcurl.so.4"), "\(extra): libcurl loaded")
            #expect(!result.stderrText.contains("\"trace_id\""), "\(extra)")
        }
        #expect(try receiver.connections() == 0)
        #expect(try receiver.spans().isEmpty)
    }

    @Test(
        "a collector that is not there: the command still succeeds, within the export timeout, with one warning",
        .enabled(if: SharedFixtures.isAvailable, Comment(rawValue: SharedFixtures.absenceMessage)))
    func collectorDown() throws {
        let closed = try ClosedLoopbackPort()
        let started = Date()
        let result = try HephaestusBinary.run(
            [
                "verify", "bundle", "--bundle", "bundle_v3_github.whl.sigstore", "--certificate-identity",
                "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2",
                "--certificate-oidc-issuer", "https://token.actions.githubusercontent.com", "bundle_v3_github.whl",
            ], in: SharedFixtures.sigstorePython.path,
            environment: Self.environment(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:\(closed.port)", "OTEL_EXPORTER_OTLP_TIMEOUT": "1000"]))
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(Date().timeIntervalSince(started) < 8)
        let warnings = result.stderrText.split(separator: "\n").filter { $0.contains("telemetry.export-failed") }
        #expect(warnings.count == 2, "\(result.stderrText)")
        #expect(result.stderrText.contains("traces not exported"))
    }

    @Test("an unusable OTEL_ value: one warning naming the variable and the default, and the run goes on")
    func invalidVariableWarns() throws {
        let work = try TemporaryDirectory()
        try work.write("file.txt", "bytes\n")
        let result = try HephaestusBinary.run(
            ["digest", "file.txt"], in: work.path, environment: Self.environment(["OTEL_TRACES_SAMPLER": "sometimes"]))
        #expect(result.status == 0)
        #expect(
            result.stderrText
                == "hephaestus: warning: OTEL_TRACES_SAMPLER: unknown sampler \"sometimes\"; using the default parentbased_always_on\n")
    }

    @Test(
        "--metrics-file: Prometheus textfile-collector format, promtool finds nothing to say, written on failure too",
        .enabled(if: SharedFixtures.isAvailable, Comment(rawValue: SharedFixtures.absenceMessage)))
    func metricsFile() throws {
        let work = try TemporaryDirectory()
        let metrics = work.file("hephaestus.prom")
        let identity = "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2"
        func verify(_ identity: String) throws -> ProcessResult {
            try HephaestusBinary.run(
                [
                    "verify", "bundle", "--metrics-file", metrics, "--bundle", "bundle_v3_github.whl.sigstore", "--certificate-identity", identity,
                    "--certificate-oidc-issuer", "https://token.actions.githubusercontent.com", "bundle_v3_github.whl",
                ], in: SharedFixtures.sigstorePython.path, environment: Self.environment([:]))
        }
        #expect(try verify(identity).status == 0)
        let passed = try String(contentsOfFile: metrics, encoding: .utf8)
        #expect(passed.contains("hephaestus_operations_total{operation=\"verify.bundle\",outcome=\"success\"} 1"))
        #expect(passed.contains("# TYPE hephaestus_operation_duration_seconds histogram"))
        #expect(passed.contains("hephaestus_operation_duration_seconds_count{operation=\"verify.bundle\",outcome=\"success\"} 1"))
        if let promtool = ToolLocator.find("promtool") {
            let lint = try ProcessResult.run(promtool, ["check", "metrics"], stdin: Array(passed.utf8))
            #expect(lint.status == 0 && lint.stdoutText.isEmpty && lint.stderrText.isEmpty, "\(lint.stdoutText)\(lint.stderrText)")
        } else {
            #expect(ProcessInfo.processInfo.environment["HEPHAESTUS_TEST_VENV"] == nil, "promtool (Debian package prometheus) is missing")
        }

        #expect(try verify("https://example.com/someone-else").status == 1)
        let failed = try String(contentsOfFile: metrics, encoding: .utf8)
        #expect(failed.contains("hephaestus_operations_total{operation=\"verify.bundle\",outcome=\"failure\"} 1"))
        #expect(failed.contains("hephaestus_verification_failures_total{step=\"identity\",code=\"verify.identity-mismatch\"} 1"))
        #expect(!failed.contains("outcome=\"success\""), "the file holds this run's metrics, replaced")
        #expect(try FileManager.default.contentsOfDirectory(atPath: work.path) == ["hephaestus.prom"])

        let unwritable = try HephaestusBinary.run(
            ["digest", "--metrics-file", work.file("missing/dir/m.prom"), metrics], environment: Self.environment([:]))
        #expect(unwritable.status != 0)
        #expect(unwritable.stderrText.contains("missing/dir/m.prom"), "\(unwritable.stderrText)")
    }
}
