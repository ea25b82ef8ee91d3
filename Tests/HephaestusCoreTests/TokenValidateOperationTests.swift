import Foundation
import HephaestusCore
import HephaestusPlatform
import HephaestusTestSupport
import Testing

@Suite("token.validate operation")
struct TokenValidateOperationTests {
    static let token = "ghp_" + String(repeating: "A1b2", count: 9)

    @Test("A missing or malformed token is refused before any request, and never echoed")
    func refusedTokens() async throws {
        let closed = try SigstoreTestServer.closedPortURL()
        let request = TokenValidateOperation.Request(github: GitHubChoice(apiURL: closed, tokenEnv: "RELEASE_TOKEN"))
        await #expect(throws: GitHubError.missingToken(sources: ["RELEASE_TOKEN"])) {
            try await TokenValidateOperation.run(request, in: .quiet(environment: ["GITHUB_TOKEN": Self.token]))
        }
        let malformed = Self.token + "-"
        do {
            _ = try await TokenValidateOperation.run(request, in: .quiet(environment: ["RELEASE_TOKEN": malformed]))
            Issue.record("a malformed token was accepted")
        } catch let error as GitHubError {
            #expect(error.code == "github.malformed-token")
            #expect(!error.description.contains(malformed))
        }
        await #expect(throws: RequestError("--api-url not a url is not an absolute URL")) {
            try await TokenValidateOperation.run(
                TokenValidateOperation.Request(github: GitHubChoice(apiURL: "not a url")), in: .quiet(environment: ["GITHUB_TOKEN": Self.token]))
        }
    }

    @Test(
        "GitHub's answer becomes the report: kind, scopes, expiry, rate limit; the token is registered with the run's redactor and absent from the report",
        .enabled(if: ToolLocator.find("python3") != nil, "python3 is not on PATH: the fake GitHub server cannot run"))
    func report() async throws {
        let server = try FakeGitHubServer(
            config: FakeGitHubServer.config(releases: [], extra: ["scopes": "repo, workflow", "expiry": "2027-01-01 00:00:00 UTC"]))
        let context = OperationContext.quiet(environment: ["RELEASE_TOKEN": Self.token])
        let request = TokenValidateOperation.Request(github: GitHubChoice(apiURL: server.apiURL, tokenEnv: "RELEASE_TOKEN"))
        let report = try await TokenValidateOperation.run(request, in: context)
        #expect(report.kind == .classic)
        #expect(report.source == "RELEASE_TOKEN")
        #expect(report.scopes == ["repo", "workflow"])
        #expect(report.expiresAt == "2027-01-01 00:00:00 UTC")
        #expect(report.rateLimit.remaining == 4990)
        #expect(!context.redactor.redact("token \(Self.token)").contains(Self.token))
        let document = try await TokenValidateOperation.runJSON(
            Array(#"{"github": {"apiURL": "\#(server.apiURL)", "tokenEnv": "RELEASE_TOKEN"}}"#.utf8), in: context)
        let text = String(decoding: document.json, as: UTF8.self)
        #expect(!text.contains(Self.token))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(document.json)) as? [String: Any])
        #expect(object["kind"] as? String == "personal access token (classic)")
        #expect(object["mediaType"] as? String == MediaType.tokenReport)
    }
}
