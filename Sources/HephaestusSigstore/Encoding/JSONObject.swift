import Foundation
import HephaestusPlatform

/// A typed, path-aware view of a parsed proto3-JSON object, for strict reading of bundles and trusted roots.
///
/// Proto3 JSON rules applied: int64 fields may be strings or numbers; bytes are Base64 (standard or URL-safe,
/// padding optional); unknown fields are ignored (forward compatibility); a wrong type or bad encoding is an error
/// naming the field's path.
struct JSONObject {
    let path: String
    let fields: [String: JSONValue]

    typealias Failure = (String) -> VerificationError

    /// Parses `bytes` as one JSON object (strict: see ``JSONValue``).
    static func parse(_ bytes: [UInt8], path: String = "$", failure: Failure) throws(VerificationError) -> JSONObject {
        let value: JSONValue
        do {
            value = try JSONValue.parse(bytes)
        } catch {
            throw failure("not valid JSON (\(error))")
        }
        guard case .object(let fields) = value else { throw failure("\(path) is not a JSON object") }
        return JSONObject(path: path, fields: fields)
    }

    /// The value of `key`, nil when absent or null.
    private func present(_ key: String) -> JSONValue? {
        guard let value = fields[key] else { return nil }
        if case .null = value { return nil }
        return value
    }

    func has(_ key: String) -> Bool {
        present(key) != nil
    }

    func string(_ key: String, failure: Failure) throws(VerificationError) -> String {
        guard let value = try optionalString(key, failure: failure) else { throw failure("\(path).\(key) is missing") }
        return value
    }

    func optionalString(_ key: String, failure: Failure) throws(VerificationError) -> String? {
        guard let value = present(key) else { return nil }
        guard case .string(let text) = value else { throw failure("\(path).\(key) is not a string") }
        return text
    }

    func object(_ key: String, failure: Failure) throws(VerificationError) -> JSONObject {
        guard let value = try optionalObject(key, failure: failure) else { throw failure("\(path).\(key) is missing") }
        return value
    }

    func optionalObject(_ key: String, failure: Failure) throws(VerificationError) -> JSONObject? {
        guard let value = present(key) else { return nil }
        guard case .object(let object) = value else { throw failure("\(path).\(key) is not an object") }
        return JSONObject(path: "\(path).\(key)", fields: object)
    }

    func objects(_ key: String, failure: Failure) throws(VerificationError) -> [JSONObject] {
        guard let value = present(key) else { return [] }
        guard case .array(let array) = value else { throw failure("\(path).\(key) is not an array") }
        var objects: [JSONObject] = []
        for (index, element) in array.enumerated() {
            guard case .object(let object) = element else { throw failure("\(path).\(key)[\(index)] is not an object") }
            objects.append(JSONObject(path: "\(path).\(key)[\(index)]", fields: object))
        }
        return objects
    }

    func strings(_ key: String, failure: Failure) throws(VerificationError) -> [String] {
        guard let value = present(key) else { return [] }
        guard case .array(let array) = value else { throw failure("\(path).\(key) is not an array") }
        var strings: [String] = []
        for (index, element) in array.enumerated() {
            guard case .string(let text) = element else { throw failure("\(path).\(key)[\(index)] is not a string") }
            strings.append(text)
        }
        return strings
    }

    /// Base64 bytes (required).
    func bytes(_ key: String, failure: Failure) throws(VerificationError) -> [UInt8] {
        guard let value = try optionalBytes(key, failure: failure) else { throw failure("\(path).\(key) is missing") }
        return value
    }

    func optionalBytes(_ key: String, failure: Failure) throws(VerificationError) -> [UInt8]? {
        guard let text = try optionalString(key, failure: failure) else { return nil }
        guard let bytes = Self.decodeBase64(text) else { throw failure("\(path).\(key) is not valid Base64") }
        return bytes
    }

    /// A non-negative int64 (proto3 JSON writes it as a string; numbers are accepted too).
    func int64(_ key: String, failure: Failure) throws(VerificationError) -> Int64 {
        guard let value = try optionalInt64(key, failure: failure) else { throw failure("\(path).\(key) is missing") }
        return value
    }

    func optionalInt64(_ key: String, failure: Failure) throws(VerificationError) -> Int64? {
        guard let value = present(key) else { return nil }
        let parsed: Int64?
        switch value {
        case .string(let text):
            parsed = text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 || $0 == UInt8(ascii: "-") }) ? Int64(text) : nil
        case .integer(let number):
            parsed = number
        default:
            parsed = nil
        }
        guard let parsed else { throw failure("\(path).\(key) is not an integer") }
        guard parsed >= 0 else { throw failure("\(path).\(key) is negative") }
        return parsed
    }

    /// Proto3 JSON bytes: standard or URL-safe alphabet, with or without padding.
    static func decodeBase64(_ text: String) -> [UInt8]? {
        Base64.decodeEitherAlphabet(text)
    }
}
