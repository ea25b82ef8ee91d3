import Foundation
import HephaestusPlatform
import Testing

/// `CompactJSONEncoder` writes what Foundation's `JSONEncoder` writes with sorted keys, unescaped slashes and ISO 8601
/// dates: the oracle is Foundation itself, on values that exercise every container, scalar and special type.
@Suite("compact JSON encoder")
struct CompactJSONEncoderTests {
    static func foundation<Value: Encodable>(_ value: Value) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func compact<Value: Encodable>(_ value: Value) throws -> String {
        String(decoding: try CompactJSONEncoder().encode(value), as: UTF8.self)
    }

    struct Scalars: Encodable {
        var text = "a\"b\\c/d\u{08}\u{0C}\n\r\t\u{01}\u{1F}\u{7F}é\u{2028}😀 plain"
        var doubles: [Double] = [0, 1, -1, 1.5, 0.1, 1e-7, 1e21, 1e16, 123_456_789_012_345_680, 3.0e-5, 2.5e300, -0.0, 100, 1e15, .pi]
        var float: Float = 0.1
        var floats: [Float] = [1, 1e30, -2.5]
        var integers: [Int64] = [.min, .max, 0, -1]
        var unsigned: UInt64 = .max
        var small: (Int8, Int16, Int32, UInt8, UInt16, UInt32, UInt) = (-5, -300, 70_000, 255, 65_535, 4_000_000_000, 7)
        var dates = [
            Date(timeIntervalSince1970: 1_710_888_076.25), Date(timeIntervalSince1970: 1_710_888_076.75),
            Date(timeIntervalSince1970: -1.5), Date(timeIntervalSince1970: 0),
        ]
        var url = URL(string: "https://example.com/a%20b?x=1")!
        var data = Data([1, 2, 3, 255])
        var decimal = Decimal(string: "1.10")!
        var flag = true
        var absent: String? = nil
        var present: String? = "here"

        enum CodingKeys: String, CodingKey {
            case text, doubles, float, floats, integers, unsigned, small, dates, url, data, decimal, flag, absent, present
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(text, forKey: .text)
            try container.encode(doubles, forKey: .doubles)
            try container.encode(float, forKey: .float)
            try container.encode(floats, forKey: .floats)
            try container.encode(integers, forKey: .integers)
            try container.encode(unsigned, forKey: .unsigned)
            var tuple = container.nestedUnkeyedContainer(forKey: .small)
            try tuple.encode(small.0)
            try tuple.encode(small.1)
            try tuple.encode(small.2)
            try tuple.encode(small.3)
            try tuple.encode(small.4)
            try tuple.encode(small.5)
            try tuple.encode(small.6)
            try container.encode(dates, forKey: .dates)
            try container.encode(url, forKey: .url)
            try container.encode(data, forKey: .data)
            try container.encode(decimal, forKey: .decimal)
            try container.encode(flag, forKey: .flag)
            try container.encodeIfPresent(absent, forKey: .absent)
            try container.encodeIfPresent(present, forKey: .present)
        }
    }

    /// Containers in every arrangement: nested keyed and unkeyed, empty ones, explicit nulls, a key written twice, two
    /// `container(keyedBy:)` calls on one encoder (as a result document and its payload make), super encoders.
    struct Containers: Encodable {
        enum Outer: String, CodingKey {
            case b, a, aa, nested, list, null, twice, base
            case upperB = "B"
            case upperZ = "Z"
            case underscore = "_"
            case accent = "é"
        }
        enum Inner: String, CodingKey { case y, x }

        func encode(to encoder: any Encoder) throws {
            var outer = encoder.container(keyedBy: Outer.self)
            try outer.encode(1, forKey: .b)
            try outer.encode(2, forKey: .a)
            try outer.encode(3, forKey: .upperB)
            try outer.encode(4, forKey: .upperZ)
            try outer.encode(5, forKey: .aa)
            try outer.encode(6, forKey: .underscore)
            try outer.encode(7, forKey: .accent)
            var inner = outer.nestedContainer(keyedBy: Inner.self, forKey: .nested)
            try inner.encode([String: [Int]](), forKey: .y)
            try inner.encode([[1, 2], [], [3]], forKey: .x)
            var list = outer.nestedUnkeyedContainer(forKey: .list)
            try list.encodeNil()
            var element = list.nestedContainer(keyedBy: Inner.self)
            try element.encode("first", forKey: .x)
            var deeper = list.nestedUnkeyedContainer()
            try deeper.encode(true)
            try list.encode(["k": "v"])
            try outer.encodeNil(forKey: .null)
            try outer.encode("old", forKey: .twice)
            try outer.encode("new", forKey: .twice)
            try ["base": 1].encode(to: outer.superEncoder(forKey: .base))
            try ["super": 2].encode(to: outer.superEncoder())

            var again = encoder.container(keyedBy: Inner.self)
            try again.encode(String?.none, forKey: .y)
        }
    }

    @Test("scalars, escapes, numbers and Foundation's special types are written as JSONEncoder writes them")
    func scalars() throws {
        #expect(try Self.compact(Scalars()) == Self.foundation(Scalars()))
    }

    @Test("containers nest, merge and sort as JSONEncoder's do")
    func containers() throws {
        #expect(try Self.compact(Containers()) == Self.foundation(Containers()))
        #expect(try Self.compact([Containers(), Containers()]) == Self.foundation([Containers(), Containers()]))
    }

    @Test("top-level scalars and empty containers")
    func topLevel() throws {
        #expect(try Self.compact("top/level") == Self.foundation("top/level"))
        #expect(try Self.compact(42) == Self.foundation(42))
        #expect(try Self.compact(String?.none) == Self.foundation(String?.none))
        #expect(try Self.compact([Int]()) == Self.foundation([Int]()))
        #expect(try Self.compact([String: Int]()) == Self.foundation([String: Int]()))
        #expect(try Self.compact(Date(timeIntervalSince1970: 1_700_000_000)) == Self.foundation(Date(timeIntervalSince1970: 1_700_000_000)))
    }

    struct Silent: Encodable {
        func encode(to encoder: any Encoder) throws {}
    }

    struct Number: Encodable {
        let value: Double
    }

    @Test("what JSON cannot hold is an EncodingError naming where it was: a non-finite number, a value that encoded nothing")
    func refusals() throws {
        for value in [Double.nan, .infinity, -.infinity] {
            #expect(throws: EncodingError.self) { try Self.foundation([Number(value: value)]) }
            do {
                _ = try CompactJSONEncoder().encode([Number(value: value)])
                Issue.record("\(value) was encoded")
            } catch EncodingError.invalidValue(_, let context) {
                #expect(context.codingPath.map(\.stringValue) == ["Index 0", "value"])
            }
        }
        #expect(throws: EncodingError.self) { try Self.foundation(Silent()) }
        #expect(throws: EncodingError.self) { try CompactJSONEncoder().encode(Silent()) }
    }
}
