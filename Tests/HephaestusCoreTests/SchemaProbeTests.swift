import Foundation
import HephaestusCore
import HephaestusSigstore
import Testing

/// The schema probe reads a type's own decoding code back as a JSON Schema.
@Suite("schema probe")
struct SchemaProbeTests {
    enum Colour: String, Codable, CaseIterable { case red, green }

    struct Inner: Codable { let depth: Int64 }

    struct Sample: Codable {
        let name: String
        let count: Int
        let ratio: Double
        let enabled: Bool
        let note: String?
        let colour: Colour
        let tags: [String]
        let inner: Inner
        let inners: [Inner]?
        let labels: [String: Int]
        let when: Date
        let size: UInt64
    }

    @Test("keys, scalar types, optional members, arrays, nested objects, dictionaries, enums and dates")
    func synthesizedCodable() throws {
        let schema = try SchemaProbe.schema(of: Sample.self)
        let expected: JSONValue = [
            "type": "object", "additionalProperties": false,
            "required": ["name", "count", "ratio", "enabled", "colour", "tags", "inner", "labels", "when", "size"],
            "properties": [
                "name": ["type": "string"], "count": ["type": "integer"], "ratio": ["type": "number"], "enabled": ["type": "boolean"],
                "note": ["type": ["string", "null"]], "colour": ["type": "string", "enum": ["red", "green"]],
                "tags": ["type": "array", "items": ["type": "string"]],
                "inner": ["type": "object", "additionalProperties": false, "required": ["depth"], "properties": ["depth": ["type": "integer"]]],
                "inners": [
                    "type": ["array", "null"],
                    "items": ["type": "object", "additionalProperties": false, "required": ["depth"], "properties": ["depth": ["type": "integer"]]],
                ],
                "labels": ["type": "object", "additionalProperties": ["type": "integer"]],
                "when": ["type": "string", "format": "date-time"],
                "size": ["type": "integer", "minimum": 0],
            ],
        ]
        #expect(schema == expected)
    }

    /// Decodes with defaults, as the requests do: `decodeIfPresent … ?? default` members are optional.
    struct Defaults: Decodable {
        let path: String
        let jobs: Int
        let extra: Bool

        private enum CodingKeys: String, CodingKey { case path, jobs, extra, nested }
        private enum NestedKeys: String, CodingKey { case inside }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            path = try container.decode(String.self, forKey: .path)
            jobs = try container.decodeIfPresent(Int.self, forKey: .jobs) ?? 4
            extra = container.contains(.extra) ? try container.decode(Bool.self, forKey: .extra) : false
            let nested = try container.nestedContainer(keyedBy: NestedKeys.self, forKey: .nested)
            _ = try nested.decode(Double.self, forKey: .inside)
            var list = try nested.superDecoder(forKey: .inside).unkeyedContainer()
            while !list.isAtEnd { _ = try list.decode(UInt8.self) }
        }
    }

    @Test("decodeIfPresent and contains make a member optional; nested containers are objects of their own")
    func customDecoding() throws {
        let schema = try SchemaProbe.schema(of: Defaults.self)
        #expect(schema.member("required") == ["path", "nested"])
        let properties = try #require(schema.member("properties"))
        // decodeIfPresent accepts null (reports that write every member write an absent one so); contains then decode does not.
        #expect(properties.member("jobs") == ["type": ["integer", "null"]])
        #expect(properties.member("extra") == ["type": "boolean"])
        #expect(
            properties.member("nested")?.member("properties")?.member("inside") == ["type": "array", "items": ["type": "integer", "minimum": 0]])
    }

    struct Checked: Decodable {
        init(from decoder: any Decoder) throws {
            let text = try decoder.singleValueContainer().decode(String.self)
            guard text.hasPrefix("sha256:") else { throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "not a digest")) }
        }
    }

    struct HoldsChecked: Decodable { let digest: Checked }

    @Test("a type that rejects placeholder data is named, with the place it was met")
    func rejectingType() {
        #expect {
            try SchemaProbe.schema(of: HoldsChecked.self)
        } throws: { error in
            "\(error)".contains("Checked (at digest) rejects placeholder data") && "\(error)".contains("SchemaDescribing")
        }
    }

    struct Described: SchemaDescribing {
        static let jsonSchema: JSONValue = ["type": "string", "pattern": "^sha256:[0-9a-f]{64}$"]
        static let schemaPlaceholder = Described()
        init() {}
        init(from decoder: any Decoder) throws { throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "never")) }
    }

    struct HoldsDescribed: Decodable { let digest: Described }

    @Test("a type that describes itself is not probed")
    func describedType() throws {
        let schema = try SchemaProbe.schema(of: HoldsDescribed.self)
        #expect(schema.member("properties")?.member("digest") == Described.jsonSchema)
    }

    final class Node: Decodable {
        let children: [Node]
    }

    @Test("a type that contains itself is refused by name instead of recursing forever")
    func recursiveType() {
        #expect {
            try SchemaProbe.schema(of: Node.self)
        } throws: { error in
            "\(error)".contains("Node contains itself (at children.[0])")
        }
    }

    @Test("a schema is written as JSON text with sorted keys")
    func encodesAsJSON() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let text = String(decoding: try encoder.encode(try SchemaProbe.schema(of: Inner.self)), as: UTF8.self)
        #expect(text == #"{"additionalProperties":false,"properties":{"depth":{"type":"integer"}},"required":["depth"],"type":"object"}"#)
        let literal: JSONValue = [true, 1, "x", .null, .number(0.5)]
        #expect(String(decoding: try encoder.encode(literal), as: UTF8.self) == #"[true,1,"x",null,0.5]"#)
    }
}
