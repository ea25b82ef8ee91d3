import Foundation
import HephaestusCore
import HephaestusPlatform

/// The subset of TOML the service's `--config` file uses: `[table]` headers (dotted names allowed), `key = value`
/// lines whose value is a basic string, an integer or a boolean, and `#` comments. Anything else (arrays, inline
/// tables, multi-line strings, dates) is refused with its line number rather than misread.
public struct ConfigurationFile: Sendable, Equatable {
    public enum Value: Sendable, Equatable {
        case string(String)
        case integer(Int64)
        case boolean(Bool)
    }

    /// Every value by its full dotted key (`limits.max_body_bytes`).
    public let values: [String: Value]

    public init(values: [String: Value]) {
        self.values = values
    }

    /// Parses the text of a configuration file (`name` is how errors name it).
    public init(text: String, name: String) throws(RequestError) {
        var values: [String: Value] = [:]
        var table = ""
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = index + 1
            let line = Self.stripComment(rawLine).trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            func fail(_ why: String) -> RequestError { RequestError("\(name):\(lineNumber): \(why)") }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]"), !line.hasPrefix("[[") else { throw fail("expected a [table] header") }
                table = String(line.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
                guard Self.isKey(table) else { throw fail("\(table) is not a table name") }
                continue
            }
            guard let equals = line.firstIndex(of: "=") else { throw fail("expected key = value") }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            let text = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            guard Self.isKey(key) else { throw fail("\(key) is not a key") }
            let fullKey = table.isEmpty ? key : "\(table).\(key)"
            guard values[fullKey] == nil else { throw fail("\(fullKey) is set twice") }
            values[fullKey] = try Self.value(text, fail: fail)
        }
        self.values = values
    }

    /// An integer setting, nil when absent.
    public func integer(_ key: String) throws(RequestError) -> Int64? {
        guard let value = values[key] else { return nil }
        guard case .integer(let number) = value else { throw RequestError("\(key) must be an integer") }
        return number
    }

    /// A string setting, nil when absent.
    public func string(_ key: String) throws(RequestError) -> String? {
        guard let value = values[key] else { return nil }
        guard case .string(let text) = value else { throw RequestError("\(key) must be a string") }
        return text
    }

    /// The keys under `table` (`rate_limits.role`), without the table's prefix.
    public func keys(under table: String) -> [String] {
        values.keys.filter { $0.hasPrefix(table + ".") }.map { String($0.dropFirst(table.count + 1)) }.sorted()
    }

    private static func isKey(_ text: String) -> Bool {
        !text.isEmpty
            && text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { part in
                !part.isEmpty && part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }
            }
    }

    /// The line without a `#` comment (a `#` inside a string stays).
    private static func stripComment(_ line: Substring) -> Substring {
        var inString = false
        var escaped = false
        for index in line.indices {
            let character = line[index]
            if escaped {
                escaped = false
            } else if character == "\\" && inString {
                escaped = true
            } else if character == "\"" {
                inString.toggle()
            } else if character == "#" && !inString {
                return line[..<index]
            }
        }
        return line
    }

    private static func value(_ text: String, fail: (String) -> RequestError) throws(RequestError) -> Value {
        if text == "true" { return .boolean(true) }
        if text == "false" { return .boolean(false) }
        if text.hasPrefix("\"") {
            guard text.count >= 2, text.hasSuffix("\"") else { throw fail("unterminated string") }
            var result = ""
            var escaped = false
            for character in text.dropFirst().dropLast() {
                if escaped {
                    switch character {
                    case "\\": result.append("\\")
                    case "\"": result.append("\"")
                    case "n": result.append("\n")
                    case "t": result.append("\t")
                    default: throw fail("unsupported escape \\\(character)")
                    }
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == "\"" {
                    throw fail("unexpected quote inside a string")
                } else {
                    result.append(character)
                }
            }
            guard !escaped else { throw fail("unterminated string") }
            return .string(result)
        }
        if let number = Int64(text.replacingOccurrences(of: "_", with: "")) { return .integer(number) }
        throw fail("unsupported value \(text) (strings, integers and booleans only)")
    }
}
