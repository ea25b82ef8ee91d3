/// Strict Base64 (RFC 4648): the standard alphabet with padding, and the URL-safe alphabet (padding optional).
///
/// Decoding is strict: characters outside the alphabet, whitespace, misplaced padding and non-zero trailing bits are
/// rejected, so two different texts never decode to the same bytes.
public enum Base64 {
    public enum Alphabet: Sendable {
        case standard
        case urlSafe
    }

    private static let standardTable: [UInt8] = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let urlSafeTable: [UInt8] = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Encodes `bytes`; the standard alphabet is padded, the URL-safe one is not (as in JWTs).
    public static func encode<Bytes: Collection>(
        _ bytes: Bytes, alphabet: Alphabet = .standard
    ) -> String where Bytes.Element == UInt8 {
        let table = alphabet == .standard ? standardTable : urlSafeTable
        let input = Array(bytes)
        var output = [UInt8]()
        output.reserveCapacity((input.count + 2) / 3 * 4)
        var index = 0
        while index + 3 <= input.count {
            let value = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8 | UInt32(input[index + 2])
            output.append(table[Int(value >> 18 & 63)])
            output.append(table[Int(value >> 12 & 63)])
            output.append(table[Int(value >> 6 & 63)])
            output.append(table[Int(value & 63)])
            index += 3
        }
        let remaining = input.count - index
        if remaining > 0 {
            var value = UInt32(input[index]) << 16
            if remaining == 2 { value |= UInt32(input[index + 1]) << 8 }
            output.append(table[Int(value >> 18 & 63)])
            output.append(table[Int(value >> 12 & 63)])
            if remaining == 2 { output.append(table[Int(value >> 6 & 63)]) }
            if alphabet == .standard {
                output.append(contentsOf: Array(repeating: UInt8(ascii: "="), count: 3 - remaining))
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Decodes `text`, or nil when it is not valid Base64 in `alphabet`.
    public static func decode(_ text: some StringProtocol, alphabet: Alphabet = .standard) -> [UInt8]? {
        withUTF8(of: text) { bytes in
            decode(utf8: bytes, accepting: alphabet == .standard ? standardValues : urlSafeValues, paddingRequired: alphabet == .standard)
        }
    }

    /// Proto3 JSON bytes fields: either alphabet (not mixed), padding optional.
    public static func decodeEitherAlphabet(_ text: some StringProtocol) -> [UInt8]? {
        withUTF8(of: text) { bytes in
            let urlSafe = bytes.contains { $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }
            return decode(utf8: bytes, accepting: urlSafe ? urlSafeValues : standardValues, paddingRequired: false)
        }
    }

    /// The text's UTF-8 read in place when the string holds it contiguously (a native string does), so a long text is
    /// not copied before it is decoded; otherwise a copy.
    private static func withUTF8<Result>(of text: some StringProtocol, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        if let result = text.utf8.withContiguousStorageIfAvailable(body) { return result }
        return Array(text.utf8).withUnsafeBufferPointer(body)
    }

    /// 0xFF marks bytes outside the alphabet.
    private static let standardValues: [UInt8] = values(for: standardTable)
    private static let urlSafeValues: [UInt8] = values(for: urlSafeTable)

    private static func values(for table: [UInt8]) -> [UInt8] {
        var values = [UInt8](repeating: 0xFF, count: 256)
        for (index, character) in table.enumerated() { values[Int(character)] = UInt8(index) }
        return values
    }

    private static func decode(utf8 bytes: UnsafeBufferPointer<UInt8>, accepting values: [UInt8], paddingRequired: Bool) -> [UInt8]? {
        var count = bytes.count
        var padding = 0
        while count > 0 && bytes[count - 1] == UInt8(ascii: "=") {
            count -= 1
            padding += 1
        }
        guard padding <= 2 else { return nil }
        if paddingRequired {
            guard (count + padding) % 4 == 0 else { return nil }
        } else {
            guard padding == 0 || (count + padding) % 4 == 0 else { return nil }
        }
        if count % 4 == 1 { return nil }
        if padding > 0 && count % 4 == 0 { return nil }
        var output = [UInt8]()
        output.reserveCapacity(count * 3 / 4)
        return values.withUnsafeBufferPointer { table -> [UInt8]? in
            var index = 0
            while index + 4 <= count {
                let a = table[Int(bytes[index])]
                let b = table[Int(bytes[index + 1])]
                let c = table[Int(bytes[index + 2])]
                let d = table[Int(bytes[index + 3])]
                guard a | b | c | d != 0xFF, a < 64, b < 64, c < 64, d < 64 else { return nil }
                let value = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                output.append(UInt8(truncatingIfNeeded: value >> 16))
                output.append(UInt8(truncatingIfNeeded: value >> 8))
                output.append(UInt8(truncatingIfNeeded: value))
                index += 4
            }
            let rest = count - index
            if rest >= 2 {
                let a = table[Int(bytes[index])]
                let b = table[Int(bytes[index + 1])]
                guard a < 64, b < 64 else { return nil }
                if rest == 2 {
                    guard b & 0x0F == 0 else { return nil }
                    output.append(a << 2 | b >> 4)
                } else {
                    let c = table[Int(bytes[index + 2])]
                    guard c < 64, c & 0x03 == 0 else { return nil }
                    output.append(a << 2 | b >> 4)
                    output.append((b & 0x0F) << 4 | c >> 2)
                }
            }
            return output
        }
    }
}
