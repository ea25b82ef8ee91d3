import HephaestusPlatform
import TOMLKit

/// A TOML value, detached from TOMLKit (the rest of the toolkit never sees the parser's types).
indirect enum ConfigurationValue: Sendable, Equatable {
    case string(String)
    case integer(Int)
    case double(Double)
    case bool(Bool)
    case array([ConfigurationValue])
    case table([String: ConfigurationValue])
    /// A date or time: valid TOML, used by no Hephaestus key.
    case other(String)

    init(_ value: TOMLValueConvertible) {
        switch value.type {
        case .string: self = .string(value.string ?? "")
        case .int: self = .integer(value.int ?? 0)
        case .double: self = .double(value.double ?? 0)
        case .bool: self = .bool(value.bool ?? false)
        case .array: self = .array((value.array.map { Array($0) } ?? []).map { ConfigurationValue($0) })
        case .table:
            var entries: [String: ConfigurationValue] = [:]
            if let table = value.table { for key in table.keys { if let item = table[key] { entries[key] = ConfigurationValue(item) } } }
            self = .table(entries)
        default: self = .other(value.type.description)
        }
    }

    /// What the value is, in the words of an error message.
    var typeName: String {
        switch self {
        case .string: "a string"
        case .integer: "an integer"
        case .double: "a float"
        case .bool: "a boolean"
        case .array: "an array"
        case .table: "a table"
        case .other(let type): "a \(type)"
        }
    }
}

/// One table of the configuration being read: every key must be taken by a reader, and ``finish()`` rejects what was
/// not (so `includ = […]` is an error naming the key and the file, never silently ignored).
struct ConfigurationTable {
    /// The file, for messages.
    let file: String
    /// The dotted path of this table (`guard-rails.steps[2]`), for messages.
    let path: String
    private let entries: [String: ConfigurationValue]
    private var taken: Set<String> = []

    init(file: String, path: String, entries: [String: ConfigurationValue]) {
        self.file = file
        self.path = path
        self.entries = entries
    }

    /// The dotted name of `key` in this table.
    func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// An invalid-value error about `key`.
    func invalid(_ key: String, _ expectation: String) -> ProjectConfigurationError {
        ProjectConfigurationError(.invalidValue, "\(file): `\(name(key))` \(expectation)")
    }

    mutating func value(_ key: String) -> ConfigurationValue? {
        taken.insert(key)
        return entries[key]
    }

    mutating func string(_ key: String) throws(ProjectConfigurationError) -> String? {
        guard let value = value(key) else { return nil }
        guard case .string(let text) = value else { throw invalid(key, "must be a string, not \(value.typeName)") }
        return text
    }

    mutating func bool(_ key: String) throws(ProjectConfigurationError) -> Bool? {
        guard let value = value(key) else { return nil }
        guard case .bool(let flag) = value else { throw invalid(key, "must be true or false, not \(value.typeName)") }
        return flag
    }

    mutating func integer(_ key: String, in range: ClosedRange<Int>) throws(ProjectConfigurationError) -> Int? {
        guard let value = value(key) else { return nil }
        guard case .integer(let number) = value, range.contains(number) else {
            throw invalid(key, "must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    mutating func number(_ key: String, in range: ClosedRange<Double>) throws(ProjectConfigurationError) -> Double? {
        guard let value = value(key) else { return nil }
        let number: Double
        switch value {
        case .integer(let whole): number = Double(whole)
        case .double(let fraction): number = fraction
        default: throw invalid(key, "must be a number, not \(value.typeName)")
        }
        guard range.contains(number) else { throw invalid(key, "must be from \(range.lowerBound) to \(range.upperBound)") }
        return number
    }

    mutating func strings(_ key: String) throws(ProjectConfigurationError) -> [String]? {
        guard let value = value(key) else { return nil }
        guard case .array(let items) = value else { throw invalid(key, "must be an array of strings, not \(value.typeName)") }
        var strings: [String] = []
        for item in items {
            guard case .string(let text) = item else { throw invalid(key, "must be an array of strings (holds \(item.typeName))") }
            strings.append(text)
        }
        return strings
    }

    mutating func integers(_ key: String) throws(ProjectConfigurationError) -> [Int]? {
        guard let value = value(key) else { return nil }
        guard case .array(let items) = value else { throw invalid(key, "must be an array of integers, not \(value.typeName)") }
        var numbers: [Int] = []
        for item in items {
            guard case .integer(let number) = item else { throw invalid(key, "must be an array of integers (holds \(item.typeName))") }
            numbers.append(number)
        }
        return numbers
    }

    /// A table of string values (`env`, `pins`).
    mutating func stringTable(_ key: String) throws(ProjectConfigurationError) -> [String: String]? {
        guard let table = try table(key) else { return nil }
        var strings: [String: String] = [:]
        for (name, value) in table.entries {
            guard case .string(let text) = value else { throw table.invalid(name, "must be a string, not \(value.typeName)") }
            strings[name] = text
        }
        return strings
    }

    mutating func table(_ key: String) throws(ProjectConfigurationError) -> ConfigurationTable? {
        guard let value = value(key) else { return nil }
        guard case .table(let entries) = value else { throw invalid(key, "must be a table, not \(value.typeName)") }
        return ConfigurationTable(file: file, path: name(key), entries: entries)
    }

    mutating func tables(_ key: String) throws(ProjectConfigurationError) -> [ConfigurationTable]? {
        guard let value = value(key) else { return nil }
        guard case .array(let items) = value else { throw invalid(key, "must be an array of tables ([[\(name(key))]])") }
        var tables: [ConfigurationTable] = []
        for (index, item) in items.enumerated() {
            guard case .table(let entries) = item else { throw invalid(key, "must be an array of tables (holds \(item.typeName))") }
            tables.append(ConfigurationTable(file: file, path: "\(name(key))[\(index)]", entries: entries))
        }
        return tables
    }

    /// Rejects the first key (in sorted order) not in `allowed`, before any value is read: a misspelt key is named as
    /// such rather than as the missing key it was meant to be.
    func rejectUnknown(allowed: Set<String>) throws(ProjectConfigurationError) {
        if let unknown = entries.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw ProjectConfigurationError(.unknownKey, "\(file): unknown key `\(name(unknown))`")
        }
    }

    /// Rejects the first key (in sorted order) no reader took.
    func finish() throws(ProjectConfigurationError) {
        if let unknown = entries.keys.sorted().first(where: { !taken.contains($0) }) {
            throw ProjectConfigurationError(.unknownKey, "\(file): unknown key `\(name(unknown))`")
        }
    }
}

extension ConfigurationTable {
    /// The top-level table of a TOML document.
    static func parse(_ text: String, file: String) throws(ProjectConfigurationError) -> ConfigurationTable {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ProjectConfigurationError(
                .malformed, "\(file): line \(error.source.begin.line), column \(error.source.begin.column): \(error.description)")
        } catch {
            throw ProjectConfigurationError(.malformed, "\(file): \(error)")
        }
        guard case .table(let entries) = ConfigurationValue(table) else { return ConfigurationTable(file: file, path: "", entries: [:]) }
        return ConfigurationTable(file: file, path: "", entries: entries)
    }
}
