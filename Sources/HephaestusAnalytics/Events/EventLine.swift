/// One analytics event, parsed from one NDJSON line: a JSON object with
///
/// - `time` (required): RFC 3339 date-time (`2026-03-01T12:00:00Z`, offsets and fractions allowed);
/// - `file` (required): the file the event is about, relative to the repository root (`src/app/verify.py`);
/// - `kind` (required): 1–64 characters of `a-z 0-9 . _ -` (`defect`, `incident`, `vulnerability`, `revert`, …);
/// - `weight` (optional): a number from 0 to 1e9, default 1 (e.g. a severity);
///
/// and any other members (ignored). A line is malformed when it is not exactly one JSON object (RFC 8259), lacks a
/// required member, has one of a wrong type or value, or repeats one of these four members.
public struct EventLine: Equatable, Sendable {
    /// Days since 1970-01-01 (UTC) of `time`.
    public let day: Int
    public let file: String
    public let kind: String
    public let weight: Double

    public init(day: Int, file: String, kind: String, weight: Double) {
        self.day = day
        self.file = file
        self.kind = kind
        self.weight = weight
    }

    /// Parses one line (without its newline); nil when malformed.
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> EventLine? {
        let event = scan(bytes) { day, file, kind, weight -> EventLine? in
            guard let text = validFile(file) else { return nil }
            return EventLine(day: day, file: text, kind: String(decoding: kind, as: UTF8.self), weight: weight)
        }
        return event ?? nil
    }

    /// Parses one line without allocating (unless a member holds escapes) and hands the members to `body`: the file
    /// and kind bytes are valid only during the call. Nil when malformed; the file still needs ``validFile(_:)``.
    static func scan<Result>(
        _ bytes: UnsafeRawBufferPointer, _ body: (Int, UnsafeRawBufferPointer, UnsafeRawBufferPointer, Double) -> Result
    ) -> Result? {
        var parser = JSONLineParser(bytes: bytes)
        guard let members = parser.event() else { return nil }
        return parser.withBytes(members.file) { file in
            parser.withBytes(members.kind) { kind in
                guard isKind(kind) else { return nil }
                return body(members.day, file, kind, members.weight)
            }
        }
    }

    /// The file member as text: non-empty UTF-8 without NUL; nil otherwise.
    static func validFile(_ bytes: UnsafeRawBufferPointer) -> String? {
        guard !bytes.isEmpty, !bytes.contains(0) else { return nil }
        return String(validating: bytes, as: UTF8.self)
    }

    static func isKind(_ kind: UnsafeRawBufferPointer) -> Bool {
        guard !kind.isEmpty, kind.count <= 64 else { return false }
        return kind.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E || $0 == 0x5F || $0 == 0x2D }
    }
}

/// A validating JSON parser for one line holding one object, that keeps only the event's members.
private struct JSONLineParser {
    /// A string of the line: the bytes between its quotes, and whether they hold escapes (then they need decoding).
    struct JSONString {
        let start: Int
        let end: Int
        let escaped: Bool
    }

    let bytes: UnsafeRawBufferPointer
    var index = 0
    static let maxDepth = 64

    init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// The members of the event: its day, file and kind strings, and weight (1 when absent).
    mutating func event() -> (day: Int, file: JSONString, kind: JSONString, weight: Double)? {
        skipSpace()
        guard peek() == UInt8(ascii: "{") else { return nil }
        index += 1
        var time: JSONString?
        var file: JSONString?
        var kind: JSONString?
        var weight: Double?
        while true {
            skipSpace()
            guard let key = string() else { return nil }
            skipSpace()
            guard peek() == UInt8(ascii: ":") else { return nil }
            index += 1
            skipSpace()
            switch key.escaped ? .other : Member(UnsafeRawBufferPointer(rebasing: bytes[key.start..<key.end])) {
            case .time:
                guard time == nil, let value = string() else { return nil }
                time = value
            case .file:
                guard file == nil, let value = string() else { return nil }
                file = value
            case .kind:
                guard kind == nil, let value = string() else { return nil }
                kind = value
            case .weight:
                guard weight == nil, let value = number() else { return nil }
                weight = value
            case .other:
                guard value(depth: 1) else { return nil }
            }
            skipSpace()
            guard let separator = peek() else { return nil }
            index += 1
            if separator == UInt8(ascii: "}") { break }
            guard separator == UInt8(ascii: ",") else { return nil }
        }
        skipSpace()
        guard index == bytes.count, let time, let file, let kind else { return nil }
        guard let day = withBytes(time, { RFC3339Day.parse($0) }) else { return nil }
        let weightValue = weight ?? 1
        guard weightValue >= 0, weightValue <= 1e9 else { return nil }
        return (day, file, kind, weightValue)
    }

    /// Calls `body` with the bytes of `string`, decoded when it holds escapes.
    func withBytes<Result>(_ string: JSONString, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        let raw = UnsafeRawBufferPointer(rebasing: bytes[string.start..<string.end])
        guard string.escaped else { return body(raw) }
        return Self.decode(raw).withUnsafeBytes(body)
    }

    private enum Member {
        case time, file, kind, weight, other

        /// Compares the key's bytes as little-endian words ("time", "file", "kind", "weight"), not as text.
        init(_ key: UnsafeRawBufferPointer) {
            switch key.count {
            case 4:
                switch key.loadUnaligned(as: UInt32.self) {
                case 0x656D_6974: self = .time
                case 0x656C_6966: self = .file
                case 0x646E_696B: self = .kind
                default: self = .other
                }
            case 6:
                let isWeight = key.loadUnaligned(as: UInt32.self) == 0x6769_6577 && key.loadUnaligned(fromByteOffset: 4, as: UInt16.self) == 0x7468
                self = isWeight ? .weight : .other
            default:
                self = .other
            }
        }
    }

    private func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipSpace() {
        while index < bytes.count {
            let byte = bytes[index]
            guard byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D else { return }
            index += 1
        }
    }

    /// Any JSON value (validated, discarded).
    private mutating func value(depth: Int) -> Bool {
        guard depth <= Self.maxDepth, let byte = peek() else { return false }
        switch byte {
        case UInt8(ascii: "\""): return string() != nil
        case UInt8(ascii: "{"):
            index += 1
            skipSpace()
            if peek() == UInt8(ascii: "}") {
                index += 1
                return true
            }
            while true {
                skipSpace()
                guard string() != nil else { return false }
                skipSpace()
                guard peek() == UInt8(ascii: ":") else { return false }
                index += 1
                skipSpace()
                guard value(depth: depth + 1) else { return false }
                skipSpace()
                guard let separator = peek() else { return false }
                index += 1
                if separator == UInt8(ascii: "}") { return true }
                guard separator == UInt8(ascii: ",") else { return false }
            }
        case UInt8(ascii: "["):
            index += 1
            skipSpace()
            if peek() == UInt8(ascii: "]") {
                index += 1
                return true
            }
            while true {
                skipSpace()
                guard value(depth: depth + 1) else { return false }
                skipSpace()
                guard let separator = peek() else { return false }
                index += 1
                if separator == UInt8(ascii: "]") { return true }
                guard separator == UInt8(ascii: ",") else { return false }
            }
        case UInt8(ascii: "t"): return literal("true")
        case UInt8(ascii: "f"): return literal("false")
        case UInt8(ascii: "n"): return literal("null")
        default: return number() != nil
        }
    }

    private mutating func literal(_ text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        for offset in 0..<count where bytes[index + offset] != text.utf8Start[offset] { return false }
        index += count
        return true
    }

    /// A JSON number, as a Double.
    private mutating func number() -> Double? {
        let start = index
        if peek() == UInt8(ascii: "-") { index += 1 }
        guard let first = peek(), first >= 0x30, first <= 0x39 else { return nil }
        index += 1
        if first != 0x30 { skipDigits() }
        if peek() == UInt8(ascii: ".") {
            index += 1
            guard digitsFollow() else { return nil }
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            index += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { index += 1 }
            guard digitsFollow() else { return nil }
        }
        var integer = 0
        var plain = index - start <= 15
        for offset in start..<index where plain {
            let byte = bytes[offset]
            if byte >= 0x30 && byte <= 0x39 { integer = integer * 10 + Int(byte - 0x30) } else { plain = false }
        }
        if plain { return Double(integer) }
        return Double(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self))
    }

    private mutating func digitsFollow() -> Bool {
        guard let byte = peek(), byte >= 0x30, byte <= 0x39 else { return false }
        skipDigits()
        return true
    }

    private mutating func skipDigits() {
        while let byte = peek(), byte >= 0x30, byte <= 0x39 { index += 1 }
    }

    /// Scans a JSON string (validating its escapes and that it holds no control character).
    private mutating func string() -> JSONString? {
        guard peek() == UInt8(ascii: "\"") else { return nil }
        index += 1
        let start = index
        var escaped = false
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""): return JSONString(start: start, end: index - 1, escaped: escaped)
            case 0x00..<0x20: return nil
            case UInt8(ascii: "\\"):
                escaped = true
                guard let escape = peek() else { return nil }
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"), UInt8(ascii: "n"),
                    UInt8(ascii: "r"), UInt8(ascii: "t"):
                    break
                case UInt8(ascii: "u"):
                    guard let scalar = hex4() else { return nil }
                    if (0xD800..<0xDC00).contains(scalar) {
                        guard literal("\\u"), let low = hex4(), (0xDC00..<0xE000).contains(low) else { return nil }
                    } else if (0xDC00..<0xE000).contains(scalar) {
                        return nil
                    }
                default: return nil
                }
            default: break
            }
        }
        return nil
    }

    /// The bytes of a string's contents (already validated by ``string()``) with its escapes resolved.
    static func decode(_ raw: UnsafeRawBufferPointer) -> [UInt8] {
        var parser = JSONLineParser(bytes: raw)
        var result: [UInt8] = []
        while parser.index < raw.count {
            let byte = raw[parser.index]
            parser.index += 1
            guard byte == UInt8(ascii: "\\"), parser.index < raw.count else {
                result.append(byte)
                continue
            }
            let escape = raw[parser.index]
            parser.index += 1
            switch escape {
            case UInt8(ascii: "b"): result.append(0x08)
            case UInt8(ascii: "f"): result.append(0x0C)
            case UInt8(ascii: "n"): result.append(0x0A)
            case UInt8(ascii: "r"): result.append(0x0D)
            case UInt8(ascii: "t"): result.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = parser.hex4() ?? 0xFFFD
                if (0xD800..<0xDC00).contains(scalar) {
                    parser.index += 2
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + ((parser.hex4() ?? 0xDC00) - 0xDC00)
                }
                result.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar) ?? "\u{FFFD}")).utf8))
            default: result.append(escape)
            }
        }
        return result
    }

    private mutating func hex4() -> UInt32? {
        guard index + 4 <= bytes.count else { return nil }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case 0x30...0x39: digit = byte - 0x30
            case 0x41...0x46: digit = byte - 0x41 + 10
            case 0x61...0x66: digit = byte - 0x61 + 10
            default: return nil
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }
}

/// The UTC day of an RFC 3339 date-time (`YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`, `t`/`z` and a space accepted).
enum RFC3339Day {
    static func parse(_ text: UnsafeRawBufferPointer) -> Int? {
        guard text.count >= 20 else { return nil }
        func digits(_ start: Int, _ count: Int) -> Int? {
            var value = 0
            for index in start..<(start + count) {
                let byte = text[index]
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard let year = digits(0, 4), text[4] == UInt8(ascii: "-"), let month = digits(5, 2), text[7] == UInt8(ascii: "-"),
            let dayOfMonth = digits(8, 2), [UInt8(ascii: "T"), UInt8(ascii: "t"), UInt8(ascii: " ")].contains(text[10]),
            let hour = digits(11, 2), text[13] == UInt8(ascii: ":"), let minute = digits(14, 2), text[16] == UInt8(ascii: ":"),
            let second = digits(17, 2)
        else { return nil }
        guard (1...12).contains(month), dayOfMonth >= 1, dayOfMonth <= daysIn(month: month, year: year), hour <= 23, minute <= 59, second <= 60
        else { return nil }
        var index = 19
        if text[index] == UInt8(ascii: ".") {
            index += 1
            let start = index
            while index < text.count, text[index] >= 0x30, text[index] <= 0x39 { index += 1 }
            guard index > start else { return nil }
        }
        guard index < text.count else { return nil }
        var offsetMinutes = 0
        switch text[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            index += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard index + 6 == text.count, let offsetHours = digits(index + 1, 2), text[index + 3] == UInt8(ascii: ":"),
                let offsetMins = digits(index + 4, 2), offsetHours <= 23, offsetMins <= 59
            else { return nil }
            offsetMinutes = (offsetHours * 60 + offsetMins) * (text[index] == UInt8(ascii: "+") ? 1 : -1)
            index += 6
        default:
            return nil
        }
        guard index == text.count else { return nil }
        let minutes = (daysFromCivil(year: year, month: month, day: dayOfMonth) * 24 + hour) * 60 + minute - offsetMinutes
        return Int((Double(minutes) / 1440).rounded(.down))
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146097 + dayOfEra - 719468
    }
}
