import HephaestusCore
import Testing

@Suite("Tokens, asset names and repositories")
struct GitHubInputTests {
    @Test(
        "Token shapes are recognised",
        arguments: [
            ("ghp_" + String(repeating: "a", count: 36), GitHubToken.Kind.classic),
            ("gho_" + String(repeating: "B", count: 36), .oauth),
            ("ghu_" + String(repeating: "c", count: 36), .userToServer),
            ("ghs_" + String(repeating: "1", count: 36), .installation),
            ("ghr_" + String(repeating: "d", count: 76), .refresh),
            ("github_pat_" + String(repeating: "e", count: 22) + "_" + String(repeating: "F", count: 59), .fineGrained),
        ])
    func validShapes(token: String, kind: GitHubToken.Kind) throws {
        let parsed = try GitHubToken(token, source: "GITHUB_TOKEN")
        #expect(parsed.kind == kind)
        #expect(!parsed.description.contains(token))
        #expect(parsed.authorization == "Bearer \(token)")
    }

    @Test(
        "Malformed tokens are refused without echoing them",
        arguments: [
            "", "ghp_" + String(repeating: "a", count: 35), "ghp_" + String(repeating: "a", count: 37),
            "ghp_" + String(repeating: "a", count: 36) + "\n", " ghp_" + String(repeating: "a", count: 36),
            "ghp_" + String(repeating: "a", count: 35) + "-", "token " + String(repeating: "a", count: 40),
            "github_pat_" + String(repeating: "e", count: 81), "glpat-" + String(repeating: "a", count: 20),
        ])
    func malformed(token: String) {
        do {
            _ = try GitHubToken(token, source: "GITHUB_TOKEN")
            Issue.record("accepted a malformed token")
        } catch {
            let trimmed = token.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(trimmed.isEmpty || !error.description.contains(trimmed))
            #expect(error.description.hasPrefix("GITHUB_TOKEN does not hold a valid GitHub token"))
        }
    }

    @Test("The environment is searched in order: --token-env, then GITHUB_TOKEN, then GH_TOKEN")
    func environmentOrder() throws {
        let classic = "ghp_" + String(repeating: "a", count: 36)
        let oauth = "gho_" + String(repeating: "b", count: 36)
        #expect(try GitHubToken.fromEnvironment(environment: ["GH_TOKEN": oauth])?.kind == .oauth)
        #expect(try GitHubToken.fromEnvironment(environment: ["GITHUB_TOKEN": classic, "GH_TOKEN": oauth])?.kind == .classic)
        #expect(try GitHubToken.fromEnvironment(variable: "MINE", environment: ["GITHUB_TOKEN": classic, "MINE": oauth])?.source == "MINE")
        #expect(try GitHubToken.fromEnvironment(variable: "MINE", environment: ["GITHUB_TOKEN": classic]) == nil)
        #expect(try GitHubToken.fromEnvironment(environment: [:]) == nil)
    }

    @Test("Secrets are redacted from any text")
    func redaction() {
        let redactor = SecretRedactor()
        let token = "ghp_" + String(repeating: "z", count: 36)
        redactor.register(token)
        #expect(redactor.redact("Authorization: Bearer \(token) failed") == "Authorization: Bearer [REDACTED] failed")
    }

    @Test(
        "Asset names are sanitised",
        arguments: [
            ("demo-1.0.0-py3-none-any.whl", "demo-1.0.0-py3-none-any.whl", false),
            ("../../etc/cron.d/evil", "evil", true),
            ("/absolute/path.whl", "path.whl", true),
            ("dir\\sub\\win.whl", "win.whl", true),
            ("%2e%2e%2fencoded.whl", "encoded.whl", true),
            ("%252e%252e%252fdouble.whl", "double.whl", true),
            ("\u{FF0E}\u{FF0E}\u{FF0F}fullwidth.whl", "fullwidth.whl", true),
            ("a\u{2215}division-slash.whl", "division-slash.whl", true),
            ("pkg%201.0.whl", "pkg%201.0.whl", false),
            (".hidden", ".hidden", false),
        ])
    func sanitised(remote: String, expected: String, rewritten: Bool) throws {
        let result = try AssetNameSanitizer.sanitize(remote)
        #expect(result.name == expected)
        #expect(result.rewritten == rewritten)
    }

    @Test(
        "Unsafe asset names are refused",
        arguments: [
            "", ".", "..", "a/", "a/..", "%2e%2e", "ok\u{0000}.whl", "tab\t.whl", "bell\u{0007}", "%00.whl", "%0a.whl",
            "\u{FF0E}\u{FF0E}", String(repeating: "x", count: 256),
        ])
    func refused(remote: String) {
        #expect(throws: GitHubError.self) { try AssetNameSanitizer.sanitize(remote) }
    }

    @Test("Repositories are OWNER/REPO", arguments: ["octo/wheels", "my-org/my.repo_2"])
    func repositories(text: String) throws {
        #expect(try GitHubRepository(text).description == text)
    }

    @Test("Bad repositories are refused", arguments: ["octo", "octo/", "/wheels", "a/b/c", "octo/..", "oct o/x", "octo/wh?els"])
    func badRepositories(text: String) {
        #expect(throws: GitHubError.invalidRepository(text)) { try GitHubRepository(text) }
    }
}
