import Foundation
import HephaestusPlatform

/// Why a policy file cannot be used: one line naming the file and the key.
public enum PolicyError: CodedError, Equatable {
    case invalid(file: String, reason: String)
    case templateUnavailable(file: String, name: String, command: String)

    public enum Code: String, ErrorCode {
        case invalid = "policy.invalid"
        case templateUnavailable = "policy.template-unavailable"

        public var definition: (category: ErrorCategory, summary: String) {
            switch self {
            case .invalid: (.configuration, "a policy file is not valid JSON, has an unknown key or version, or a bad value")
            case .templateUnavailable: (.usage, "a policy file uses a template ({tag}, {repository}, {version}) this command cannot fill")
            }
        }
    }

    public var errorCode: Code {
        switch self {
        case .invalid: .invalid
        case .templateUnavailable: .templateUnavailable
        }
    }

    public var description: String {
        switch self {
        case .invalid(let file, let reason): "policy \(file): \(reason)"
        case .templateUnavailable(let file, let name, let command):
            "policy \(file): {\(name)} is only known to release verify and release install, not to \(command)"
        }
    }
}

/// A policy file (`--policy FILE`, format version 1): who may sign and what a bundle must show, as JSON. Every key is
/// documented in docs/reference/policy-file.md; an unknown key is refused, naming it. Strings may hold the templates
/// `{tag}`, `{repository}` (`OWNER/REPO`) and `{version}` (the tag without a leading `v`), filled in by the commands
/// that know the release being checked; they are filled literally (escaped inside `regexp` and `glob` matchers).
public struct PolicyFile: Sendable {
    public static let version = 1
    public static let templateNames = ["tag", "repository", "version"]
    public static let maximumSize = 1 << 20

    /// The file's name, for messages.
    public let source: String
    private let document: [String: JSONValue]

    /// The templates the file uses.
    public let templates: Set<String>

    /// Reads and checks a policy file (every key and value; templates are filled with placeholders for the check).
    public init(path: String) throws {
        try self.init(bytes: FileReader.contents(of: path, limit: Self.maximumSize), source: path)
    }

    public init(bytes: [UInt8], source: String) throws(PolicyError) {
        self.source = source
        let value: JSONValue
        do { value = try JSONValue.parse(bytes) } catch { throw .invalid(file: source, reason: "not valid JSON: \(error)") }
        guard case .object(let object) = value else { throw .invalid(file: source, reason: "not a JSON object") }
        document = object
        var used = Set<String>()
        Self.collectTemplates(value, into: &used)
        templates = used
        _ = try signerPolicy(templates: Dictionary(uniqueKeysWithValues: Self.templateNames.map { ($0, "placeholder") }))
    }

    /// The policy, with templates filled from `templates`; a template the caller cannot fill is a usage error naming
    /// `command`.
    public func signerPolicy(templates values: [String: String], command: String = "this command") throws(PolicyError) -> SignerPolicy {
        if let missing = templates.sorted().first(where: { values[$0] == nil }) {
            throw .templateUnavailable(file: source, name: missing, command: command)
        }
        var reader = Reader(source: source, values: values)
        return try reader.policy(document)
    }

    private static func collectTemplates(_ value: JSONValue, into used: inout Set<String>) {
        switch value {
        case .string(let text):
            for name in templateNames where text.contains("{\(name)}") { used.insert(name) }
        case .array(let items): for item in items { collectTemplates(item, into: &used) }
        case .object(let object): for item in object.values { collectTemplates(item, into: &used) }
        default: break
        }
    }

    /// Walks the document, refusing unknown keys and wrong types with the key's path.
    private struct Reader {
        let source: String
        let values: [String: String]

        func fail(_ path: String, _ reason: String) -> PolicyError { .invalid(file: source, reason: "\(path): \(reason)") }

        func keys(_ object: [String: JSONValue], _ allowed: [String], at path: String) throws(PolicyError) {
            if let unknown = object.keys.sorted().first(where: { !allowed.contains($0) }) {
                throw .invalid(file: source, reason: "unknown key \(path.isEmpty ? "" : path + ".")\(unknown)")
            }
        }

        func fill(_ text: String, escape: (String) -> String) -> String {
            var text = text
            for (name, value) in values { text = text.replacingOccurrences(of: "{\(name)}", with: escape(value)) }
            return text
        }

        func string(_ value: JSONValue, at path: String) throws(PolicyError) -> String {
            guard case .string(let text) = value, !text.isEmpty else { throw fail(path, "must be a non-empty string") }
            return text
        }

        func strings(_ value: JSONValue, at path: String) throws(PolicyError) -> [String] {
            guard case .array(let items) = value, !items.isEmpty else { throw fail(path, "must be a non-empty array of strings") }
            var result: [String] = []
            for (index, item) in items.enumerated() { result.append(fill(try string(item, at: "\(path)[\(index)]")) { $0 }) }
            return result
        }

        func threshold(_ value: JSONValue, at path: String) throws(PolicyError) -> Int {
            guard case .object(let object) = value else { throw fail(path, "must be an object {\"threshold\": N}") }
            try keys(object, ["threshold"], at: path)
            guard case .integer(let count)? = object["threshold"], (1...64).contains(count) else {
                throw fail(path + ".threshold", "must be an integer from 1 to 64")
            }
            return Int(count)
        }

        /// A string (exact) or an object with exactly one of `exact`, `regexp` (whole value), `glob`.
        func matcher(_ value: JSONValue, at path: String) throws(PolicyError) -> ValueMatcher {
            if case .string = value { return .exact(fill(try string(value, at: path)) { $0 }) }
            guard case .object(let object) = value else { throw fail(path, "must be a string or an object with exact, regexp or glob") }
            try keys(object, ["exact", "regexp", "glob"], at: path)
            guard object.count == 1, let (kind, text) = object.first else { throw fail(path, "needs exactly one of exact, regexp, glob") }
            let pattern = try string(text, at: "\(path).\(kind)")
            let matcher: ValueMatcher =
                switch kind {
                case "regexp": .regularExpression(fill(pattern) { NSRegularExpression.escapedPattern(for: $0) })
                case "glob": .glob(fill(pattern) { $0.replacing(#/[\\*?\[\]]/#) { "\\" + $0.output } })
                default: .exact(fill(pattern) { $0 })
                }
            do { return try matcher.validated() } catch { throw fail(path, "\(error)") }
        }

        static let claimAliases: [String: @Sendable (ValueMatcher) -> ClaimExpectation] = [
            "githubRepository": ClaimExpectation.githubRepository, "githubRef": ClaimExpectation.githubRef,
            "githubSha": ClaimExpectation.githubSHA, "githubTrigger": ClaimExpectation.githubTrigger,
            "githubWorkflow": ClaimExpectation.githubWorkflow,
        ]

        func identity(_ value: JSONValue, at path: String) throws(PolicyError) -> CertificateIdentity {
            guard case .object(let object) = value else { throw fail(path, "must be an object") }
            try keys(object, ["san", "issuer", "claims"], at: path)
            guard let san = object["san"] else { throw fail(path, "san is required") }
            guard let issuer = object["issuer"] else { throw fail(path, "issuer is required") }
            var claims: [ClaimExpectation] = []
            if let given = object["claims"] {
                guard case .object(let claimObject) = given else { throw fail(path + ".claims", "must be an object of claim names") }
                let names = FulcioCertificate.claimOIDs.map(\.name)
                try keys(claimObject, Self.claimAliases.keys.sorted() + names, at: path + ".claims")
                for (name, expected) in claimObject.sorted(by: { $0.key < $1.key }) {
                    let matcher = try matcher(expected, at: "\(path).claims.\(name)")
                    claims.append(Self.claimAliases[name].map { $0(matcher) } ?? .claim(name, matcher))
                }
            }
            return CertificateIdentity(
                san: try matcher(san, at: path + ".san"), issuer: try matcher(issuer, at: path + ".issuer"), claims: claims)
        }

        mutating func policy(_ document: [String: JSONValue]) throws(PolicyError) -> SignerPolicy {
            try keys(
                document,
                [
                    "version", "identities", "transparencyLog", "certificateTransparency", "timestampAuthority", "observer", "entryKinds",
                    "bundleVersions", "predicateTypes", "maxAge",
                ], at: "")
            guard case .integer(let version)? = document["version"] else { throw fail("version", "is required (1)") }
            guard version == Int64(PolicyFile.version) else { throw fail("version", "\(version) is not supported (only 1)") }
            guard case .array(let items)? = document["identities"], !items.isEmpty else {
                throw fail("identities", "is required: a non-empty array of {san, issuer, claims}")
            }
            var identities: [CertificateIdentity] = []
            for (index, item) in items.enumerated() { identities.append(try identity(item, at: "identities[\(index)]")) }
            var requirements = BundleRequirements()
            if let value = document["transparencyLog"] { requirements.transparencyLogThreshold = try threshold(value, at: "transparencyLog") }
            if let value = document["certificateTransparency"] {
                requirements.certificateTransparencyThreshold = try threshold(value, at: "certificateTransparency")
            }
            if let value = document["timestampAuthority"] {
                requirements.timestampAuthorityThreshold = try threshold(value, at: "timestampAuthority")
            }
            if let value = document["observer"] { requirements.observerThreshold = try threshold(value, at: "observer") }
            if let value = document["entryKinds"] { requirements.entryKinds = try strings(value, at: "entryKinds") }
            if let value = document["bundleVersions"] {
                let versions = try strings(value, at: "bundleVersions")
                let known = Set(SigstoreBundle.mediaTypes.values.map(\.rawValue)).sorted()
                if let unknown = versions.first(where: { !known.contains($0) }) {
                    throw fail("bundleVersions", "\(unknown) is not a bundle version (\(known.joined(separator: ", ")))")
                }
                requirements.bundleVersions = versions
            }
            if let value = document["predicateTypes"] { requirements.predicateTypes = try strings(value, at: "predicateTypes") }
            if let value = document["maxAge"] {
                let text = try string(value, at: "maxAge")
                guard let seconds = PolicyDuration.parse(text), seconds > 0 else {
                    throw fail("maxAge", "\(text) is not a duration such as 90d, 12h, 30m or 3600s")
                }
                requirements.maximumAge = seconds
            }
            return SignerPolicy(identity: .certificates(identities), requirements: requirements)
        }
    }
}
