/// A parsed JSON value (RFC 8259), from a small strict parser: no trailing commas, no comments, no duplicate object
/// keys, no lone surrogates, nesting at most 64 deep. Numbers keep their integer value when they have one.
package enum JSONValue: Sendable {
    case object([String: JSONValue])
    case array([JSONValue])
    case string(String)
    case integer(Int64)
    case number(Double)
    case bool(Bool)
    case null

    package struct ParseError: Error, CustomStringConvertible {
        let offset: Int
        let reason: String
        /// The document holds more values, or the deferred array more elements, than the parse allowed (the text may
        /// be well-formed).
        package var exceedsLimit = false
        package var description: String { "\(reason) at byte \(offset)" }
    }

    static let maximumDepth = 64

    /// Parses one JSON document. With `maximumValues`, a document of more values than that (every object, array,
    /// string, number, literal and member value counts one) is refused as soon as the parse reaches the one too many:
    /// a parse never holds more than that many values, whatever the text.
    package static func parse(_ bytes: [UInt8], maximumValues: Int = .max) throws(ParseError) -> JSONValue {
        try parse(bytes[...], maximumValues: maximumValues)
    }

    package static func parse(_ bytes: ArraySlice<UInt8>, maximumValues: Int = .max) throws(ParseError) -> JSONValue {
        try bytes.withUnsafeBufferPointer { buffer throws(ParseError) in try parse(buffer, maximumValues: maximumValues) }
    }

    package static func parse(_ bytes: UnsafeBufferPointer<UInt8>, maximumValues: Int = .max) throws(ParseError) -> JSONValue {
        var parser = Parser(bytes: bytes, valuesLeft: maximumValues)
        return try parser.document()
    }

    /// Parses an object as ``parse(_:)-swift.type.method`` does, except for its member `key` when that is an array: each
    /// element is checked as `parse` would check it, but only its byte range is kept, and the member reads as an empty
    /// array. A caller parses the elements one at a time (a batch of bundles is never held parsed all at once). Nil
    /// when the text is not an object or `key` is not an array member of it. More than `maximumElements` elements are
    /// refused at the one too many.
    package static func parse(
        _ bytes: [UInt8], deferringElementsOf key: String, maximumElements: Int = .max
    ) throws(ParseError) -> (object: [String: JSONValue], elements: [Range<Int>])? {
        try bytes.withUnsafeBufferPointer { buffer throws(ParseError) in
            var parser = Parser(bytes: buffer, valuesLeft: .max)
            parser.deferredKey = key
            parser.maximumDeferredElements = maximumElements
            guard case .object(let object) = try parser.document(), let elements = parser.deferredElements else { return nil }
            return (object, elements)
        }
    }

    private struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0
        /// How many more values the document may hold (``parse(_:maximumValues:)-swift.type.method``).
        var valuesLeft: Int
        let maximumValues: Int
        /// The top-level member whose array elements are checked and skipped rather than kept.
        var deferredKey: String?
        var maximumDeferredElements = Int.max
        var deferredElements: [Range<Int>]?

        mutating func document() throws(ParseError) -> JSONValue {
            skipWhitespace()
            let value = try value(depth: 0)
            skipWhitespace()
            guard index == bytes.count else { throw fail("trailing characters") }
            return value
        }

        mutating func skipWhitespace() {
            while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 {
                index += 1
            }
        }

        init(bytes: UnsafeBufferPointer<UInt8>, valuesLeft: Int) {
            self.bytes = bytes
            self.valuesLeft = valuesLeft
            self.maximumValues = valuesLeft
        }

        func fail(_ reason: String, exceedsLimit: Bool = false) -> ParseError {
            ParseError(offset: index, reason: reason, exceedsLimit: exceedsLimit)
        }

        mutating func value(depth: Int) throws(ParseError) -> JSONValue {
            guard depth < JSONValue.maximumDepth else { throw fail("nesting too deep") }
            guard index < bytes.count else { throw fail("unexpected end") }
            guard valuesLeft > 0 else {
                throw fail("more than \(maximumValues) values", exceedsLimit: true)
            }
            valuesLeft -= 1
            switch bytes[index] {
            case UInt8(ascii: "{"): return try object(depth: depth)
            case UInt8(ascii: "["): return try array(depth: depth)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"):
                try literal("true")
                return .bool(true)
            case UInt8(ascii: "f"):
                try literal("false")
                return .bool(false)
            case UInt8(ascii: "n"):
                try literal("null")
                return .null
            default: return try number()
            }
        }

        mutating func literal(_ word: StaticString) throws(ParseError) {
            let count = word.utf8CodeUnitCount
            guard index + count <= bytes.count else { throw fail("bad literal") }
            for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { throw fail("bad literal") }
            index += count
        }

        mutating func object(depth: Int) throws(ParseError) -> JSONValue {
            index += 1
            var fields: [String: JSONValue] = [:]
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .object(fields)
            }
            while true {
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail("expected a key") }
                let key = try string()
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                index += 1
                skipWhitespace()
                guard fields[key] == nil else { throw fail("duplicate key \"\(key)\"") }
                if depth == 0, key == deferredKey, index < bytes.count, bytes[index] == UInt8(ascii: "[") {
                    fields[key] = try deferredArray(depth: depth + 1)
                } else {
                    fields[key] = try value(depth: depth + 1)
                }
                skipWhitespace()
                guard index < bytes.count else { throw fail("unexpected end") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                guard bytes[index] == UInt8(ascii: "}") else { throw fail("expected ',' or '}'") }
                index += 1
                return .object(fields)
            }
        }

        mutating func array(depth: Int) throws(ParseError) -> JSONValue {
            var items: [JSONValue] = []
            try elements { parser throws(ParseError) in items.append(try parser.value(depth: depth + 1)) }
            return .array(items)
        }

        /// An array whose elements are parsed and dropped one by one, their ranges kept in `deferredElements`.
        mutating func deferredArray(depth: Int) throws(ParseError) -> JSONValue {
            var ranges: [Range<Int>] = []
            try elements { parser throws(ParseError) in
                guard ranges.count < parser.maximumDeferredElements else {
                    throw parser.fail("more than \(parser.maximumDeferredElements) elements", exceedsLimit: true)
                }
                let start = parser.index
                _ = try parser.value(depth: depth + 1)
                ranges.append(start..<parser.index)
            }
            deferredElements = ranges
            return .array([])
        }

        /// Reads an array from its `[` to its `]`, `element` reading each element.
        mutating func elements(_ element: (inout Parser) throws(ParseError) -> Void) throws(ParseError) {
            index += 1
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return
            }
            while true {
                skipWhitespace()
                try element(&self)
                skipWhitespace()
                guard index < bytes.count else { throw fail("unexpected end") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                guard bytes[index] == UInt8(ascii: "]") else { throw fail("expected ',' or ']'") }
                index += 1
                return
            }
        }

        mutating func string() throws(ParseError) -> String {
            index += 1
            let start = index
            // Fast path: no escapes.
            while index < bytes.count, bytes[index] != UInt8(ascii: "\"") && bytes[index] != UInt8(ascii: "\\") && bytes[index] >= 0x20 {
                index += 1
            }
            guard index < bytes.count else { throw fail("unterminated string") }
            if bytes[index] == UInt8(ascii: "\"") {
                let slice = UnsafeBufferPointer(rebasing: bytes[start..<index])
                index += 1
                guard let text = String(validating: slice, as: UTF8.self) else { throw fail("invalid UTF-8") }
                return text
            }
            // Escapes: the text is written once, into a string whose capacity is the escaped text's length (never less
            // than what it unescapes to), so a long string costs its own size once, not an array and a copy of it.
            let capacity = closingQuote().map { $0 - start } ?? bytes.count - start
            var failure: ParseError?
            let text = String(unsafeUninitializedCapacity: capacity) { output in
                do throws(ParseError) {
                    return try unescape(from: start, into: output)
                } catch {
                    failure = error
                    return 0
                }
            }
            if let failure { throw failure }
            return text
        }

        /// Where the string being read ends (its closing quote), nil when the text ends first.
        func closingQuote() -> Int? {
            var position = index
            while position < bytes.count {
                switch bytes[position] {
                case UInt8(ascii: "\""): return position
                case UInt8(ascii: "\\"): position += 2
                default: position += 1
                }
            }
            return nil
        }

        /// Writes the string that began at `start` (its first escape at `index`) into `output` with its escapes
        /// resolved, reads past its closing quote, and returns the number of bytes written, which are valid UTF-8.
        mutating func unescape(from start: Int, into output: UnsafeMutableBufferPointer<UInt8>) throws(ParseError) -> Int {
            var count = index - start
            _ = output.initialize(fromContentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
            func put(_ byte: UInt8) {
                output[count] = byte
                count += 1
            }
            while true {
                guard index < bytes.count else { throw fail("unterminated string") }
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    index += 1
                    var iterator = UnsafeBufferPointer(rebasing: output[..<count]).makeIterator()
                    var decoder = Unicode.UTF8.ForwardParser()
                    while true {
                        switch decoder.parseScalar(from: &iterator) {
                        case .valid: continue
                        case .emptyInput: return count
                        case .error: throw fail("invalid UTF-8")
                        }
                    }
                }
                guard byte >= 0x20 else { throw fail("control character in string") }
                guard byte == UInt8(ascii: "\\") else {
                    put(byte)
                    index += 1
                    continue
                }
                index += 1
                guard index < bytes.count else { throw fail("unterminated escape") }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""): put(0x22)
                case UInt8(ascii: "\\"): put(0x5C)
                case UInt8(ascii: "/"): put(0x2F)
                case UInt8(ascii: "b"): put(0x08)
                case UInt8(ascii: "f"): put(0x0C)
                case UInt8(ascii: "n"): put(0x0A)
                case UInt8(ascii: "r"): put(0x0D)
                case UInt8(ascii: "t"): put(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                            throw fail("lone surrogate")
                        }
                        index += 2
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw fail("lone surrogate") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        throw fail("lone surrogate")
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { throw fail("invalid escape") }
                    UTF8.encode(unicode, into: put)
                default: throw fail("invalid escape")
                }
            }
        }

        mutating func hex4() throws(ParseError) -> UInt32 {
            guard index + 4 <= bytes.count else { throw fail("short \\u escape") }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[index]
                let digit: UInt32
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
                default: throw fail("bad \\u escape")
                }
                value = value << 4 | digit
                index += 1
            }
            return value
        }

        mutating func number() throws(ParseError) -> JSONValue {
            let start = index
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) else { throw fail("unexpected character") }
            if bytes[index] == UInt8(ascii: "0") {
                index += 1
            } else {
                while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            }
            var integral = true
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                integral = false
                index += 1
                guard index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) else { throw fail("bad fraction") }
                while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                integral = false
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
                guard index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) else { throw fail("bad exponent") }
                while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            }
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
            if integral, let value = Int64(text) { return .integer(value) }
            guard let value = Double(text) else { throw fail("bad number") }
            return .number(value)
        }
    }
}

// MARK: - Comparison

extension JSONValue: Equatable {
    /// Equal JSON values (RFC 8259 §4, §5): objects compare by member whatever their order, arrays element by element,
    /// numbers by value (`1` equals `1.0`). A typed comparison: never Foundation's containers, whose equality differs
    /// when Foundation is linked statically.
    package static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        lhs.firstDifference(from: rhs) == nil
    }

    /// Where `self` first differs from `other`, as a JSONPath-like location (`$.spec.signature.content`,
    /// `$.hashes[2]`) with what differs there; nil when the two are equal. Members are visited in sorted key order, so
    /// the answer is the same on every run.
    func firstDifference(from other: JSONValue, at path: String = "$") -> String? {
        switch (self, other) {
        case (.object(let left), .object(let right)):
            for key in Set(left.keys).union(right.keys).sorted() {
                let member = path + "." + key
                switch (left[key], right[key]) {
                case (let value?, let otherValue?):
                    if let difference = value.firstDifference(from: otherValue, at: member) { return difference }
                case (nil, _?): return "\(member) (present in one only)"
                case (_?, nil): return "\(member) (present in one only)"
                case (nil, nil): break
                }
            }
            return nil
        case (.array(let left), .array(let right)):
            for (index, pair) in zip(left, right).enumerated() {
                if let difference = pair.0.firstDifference(from: pair.1, at: "\(path)[\(index)]") { return difference }
            }
            return left.count == right.count ? nil : "\(path) (\(left.count) elements against \(right.count))"
        case (.string(let left), .string(let right)):
            return left == right ? nil : path
        case (.bool(let left), .bool(let right)):
            return left == right ? nil : path
        case (.null, .null):
            return nil
        case (.integer(let left), .integer(let right)):
            return left == right ? nil : path
        case (.integer(let left), .number(let right)), (.number(let right), .integer(let left)):
            return Double(left) == right ? nil : path
        case (.number(let left), .number(let right)):
            return left == right ? nil : path
        default:
            return "\(path) (\(kind) against \(other.kind))"
        }
    }

    /// The JSON type's name, for messages.
    var kind: String {
        switch self {
        case .object: "an object"
        case .array: "an array"
        case .string: "a string"
        case .integer, .number: "a number"
        case .bool: "a boolean"
        case .null: "null"
        }
    }

    /// Where two JSON documents first differ; nil when they are equal. A document that does not parse is a difference.
    static func firstDifference(between lhs: [UInt8], and rhs: [UInt8]) -> String? {
        let left: JSONValue
        let right: JSONValue
        do { left = try parse(lhs) } catch { return "$ (the first document is not JSON: \(error))" }
        do { right = try parse(rhs) } catch { return "$ (the second document is not JSON: \(error))" }
        return left.firstDifference(from: right)
    }
}
