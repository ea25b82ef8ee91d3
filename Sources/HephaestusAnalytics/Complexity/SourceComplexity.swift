/// The complexity of one source file: indentation-based complexity, language-agnostic (the measure of Adam Tornhill's
/// *Your Code as a Crime Scene*), and, where the language is known, its functions.
///
/// Indentation: each non-blank line's leading whitespace in logical indentation levels, 4 spaces or 1 tab a level
/// (a line of 2 spaces is 0.5); blank lines (whitespace only) are not counted.
public struct SourceComplexity: Codable, Sendable, Equatable {
    /// Non-blank lines.
    public var lines = 0
    /// The sum of the lines' indentation levels.
    public var totalIndentation = 0.0
    /// ``totalIndentation`` / ``lines`` (0 for no line).
    public var meanIndentation = 0.0
    /// The deepest line's level.
    public var maxIndentation = 0.0
    /// The language the functions were counted in (`python`, `swift`); nil when not known.
    public var language: String?
    /// The number of functions (nil when the language is not known).
    public var functions: Int?
    /// The sum of the functions' cyclomatic complexities (nil when not measured: unknown language, or Swift).
    public var cyclomaticComplexity: Int?

    public init() {}

    /// Measures `source` (the file's bytes), counting functions when `path`'s extension names a known language.
    public init(source: [UInt8], path: String) {
        self.init()
        measureIndentation(source)
        switch Self.language(of: path) {
        case "python":
            let functions = PythonFunctions.scan(source)
            language = "python"
            self.functions = functions.count
            cyclomaticComplexity = functions.reduce(0) { $0 + $1.cyclomaticComplexity }
        case "swift":
            language = "swift"
            functions = SwiftFunctions.count(source)
        default:
            break
        }
    }

    /// The language of a path's extension whose functions are counted.
    public static func language(of path: String) -> String? {
        if path.hasSuffix(".py") || path.hasSuffix(".pyi") { return "python" }
        if path.hasSuffix(".swift") { return "swift" }
        return nil
    }

    private mutating func measureIndentation(_ source: [UInt8]) {
        var spaces = 0
        var atLineStart = true
        var blank = true
        var totalSpaces = 0
        var maxSpaces = 0
        func endLine() {
            if !blank {
                lines += 1
                totalSpaces += spaces
                maxSpaces = max(maxSpaces, spaces)
            }
            spaces = 0
            atLineStart = true
            blank = true
        }
        for byte in source {
            switch byte {
            case 0x0A:
                endLine()
            case 0x20 where atLineStart:
                spaces += 1
            case 0x09 where atLineStart:
                spaces += 4
            case 0x0D, 0x0C, 0x0B, 0x20, 0x09:
                break
            default:
                atLineStart = false
                blank = false
            }
        }
        endLine()
        totalIndentation = Double(totalSpaces) / 4
        maxIndentation = Double(maxSpaces) / 4
        meanIndentation = lines == 0 ? 0 : totalIndentation / Double(lines)
    }
}
