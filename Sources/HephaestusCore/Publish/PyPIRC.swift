import Foundation
import HephaestusPlatform

/// `~/.pypirc`, as twine reads it (Python's `RawConfigParser`: `[section]`s of `key = value` or `key: value`, `#`/`;`
/// comments, indented continuation lines, keys case-insensitive, no interpolation).
public struct PyPIRC: Sendable, Equatable {
    public struct Repository: Sendable, Equatable {
        public var url: URL?
        public var username: String?
        public var password: String?
    }

    /// twine's built-in repositories, used when the file does not name a URL for them.
    public static let builtIn: [String: URL] = [
        "pypi": URL(string: "https://upload.pypi.org/legacy/")!,
        "testpypi": URL(string: "https://test.pypi.org/legacy/")!,
    ]

    public let path: String
    public let sections: [String: [String: String]]

    /// `--config-file`, else `~/.pypirc`.
    public static func defaultPath(environment: [String: String]) -> String {
        (environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()) + "/.pypirc"
    }

    /// Reads the file; a missing file is an empty configuration, an unreadable or malformed one an error.
    public static func load(path: String) throws -> PyPIRC {
        guard FileManager.default.fileExists(atPath: path) else { return PyPIRC(path: path, sections: [:]) }
        let bytes = try FileReader(path: path).readAll(limit: 1 << 20)
        return try PyPIRC(path: path, text: String(decoding: bytes, as: UTF8.self))
    }

    public init(path: String, sections: [String: [String: String]]) {
        self.path = path
        self.sections = sections
    }

    public init(path: String, text: String) throws {
        var sections: [String: [String: String]] = [:]
        var section: String?
        var key: String?
        // Character.isNewline covers "\n", "\r\n" (one Character in Swift) and "\r".
        for (offset, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix(";") {
                if trimmed.isEmpty { key = nil }
                continue
            }
            if line.first == " " || line.first == "\t", let section, let key {
                let previous = sections[section]?[key] ?? ""
                sections[section]?[key] = previous.isEmpty ? trimmed : previous + "\n" + trimmed
                continue
            }
            if trimmed.hasPrefix("["), trimmed.hasSuffix("]") {
                let name = String(trimmed.dropFirst().dropLast())
                section = name
                key = nil
                if sections[name] == nil { sections[name] = [:] }
                continue
            }
            guard let section else { throw PublishError.configuration("\(path): line \(offset + 1): a setting outside any [section]") }
            guard let separator = trimmed.firstIndex(where: { $0 == "=" || $0 == ":" }) else {
                throw PublishError.configuration("\(path): line \(offset + 1): expected `key = value`")
            }
            let name = trimmed[..<separator].trimmingCharacters(in: .whitespaces).lowercased()
            sections[section]?[name] = trimmed[trimmed.index(after: separator)...].trimmingCharacters(in: .whitespaces)
            key = name
        }
        self.path = path
        self.sections = sections
    }

    /// The repository `name`: its URL (the file's, else twine's built-in one), username and password. A name that is
    /// neither in the file nor built in is an error.
    public func repository(_ name: String) throws -> Repository {
        let section = sections[name]
        guard section != nil || Self.builtIn[name] != nil else {
            throw PublishError.configuration(
                "repository \(name) is not defined in \(path) (sections: \(sections.keys.sorted().joined(separator: ", ")))")
        }
        var url = Self.builtIn[name]
        if let text = section?["repository"], !text.isEmpty {
            guard let parsed = URL(string: text), parsed.host != nil else {
                throw PublishError.configuration("\(path): [\(name)] repository \(text) is not an absolute URL")
            }
            url = parsed
        }
        return Repository(url: url, username: section?["username"], password: section?["password"].flatMap { $0.isEmpty ? nil : $0 })
    }

    /// Where to upload and what the config file says for it. `--repository-url` stands alone (twine's rule: no config
    /// credentials); otherwise the named repository (default `pypi`) from the config file, or twine's built-in URL.
    /// `warning` is set when the file holds a password that other users can read.
    public static func uploadTarget(
        repositoryURL: URL?, repository: String?, configFile: String?, environment: [String: String]
    ) throws -> (url: URL, configured: Repository?, warning: String?) {
        if let repositoryURL { return (repositoryURL, nil, nil) }
        let config = try load(path: configFile ?? defaultPath(environment: environment))
        let configured = try config.repository(repository ?? "pypi")
        let warning =
            configured.password != nil && config.readableByOthers
            ? "\(config.path) holds a password and other users can read it (chmod 600 \(config.path))" : nil
        return (configured.url ?? PyPIUploader.defaultRepositoryURL, configured, warning)
    }

    /// Whether users other than the owner may read the file (a password in it would be exposed).
    public var readableByOthers: Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { return false }
        return info.st_mode & (S_IRGRP | S_IROTH) != 0
    }
}
