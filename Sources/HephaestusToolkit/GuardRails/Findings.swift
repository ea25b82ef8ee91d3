import Foundation

/// One problem a step reported, located where the tool's output says: what SARIF results and JUnit failures are made of.
public struct Finding: Codable, Sendable, Equatable {
    /// The tool's rule or error code (`F401`, `arg-type`), or the step's name when the tool gives none.
    public var rule: String
    public var message: String
    /// Relative to the project when the tool says so.
    public var file: String?
    public var line: Int?
    public var column: Int?
    /// `error`, `warning` or `note` (SARIF's levels).
    public var level: String

    public init(rule: String, message: String, file: String? = nil, line: Int? = nil, column: Int? = nil, level: String = "error") {
        self.rule = rule
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.level = level
    }
}

/// Reads findings from tools' machine-readable output.
public enum FindingParser {
    /// The format a command's output is in, from its argv when not configured: `ruff check --output-format json`,
    /// mypy's text, pytest's summary lines.
    public static func format(for argv: [String]) -> FindingFormat {
        let names = argv.map { ($0 as NSString).lastPathComponent }
        if names.contains("ruff") && names.contains("check") && argv.contains(where: { $0 == "--output-format=json" || $0 == "json" }) {
            return .ruffJSON
        }
        if names.contains("ruff") && names.contains("format") { return .ruffFormat }
        if names.contains("mypy") { return .mypyText }
        if names.contains("pytest") || names.contains("py.test") { return .pytestText }
        return .none
    }

    public static func parse(_ output: [UInt8], format: FindingFormat, project: String) -> [Finding] {
        switch format {
        case .ruffJSON: ruff(output, project: project)
        case .mypyText: mypy(String(decoding: output, as: UTF8.self))
        case .pytestText: pytest(String(decoding: output, as: UTF8.self))
        case .ruffFormat: ruffFormat(String(decoding: output, as: UTF8.self))
        case .none: []
        }
    }

    /// `ruff check --output-format json`: an array of `{code, message, filename, location: {row, column}}`.
    static func ruff(_ output: [UInt8], project: String) -> [Finding] {
        guard let items = try? JSONSerialization.jsonObject(with: Data(output)) as? [[String: Any]] else { return [] }
        return items.map { item in
            let location = item["location"] as? [String: Any]
            var file = item["filename"] as? String
            if let absolute = file, absolute.hasPrefix(project + "/") { file = String(absolute.dropFirst(project.count + 1)) }
            return Finding(
                rule: (item["code"] as? String) ?? "ruff", message: (item["message"] as? String) ?? "", file: file,
                line: location?["row"] as? Int, column: location?["column"] as? Int)
        }
    }

    /// mypy's lines `FILE:LINE[:COLUMN]: error|warning|note: MESSAGE  [CODE]`.
    static func mypy(_ text: String) -> [Finding] {
        text.split(separator: "\n").compactMap { line -> Finding? in
            let parts = line.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
            guard parts.count >= 4, let number = Int(parts[1]) else { return nil }
            var column: Int?
            var rest: String
            if let value = Int(parts[2]) {
                column = value
                rest = parts[3]
            } else {
                rest = parts[2] + ":" + parts[3]
            }
            rest = rest.trimmingCharacters(in: .whitespaces)
            guard let colon = rest.firstIndex(of: ":") else { return nil }
            let severity = String(rest[..<colon])
            guard ["error", "warning", "note"].contains(severity) else { return nil }
            var message = rest[rest.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            var rule = "mypy"
            if message.hasSuffix("]"), let open = message.lastIndex(of: "[") {
                rule = String(message[message.index(after: open)..<message.index(before: message.endIndex)])
                message = message[..<open].trimmingCharacters(in: .whitespaces)
            }
            return Finding(rule: rule, message: message, file: parts[0], line: number, column: column, level: severity)
        }
    }

    /// `ruff format --check`: `Would reformat: PATH` per file.
    static func ruffFormat(_ text: String) -> [Finding] {
        text.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("Would reformat: ") else { return nil }
            let file = String(line.dropFirst("Would reformat: ".count))
            return Finding(rule: "format", message: "\(file) is not formatted (ruff format would change it)", file: file)
        }
    }

    /// pytest's short summary lines (`-rf`): `FAILED tests/test_x.py::test_y - MESSAGE`, `ERROR …`.
    static func pytest(_ text: String) -> [Finding] {
        text.split(separator: "\n").compactMap { line -> Finding? in
            let kind: String
            if line.hasPrefix("FAILED ") { kind = "failed" } else if line.hasPrefix("ERROR ") { kind = "error" } else { return nil }
            let body = line.drop { $0 != " " }.dropFirst()
            let (node, message) =
                body.range(of: " - ").map { (String(body[..<$0.lowerBound]), String(body[$0.upperBound...])) } ?? (String(body), kind)
            let file = node.components(separatedBy: "::").first
            return Finding(rule: "pytest-\(kind)", message: "\(node): \(message)", file: file)
        }
    }
}
