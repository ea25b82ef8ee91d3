import Foundation
import HephaestusSigstore

/// The JSON Schema (draft 2020-12) of a `Decodable` type, found by decoding it: a decoder that holds no data answers
/// every question the type's `init(from:)` asks with a placeholder and records the question (this key, as a string;
/// that key only if present; a list of these). The schema is therefore the type's own decoding code read back, and
/// cannot drift from it.
///
/// What it sees: keys and their value types, optionality (`decodeIfPresent`, `contains`, `decodeNil`), arrays,
/// string-keyed dictionaries, nested objects, `Date` (RFC 3339 text, as the reports encode it), and enums with `String`
/// raw values that are `CaseIterable` (their allowed values). A type whose `init(from:)` cannot be read this way
/// describes itself through ``SchemaDescribing``.
package enum SchemaProbe {
    /// Why a type could not be probed: its `init(from:)` threw on placeholder data, or it contains itself.
    package struct Failure: Error, CustomStringConvertible {
        package let description: String
    }

    /// The schema of `type`; every object it describes is closed (`additionalProperties: false`).
    package static func schema<T: Decodable>(of type: T.Type) throws(Failure) -> JSONValue {
        let prober = Prober()
        do {
            return try prober.probe(type, path: []).schema
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure(description: "\(T.self) cannot be probed: \(error)")
        }
    }
}

/// A type whose decoding the probe reads, but which says more than it can see: members present only for some values
/// of another (`if`/`then`), formats. It gets the probed schema and returns the completed one.
package protocol SchemaRefining: Decodable {
    static func refineSchema(_ probed: JSONValue) -> JSONValue
}

/// A type whose `init(from:)` the probe cannot read (it checks the values it decodes, or decodes one of several
/// shapes): it gives its schema, and a value the probe hands back to the type that contains it.
package protocol SchemaDescribing: Decodable {
    static var jsonSchema: JSONValue { get }
    static var schemaPlaceholder: Self { get }
}

// MARK: - Recording

/// What one decoding position turned out to hold.
private final class Shape {
    var object: ObjectShape?
    var items: Shape?
    var scalar: JSONValue?

    init(scalar: JSONValue? = nil) {
        self.scalar = scalar
    }

    var schema: JSONValue {
        if let object { return object.schema }
        if let items { return ["type": "array", "items": items.schema] }
        return scalar ?? [:]
    }
}

/// The members of an object, in the order the type first asked for them.
private final class ObjectShape {
    private var order: [String] = []
    private var members: [String: Shape] = [:]
    private var optional: Set<String> = []
    /// Members the type also accepts as `null` (`decodeIfPresent`, `decodeNil`), as reports that write every member
    /// write an absent one.
    private var nullable: Set<String> = []

    func record(_ key: String, _ shape: Shape, required: Bool) {
        if members[key] == nil { order.append(key) }
        members[key] = shape
        if !required {
            optional.insert(key)
            nullable.insert(key)
        }
    }

    /// A member the type asks about (`contains`, `decodeNil`) before or instead of decoding it.
    func markOptional(_ key: String, acceptsNull: Bool) {
        if members[key] == nil {
            order.append(key)
            members[key] = Shape()
        }
        optional.insert(key)
        if acceptsNull { nullable.insert(key) }
    }

    /// `schema` that also accepts `null`: its `type` (and `enum`) widened; a schema without a type accepts it already.
    static func acceptingNull(_ schema: JSONValue) -> JSONValue {
        guard case .object(var fields) = schema, case .string(let type)? = fields["type"] else { return schema }
        fields["type"] = [.string(type), "null"]
        if case .array(let values)? = fields["enum"] { fields["enum"] = .array(values + [.null]) }
        return .object(fields)
    }

    var schema: JSONValue {
        var properties: [String: JSONValue] = [:]
        for (key, shape) in members { properties[key] = nullable.contains(key) ? Self.acceptingNull(shape.schema) : shape.schema }
        var fields: [String: JSONValue] = [
            "type": "object", "properties": .object(properties), "additionalProperties": false,
        ]
        let required = order.filter { !optional.contains($0) }
        if !required.isEmpty { fields["required"] = .array(required.map { .string($0) }) }
        return .object(fields)
    }
}

private final class Prober {
    private var inProgress: [ObjectIdentifier] = []

    func probe<T: Decodable>(_ type: T.Type, path: [any CodingKey]) throws -> (value: T, schema: JSONValue) {
        if let scalar = Scalars.placeholder(for: type) { return scalar }
        if let described = type as? any SchemaDescribing.Type {
            return (described.schemaPlaceholder as! T, described.jsonSchema)
        }
        if let enumeration = Enumeration(type) {
            return (enumeration.first as! T, ["type": "string", "enum": .array(enumeration.values.map { .string($0) })])
        }
        if let dictionary = type as? any StringKeyedDictionary.Type {
            let value = try dictionary.probeValue(with: self, path: path)
            return (dictionary.empty as! T, ["type": "object", "additionalProperties": value])
        }
        let identifier = ObjectIdentifier(type)
        guard !inProgress.contains(identifier) else {
            throw SchemaProbe.Failure(
                description: "\(String(reflecting: T.self)) contains itself (at \(Self.describe(path))): describe it with SchemaDescribing")
        }
        inProgress.append(identifier)
        defer { inProgress.removeLast() }
        let shape = Shape()
        let value: T
        do {
            value = try T(from: ProbeDecoder(prober: self, shape: shape, codingPath: path))
        } catch let failure as SchemaProbe.Failure {
            throw failure
        } catch {
            throw SchemaProbe.Failure(
                description:
                    "\(String(reflecting: T.self)) (at \(Self.describe(path))) rejects placeholder data (\(error)): describe it with SchemaDescribing"
            )
        }
        let schema = (type as? any SchemaRefining.Type)?.refineSchema(shape.schema) ?? shape.schema
        return (value, schema)
    }

    static func describe(_ path: [any CodingKey]) -> String {
        path.isEmpty ? "the top" : path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
}

/// The types decoded as JSON scalars, with their placeholder and schema.
private enum Scalars {
    static func placeholder<T>(for type: T.Type) -> (value: T, schema: JSONValue)? {
        switch type {
        // A valid RFC 3339 time: types that decode their times from text (whatever the decoder's date strategy) probe too.
        case is String.Type: ("1970-01-01T00:00:00Z" as! T, ["type": "string"])
        case is Bool.Type: (false as! T, ["type": "boolean"])
        case is Double.Type: (0.0 as! T, ["type": "number"])
        case is Float.Type: (Float(0) as! T, ["type": "number"])
        case is Int.Type: (0 as! T, ["type": "integer"])
        case is Int64.Type: (Int64(0) as! T, ["type": "integer"])
        case is Int32.Type: (Int32(0) as! T, ["type": "integer"])
        case is Int16.Type: (Int16(0) as! T, ["type": "integer"])
        case is Int8.Type: (Int8(0) as! T, ["type": "integer"])
        case is UInt.Type: (UInt(0) as! T, ["type": "integer", "minimum": 0])
        case is UInt64.Type: (UInt64(0) as! T, ["type": "integer", "minimum": 0])
        case is UInt32.Type: (UInt32(0) as! T, ["type": "integer", "minimum": 0])
        case is UInt16.Type: (UInt16(0) as! T, ["type": "integer", "minimum": 0])
        case is UInt8.Type: (UInt8(0) as! T, ["type": "integer", "minimum": 0])
        case is Date.Type: (Date(timeIntervalSince1970: 0) as! T, ["type": "string", "format": "date-time"])
        case is URL.Type: (URL(string: "https://example.invalid")! as! T, ["type": "string", "format": "uri"])
        case is Data.Type: (Data() as! T, ["type": "string", "contentEncoding": "base64"])
        default: nil
        }
    }
}

/// A `CaseIterable` enum with `String` raw values: its values in declaration order.
private struct Enumeration {
    let values: [String]
    let first: Any

    init?(_ type: Any.Type) {
        guard let iterable = type as? any CaseIterable.Type else { return nil }
        func cases<C: CaseIterable>(_ type: C.Type) -> [Any] { Array(type.allCases) }
        let all = cases(iterable)
        let values = all.compactMap { ($0 as? any RawRepresentable)?.rawValue as? String }
        guard let first = all.first, values.count == all.count else { return nil }
        self.values = values
        self.first = first
    }
}

/// `[String: Value]`, decoded as an object of any keys.
private protocol StringKeyedDictionary {
    static var empty: Self { get }
    static func probeValue(with prober: Prober, path: [any CodingKey]) throws -> JSONValue
}

extension Dictionary: StringKeyedDictionary where Key == String, Value: Decodable {
    fileprivate static var empty: Self { [:] }
    fileprivate static func probeValue(with prober: Prober, path: [any CodingKey]) throws -> JSONValue {
        try prober.probe(Value.self, path: path).schema
    }
}

// MARK: - The decoder

private struct ProbeDecoder: Decoder {
    let prober: Prober
    let shape: Shape
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        if shape.object == nil { shape.object = ObjectShape() }
        return KeyedDecodingContainer(KeyedProbe<Key>(prober: prober, object: shape.object!, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        if shape.items == nil { shape.items = Shape() }
        return UnkeyedProbe(prober: prober, items: shape.items!, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleValueProbe(prober: prober, shape: shape, codingPath: codingPath)
    }
}

private struct KeyedProbe<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let prober: Prober
    let object: ObjectShape
    let codingPath: [any CodingKey]
    var allKeys: [Key] { [] }

    func contains(_ key: Key) -> Bool {
        object.markOptional(key.stringValue, acceptsNull: false)
        return true
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        object.markOptional(key.stringValue, acceptsNull: true)
        return false
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try member(type, key, required: true)
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        try member(type, key, required: false)
    }

    // The typed overloads, so that each records its own scalar type.
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try member(type, key, required: true) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try member(type, key, required: true) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try member(type, key, required: true) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try member(type, key, required: true) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try member(type, key, required: true) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try member(type, key, required: true) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try member(type, key, required: true) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try member(type, key, required: true) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try member(type, key, required: true) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try member(type, key, required: true) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try member(type, key, required: true) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try member(type, key, required: true) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try member(type, key, required: true) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try member(type, key, required: true) }
    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? { try member(type, key, required: false) }
    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? { try member(type, key, required: false) }
    func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? { try member(type, key, required: false) }
    func decodeIfPresent(_ type: Float.Type, forKey key: Key) throws -> Float? { try member(type, key, required: false) }
    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? { try member(type, key, required: false) }
    func decodeIfPresent(_ type: Int8.Type, forKey key: Key) throws -> Int8? { try member(type, key, required: false) }
    func decodeIfPresent(_ type: Int16.Type, forKey key: Key) throws -> Int16? { try member(type, key, required: false) }
    func decodeIfPresent(_ type: Int32.Type, forKey key: Key) throws -> Int32? { try member(type, key, required: false) }
    func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? { try member(type, key, required: false) }
    func decodeIfPresent(_ type: UInt.Type, forKey key: Key) throws -> UInt? { try member(type, key, required: false) }
    func decodeIfPresent(_ type: UInt8.Type, forKey key: Key) throws -> UInt8? { try member(type, key, required: false) }
    func decodeIfPresent(_ type: UInt16.Type, forKey key: Key) throws -> UInt16? { try member(type, key, required: false) }
    func decodeIfPresent(_ type: UInt32.Type, forKey key: Key) throws -> UInt32? { try member(type, key, required: false) }
    func decodeIfPresent(_ type: UInt64.Type, forKey key: Key) throws -> UInt64? { try member(type, key, required: false) }

    private func member<T: Decodable>(_ type: T.Type, _ key: Key, required: Bool) throws -> T {
        let (value, schema) = try prober.probe(type, path: codingPath + [key])
        object.record(key.stringValue, Shape(scalar: schema), required: required)
        return value
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try childDecoder(key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try childDecoder(key).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { ProbeDecoder(prober: prober, shape: Shape(), codingPath: codingPath) }

    func superDecoder(forKey key: Key) throws -> any Decoder { childDecoder(key) }

    /// A decoder for the member `key`, whose shape is recorded as that member's schema once it is known.
    private func childDecoder(_ key: Key) -> ProbeDecoder {
        let child = Shape()
        object.record(key.stringValue, child, required: true)
        return ProbeDecoder(prober: prober, shape: child, codingPath: codingPath + [key])
    }
}

private struct UnkeyedProbe: UnkeyedDecodingContainer {
    let prober: Prober
    let items: Shape
    let codingPath: [any CodingKey]
    var count: Int? { 1 }
    private(set) var currentIndex = 0
    var isAtEnd: Bool { currentIndex > 0 }

    init(prober: Prober, items: Shape, codingPath: [any CodingKey]) {
        self.prober = prober
        self.items = items
        self.codingPath = codingPath
    }

    mutating func decodeNil() throws -> Bool { false }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let (value, schema) = try prober.probe(type, path: codingPath + [IndexKey(intValue: currentIndex)])
        items.scalar = schema
        currentIndex += 1
        return value
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try decode(type, as: ()) }
    mutating func decode(_ type: String.Type) throws -> String { try decode(type, as: ()) }
    mutating func decode(_ type: Double.Type) throws -> Double { try decode(type, as: ()) }
    mutating func decode(_ type: Float.Type) throws -> Float { try decode(type, as: ()) }
    mutating func decode(_ type: Int.Type) throws -> Int { try decode(type, as: ()) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try decode(type, as: ()) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try decode(type, as: ()) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try decode(type, as: ()) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try decode(type, as: ()) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try decode(type, as: ()) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try decode(type, as: ()) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try decode(type, as: ()) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try decode(type, as: ()) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try decode(type, as: ()) }

    private mutating func decode<T: Decodable>(_ type: T.Type, as: Void) throws -> T {
        let element: T = try decode(type)
        return element
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        currentIndex += 1
        return try ProbeDecoder(prober: prober, shape: items, codingPath: codingPath).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        currentIndex += 1
        return try ProbeDecoder(prober: prober, shape: items, codingPath: codingPath).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        currentIndex += 1
        return ProbeDecoder(prober: prober, shape: items, codingPath: codingPath)
    }
}

private struct SingleValueProbe: SingleValueDecodingContainer {
    let prober: Prober
    let shape: Shape
    let codingPath: [any CodingKey]

    func decodeNil() -> Bool { false }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let (value, schema) = try prober.probe(type, path: codingPath)
        shape.scalar = schema
        return value
    }
    func decode(_ type: Bool.Type) throws -> Bool { try decode(type, as: ()) }
    func decode(_ type: String.Type) throws -> String { try decode(type, as: ()) }
    func decode(_ type: Double.Type) throws -> Double { try decode(type, as: ()) }
    func decode(_ type: Float.Type) throws -> Float { try decode(type, as: ()) }
    func decode(_ type: Int.Type) throws -> Int { try decode(type, as: ()) }
    func decode(_ type: Int8.Type) throws -> Int8 { try decode(type, as: ()) }
    func decode(_ type: Int16.Type) throws -> Int16 { try decode(type, as: ()) }
    func decode(_ type: Int32.Type) throws -> Int32 { try decode(type, as: ()) }
    func decode(_ type: Int64.Type) throws -> Int64 { try decode(type, as: ()) }
    func decode(_ type: UInt.Type) throws -> UInt { try decode(type, as: ()) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try decode(type, as: ()) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try decode(type, as: ()) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try decode(type, as: ()) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try decode(type, as: ()) }

    private func decode<T: Decodable>(_ type: T.Type, as: Void) throws -> T {
        let (value, schema) = try prober.probe(type, path: codingPath)
        shape.scalar = schema
        return value
    }
}

private struct IndexKey: CodingKey {
    let intValue: Int?
    var stringValue: String { "\(intValue ?? 0)" }
    init(intValue: Int) { self.intValue = intValue }
    init?(stringValue: String) { nil }
}

/// Any JSON value: the schema that accepts everything.
extension JSONValue: SchemaDescribing {
    package static var jsonSchema: JSONValue { [:] }
    package static var schemaPlaceholder: JSONValue { .null }
}
