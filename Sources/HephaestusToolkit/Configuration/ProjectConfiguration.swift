import Foundation
import HephaestusPlatform

/// A project's Hephaestus configuration: `hephaestus.toml`, or the `[tool.hephaestus]` table of `pyproject.toml`
/// (`hephaestus.toml` wins when both exist). Every key is checked: an unknown one is an error naming it and the file.
public struct ProjectConfiguration: Sendable, Equatable {
    /// The file read, or nil when the project has none (the defaults apply).
    public var source: String?
    public var cleanup: CleanupConfiguration
    public var guardRails: GuardRailsConfiguration

    public init(source: String? = nil, cleanup: CleanupConfiguration = .init(), guardRails: GuardRailsConfiguration = .init()) {
        self.source = source
        self.cleanup = cleanup
        self.guardRails = guardRails
    }

    /// The names looked for in a project directory, in order.
    public static let fileNames = ["hephaestus.toml", "pyproject.toml"]

    /// The configuration of the project in `directory`: its `hephaestus.toml`, else the `[tool.hephaestus]` table of
    /// its `pyproject.toml`, else the defaults.
    public static func discover(in directory: String) throws(ProjectConfigurationError) -> ProjectConfiguration {
        let dedicated = "\(directory)/hephaestus.toml"
        if NativePath.exists(dedicated) { return try load(file: dedicated) }
        let pyproject = "\(directory)/pyproject.toml"
        if NativePath.exists(pyproject) { return try load(file: pyproject) }
        return ProjectConfiguration()
    }

    /// The configuration in `file`: a `pyproject.toml` (by name) is read from its `[tool.hephaestus]` table, any other
    /// file as a whole.
    public static func load(file: String) throws(ProjectConfigurationError) -> ProjectConfiguration {
        let text: String
        do {
            text = try String(decoding: FileReader.contents(of: file, limit: 4 << 20), as: UTF8.self)
        } catch {
            throw ProjectConfigurationError(.malformed, "\(file): \(error)")
        }
        return try parse(text, file: file, pyproject: (file as NSString).lastPathComponent == "pyproject.toml")
    }

    /// The configuration in `text` (the contents of `file`).
    public static func parse(_ text: String, file: String, pyproject: Bool) throws(ProjectConfigurationError) -> ProjectConfiguration {
        var document = try ConfigurationTable.parse(text, file: file)
        var table: ConfigurationTable
        if pyproject {
            // Other tools' tables are theirs: only [tool.hephaestus] is ours to check.
            guard case .table(let tools)? = document.value("tool"), case .table(let ours)? = tools["hephaestus"] else {
                return ProjectConfiguration(source: file)
            }
            table = ConfigurationTable(file: file, path: "tool.hephaestus", entries: ours)
        } else {
            table = document
        }
        var configuration = ProjectConfiguration(source: file)
        if var cleanup = try table.table("cleanup") {
            configuration.cleanup = try CleanupConfiguration(reading: &cleanup)
            try cleanup.finish()
        }
        if var guardRails = try table.table("guard-rails") {
            configuration.guardRails = try GuardRailsConfiguration(reading: &guardRails)
            try guardRails.finish()
        }
        try table.finish()
        return configuration
    }
}

/// `[cleanup]`: patterns added to the defaults, and patterns never removed.
public struct CleanupConfiguration: Sendable, Equatable, Codable {
    /// Added to ``CleanupPatterns/defaults``.
    public var include: [String]
    /// Never removed, never entered (matched like include patterns).
    public var exclude: [String]

    public init(include: [String] = [], exclude: [String] = []) {
        self.include = include
        self.exclude = exclude
    }

    init(reading table: inout ConfigurationTable) throws(ProjectConfigurationError) {
        include = try table.strings("include") ?? []
        exclude = try table.strings("exclude") ?? []
        for (key, patterns) in [("include", include), ("exclude", exclude)] {
            if let bad = patterns.first(where: { CleanupPattern($0) == nil }) {
                throw table.invalid(key, "holds an unusable pattern \"\(bad)\" (empty, absolute, or with `..`)")
            }
        }
    }
}
