/// Counts the function declarations of a Swift source file: `func`, `init`, `deinit` and `subscript` declarations
/// (not `.init(…)` calls, not closures, not property accessors, which lizard counts as functions too). Comments
/// (nested block comments included) and string literals (raw, multi-line, with interpolations) are skipped.
public enum SwiftFunctions {
    public static func count(_ source: [UInt8]) -> Int {
        var count = 0
        var index = 0
        var previous: UInt8 = 0
        while index < source.count {
            let byte = source[index]
            if byte == UInt8(ascii: "/"), index + 1 < source.count, source[index + 1] == UInt8(ascii: "/") {
                while index < source.count, source[index] != 0x0A { index += 1 }
                continue
            }
            if byte == UInt8(ascii: "/"), index + 1 < source.count, source[index + 1] == UInt8(ascii: "*") {
                index = skipBlockComment(source, from: index)
                continue
            }
            if byte == UInt8(ascii: "\"") || (byte == UInt8(ascii: "#") && startsRawString(source, at: index)) {
                index = skipString(source, from: index)
                previous = UInt8(ascii: "\"")
                continue
            }
            if isIdentifierStart(byte) {
                let start = index
                while index < source.count, isIdentifierPart(source[index]) { index += 1 }
                let word = source[start..<index]
                var next = index
                while next < source.count, source[next] == 0x20 || source[next] == 0x09 { next += 1 }
                let following = next < source.count ? source[next] : 0
                let escaped = start > 0 && source[start - 1] == UInt8(ascii: "`")
                if previous != UInt8(ascii: "."), !escaped {
                    if word.elementsEqual("func".utf8) || word.elementsEqual("deinit".utf8) {
                        count += 1
                    } else if word.elementsEqual("init".utf8) || word.elementsEqual("subscript".utf8), "(<?!".utf8.contains(following) {
                        count += 1
                    }
                }
                previous = UInt8(ascii: "a")
                continue
            }
            if byte != 0x20 && byte != 0x09 && byte != 0x0A && byte != 0x0D { previous = byte }
            index += 1
        }
        return count
    }

    private static func skipBlockComment(_ source: [UInt8], from start: Int) -> Int {
        var depth = 0
        var index = start
        while index + 1 < source.count {
            if source[index] == UInt8(ascii: "/") && source[index + 1] == UInt8(ascii: "*") {
                depth += 1
                index += 2
            } else if source[index] == UInt8(ascii: "*") && source[index + 1] == UInt8(ascii: "/") {
                depth -= 1
                index += 2
                if depth == 0 { return index }
            } else {
                index += 1
            }
        }
        return source.count
    }

    private static func startsRawString(_ source: [UInt8], at index: Int) -> Bool {
        var next = index
        while next < source.count, source[next] == UInt8(ascii: "#") { next += 1 }
        return next < source.count && source[next] == UInt8(ascii: "\"")
    }

    /// Skips a string literal (`"…"`, `"""…"""`, `#"…"#` with any number of `#`), with `\(…)` interpolations.
    private static func skipString(_ source: [UInt8], from start: Int) -> Int {
        var index = start
        var hashes = 0
        while index < source.count, source[index] == UInt8(ascii: "#") {
            hashes += 1
            index += 1
        }
        let multiline = index + 2 < source.count && source[index + 1] == UInt8(ascii: "\"") && source[index + 2] == UInt8(ascii: "\"")
        index += multiline ? 3 : 1
        let quotes = multiline ? 3 : 1
        while index < source.count {
            let byte = source[index]
            if byte == UInt8(ascii: "\\") && hasHashes(source, at: index + 1, hashes) {
                index += 1 + hashes
                if index < source.count, source[index] == UInt8(ascii: "(") {
                    index = skipInterpolation(source, from: index)
                } else {
                    index += 1
                }
                continue
            }
            if !multiline && byte == 0x0A { return index }
            if byte == UInt8(ascii: "\""), (0..<quotes).allSatisfy({ index + $0 < source.count && source[index + $0] == UInt8(ascii: "\"") }),
                hasHashes(source, at: index + quotes, hashes)
            {
                return index + quotes + hashes
            }
            index += 1
        }
        return index
    }

    private static func hasHashes(_ source: [UInt8], at index: Int, _ count: Int) -> Bool {
        (0..<count).allSatisfy { index + $0 < source.count && source[index + $0] == UInt8(ascii: "#") }
    }

    /// Skips `(…)` of an interpolation, with nested parentheses and strings.
    private static func skipInterpolation(_ source: [UInt8], from start: Int) -> Int {
        var depth = 0
        var index = start
        while index < source.count {
            let byte = source[index]
            if byte == UInt8(ascii: "\"") {
                index = skipString(source, from: index)
                continue
            }
            if byte == UInt8(ascii: "(") { depth += 1 }
            if byte == UInt8(ascii: ")") {
                depth -= 1
                if depth == 0 { return index + 1 }
            }
            index += 1
        }
        return index
    }

    private static func isIdentifierStart(_ byte: UInt8) -> Bool {
        (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F || byte >= 0x80
    }

    private static func isIdentifierPart(_ byte: UInt8) -> Bool {
        isIdentifierStart(byte) || (byte >= 0x30 && byte <= 0x39)
    }
}
