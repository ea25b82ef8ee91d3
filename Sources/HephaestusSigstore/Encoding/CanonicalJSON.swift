/// A JSON value restricted to what Sigstore signs canonically (RFC 8785 / JCS): objects, arrays, strings, integers,
/// booleans and null. Fractional numbers are deliberately unsupported: nothing Sigstore signs uses them.
public indirect enum CanonicalJSON: Sendable, Equatable {
    case object([String: CanonicalJSON])
    case array([CanonicalJSON])
    case string(String)
    case integer(Int64)
    case bool(Bool)
    case null

    /// The RFC 8785 serialization: keys sorted by UTF-16 code units, no whitespace, minimal string escapes.
    public var serialized: [UInt8] {
        var output: [UInt8] = []
        write(into: &output)
        return output
    }

    private func write(into output: inout [UInt8]) {
        switch self {
        case .null: output += Array("null".utf8)
        case .bool(let value): output += Array((value ? "true" : "false").utf8)
        case .integer(let value): output += Array(String(value).utf8)
        case .string(let value): Self.writeString(value, into: &output)
        case .array(let values):
            output.append(UInt8(ascii: "["))
            for (index, value) in values.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                value.write(into: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let fields):
            output.append(UInt8(ascii: "{"))
            let keys = fields.keys.sorted { $0.utf16.lexicographicallyPrecedes($1.utf16) }
            for (index, key) in keys.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                Self.writeString(key, into: &output)
                output.append(UInt8(ascii: ":"))
                fields[key]!.write(into: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    private static func writeString(_ text: String, into output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        // Most strings (Base64 bodies, hex ids) need no escape: copied whole.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            output.append(contentsOf: text.utf8)
            output.append(UInt8(ascii: "\""))
            return
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): output += [0x5C, 0x22]
            case UInt8(ascii: "\\"): output += [0x5C, 0x5C]
            case 0x08: output += [0x5C, UInt8(ascii: "b")]
            case 0x0C: output += [0x5C, UInt8(ascii: "f")]
            case 0x0A: output += [0x5C, UInt8(ascii: "n")]
            case 0x0D: output += [0x5C, UInt8(ascii: "r")]
            case 0x09: output += [0x5C, UInt8(ascii: "t")]
            case 0x00..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                output += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            default:
                // UTF-8 bytes other than controls, quote and backslash are written as they are (RFC 8785 §3.2.2.2).
                output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}

extension CanonicalJSON {
    /// A parsed value as canonical JSON; nil when it holds a fractional number (which canonical JSON here leaves out).
    package init?(_ value: JSONValue) {
        switch value {
        case .object(let fields):
            var converted: [String: CanonicalJSON] = [:]
            for (key, member) in fields {
                guard let member = CanonicalJSON(member) else { return nil }
                converted[key] = member
            }
            self = .object(converted)
        case .array(let items):
            var converted: [CanonicalJSON] = []
            for item in items {
                guard let item = CanonicalJSON(item) else { return nil }
                converted.append(item)
            }
            self = .array(converted)
        case .string(let string): self = .string(string)
        case .integer(let integer): self = .integer(integer)
        case .bool(let bool): self = .bool(bool)
        case .null: self = .null
        case .number: return nil
        }
    }
}
