import HephaestusPlatform

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
        case .string(let value): JSONStringLiteral.write(value, into: &output)
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
                JSONStringLiteral.write(key, into: &output)
                output.append(UInt8(ascii: ":"))
                fields[key]!.write(into: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
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
