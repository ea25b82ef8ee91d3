import Foundation
import HephaestusCore
import HephaestusOperations
import HephaestusPlatform
import HephaestusTestSupport
import Testing

/// The same cases through the command line (`--json`), REST (`POST /v1/<group>/<name>`, requests) and gRPC
/// (`Operations.Call`, grpcio): the reports must be equal but for run ids, times and durations; an error must carry the
/// same code, and the exit status, HTTP status and gRPC status of the code's category.
@Suite(
    "serve: parity of the command line, REST and gRPC",
    .serialized,
    .enabled(
        if: FileManager.default.isExecutableFile(atPath: HephaestusBinary.serverPath) && TestVenv.isUsable("python") && SharedFixtures.isAvailable
            && AttestationFixtures.isAvailable,
        "hephaestus-server, the test venv or ../shared/fixtures is missing"))
struct ParityTests {
    /// One case: the command line and the request of one operation, or a typed verification body.
    struct Case {
        let id: String
        let operation: String
        let arguments: [String]
        let request: [String: Any]
        /// `verify-bundle` / `verify-batch`: the typed routes (`POST /v1/verify/bundle`, `Verification.VerifyBundle`),
        /// whose report is compared with the command line's case named `cliCase` but for `bundle` (the typed route
        /// names the bundle by its place in the request, `request.bundle`).
        var typed: String?
        var cliCase: String?
        /// Compare the error messages too (false when the command line's parser, not the operation, words the error).
        var sameMessage = true
        /// Environment changes for the command line (nil values remove a variable).
        var environment: [String: String?] = [:]
        /// Whether the command takes `--json` (verify batch always prints JSON lines; inventory report its document).
        var json = true
    }

    /// What the command line answered: its exit status, its report document and items (stdout), its error (the last
    /// `--log-format json` record with a code).
    struct CommandOutcome {
        let status: Int32
        let report: [String: Any]?
        let items: [[String: Any]]
        let error: (code: String, message: String)?
    }

    /// Operations no case covers, and why: each is not served, or changes what it reports on (each transport would see
    /// the state the one before it left).
    static let uncovered: [String: String] = [
        "dev.sigstore": "served to nobody (a local TEST instance)",
        "dev.sigstore-token": "served to nobody (mints TEST tokens)",
        "conformance.tuf-client": "served to nobody (the TUF conformance suite's client protocol; tests: TUFConformanceClientTests)",
        "trust.update": "refreshes the service's own TUF cache: the second transport finds it current (`downloaded` differs)",
        "audit.verify": "every served request appends to the chain it verifies, so each transport sees a longer chain",
        "tasks.work": "runs workers until stopped (the service's own pool; TaskRecoveryTests)",
        "analytics.ingest": "appends events to the store: a second transport would see the first one's",
    ]

    @Test("every case answers the same through the CLI, REST and gRPC (run ids, times and durations aside)")
    func parity() throws {
        let work = try TemporaryDirectory(prefix: "hephaestus-parity")
        // The service reaches the local GitHub stand-in as an operator would point it at GitHub Enterprise Server.
        let github = try FakeGitHubServer(config: FakeGitHubServer.config(releases: [ReleaseDownloadTests.release(), Self.demoRelease]))
        let config = try work.write("serve.toml", "[github]\napi_url = \"\(github.apiURL)\"\n")
        let service = try ServiceProcess(arguments: ["--config", config])
        let admin = try service.createAccount("parity", role: "admin")
        // An account with a history of its own, for audit.show: one request, then none during the comparison.
        let early = try service.createAccount("early", role: "viewer")
        #expect(try ServiceTests.curl(service, "GET", "/v1/operations", token: early).status == 200)

        let cases = try Self.cases(work: work, store: service.store, github: github.apiURL)
        var commandLine: [String: CommandOutcome] = [:]
        for testCase in cases where testCase.typed == nil {
            commandLine[testCase.id] = try Self.runCommand(testCase, in: work.path)
        }
        let served = try Self.serve(cases, service: service, token: admin, work: work)

        var covered: Set<String> = []
        for testCase in cases {
            let answer = try #require(served[testCase.id], "\(testCase.id): no answer from the service")
            if let typed = testCase.typed {
                try Self.compareTyped(testCase, typed, answer, commandLine[testCase.cliCase ?? ""])
            } else {
                try Self.compare(testCase, try #require(commandLine[testCase.id]), answer)
            }
            covered.insert(testCase.operation)
        }
        // The GitHub cases reached the stand-in: one release downloaded, one tag it does not have.
        #expect(commandLine["release download: v1.0.0"]?.status == 0 && commandLine["release download: no such tag"]?.error != nil)
        let demo = commandLine["release verify: demo release, another root"]
        #expect(demo?.status == 1 && demo?.report != nil, "the demo release was read, and its Sigstore stage failed: \(String(describing: demo))")
        #expect(FileManager.default.fileExists(atPath: work.file("download/demo-1.0.0-wheelhouse.tar.gz")))
        // The inventory cases saw both releases: a bundle recorded as failing (the demo release's), audited as a finding.
        let scanned = (commandLine["inventory scan"]?.report?["repositories"] as? [[String: Any]])?.first ?? [:]
        #expect(scanned["releases"] as? Int == 2 && scanned["bundlesFailing"] as? Int == 1, "\(scanned)")
        let audited = commandLine["inventory audit"]
        #expect(audited?.status != 0 && (audited?.report?["findings"] as? [Any])?.isEmpty == false, "\(String(describing: audited?.report))")
        #expect((commandLine["backfill plan"]?.report?["items"] as? [Any])?.isEmpty == false)
        // The operations with effects were refused for the reason each case means, before any effect.
        for (id, code) in [
            ("sign: a missing file", "file.not-found"), ("publish pypi: a missing distribution", "file.not-found"),
            ("publish github: a missing file", "file.not-found"), ("backfill run: no inventory", "github.missing-token"),
            ("backfill rollback: no inventory", "inventory.missing"), ("release install: no archive", "file.not-found"),
            ("release revoke: no such tag", "github.missing-token"), ("guard-rails: no configuration", "config.malformed"),
        ] {
            #expect(commandLine[id]?.error?.code == code, "\(id): \(String(describing: commandLine[id]?.error))")
        }
        #expect(!FileManager.default.fileExists(atPath: work.file("venv")) && !FileManager.default.fileExists(atPath: work.file("advisory")))
        let registry = Set(OperationRegistry.descriptors.map(\.name))
        #expect(covered.isSubset(of: registry), "\(covered.subtracting(registry))")
        // Every operation is either compared here or named with the reason it cannot be.
        let unexplained = registry.subtracting(covered).subtracting(Self.uncovered.keys)
        #expect(unexplained.isEmpty, "operations neither compared nor explained: \(unexplained.sorted())")
        #expect(covered.isDisjoint(with: Self.uncovered.keys), "\(covered.intersection(Self.uncovered.keys))")
        print("parity: \(cases.count) cases, \(covered.count) of \(registry.count) operations: \(covered.sorted().joined(separator: ", "))")
        print("parity: not covered: \(registry.subtracting(covered).sorted().joined(separator: ", "))")
        #expect(service.stop() == 0)
    }

    // MARK: - Cases

    /// The README's demo release (fixtures/demo/release: wheelhouse, manifest, bundle) as the stand-in's tag `demo-1.0.0`.
    /// Signed by a local test instance: under the production root both transports must fail its Sigstore stage alike.
    static var demoRelease: [String: Any] {
        let directory = FakeGitHubServer.projectRoot.appendingPathComponent("fixtures/demo/release").path
        let names = ["demo-1.0.0-wheelhouse.tar.gz", "demo-1.0.0-wheelhouse.tar.gz.sha256", "demo-1.0.0-wheelhouse.tar.gz.sigstore.json"]
        return [
            "id": 2, "tag_name": "demo-1.0.0", "draft": false, "prerelease": false, "published_at": "2026-02-01T00:00:00Z",
            "assets": names.enumerated().map { index, name in ["id": 21 + index, "name": name, "file": directory + "/" + name] },
        ]
    }

    static let identity = ServiceTests.identity
    static let issuer = ServiceTests.issuer

    static func cases(work: TemporaryDirectory, store: String, github: String) throws -> [Case] {
        let genuine = SharedFixtures.sigstorePython.path
        let bundle = genuine + "/bundle_v3_github.whl.sigstore"
        let artifact = genuine + "/bundle_v3_github.whl"
        let digest = "sha256:" + (try ServiceTests.sha256(artifact))
        let tampered = try work.write("tampered.sigstore", try tamperedBundle(bundle))
        let signer: [String: Any] = ["certificateIdentity": identity, "certificateOidcIssuer": issuer]
        let signerFlags = ["--certificate-identity", identity, "--certificate-oidc-issuer", issuer]
        // The service passes operations no environment: the command line runs without GitHub's variables too.
        let withoutGitHub: [String: String?] = ["GITHUB_TOKEN": nil, "GH_TOKEN": nil, "GITHUB_API_URL": nil]
        func verifyBundle(_ id: String, bundle: String, artifact: String) -> Case {
            Case(
                id: id, operation: "verify.bundle", arguments: ["verify", "bundle", "--bundle", bundle] + signerFlags + [artifact],
                request: ["bundle": bundle, "artifact": artifact, "signer": signer, "trust": [String: Any]()])
        }
        let a = genuine + "/a.txt"
        let b = genuine + "/b.txt"
        let goodManifest = try work.write("good.sha256", "\(try ServiceTests.sha256(a))  \(a)\n\(try ServiceTests.sha256(b))  \(b)\n")
        let badManifest = try work.write("bad.sha256", "\(String(repeating: "0", count: 64))  \(a)\n")
        let list = try work.write(
            "list.jsonl",
            [bundle, tampered].map { path in
                let line: [String: Any] = ["bundle": path, "artifact": artifact, "identity": identity, "issuer": issuer]
                return String(decoding: try! JSONSerialization.data(withJSONObject: line, options: [.sortedKeys]), as: UTF8.self)
            }.joined(separator: "\n") + "\n")
        let pypi = AttestationFixtures.pypiDirectory.path
        let provenance = pypi + "/assets/pypi_attestations-0.0.19.tar.gz.provenance"
        let distribution = pypi + "/assets/pypi_attestations-0.0.19.tar.gz"
        let jsArtifact = AttestationFixtures.githubDirectory.path + "/data/sigstore-js-2.1.0.tgz"
        let jsBundle = AttestationFixtures.githubDirectory.path + "/data/sigstore-js-2.1.0-bundle.json"
        let repository = try AnalyticsFixtureRepository.create(in: work).root
        let project = work.file("project")
        try FileManager.default.createDirectory(atPath: project + "/pkg/__pycache__", withIntermediateDirectories: true)
        _ = try work.write("project/pkg/__pycache__/module.cpython-312.pyc", "bytecode")
        _ = try work.write("project/pkg/module.py", "print('kept')\n")
        let missing = work.file("missing-1.0-py3-none-any.whl")
        let emptyDirectory = work.file("no-wheels")
        try FileManager.default.createDirectory(atPath: emptyDirectory, withIntermediateDirectories: true)

        let typedBody: (String) throws -> [String: Any] = { bundlePath in
            [
                "bundle": try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: bundlePath))), "artifactDigest": digest,
                "certificateIdentity": identity, "certificateOidcIssuer": issuer,
            ]
        }
        return [
            // Digests.
            Case(id: "digest files", operation: "digest.files", arguments: ["digest", a, b], request: ["files": [a, b]]),
            Case(
                id: "digest files sha512", operation: "digest.files", arguments: ["digest", "--algorithm", "sha512", a],
                request: ["files": [a], "algorithm": "sha512"]),
            Case(
                id: "digest files: a missing file", operation: "digest.files", arguments: ["digest", work.file("missing.txt")],
                request: ["files": [work.file("missing.txt")]]),
            Case(
                id: "digest files: an unknown algorithm", operation: "digest.files", arguments: ["digest", "--algorithm", "md5", a],
                request: ["files": [a], "algorithm": "md5"], sameMessage: false),
            Case(
                id: "digest check", operation: "digest.check", arguments: ["digest", "--check", goodManifest], request: ["manifests": [goodManifest]]),
            Case(
                id: "digest check: a tampered manifest", operation: "digest.check", arguments: ["digest", "--check", badManifest],
                request: ["manifests": [badManifest]]),
            // Bundles: genuine, tampered, for another artifact, missing, a contradictory signer.
            verifyBundle("verify bundle: genuine", bundle: bundle, artifact: artifact),
            verifyBundle("verify bundle: genuine, artifact by digest", bundle: bundle, artifact: digest),
            verifyBundle("verify bundle: tampered signature", bundle: tampered, artifact: digest),
            verifyBundle("verify bundle: another artifact", bundle: bundle, artifact: a),
            verifyBundle("verify bundle: no such bundle", bundle: work.file("none.sigstore"), artifact: artifact),
            Case(
                id: "verify bundle: identity and its regexp", operation: "verify.bundle",
                arguments: ["verify", "bundle", "--bundle", bundle, "--certificate-identity-regexp", ".*"] + signerFlags + [artifact],
                request: [
                    "bundle": bundle, "artifact": artifact, "trust": [String: Any](),
                    "signer": signer.merging(["certificateIdentityRegexp": ".*"]) { $1 },
                ], sameMessage: false),
            Case(
                id: "verify files", operation: "verify.files", arguments: ["verify", "files"] + signerFlags + [artifact],
                request: ["files": [artifact], "signer": signer, "trust": [String: Any]()]),
            Case(
                id: "verify batch", operation: "verify.batch", arguments: ["verify", "batch", list],
                request: ["list": list, "trust": [String: Any]()], json: false),
            Case(
                id: "verify attestation: PyPI provenance", operation: "verify.attestation",
                arguments: [
                    "verify", "attestation", "--provenance", provenance, "--github-repository", "trailofbits/pypi-attestations", distribution,
                ],
                request: [
                    "provenance": provenance, "distribution": distribution, "signer": ["githubRepository": "trailofbits/pypi-attestations"],
                    "trust": [String: Any](),
                ]),
            Case(
                id: "verify attestation: another repository", operation: "verify.attestation",
                arguments: ["verify", "attestation", "--provenance", provenance, "--github-repository", "someone/else", distribution],
                request: [
                    "provenance": provenance, "distribution": distribution, "signer": ["githubRepository": "someone/else"], "trust": [String: Any](),
                ]),
            Case(
                id: "verify github-attestation", operation: "verify.github-attestation",
                arguments: ["verify", "github-attestation", jsArtifact, "--bundle", jsBundle, "-d", "sha512", "--repo", "sigstore/sigstore-js"],
                request: ["artifact": jsArtifact, "bundle": jsBundle, "digestAlgorithm": "sha512", "policy": ["repo": "sigstore/sigstore-js"]]),
            // Typed routes: the proto messages, compared with each other and with the command line's reports.
            Case(
                id: "typed verify bundle: genuine", operation: "verify.bundle", arguments: [], request: try typedBody(bundle), typed: "verify-bundle",
                cliCase: "verify bundle: genuine, artifact by digest"),
            Case(
                id: "typed verify bundle: tampered", operation: "verify.bundle", arguments: [], request: try typedBody(tampered),
                typed: "verify-bundle", cliCase: "verify bundle: tampered signature"),
            Case(
                id: "typed verify batch", operation: "verify.batch", arguments: [],
                request: ["items": [try typedBody(bundle), try typedBody(tampered)]], typed: "verify-batch"),
            // Trust, schemas.
            Case(id: "trust show", operation: "trust.show", arguments: ["trust", "show"], request: ["trust": [String: Any]()]),
            Case(
                id: "schema json-schema", operation: "schema.export", arguments: ["schema", "--format", "json-schema"],
                request: ["format": "json-schema"]),
            Case(id: "schema mcp", operation: "schema.export", arguments: ["schema", "--format", "mcp"], request: ["format": "mcp"]),
            // The service's store: the command line opens it directly, the service uses its own.
            Case(id: "accounts list", operation: "accounts.list", arguments: ["accounts", "list", "--store", store], request: [:]),
            Case(
                id: "accounts create: an existing name", operation: "accounts.create",
                arguments: ["accounts", "create", "early", "--role", "viewer", "--store", store], request: ["name": "early", "role": "viewer"]),
            Case(
                id: "accounts revoke: no such account", operation: "accounts.revoke", arguments: ["accounts", "revoke", "nobody", "--store", store],
                request: ["name": "nobody"]),
            Case(
                id: "audit show: one account", operation: "audit.show", arguments: ["audit", "show", "--account", "early", "--store", store],
                request: ["account": "early"]),
            // GitHub: no token is set (the service holds none): a missing credential, 403, not a server error.
            Case(
                id: "token validate: no token", operation: "token.validate", arguments: ["token", "validate", "--api-url", "http://127.0.0.1:9"],
                request: [:], environment: ["GITHUB_TOKEN": nil, "GH_TOKEN": nil]),
            // Analytics on a scripted repository.
            Case(
                id: "analytics rankings", operation: "analytics.rankings",
                arguments: ["analytics", "rankings", "--strategy", "churn_based", "--repo", repository],
                request: ["strategy": "churn_based", "repository": repository, "include": [String](), "exclude": [String]()]),
            Case(
                id: "analytics hotspots", operation: "analytics.hotspots",
                arguments: [
                    "analytics", "hotspots", "--repo", repository, "--min-revs", "5", "--max-changeset-size", "30", "--trust-path-weight", "2",
                ],
                request: ["repository": repository, "minRevisions": 5, "maxChangesetSize": 30, "trustPathWeight": 2, "trustPaths": [String]()]),
            // Inventory and backfill without an inventory; wheelhouses without their inputs.
            Case(
                id: "backfill status: no inventory", operation: "backfill.status",
                arguments: ["backfill", "status", "--inventory", work.file("none.sqlite")], request: ["inventory": work.file("none.sqlite")]),
            // A GitHub release read through the stand-in: downloaded (the same files and digests), and a tag it lacks.
            Case(
                id: "release download: v1.0.0", operation: "release.download",
                arguments: [
                    "release", "download", "--repository", "octo/wheels", "--tag", "v1.0.0", "--dest", work.file("download"), "--api-url", github,
                ],
                request: ["release": ["repository": "octo/wheels", "tag": "v1.0.0"], "dest": work.file("download")], environment: withoutGitHub),
            Case(
                id: "release download: no such tag", operation: "release.download",
                arguments: [
                    "release", "download", "--repository", "octo/wheels", "--tag", "v9.9.9", "--dest", work.file("download"), "--api-url", github,
                ],
                request: ["release": ["repository": "octo/wheels", "tag": "v9.9.9"], "dest": work.file("download")], environment: withoutGitHub),
            Case(
                id: "release verify: demo release, another root", operation: "release.verify",
                arguments: [
                    "release", "verify", "--repository", "octo/wheels", "--tag", "demo-1.0.0", "--api-url", github, "--require-sigstore",
                    "--sigstore-identity", "https://github.com/hephaestus-demo/*",
                ],
                request: [
                    "source": ["repository": "octo/wheels", "tag": "demo-1.0.0"],
                    "sigstore": ["requireSigstore": true, "sigstoreIdentity": ["https://github.com/hephaestus-demo/*"], "trust": [String: Any]()],
                ], environment: withoutGitHub),
            // The stand-in's releases planned for backfilling, scanned into an inventory (one per transport: a second scan
            // of one inventory finds its bundles unchanged) and audited: under the production root the demo release's
            // bundle, from a local test instance, is a finding everywhere.
            Case(
                id: "backfill plan", operation: "backfill.plan",
                arguments: ["backfill", "plan", "--repository", "octo/wheels", "--api-url", github], request: ["repository": "octo/wheels"],
                environment: withoutGitHub),
            Case(
                id: "inventory scan", operation: "inventory.scan",
                arguments: [
                    "inventory", "scan", "--repository", "octo/wheels", "--inventory", work.file("per-transport-cli.sqlite"), "--api-url", github,
                ],
                request: ["repositories": ["octo/wheels"], "inventory": work.file("per-transport-{transport}.sqlite"), "trust": [String: Any]()],
                environment: withoutGitHub),
            Case(
                id: "inventory audit", operation: "inventory.audit",
                arguments: ["inventory", "audit", "--inventory", work.file("per-transport-cli.sqlite"), "--identity", "https://github.com/*"],
                request: [
                    "inventory": work.file("per-transport-{transport}.sqlite"), "identities": ["https://github.com/*"], "issuers": [String](),
                    "trust": [String: Any](),
                ]),
            Case(
                id: "inventory report: no inventory", operation: "inventory.report",
                arguments: ["inventory", "report", "--inventory", work.file("none.sqlite"), "--format", "json", "--output", work.file("r.json")],
                request: ["inventory": work.file("none.sqlite"), "format": "json", "output": work.file("r.json"), "trust": [String: Any]()],
                json: false),
            // Operations that sign, publish, install, delete or refresh: a request each refuses before any effect, refused
            // alike (their effects are tested against the local stand-ins in their own suites).
            Case(id: "sign: a missing file", operation: "sign.files", arguments: ["sign", missing], request: ["files": [missing]]),
            Case(
                id: "publish pypi: a missing distribution", operation: "publish.pypi", arguments: ["publish", "pypi", missing],
                request: ["distributions": [missing]]),
            Case(
                id: "publish github: a missing file", operation: "publish.github",
                arguments: ["publish", "github", "--repository", "octo/wheels", "--tag", "v1.0.0", "--api-url", github, missing],
                request: ["repository": "octo/wheels", "tag": "v1.0.0", "files": [missing]], environment: withoutGitHub),
            Case(
                id: "backfill run: no inventory", operation: "backfill.run",
                arguments: ["backfill", "run", "--repository", "octo/wheels", "--inventory", work.file("none.sqlite"), "--api-url", github],
                request: ["repository": "octo/wheels", "inventory": work.file("none.sqlite")], environment: withoutGitHub),
            Case(
                id: "backfill rollback: no inventory", operation: "backfill.rollback",
                arguments: ["backfill", "rollback", "--run", "nope", "--inventory", work.file("none.sqlite")],
                request: ["run": "nope", "inventory": work.file("none.sqlite")]),
            Case(
                id: "release install: no archive", operation: "release.install",
                arguments: ["release", "install", "--archive", missing, "--venv", work.file("venv")],
                request: ["checks": ["source": ["archive": missing]], "venv": work.file("venv")]),
            Case(
                id: "release revoke: no such tag", operation: "release.revoke",
                arguments: [
                    "release", "revoke", "--repository", "octo/wheels", "--tag", "v9.9.9", "--delete-release", "--reason", "parity", "--yes",
                    "--advisory", work.file("advisory"), "--api-url", github,
                ],
                request: [
                    "repository": "octo/wheels", "tag": "v9.9.9", "deleteRelease": true, "reason": "parity", "yes": true,
                    "advisory": work.file("advisory"),
                ],
                environment: withoutGitHub),
            Case(
                id: "guard-rails: no configuration", operation: "guard-rails.run",
                arguments: ["guard-rails", "--config", work.file("none.toml")],
                request: ["config": work.file("none.toml"), "only": [String](), "skip": [String](), "drift": false, "autoRemediate": false]),
            Case(
                id: "wheelhouse extract: no archive", operation: "wheelhouse.extract",
                arguments: ["wheelhouse", "extract", work.file("none.tar.gz"), "--dest", work.file("out")],
                request: ["archive": work.file("none.tar.gz"), "dest": work.file("out")]),
            Case(
                id: "wheelhouse pack: no wheels", operation: "wheelhouse.pack",
                arguments: ["wheelhouse", "pack", emptyDirectory, "--output", work.file("demo-1.0-wheelhouse.tar.gz")],
                request: ["directory": emptyDirectory, "output": work.file("demo-1.0-wheelhouse.tar.gz")]),
            Case(
                id: "cleanup: dry run", operation: "cleanup.run", arguments: ["cleanup", project, "--dry-run"],
                request: ["root": project, "dryRun": true, "extraPaths": [String](), "allowOutsideRoot": false, "yes": false]),
        ]
    }

    /// The bundle with one byte of its signature changed.
    static func tamperedBundle(_ path: String) throws -> [UInt8] {
        var bundle = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        var signature = try #require(bundle["messageSignature"] as? [String: Any], "the genuine bundle signs a message")
        let encoded = try #require(signature["signature"] as? String)
        var bytes = try #require(Data(base64Encoded: encoded))
        bytes[bytes.count / 2] ^= 0x01
        signature["signature"] = bytes.base64EncodedString()
        bundle["messageSignature"] = signature
        return Array(try JSONSerialization.data(withJSONObject: bundle, options: [.sortedKeys]))
    }

    // MARK: - Running

    static func runCommand(_ testCase: Case, in directory: String) throws -> CommandOutcome {
        var environment = ProcessInfo.processInfo.environment
        for (key, value) in testCase.environment { environment[key] = value }
        let result = try HephaestusBinary.run(
            testCase.arguments + (testCase.json ? ["--json"] : []) + ["--log-format", "json"], in: directory, environment: environment)
        let mediaType = OperationRegistry.operation(named: testCase.operation)?.descriptor.reportMediaType
        // One pretty-printed document, or JSON lines (verify batch's results).
        let whole = ServiceTests.json(result.stdoutText)
        let documents = whole.isEmpty ? result.stdoutText.split(separator: "\n").compactMap { ServiceTests.json(String($0)).nilIfEmpty } : [whole]
        let report = documents.last { $0["mediaType"] as? String == mediaType }
        let items = documents.filter { $0["mediaType"] as? String != mediaType }
        let records = result.stderrText.split(separator: "\n").compactMap { ServiceTests.json(String($0))["fields"] as? [String: Any] }
        let error = records.last { $0["code"] is String }.map { (code: $0["code"] as! String, message: $0["message"] as? String ?? "") }
        return CommandOutcome(status: result.status, report: report, items: items, error: error)
    }

    /// Every case over REST and gRPC through fixtures/service/parity_client.py: answers by case id.
    static func serve(_ cases: [Case], service: ServiceProcess, token: String, work: TemporaryDirectory) throws -> [String: [String: Any]] {
        let python = try #require(TestVenv.tool("python"))
        let script = TestVenv.projectRoot.appendingPathComponent("fixtures/service/parity_client.py").path
        let payload: [[String: Any]] = cases.map { testCase in
            var entry: [String: Any] = ["id": testCase.id, "operation": testCase.operation]
            if let typed = testCase.typed {
                entry["typed"] = typed
                entry["body"] = testCase.request
            } else {
                entry["request"] = testCase.request
            }
            return entry
        }
        let file = try work.write("cases.json", Array(try JSONSerialization.data(withJSONObject: payload)))
        let result = try ProcessResult.run(
            python, [script, "--rest", service.restURL, "--grpc", try #require(service.grpcAddress), "--token", token, file])
        #expect(result.status == 0, "\(result.stderrText.suffix(3000))")
        var answers: [String: [String: Any]] = [:]
        for line in result.stdoutText.split(separator: "\n") {
            let answer = ServiceTests.json(String(line))
            if let id = answer["id"] as? String { answers[id] = answer }
        }
        return answers
    }

    // MARK: - Comparing

    /// The command line's outcome against REST's and gRPC's: the same report, or the same error in each transport's terms.
    static func compare(_ testCase: Case, _ command: CommandOutcome, _ answer: [String: Any]) throws {
        let rest = try #require(answer["rest"] as? [String: Any], "\(testCase.id)")
        let grpc = try #require(answer["grpc"] as? [String: Any], "\(testCase.id)")
        let restReachable = !["verify.bundle", "verify.batch"].contains(testCase.operation)
        if command.report != nil || !command.items.isEmpty {
            // A report (a negative verdict included): 200 and the same document; the same items over gRPC.
            if let report = command.report {
                if restReachable {
                    #expect(rest["status"] as? Int == 200, "\(testCase.id): REST \(rest)")
                    expectEqual(report, rest["body"], "\(testCase.id): CLI and REST")
                }
                expectEqual(report, grpc["report"], "\(testCase.id): CLI and gRPC")
            }
            #expect(grpc["report"] is [String: Any], "\(testCase.id): gRPC \(grpc)")
            if !command.items.isEmpty { expectEqual(command.items, grpc["items"], "\(testCase.id): CLI and gRPC items") }
            // A negative verdict: the exit status of its code, and the same code in the gRPC report's failure.
            let failure = grpc["failure"] as? [String: Any]
            #expect((command.status == 0) == (failure == nil), "\(testCase.id): exit \(command.status), gRPC failure \(String(describing: failure))")
            if let failure, let code = failure["code"] as? String {
                if let logged = command.error?.code { #expect(code == logged, "\(testCase.id): \(failure) \(logged)") }
                #expect(command.status == ExitCodeTable.status(forCode: code).rawValue, "\(testCase.id): exit \(command.status) for \(code)")
            }
            return
        }
        let error = try #require(command.error, "\(testCase.id): the command line printed neither a report nor an error (exit \(command.status))")
        let category = try #require(ExitCodeTable.rows.first { $0.code == error.code }?.category, "\(testCase.id): unknown code \(error.code)")
        #expect(command.status == category.exitStatus.rawValue, "\(testCase.id): exit \(command.status) for \(error.code)")
        if restReachable {
            let body = (rest["body"] as? [String: Any])?["error"] as? [String: Any]
            #expect(rest["status"] as? Int == category.httpStatus, "\(testCase.id): REST \(rest)")
            #expect(body?["code"] as? String == error.code, "\(testCase.id): REST \(rest)")
            if testCase.sameMessage { #expect(body?["message"] as? String == error.message, "\(testCase.id): REST \(rest)") }
        }
        let grpcError = grpc["error"] as? [String: Any]
        #expect(grpcError?["status"] as? String == category.grpcStatus.name, "\(testCase.id): gRPC \(grpc)")
        #expect(grpcError?["code"] as? String == error.code, "\(testCase.id): gRPC \(grpc)")
        if testCase.sameMessage { #expect(grpcError?["message"] as? String == error.message, "\(testCase.id): gRPC \(grpc)") }
    }

    /// The typed routes: REST and gRPC give the same results, and each is the command line's report for the same
    /// bundle (but for `bundle`, which the typed routes name by its place in the request).
    static func compareTyped(_ testCase: Case, _ typed: String, _ answer: [String: Any], _ command: CommandOutcome?) throws {
        let rest = try #require(answer["rest"] as? [String: Any], "\(testCase.id)")
        #expect(rest["status"] as? Int == 200, "\(testCase.id): REST \(rest)")
        let body = rest["body"] as? [String: Any] ?? [:]
        let restResults = typed == "verify-bundle" ? [body] : (body["results"] as? [[String: Any]] ?? [])
        let grpcResults = (answer["grpc"] as? [String: Any])?["results"] as? [[String: Any]] ?? []
        #expect(
            !restResults.isEmpty && restResults.count == grpcResults.count, "\(testCase.id): REST \(rest) gRPC \(String(describing: answer["grpc"]))")
        for (index, (served, streamed)) in zip(restResults, grpcResults).enumerated() {
            #expect(served["bundle"] as? String == (typed == "verify-bundle" ? "request.bundle" : "request.items[\(index)].bundle"))
            expectEqual(served, streamed, "\(testCase.id)[\(index)]: REST and gRPC")
        }
        if let report = command?.report, let served = restResults.first {
            var expected = report
            expected["bundle"] = served["bundle"]
            expectEqual(expected, served, "\(testCase.id): CLI and REST")
        }
    }

    static func expectEqual(_ expected: Any, _ actual: Any?, _ label: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let left = normalised(expected)
        let right = normalised(actual ?? NSNull())
        #expect(equivalent(left, right), "\(label) differ:\n\(describe(left))\n\(describe(right))", sourceLocation: sourceLocation)
    }

    /// Keys whose values are a run's own: its id, when it ran, how long it took (a stage's `seconds`).
    static func isRunSpecific(_ key: String) -> Bool {
        key == "runId" || key == "time" || key == "seconds" || key.hasSuffix("At") || key.lowercased().contains("duration")
            || key.lowercased().contains("elapsed")
    }

    static func normalised(_ value: Any) -> Any {
        if let object = value as? [String: Any] {
            var copy: [String: Any] = [:]
            for (key, item) in object { copy[key] = isRunSpecific(key) ? "<run>" : normalised(item) }
            return copy
        }
        if let array = value as? [Any] { return array.map(normalised) }
        // A release's working directory is the run's own temporary directory (mkdtemp's six characters).
        if let text = value as? String, let range = text.range(of: "/hephaestus-release-[A-Za-z0-9]{6}/", options: .regularExpression) {
            return text.replacingCharacters(in: range, with: "/hephaestus-release-<run>/")
        }
        // A file each transport writes its own of (`{transport}` in a served request).
        if let text = value as? String, let range = text.range(of: "/per-transport-(cli|rest|grpc)\\.", options: .regularExpression) {
            return text.replacingCharacters(in: range, with: "/per-transport-<transport>.")
        }
        return value
    }

    /// JSON equality, where a number equals the decimal string of the same number (proto3's JSON mapping writes int64
    /// fields as strings; REST writes numbers).
    static func equivalent(_ left: Any, _ right: Any) -> Bool {
        switch (left, right) {
        case (let a as [String: Any], let b as [String: Any]):
            return a.count == b.count && a.allSatisfy { key, value in b[key].map { equivalent(value, $0) } ?? false }
        case (let a as [Any], let b as [Any]):
            return a.count == b.count && zip(a, b).allSatisfy { equivalent($0, $1) }
        case (let a as String, let b as String):
            return a == b
        case (let a as NSNumber, let b as String), (let b as String, let a as NSNumber):
            return a.stringValue == b
        case (let a as NSNumber, let b as NSNumber):
            return a == b
        case (is NSNull, is NSNull):
            return true
        default:
            return false
        }
    }

    static func describe(_ value: Any) -> String {
        guard JSONSerialization.isValidJSONObject(value), let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])
        else { return "\(value)" }
        return String(decoding: data, as: UTF8.self)
    }
}

extension Dictionary {
    fileprivate var nilIfEmpty: Self? { isEmpty ? nil : self }
}
