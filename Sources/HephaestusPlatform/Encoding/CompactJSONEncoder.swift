import Foundation

/// Compact JSON with sorted keys: the text Foundation's `JSONEncoder` writes with `[.sortedKeys,
/// .withoutEscapingSlashes]` and `.iso8601` dates, byte for byte, at a fraction of its cost (the service writes one
/// verification report per request, and Foundation's generic containers were a tenth of its CPU).
///
/// Same text means: keys sorted as `String` orders them, a key written twice keeps its last value; strings escape `"`,
/// `\`, and the controls below U+0020 (`\b \f \n \r \t`, the rest `\u00xx`), nothing else; integers in decimal;
/// floating-point numbers as Swift prints them without a trailing `.0`, a non-finite one an error; `Date` in RFC 3339
/// to the second (``RFC3339``), `URL` as its absolute string, `Data` in Base64, `Decimal` in decimal. Anything else
/// encodes itself through the `Encoder` protocol.
public struct CompactJSONEncoder: Sendable {
    public init() {}

    public func encode<Value: Encodable>(_ value: Value) throws -> [UInt8] {
        let encoder = TreeEncoder()
        try encoder.encodeValue(value)
        guard let node = encoder.node else {
            throw EncodingError.invalidValue(
                value, .init(codingPath: [], debugDescription: "Top-level \(Value.self) did not encode any values."))
        }
        var output: [UInt8] = []
        output.reserveCapacity(1024)
        node.write(into: &output)
        return output
    }
}

/// A value being encoded: scalars already in their JSON spelling (strings unescaped), containers by reference so
/// that the containers handed out for them can keep filling them.
private enum JSONNode {
    case literal(String)
    case string(String)
    case object(ObjectBox)
    case array(ArrayBox)
    /// A `superEncoder`'s value, read when written.
    case deferred(TreeEncoder)

    /// An object's members in the order written; a key written again replaces its value where it stands. A list,
    /// not a dictionary: objects are small, and hashing every key cost more than comparing a few.
    final class ObjectBox {
        private(set) var members: [(key: String, value: JSONNode)] = []

        func set(_ value: JSONNode, for key: String) {
            if let index = members.firstIndex(where: { $0.key == key }) {
                members[index].value = value
            } else {
                members.append((key, value))
            }
        }
    }

    final class ArrayBox {
        var elements: [JSONNode] = []
    }

    func write(into output: inout [UInt8]) {
        switch self {
        case .literal(let text):
            output.append(contentsOf: text.utf8)
        case .string(let text):
            JSONStringLiteral.write(text, into: &output)
        case .object(let box):
            output.append(UInt8(ascii: "{"))
            for (index, member) in box.members.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                JSONStringLiteral.write(member.key, into: &output)
                output.append(UInt8(ascii: ":"))
                member.value.write(into: &output)
            }
            output.append(UInt8(ascii: "}"))
        case .array(let box):
            output.append(UInt8(ascii: "["))
            for (index, element) in box.elements.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                element.write(into: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .deferred(let encoder):
            (encoder.node ?? .object(ObjectBox())).write(into: &output)
        }
    }
}

/// The `Encoder` a value encodes itself to; what it encoded is ``node``.
private final class TreeEncoder: Encoder {
    /// Where this value sits, as a chain: the coding path is only spelled out when asked for (an error's context).
    private let parent: TreeEncoder?
    private let key: (any CodingKey)?
    fileprivate var node: JSONNode?

    init(parent: TreeEncoder? = nil, key: (any CodingKey)? = nil) {
        self.parent = parent
        self.key = key
    }

    var codingPath: [any CodingKey] {
        guard let parent, let key else { return [] }
        return parent.codingPath + [key]
    }

    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let box: JSONNode.ObjectBox
        if case .object(let existing) = node {
            box = existing
        } else {
            box = JSONNode.ObjectBox()
            node = .object(box)
        }
        return KeyedEncodingContainer(KeyedContainer<Key>(box: box, encoder: self))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        let box: JSONNode.ArrayBox
        if case .array(let existing) = node {
            box = existing
        } else {
            box = JSONNode.ArrayBox()
            node = .array(box)
        }
        return UnkeyedContainer(box: box, encoder: self)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { SingleValueContainer(encoder: self) }

    /// `value` as this encoder's node: the types JSONEncoder spells itself, or whatever the value encodes.
    func encodeValue<Value: Encodable>(_ value: Value) throws {
        if Value.self == String.self {
            node = .string(value as! String)
        } else if Value.self == Date.self {
            node = .string(RFC3339.string(value as! Date))
        } else if Value.self == URL.self {
            node = .string((value as! URL).absoluteString)
        } else if Value.self == Data.self {
            node = .string((value as! Data).base64EncodedString())
        } else if Value.self == Decimal.self {
            node = .literal((value as! Decimal).description)
        } else {
            try value.encode(to: self)
        }
    }

    /// `value` as a child's node: `key` names it in the coding path.
    func node<Value: Encodable>(for value: Value, key: any CodingKey) throws -> JSONNode {
        let child = TreeEncoder(parent: self, key: key)
        try child.encodeValue(value)
        return child.node ?? .object(JSONNode.ObjectBox())
    }

    /// A floating-point number as JSONEncoder spells it; a non-finite one cannot be encoded.
    func number<Number: BinaryFloatingPoint & LosslessStringConvertible>(_ value: Number, key: (any CodingKey)?) throws -> JSONNode {
        guard value.isFinite else {
            let path = key.map { codingPath + [$0] } ?? codingPath
            throw EncodingError.invalidValue(
                value, .init(codingPath: path, debugDescription: "Unable to encode \(Number.self).\(value) directly in JSON."))
        }
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        return .literal(text)
    }
}

private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let box: JSONNode.ObjectBox
    /// The encoder whose value this container fills (its coding path is the container's).
    let encoder: TreeEncoder
    var codingPath: [any CodingKey] { encoder.codingPath }

    private func set(_ node: JSONNode, _ key: Key) { box.set(node, for: key.stringValue) }

    mutating func encodeNil(forKey key: Key) throws { set(.literal("null"), key) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { set(.literal(value ? "true" : "false"), key) }
    mutating func encode(_ value: String, forKey key: Key) throws { set(.string(value), key) }
    mutating func encode(_ value: Double, forKey key: Key) throws { set(try encoder.number(value, key: key), key) }
    mutating func encode(_ value: Float, forKey key: Key) throws { set(try encoder.number(value, key: key), key) }
    mutating func encode(_ value: Int, forKey key: Key) throws { set(.literal(String(value)), key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { set(.literal(String(value)), key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { set(.literal(String(value)), key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { set(.literal(String(value)), key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { set(.literal(String(value)), key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { set(.literal(String(value)), key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { set(.literal(String(value)), key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { set(.literal(String(value)), key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { set(.literal(String(value)), key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { set(.literal(String(value)), key) }

    mutating func encode<Value: Encodable>(_ value: Value, forKey key: Key) throws {
        set(try encoder.node(for: value, key: key), key)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type, forKey key: Key
    )
        -> KeyedEncodingContainer<NestedKey>
    {
        let nested = JSONNode.ObjectBox()
        set(.object(nested), key)
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(box: nested, encoder: TreeEncoder(parent: encoder, key: key)))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let nested = JSONNode.ArrayBox()
        set(.array(nested), key)
        return UnkeyedContainer(box: nested, encoder: TreeEncoder(parent: encoder, key: key))
    }

    mutating func superEncoder() -> any Encoder { superEncoder(named: "super") }
    mutating func superEncoder(forKey key: Key) -> any Encoder { superEncoder(named: key.stringValue) }

    private func superEncoder(named name: String) -> any Encoder {
        let child = TreeEncoder(parent: encoder, key: IndexKey(name))
        box.set(.deferred(child), for: name)
        return child
    }
}

private struct UnkeyedContainer: UnkeyedEncodingContainer {
    let box: JSONNode.ArrayBox
    let encoder: TreeEncoder
    var codingPath: [any CodingKey] { encoder.codingPath }
    var count: Int { box.elements.count }

    private var nextKey: IndexKey { IndexKey(box.elements.count) }

    mutating func encodeNil() throws { box.elements.append(.literal("null")) }
    mutating func encode(_ value: Bool) throws { box.elements.append(.literal(value ? "true" : "false")) }
    mutating func encode(_ value: String) throws { box.elements.append(.string(value)) }
    mutating func encode(_ value: Double) throws { box.elements.append(try encoder.number(value, key: nextKey)) }
    mutating func encode(_ value: Float) throws { box.elements.append(try encoder.number(value, key: nextKey)) }
    mutating func encode(_ value: Int) throws { box.elements.append(.literal(String(value))) }
    mutating func encode(_ value: Int8) throws { box.elements.append(.literal(String(value))) }
    mutating func encode(_ value: Int16) throws { box.elements.append(.literal(String(value))) }
    mutating func encode(_ value: Int32) throws { box.elements.append(.literal(String(value))) }
    mutating func encode(_ value: Int64) throws { box.elements.append(.literal(String(value))) }
    mutating func encode(_ value: UInt) throws { box.elements.append(.literal(String(value))) }
    mutating func encode(_ value: UInt8) throws { box.elements.append(.literal(String(value))) }
    mutating func encode(_ value: UInt16) throws { box.elements.append(.literal(String(value))) }
    mutating func encode(_ value: UInt32) throws { box.elements.append(.literal(String(value))) }
    mutating func encode(_ value: UInt64) throws { box.elements.append(.literal(String(value))) }

    mutating func encode<Value: Encodable>(_ value: Value) throws {
        box.elements.append(try encoder.node(for: value, key: nextKey))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let nested = JSONNode.ObjectBox()
        let child = TreeEncoder(parent: encoder, key: nextKey)
        box.elements.append(.object(nested))
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(box: nested, encoder: child))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let nested = JSONNode.ArrayBox()
        let child = TreeEncoder(parent: encoder, key: nextKey)
        box.elements.append(.array(nested))
        return UnkeyedContainer(box: nested, encoder: child)
    }

    mutating func superEncoder() -> any Encoder {
        let child = TreeEncoder(parent: encoder, key: nextKey)
        box.elements.append(.deferred(child))
        return child
    }
}

private struct SingleValueContainer: SingleValueEncodingContainer {
    let encoder: TreeEncoder
    var codingPath: [any CodingKey] { encoder.codingPath }

    private func set(_ node: JSONNode) { encoder.node = node }

    mutating func encodeNil() throws { set(.literal("null")) }
    mutating func encode(_ value: Bool) throws { set(.literal(value ? "true" : "false")) }
    mutating func encode(_ value: String) throws { set(.string(value)) }
    mutating func encode(_ value: Double) throws { set(try encoder.number(value, key: nil)) }
    mutating func encode(_ value: Float) throws { set(try encoder.number(value, key: nil)) }
    mutating func encode(_ value: Int) throws { set(.literal(String(value))) }
    mutating func encode(_ value: Int8) throws { set(.literal(String(value))) }
    mutating func encode(_ value: Int16) throws { set(.literal(String(value))) }
    mutating func encode(_ value: Int32) throws { set(.literal(String(value))) }
    mutating func encode(_ value: Int64) throws { set(.literal(String(value))) }
    mutating func encode(_ value: UInt) throws { set(.literal(String(value))) }
    mutating func encode(_ value: UInt8) throws { set(.literal(String(value))) }
    mutating func encode(_ value: UInt16) throws { set(.literal(String(value))) }
    mutating func encode(_ value: UInt32) throws { set(.literal(String(value))) }
    mutating func encode(_ value: UInt64) throws { set(.literal(String(value))) }
    mutating func encode<Value: Encodable>(_ value: Value) throws { try encoder.encodeValue(value) }
}

/// A coding path element for an array index or a super encoder's key.
private struct IndexKey: CodingKey {
    let stringValue: String
    let intValue: Int?

    init(_ index: Int) {
        stringValue = "Index \(index)"
        intValue = index
    }

    init(_ name: String) {
        stringValue = name
        intValue = nil
    }

    init?(stringValue: String) { self.init(stringValue) }
    init?(intValue: Int) { self.init(intValue) }
}
