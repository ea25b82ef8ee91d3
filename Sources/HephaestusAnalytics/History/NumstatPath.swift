/// A path of a `git log --numstat` line: a plain path, or a rename as git prints it with `-M`
/// (`src/{old.py => new.py}`, `{a => b}/file.py`, `old.py => new.py`), possibly C-quoted (`"tab\there.py"`).
public struct NumstatPath: Equatable, Sendable {
    /// The path before the change (the same as ``path`` unless renamed).
    public let previous: String
    /// The path after the change.
    public let path: String

    public var isRename: Bool { previous != path }

    public init(previous: String, path: String) {
        self.previous = previous
        self.path = path
    }

    /// Parses the path field of a numstat line.
    public init(parsing field: Substring) {
        let text = Self.unquoted(field)
        guard let arrow = text.range(of: " => ") else {
            self.init(previous: text, path: text)
            return
        }
        if let open = text[..<arrow.lowerBound].lastIndex(of: "{"),
            let close = text[arrow.upperBound...].firstIndex(of: "}")
        {
            let prefix = text[..<open]
            let suffix = text[text.index(after: close)...]
            let old = text[text.index(after: open)..<arrow.lowerBound]
            let new = text[arrow.upperBound..<close]
            self.init(
                previous: Self.collapsingSlashes(String(prefix) + old + suffix), path: Self.collapsingSlashes(String(prefix) + new + suffix))
        } else {
            self.init(previous: String(text[..<arrow.lowerBound]), path: String(text[arrow.upperBound...]))
        }
    }

    /// `a//b` (from `a/{ => sub}/b` with an empty side) as `a/b`.
    private static func collapsingSlashes(_ text: String) -> String {
        guard text.contains("//") else { return text }
        var result = ""
        var previousSlash = false
        for character in text {
            if character == "/" && previousSlash { continue }
            previousSlash = character == "/"
            result.append(character)
        }
        return result
    }

    /// Git's C-style quoting undone (`"a\tb"`, octal `\303\251` for bytes of non-ASCII names).
    static func unquoted(_ field: Substring) -> String {
        guard field.count >= 2, field.first == "\"", field.last == "\"" else { return String(field) }
        let inner = Array(field.utf8.dropFirst().dropLast())
        var bytes: [UInt8] = []
        var index = 0
        while index < inner.count {
            let byte = inner[index]
            index += 1
            guard byte == UInt8(ascii: "\\"), index < inner.count else {
                bytes.append(byte)
                continue
            }
            let escaped = inner[index]
            index += 1
            switch escaped {
            case UInt8(ascii: "n"): bytes.append(0x0A)
            case UInt8(ascii: "t"): bytes.append(0x09)
            case UInt8(ascii: "r"): bytes.append(0x0D)
            case UInt8(ascii: "a"): bytes.append(0x07)
            case UInt8(ascii: "b"): bytes.append(0x08)
            case UInt8(ascii: "f"): bytes.append(0x0C)
            case UInt8(ascii: "v"): bytes.append(0x0B)
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                var value = Int(escaped - UInt8(ascii: "0"))
                var digits = 1
                while digits < 3, index < inner.count, (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(inner[index]) {
                    value = value * 8 + Int(inner[index] - UInt8(ascii: "0"))
                    index += 1
                    digits += 1
                }
                bytes.append(UInt8(truncatingIfNeeded: value))
            default: bytes.append(escaped)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
