import Foundation
import HephaestusPlatform
import Synchronization

/// A GitHub token whose shape was checked before any request. Its value never appears in descriptions, logs or
/// errors: `description` names only its kind.
public struct GitHubToken: Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case classic = "personal access token (classic)"
        case fineGrained = "fine-grained personal access token"
        case oauth = "OAuth access token"
        case userToServer = "GitHub App user-to-server token"
        case installation = "GitHub App installation token"
        case refresh = "GitHub App refresh token"
    }

    private let value: String
    public let kind: Kind
    /// Where it came from (the environment variable name), for messages.
    public let source: String

    public var description: String { "<\(kind.rawValue) from \(source), redacted>" }

    /// The `Authorization` header value.
    public var authorization: String { "Bearer \(value)" }

    /// Registers the value with the redactor so that no log record or error can carry it.
    public func redact(with redactor: SecretRedactor) {
        redactor.register(value)
    }

    /// Checks the shape of `raw` (from `source`). Messages give the length and problem, never the value.
    public init(_ raw: String, source: String) throws(GitHubError) {
        self.source = source
        if raw.isEmpty { throw GitHubError.malformedToken(source: source, reason: "it is empty") }
        if raw.contains(where: { $0.isWhitespace || $0.isNewline }) {
            throw GitHubError.malformedToken(
                source: source, reason: "it contains whitespace or a newline (a trailing newline from a file?), length \(raw.utf8.count)")
        }
        func alphanumeric(_ text: Substring) -> Bool {
            text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }
        }
        let shapes: [(prefix: String, kind: Kind, lengths: ClosedRange<Int>)] = [
            ("ghp_", .classic, 36...36), ("gho_", .oauth, 36...36), ("ghr_", .refresh, 36...76),
            ("ghu_", .userToServer, 36...251), ("ghs_", .installation, 36...251),
        ]
        if raw.hasPrefix("github_pat_") {
            let body = raw.dropFirst("github_pat_".count)
            let parts = body.split(separator: "_", omittingEmptySubsequences: false)
            guard body.utf8.count == 82, parts.count == 2, parts[0].utf8.count == 22, parts.allSatisfy(alphanumeric) else {
                throw GitHubError.malformedToken(
                    source: source,
                    reason: "a fine-grained token is github_pat_ + 22 + _ + 59 characters; this one has \(body.utf8.count) after the prefix")
            }
            kind = .fineGrained
            value = raw
            return
        }
        guard let shape = shapes.first(where: { raw.hasPrefix($0.prefix) }) else {
            throw GitHubError.malformedToken(
                source: source, reason: "unknown prefix (expected ghp_, github_pat_, gho_, ghu_, ghs_ or ghr_), length \(raw.utf8.count)")
        }
        let body = raw.dropFirst(shape.prefix.count)
        guard shape.lengths.contains(body.utf8.count), alphanumeric(body) else {
            throw GitHubError.malformedToken(
                source: source,
                reason:
                    "\(shape.prefix) tokens have \(shape.lengths.lowerBound == shape.lengths.upperBound ? "\(shape.lengths.lowerBound)" : "\(shape.lengths.lowerBound)–\(shape.lengths.upperBound)") letters and digits after the prefix; this one has \(body.utf8.count)\(alphanumeric(body) ? "" : " with other characters")"
            )
        }
        kind = shape.kind
        value = raw
    }

    /// The token from `--token-env NAME` when given, else `GITHUB_TOKEN`, else `GH_TOKEN`; nil when none is set.
    public static func fromEnvironment(
        variable: String? = nil, environment: [String: String]
    ) throws(GitHubError) -> GitHubToken? {
        let names = variable.map { [$0] } ?? ["GITHUB_TOKEN", "GH_TOKEN"]
        for name in names {
            if let raw = environment[name], !(variable == nil && raw.isEmpty) {
                return try GitHubToken(raw, source: name)
            }
        }
        return nil
    }
}

/// Removes registered secrets from any text before it is logged or printed. One per run (an operation's context
/// holds it), so that what one run registers never outlives it.
public final class SecretRedactor: Sendable {
    private let secrets = Mutex<[String]>([])

    public init() {}

    public func register(_ secret: String) {
        guard secret.count >= 8 else { return }
        secrets.withLock { secrets in
            if !secrets.contains(secret) { secrets.append(secret) }
        }
    }

    public func redact(_ text: String) -> String {
        let current = secrets.withLock { $0 }
        var output = text
        for secret in current where output.contains(secret) {
            output = output.replacingOccurrences(of: secret, with: "[REDACTED]")
        }
        return output
    }
}
