/// The functions of a Python source file and the cyclomatic complexity of each, counted as lizard counts them: every
/// `def` (methods and nested functions included, lambdas not) is a function that ends at the first later statement
/// indented no deeper than its `def`; its complexity is 1 plus each `if`, `elif`, `for`, `while`, `except`,
/// `finally`, `and`, `or` and `case` (as a soft keyword) in its own body (not in functions nested in it).
/// Comments and string literals are skipped.
public enum PythonFunctions {
    public struct Function: Sendable, Equatable {
        public let name: String
        /// The 1-based line of its name.
        public let line: Int
        public var cyclomaticComplexity: Int
    }

    private static let conditions: Set<String> = ["if", "elif", "for", "while", "except", "finally", "and", "or"]
    private static let stringPrefixes: Set<String> = ["r", "u", "b", "f", "t", "br", "rb", "fr", "rf", "tr", "rt"]

    public static func scan(_ source: [UInt8]) -> [Function] {
        var scanner = Scanner(source: source)
        scanner.run()
        return scanner.functions
    }

    private struct Scanner {
        let source: [UInt8]
        var index = 0
        var line = 1
        var depth = 0
        var continuation = false
        var functions: [Function] = []
        /// Open functions: the indentation of their `def` line and their index in `functions`.
        var open: [(indent: Int, function: Int)] = []
        var lineIndent = 0
        var firstTokenOfLine = true
        var expectingName = false

        init(source: [UInt8]) {
            self.source = source
        }

        mutating func run() {
            var atPhysicalLineStart = true
            while index < source.count {
                if atPhysicalLineStart {
                    atPhysicalLineStart = false
                    if depth == 0 && !continuation {
                        // Measure the indentation of a possible new logical line.
                        var spaces = 0
                        while index < source.count, source[index] == 0x20 || source[index] == 0x09 || source[index] == 0x0C {
                            spaces = source[index] == 0x09 ? (spaces / 8 + 1) * 8 : spaces + 1
                            index += 1
                        }
                        if index < source.count, source[index] != 0x0A, source[index] != 0x0D, source[index] != UInt8(ascii: "#") {
                            startLogicalLine(indent: spaces)
                        }
                        continue
                    }
                    continuation = false
                }
                let byte = source[index]
                switch byte {
                case 0x0A:
                    line += 1
                    index += 1
                    atPhysicalLineStart = true
                case UInt8(ascii: "\\"):
                    // A backslash before the newline continues the logical line.
                    index += 1
                    if index < source.count, source[index] == 0x0D { index += 1 }
                    if index < source.count, source[index] == 0x0A {
                        continuation = true
                        line += 1
                        index += 1
                        atPhysicalLineStart = true
                    }
                case UInt8(ascii: "#"):
                    while index < source.count, source[index] != 0x0A { index += 1 }
                case UInt8(ascii: "\""), UInt8(ascii: "'"):
                    skipString(formatted: false)
                    token("")
                case UInt8(ascii: "("), UInt8(ascii: "["), UInt8(ascii: "{"):
                    depth += 1
                    index += 1
                    token("(")
                case UInt8(ascii: ")"), UInt8(ascii: "]"), UInt8(ascii: "}"):
                    depth = max(0, depth - 1)
                    index += 1
                    token(")")
                case _ where isIdentifierStart(byte):
                    let start = index
                    while index < source.count, isIdentifierPart(source[index]) { index += 1 }
                    let word = String(decoding: source[start..<index], as: UTF8.self)
                    if index < source.count, source[index] == UInt8(ascii: "\"") || source[index] == UInt8(ascii: "'"),
                        PythonFunctions.stringPrefixes.contains(word.lowercased())
                    {
                        skipString(formatted: word.lowercased().contains("f"))
                        token("")
                    } else {
                        handle(word: word)
                    }
                case 0x20, 0x09, 0x0D, 0x0C:
                    index += 1
                default:
                    index += 1
                    token(String(UnicodeScalar(byte)))
                }
            }
        }

        mutating func startLogicalLine(indent: Int) {
            while let last = open.last, last.indent >= indent { open.removeLast() }
            lineIndent = indent
            firstTokenOfLine = true
        }

        mutating func token(_: String) {
            firstTokenOfLine = false
            if expectingName { expectingName = false }
        }

        mutating func handle(word: String) {
            if expectingName {
                expectingName = false
                functions.append(Function(name: word, line: line, cyclomaticComplexity: 1))
                open.append((lineIndent, functions.count - 1))
            } else if word == "def" {
                expectingName = true
            } else if PythonFunctions.conditions.contains(word) {
                addCondition()
            } else if word == "case" && firstTokenOfLine && isSoftKeyword() {
                addCondition()
            }
            firstTokenOfLine = false
        }

        mutating func addCondition() {
            guard let last = open.last else { return }
            functions[last.function].cyclomaticComplexity += 1
        }

        /// `case` followed by a pattern, not used as a name (`case = 1`, `case.value`, `case(x)`).
        func isSoftKeyword() -> Bool {
            var next = index
            while next < source.count, source[next] == 0x20 || source[next] == 0x09 { next += 1 }
            guard next < source.count else { return false }
            return !"=.:,([\n+-*/%&|^<>@".utf8.contains(source[next])
        }

        /// Skips a string literal starting at `index` (its quote), single or triple quoted, counting its newlines; in an
        /// f-string, the conditions of its replacement fields count (as lizard counts them).
        mutating func skipString(formatted: Bool) {
            let quote = source[index]
            let triple = index + 2 < source.count && source[index + 1] == quote && source[index + 2] == quote
            index += triple ? 3 : 1
            while index < source.count {
                let byte = source[index]
                if byte == UInt8(ascii: "\\") {
                    if index + 1 < source.count, source[index + 1] == 0x0A { line += 1 }
                    index += 2
                    continue
                }
                if byte == 0x0A {
                    if !triple { return }
                    line += 1
                }
                if formatted && byte == UInt8(ascii: "{") {
                    if index + 1 < source.count, source[index + 1] == UInt8(ascii: "{") {
                        index += 2
                    } else {
                        skipReplacementField(quote: quote)
                    }
                    continue
                }
                if byte == quote {
                    if !triple {
                        index += 1
                        return
                    }
                    if index + 2 < source.count, source[index + 1] == quote, source[index + 2] == quote {
                        index += 3
                        return
                    }
                }
                index += 1
            }
        }

        /// Skips `{expression}` of an f-string, counting the conditions of the expression.
        mutating func skipReplacementField(quote: UInt8) {
            var depth = 0
            while index < source.count {
                let byte = source[index]
                if byte == UInt8(ascii: "{") { depth += 1 }
                if byte == UInt8(ascii: "}") {
                    depth -= 1
                    if depth == 0 {
                        index += 1
                        return
                    }
                }
                if byte == quote || byte == 0x0A { return }
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                    index += 1
                    while index < source.count, source[index] != byte, source[index] != 0x0A { index += 1 }
                    index += 1
                    continue
                }
                if isIdentifierStart(byte) {
                    let start = index
                    while index < source.count, isIdentifierPart(source[index]) { index += 1 }
                    if PythonFunctions.conditions.contains(String(decoding: source[start..<index], as: UTF8.self)) { addCondition() }
                    continue
                }
                index += 1
            }
        }

        func isIdentifierStart(_ byte: UInt8) -> Bool {
            (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F || byte >= 0x80
        }

        func isIdentifierPart(_ byte: UInt8) -> Bool {
            isIdentifierStart(byte) || (byte >= 0x30 && byte <= 0x39)
        }
    }
}
