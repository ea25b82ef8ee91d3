import Foundation
import HephaestusCore
import HephaestusOperations
import HephaestusPlatform
import HephaestusService
import HephaestusTestSupport
import SwiftProtobuf
import Synchronization
import Testing

@testable import HephaestusServer

/// The registry as the service describes it, the error body and statuses, and the rate limiter.
@Suite("serve: descriptions, errors and rate limits")
struct ServiceDescriptionTests {
    static func object(_ bytes: [UInt8]) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    @Test("GET /v1/operations lists every registered operation with its route and least role; OpenAPI 3.1 has a path for each")
    func registryDocuments() throws {
        let permissions = PermissionTable.standard
        let operations = try Self.object(
            ServiceDescription.operationsDocument { name in
                OperationRegistry.operation(named: name).flatMap { permissions.minimumRole(for: $0.descriptor)?.rawValue }
            })
        let listed = try #require(operations["operations"] as? [[String: Any]])
        #expect(listed.map { $0["name"] as? String } == OperationRegistry.descriptors.map(\.name))
        let bundle = try #require(listed.first { $0["name"] as? String == "verify.bundle" })
        #expect(bundle["route"] as? String == "/v1/verify/bundle" && bundle["requiredRole"] as? String == "verifier")
        #expect(listed.first { $0["name"] as? String == "dev.sigstore" }?["requiredRole"] == nil, "dev.* is served to nobody")

        let openAPI = try Self.object(ServiceDescription.openAPIDocument(version: "1.2.3"))
        #expect(openAPI["openapi"] as? String == "3.1.0")
        let paths = try #require(openAPI["paths"] as? [String: Any])
        for descriptor in OperationRegistry.descriptors {
            #expect(paths[ServiceDescription.route(of: descriptor.name)] != nil, "\(descriptor.name) has no path")
        }
        for path in ["/healthz", "/readyz", "/v1/operations", "/v1/openapi.json", "/v1/tasks", "/v1/tasks/{id}", "/v1/tasks/{id}/events"] {
            #expect(paths[path] != nil, "\(path)")
        }
        // Every $ref points at a schema the document defines.
        let text = String(decoding: try ServiceDescription.openAPIDocument(version: "1"), as: UTF8.self)
        let schemas = try #require((openAPI["components"] as? [String: Any])?["schemas"] as? [String: Any])
        let references = text.matches(of: /"#\/components\/schemas\/([A-Za-z0-9._-]+)"/).map { String($0.1) }
        #expect(references.count > OperationRegistry.descriptors.count * 2)
        for name in references { #expect(schemas[name] != nil, "\(name)") }
        let operationsText = String(decoding: try ServiceDescription.operationsDocument { _ in nil }, as: UTF8.self)
        for match in operationsText.matches(of: /"#\/components\/schemas\/([A-Za-z0-9._-]+)"/) {
            #expect(schemas[String(match.1)] != nil, "\(match.1)")
        }
    }

    @Test("every route has its request body and its answer: the operations' schemas as hephaestus schema exports them")
    func routeSchemas() throws {
        let openAPI = try Self.object(ServiceDescription.openAPIDocument(version: "1"))
        let paths = try #require(openAPI["paths"] as? [String: [String: Any]])
        let schemas = try #require((openAPI["components"] as? [String: Any])?["schemas"] as? [String: [String: Any]])
        func resolve(_ schema: Any?) -> [String: Any]? {
            guard let reference = (schema as? [String: Any])?["$ref"] as? String else { return schema as? [String: Any] }
            return schemas[String(reference.dropFirst("#/components/schemas/".count))]
        }
        for operation in OperationSchema.all {
            let name = operation.descriptor.name
            let post = try #require(paths[ServiceDescription.route(of: name)]?["post"] as? [String: Any], "\(name)")
            let body = ((post["requestBody"] as? [String: Any])?["content"] as? [String: Any])?["application/json"] as? [String: Any]
            let request = try #require(resolve(body?["schema"]), "\(name): no request body")
            let answer =
                ((((post["responses"] as? [String: Any])?["200"] as? [String: Any])?["content"] as? [String: Any])?["application/json"]
                as? [String: Any])?["schema"]
            let report = try #require(resolve(answer), "\(name): no report")
            if name == "verify.bundle" || name == "verify.batch" { continue }
            // The very schemas of the registry (without $schema, as embedded schemas are).
            #expect(
                NSDictionary(dictionary: request)
                    == NSDictionary(dictionary: ServiceDescription.foundation(SchemaExport.embedded(operation.request)) as! [String: Any]), "\(name)")
            #expect(request["type"] as? String == "object" && request["properties"] != nil, "\(name): \(request)")
            #expect((report["properties"] as? [String: Any])?["mediaType"] != nil, "\(name): \(report)")
            // The error statuses its codes lead to are listed, each naming its codes.
            let responses = try #require(post["responses"] as? [String: [String: Any]])
            for code in operation.descriptor.errorCodes {
                guard let row = ExitCodeTable.rows.first(where: { $0.code == code }) else { continue }
                let status: String = String(row.category.httpStatus)
                let description: String = (responses[status]?["description"] as? String) ?? ""
                #expect(description.contains(code), "\(name): \(code) not under \(row.category.httpStatus)")
            }
        }
        // The typed routes: the proto messages, and the verify.bundle report as their result.
        let bundle = try #require(paths["/v1/verify/bundle"]?["post"] as? [String: Any])
        #expect(Self.schemaReference(bundle, response: false) == "VerifyBundleRequest")
        #expect(Self.schemaReference(bundle, response: true) == "verify.bundle.report")
        #expect(Self.schemaReference(try #require(paths["/v1/verify/batch"]?["post"] as? [String: Any]), response: true) == "VerifyBatchResponse")
        // The accounts and audit routes answer their operations' reports; tasks can be listed.
        #expect(Self.schemaReference(try #require(paths["/v1/accounts"]?["get"] as? [String: Any]), response: true) == "accounts.list.report")
        #expect(Self.schemaReference(try #require(paths["/v1/accounts"]?["post"] as? [String: Any]), response: false) == "accounts.create.request")
        #expect(
            Self.schemaReference(try #require(paths["/v1/accounts/{name}"]?["delete"] as? [String: Any]), response: true) == "accounts.revoke.report")
        #expect(Self.schemaReference(try #require(paths["/v1/audit"]?["get"] as? [String: Any]), response: true) == "audit.show.report")
        #expect(Self.schemaReference(try #require(paths["/v1/tasks"]?["get"] as? [String: Any]), response: true) == "TaskList")
        // token.validate's missing token is a 403 (a credential the service does not hold), never a 5xx.
        let token = try #require(paths["/v1/token/validate"]?["post"] as? [String: Any])
        let tokenResponses = try #require(token["responses"] as? [String: [String: Any]])
        #expect((tokenResponses["403"]?["description"] as? String)?.contains("github.missing-token") == true)
    }

    static func schemaReference(_ operation: [String: Any], response: Bool) -> String? {
        let content: [String: Any]?
        if response {
            content = ((operation["responses"] as? [String: Any])?["200"] as? [String: Any])?["content"] as? [String: Any]
        } else {
            content = (operation["requestBody"] as? [String: Any])?["content"] as? [String: Any]
        }
        let reference = ((content?["application/json"] as? [String: Any])?["schema"] as? [String: Any])?["$ref"] as? String
        return reference.map { String($0.dropFirst("#/components/schemas/".count)) }
    }

    @Test("the typed bodies' schemas name fields of their proto messages (the proto3 JSON mapping)")
    func typedBodies() throws {
        let schemas = ServiceDescription.messageSchemas
        let bundle = try #require((schemas["VerifyBundleRequest"] as? [String: Any])?["properties"] as? [String: Any])
        var sample: [String: Any] = [:]
        for (name, schema) in bundle { sample[name] = (schema as? [String: Any])?["type"] as? String == "object" ? [String: Any]() : "x" }
        var options = JSONDecodingOptions()
        options.ignoreUnknownFields = false
        _ = try Hephaestus_V1_VerifyBundleRequest(jsonUTF8Bytes: Array(try JSONSerialization.data(withJSONObject: sample)), options: options)
        let task = try #require((schemas["Task"] as? [String: Any])?["properties"] as? [String: Any])
        var taskSample: [String: Any] = [:]
        for (name, schema) in task {
            let type = (schema as? [String: Any])?["type"] as? String
            taskSample[name] = type == "object" ? [String: Any]() : type == "integer" ? 1 : "x"
        }
        taskSample["error"] = ["code": "c", "message": "m"]
        _ = try Hephaestus_V1_Task(jsonUTF8Bytes: Array(try JSONSerialization.data(withJSONObject: taskSample)), options: options)
    }

    @Test("the service decides trust: a request naming a root is refused, an empty trust becomes the service's")
    func serviceTrust() throws {
        let trust = ServiceChoices(trust: TrustChoice(trustedRoot: "/srv/root.json"))
        let applied = try Self.object(try ServiceTrust.apply(trust, to: Array(#"{"files":["a"],"trust":{}}"#.utf8), operation: "digest.files"))
        #expect((applied["trust"] as? [String: Any])?["trustedRoot"] as? String == "/srv/root.json")
        for body in [#"{"trust":{"trustedRoot":"/tmp/mine.json"}}"#, #"{"trust":{"staging":true}}"#, #"{"customTrustedRoot":"/tmp/mine.json"}"#] {
            #expect(throws: RequestError.self, "\(body)") { try ServiceTrust.apply(trust, to: Array(body.utf8), operation: "verify.bundle") }
        }
        #expect(try ServiceTrust.apply(trust, to: Array(#"{"files":["a"]}"#.utf8), operation: "digest.files") == Array(#"{"files":["a"]}"#.utf8))
    }

    @Test("an operation's request of more JSON values than the bound is refused before it is decoded")
    func requestValueBound() throws {
        func files(_ count: Int) -> [UInt8] { Array(("{\"files\":[" + Array(repeating: "\"a\"", count: count).joined(separator: ",") + "]}").utf8) }
        let bound = ServiceTrust.maximumRequestValues
        #expect(try ServiceTrust.apply(ServiceChoices(), to: files(bound - 2), operation: "digest.files") == files(bound - 2))
        let refused = #expect(throws: RequestError.self) { try ServiceTrust.apply(ServiceChoices(), to: files(bound - 1), operation: "digest.files") }
        #expect(refused?.message == "the request holds more than \(bound) JSON values (send several smaller ones)")
        // Malformed JSON is left to the operation's decoder, as before.
        #expect(try ServiceTrust.apply(ServiceChoices(), to: Array("{,".utf8), operation: "digest.files") == Array("{,".utf8))
    }

    @Test("the service's GitHub API ([github] api_url) reaches every operation that reads GitHub, and only those")
    func serviceGitHub() throws {
        let choices = ServiceChoices(githubAPIURL: "https://github.example.com/api/v3")
        for operation in ["release.download", "release.verify", "inventory.scan", "backfill.plan", "token.validate"] {
            let applied = try Self.object(try ServiceTrust.apply(choices, to: Array(#"{"repository":"o/r"}"#.utf8), operation: operation))
            #expect((applied["github"] as? [String: Any])?["apiURL"] as? String == "https://github.example.com/api/v3", "\(operation)")
        }
        // A request's own github members stay; its apiURL is still refused.
        let kept = try Self.object(try ServiceTrust.apply(choices, to: Array(#"{"github":{"tokenEnv":"T"}}"#.utf8), operation: "release.download"))
        #expect((kept["github"] as? [String: Any])?["tokenEnv"] as? String == "T")
        #expect(throws: RequestError.self) {
            try ServiceTrust.apply(choices, to: Array(#"{"github":{"apiURL":"http://10.0.0.1/"}}"#.utf8), operation: "release.download")
        }
        // Operations that do not read GitHub are left as they came.
        #expect(try ServiceTrust.apply(choices, to: Array(#"{"files":["a"]}"#.utf8), operation: "digest.files") == Array(#"{"files":["a"]}"#.utf8))
        let directory = try TemporaryDirectory(prefix: "serve-config")
        let good = try directory.write("good.toml", "[github]\napi_url = \"https://ghe.example/api/v3\"\n")
        #expect(try ServeCommand.parse(["--config", good]).settings(environment: [:]).choices.githubAPIURL == "https://ghe.example/api/v3")
        let bad = try directory.write("bad.toml", "[github]\napi_url = \"ghe.example\"\n")
        #expect(throws: RequestError.self) { try ServeCommand.parse(["--config", bad]).settings(environment: [:]) }
    }

    @Test("a request cannot name an endpoint for the service to fetch, its standard input, or a file a read-only operation writes")
    func serverSideReach() throws {
        let trust = ServiceChoices()
        let refused: [(String, String, String)] = [
            ("token.validate", #"{"github":{"apiURL":"http://169.254.169.254/latest"}}"#, "github.apiURL: the service uses its own endpoints"),
            ("publish.pypi", #"{"repositoryURL":"http://10.0.0.1/"}"#, "repositoryURL: the service uses its own endpoints"),
            ("trust.update", #"{"tufUrl":"http://127.0.0.1:9/"}"#, "tufUrl: the service uses its own endpoints"),
            ("digest.files", #"{"files":["a","-"]}"#, "files[1]: - (standard input) means nothing to the service"),
            ("digest.check", #"{"manifest":"-"}"#, "manifest: - (standard input)"),
            ("schema.export", #"{"format":"mcp","output":"/etc/cron.d/x","overwrite":true}"#, "output: schema.export over the service"),
        ]
        for (operation, body, message) in refused {
            let error = #expect(throws: RequestError.self, "\(body)") { try ServiceTrust.apply(trust, to: Array(body.utf8), operation: operation) }
            #expect(error?.description.hasPrefix(message) == true, "\(error?.description ?? "")")
        }
        // Absent or null members, and "-" inside a longer value, are fine; a changing operation keeps its output.
        for (operation, body) in [
            ("token.validate", #"{"github":{"apiURL":null}}"#), ("digest.files", #"{"files":["a-b","-x"]}"#),
            ("schema.export", #"{"format":"mcp","output":null}"#), ("wheelhouse.pack", #"{"output":"/srv/out.tar.gz"}"#),
        ] {
            _ = try ServiceTrust.apply(trust, to: Array(body.utf8), operation: operation)
        }
    }

    @Test("errors become the error body with the status of their category; internal errors say nothing more")
    func failures() throws {
        let unauthenticated = ServiceFailure(AccessError.missingCredentials)
        #expect(unauthenticated.httpStatus == 401 && unauthenticated.grpcStatus == .unauthenticated && unauthenticated.code == "auth.missing")
        let body = try Self.object(unauthenticated.jsonBody)
        #expect((body["error"] as? [String: String]) == ["code": "auth.missing", "message": AccessError.missingCredentials.description])
        let limited = ServiceFailure(ServiceLimitError.rateLimited(account: "ops", perMinute: 60, retryAfterSeconds: 17))
        #expect(limited.httpStatus == 429 && limited.retryAfter == 17 && limited.grpcStatus == .resourceExhausted)
        #expect(ServiceFailure(ServiceLimitError.bodyTooLarge(limit: 10)).httpStatus == 413)
        #expect(ServiceFailure(RequestError("bad")).httpStatus == 400)
        #expect(ServiceFailure(ServiceLimitError.draining).httpStatus == 503)
        struct Secret: Error {}
        let hidden = ServiceFailure(Secret())
        #expect(hidden.httpStatus == 500 && hidden.message == "internal error" && hidden.code == "internal.unexpected")
    }

    @Test("the rate limiter admits perMinute calls per account and window, then says how long to wait")
    func rateLimiter() throws {
        let now = Mutex(Date(timeIntervalSince1970: 1_000_000))
        let limiter = RateLimiter(clock: { now.withLock { $0 } })
        try limiter.admit(account: "a", perMinute: 2)
        try limiter.admit(account: "a", perMinute: 2)
        try limiter.admit(account: "b", perMinute: 2)
        now.withLock { $0 += 15 }
        let refusal = #expect(throws: ServiceLimitError.self) { try limiter.admit(account: "a", perMinute: 2) }
        #expect(refusal?.retryAfterSeconds == 45)
        now.withLock { $0 += 45 }
        try limiter.admit(account: "a", perMinute: 2)
    }

    @Test("Last-Event-ID must be an event id; events are written with id, event and data lines")
    func serverSentEvents() throws {
        #expect(try TaskRoutes.lastEventID(nil) == nil)
        #expect(try TaskRoutes.lastEventID("7") == 7)
        #expect(throws: RequestError.self) { try TaskRoutes.lastEventID("x") }
        #expect(throws: RequestError.self) { try TaskRoutes.lastEventID("-1") }
        let event = TaskEvent(taskID: "t1", id: 3, type: .progress, time: Date(timeIntervalSince1970: 0), data: #"{"stage":"fetch"}"#)
        let text = String(decoding: try TaskRoutes.serverSentEvent(event), as: UTF8.self)
        #expect(text.hasPrefix("id: 3\nevent: progress\ndata: {") && text.hasSuffix("}\n\n"))
        #expect(text.contains(#""taskId":"t1""#) && text.contains(#""type":"progress""#) && text.contains(#""stage":"fetch""#))
    }
}
