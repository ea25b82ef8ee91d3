import Foundation
import HephaestusPlatform

/// A typed, path-aware view of a parsed proto3-JSON object, for strict reading of bundles and trusted roots.
///
/// Proto3 JSON rules applied: int64 fields may be strings or numbers; bytes are Base64 (standard or URL-safe,
/// padding optional); unknown fields are ignored (forward compatibility); a wrong type or bad encoding is an error
/// naming the field's path.
struct JSONObject {
    let path: String
    let fields: [String: Any]

    typealias Failure = (String) -> VerificationError

    /// Parses `bytes` as one JSON object.
    static func parse(_ bytes: [UInt8], path: String = "$", failure: Failure) throws(VerificationError) -> JSONObject {
        let value: Any
        do {
            value = try JSONSerialization.jsonObject(with: Data(bytes), options: [])
        } catch {
            throw failure("not valid JSON")
        }
        guard let fields = value as? [String: Any] else { throw failure("\(path) is not a JSON object") }
        return JSONObject(path: path, fields: fields)
    }

    func has(_ key: String) -> Bool {
        if let value = fields[key], !(value is NSNull) { return true }
        return false
    }

    func string(_ key: String, failure: Failure) throws(VerificationError) -> String {
        guard let value = try optionalString(key, failure: failure) else { throw failure("\(path).\(key) is missing") }
        return value
    }

    func optionalString(_ key: String, failure: Failure) throws(VerificationError) -> String? {
        guard let value = fields[key], !(value is NSNull) else { return nil }
        guard let text = value as? String else { throw failure("\(path).\(key) is not a string") }
        return text
    }

    func object(_ key: String, failure: Failure) throws(VerificationError) -> JSONObject {
        guard let value = try optionalObject(key, failure: failure) else { throw failure("\(path).\(key) is missing") }
        return value
    }

    func optionalObject(_ key: String, failure: Failure) throws(VerificationError) -> JSONObject? {
        guard let value = fields[key], !(value is NSNull) else { return nil }
        guard let object = value as? [String: Any] else { throw failure("\(path).\(key) is not an object") }
        return JSONObject(path: "\(path).\(key)", fields: object)
    }

    func objects(_ key: String, failure: Failure) throws(VerificationError) -> [JSONObject] {
        guard let value = fields[key], !(value is NSNull) else { return [] }
        guard let array = value as? [Any] else { throw failure("\(path).\(key) is not an array") }
        var objects: [JSONObject] = []
        for (index, element) in array.enumerated() {
            guard let object = element as? [String: Any] else { throw failure("\(path).\(key)[\(index)] is not an object") }
            objects.append(JSONObject(path: "\(path).\(key)[\(index)]", fields: object))
        }
        return objects
    }

    func strings(_ key: String, failure: Failure) throws(VerificationError) -> [String] {
        guard let value = fields[key], !(value is NSNull) else { return [] }
        guard let array = value as? [Any] else { throw failure("\(path).\(key) is not an array") }
        var strings: [String] = []
        for (index, element) in array.enumerated() {
            guard let text = element as? String else { throw failure("\(path).\(key)[\(index)] is not a string") }
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
        guard let value = fields[key], !(value is NSNull) else { return nil }
        let parsed: Int64?
        if let text = value as? String {
            parsed = text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 || $0 == UInt8(ascii: "-") }) ? Int64(text) : nil
        } else if let number = value as? NSNumber, !(value is Bool), number.doubleValue == Double(number.int64Value) {
            parsed = number.int64Value
        } else {
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
