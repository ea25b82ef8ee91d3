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
        var characters = Array(text.utf8)
        var padding = 0
        while characters.last == UInt8(ascii: "=") {
            characters.removeLast()
            padding += 1
        }
        switch alphabet {
        case .standard:
            // Padding is required: the padded length is a multiple of four.
            guard padding <= 2, (characters.count + padding) % 4 == 0 else { return nil }
        case .urlSafe:
            guard padding <= 2, padding == 0 || (characters.count + padding) % 4 == 0 else { return nil }
        }
        if characters.count % 4 == 1 { return nil }
        var output = [UInt8]()
        output.reserveCapacity(characters.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        for character in characters {
            guard let value = sextet(character, alphabet: alphabet) else { return nil }
            accumulator = accumulator << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
                accumulator &= (1 << UInt32(bits)) - 1
            }
        }
        // Leftover bits must be zero (canonical encoding).
        guard accumulator == 0 else { return nil }
        if padding > 0, characters.count % 4 == 0 { return nil }
        return output
    }

    private static func sextet(_ character: UInt8, alphabet: Alphabet) -> UInt8? {
        switch character {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return character - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return character - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return character - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"): return alphabet == .standard ? 62 : nil
        case UInt8(ascii: "/"): return alphabet == .standard ? 63 : nil
        case UInt8(ascii: "-"): return alphabet == .urlSafe ? 62 : nil
        case UInt8(ascii: "_"): return alphabet == .urlSafe ? 63 : nil
        default: return nil
        }
    }
}
