/// A string as a JSON string literal, escaped as RFC 8785 (JCS) and Foundation's `JSONEncoder` both escape it: `"` and
/// `\`, and the controls below U+0020 (`\b \f \n \r \t`, the rest `\u00xx` in lower case); every other byte of the
/// UTF-8 as it is. Used by Sigstore's canonical JSON and by ``CompactJSONEncoder``.
public enum JSONStringLiteral {
    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Appends `text`, quoted and escaped, to `output`. Runs without an escape (most strings: Base64, hex, names) are
    /// copied whole.
    public static func write(_ text: String, into output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { bytes in
            var start = 0
            for (index, byte) in bytes.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
                start = index + 1
                output.append(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): output.append(byte)
                case 0x08: output.append(UInt8(ascii: "b"))
                case 0x0C: output.append(UInt8(ascii: "f"))
                case 0x0A: output.append(UInt8(ascii: "n"))
                case 0x0D: output.append(UInt8(ascii: "r"))
                case 0x09: output.append(UInt8(ascii: "t"))
                default: output.append(contentsOf: [UInt8(ascii: "u"), 0x30, 0x30, hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xF)]])
                }
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
        }
        output.append(UInt8(ascii: "\""))
    }
}
