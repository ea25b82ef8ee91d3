/// A minimal, strict DER reader for the structures Hephaestus inspects itself (certificate extensions, SCT lists,
/// timestamp tokens). Definite lengths only; lengths must be minimally encoded; nesting depth is bounded.
public struct DERNode: Sendable, Equatable {
    public enum TagClass: UInt8, Sendable {
        case universal = 0
        case application = 1
        case contextSpecific = 2
        case `private` = 3
    }

    public let tagClass: TagClass
    public let isConstructed: Bool
    public let tagNumber: UInt32
    /// The content octets (without tag and length).
    public let content: ArraySlice<UInt8>
    /// The full encoding, tag and length included.
    public let encoded: ArraySlice<UInt8>

    /// Universal tag numbers used in this code base.
    public enum Universal {
        public static let boolean: UInt32 = 1
        public static let integer: UInt32 = 2
        public static let bitString: UInt32 = 3
        public static let octetString: UInt32 = 4
        public static let null: UInt32 = 5
        public static let objectIdentifier: UInt32 = 6
        public static let utf8String: UInt32 = 12
        public static let sequence: UInt32 = 16
        public static let set: UInt32 = 17
        public static let printableString: UInt32 = 19
        public static let ia5String: UInt32 = 22
        public static let utcTime: UInt32 = 23
        public static let generalizedTime: UInt32 = 24
    }

    /// Parses exactly one node spanning all of `bytes`.
    public static func parse(_ bytes: [UInt8]) throws(CryptoError) -> DERNode {
        try parse(bytes[...])
    }

    /// Parses exactly one node spanning all of `bytes`.
    public static func parse(_ bytes: ArraySlice<UInt8>) throws(CryptoError) -> DERNode {
        var reader = DERReader(bytes)
        let node = try reader.next()
        guard reader.isAtEnd else { throw CryptoError.malformedEncoding(reason: "trailing bytes after DER value") }
        return node
    }

    /// The child nodes of a constructed node.
    public func children() throws(CryptoError) -> [DERNode] {
        guard isConstructed else { throw CryptoError.malformedEncoding(reason: "DER value is not constructed") }
        var reader = DERReader(content)
        var nodes: [DERNode] = []
        while !reader.isAtEnd {
            nodes.append(try reader.next())
        }
        return nodes
    }

    public func isUniversal(_ number: UInt32) -> Bool {
        tagClass == .universal && tagNumber == number
    }

    public func isContext(_ number: UInt32) -> Bool {
        tagClass == .contextSpecific && tagNumber == number
    }

    /// Requires a universal tag; returns self for chaining.
    public func expect(_ number: UInt32, _ what: @autoclosure () -> String) throws(CryptoError) -> DERNode {
        guard isUniversal(number) else {
            throw CryptoError.malformedEncoding(reason: "expected \(what()), found tag \(tagNumber)")
        }
        return self
    }

    /// Dotted-decimal OBJECT IDENTIFIER.
    public func objectIdentifier() throws(CryptoError) -> String {
        var arcs = try objectIdentifierArcs()
        let head = arcs.removeFirst()
        let (a, b): (UInt64, UInt64) = head < 40 ? (0, head) : head < 80 ? (1, head - 40) : (2, head - 80)
        // Dotted decimal written as ASCII bytes: certificates are read arc by arc, and this is on every bundle's path.
        var text: [UInt8] = []
        text.reserveCapacity(4 * (arcs.count + 2))
        for (index, arc) in ([a, b] + arcs).enumerated() {
            if index > 0 { text.append(0x2E) }
            let start = text.count
            var rest = arc
            repeat {
                text.append(0x30 + UInt8(rest % 10))
                rest /= 10
            } while rest > 0
            text[start...].reverse()
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// The encoded arcs of an OBJECT IDENTIFIER (the first two still combined), the encoding checked: minimal,
    /// bounded, complete. Validation without the dotted text.
    func objectIdentifierArcs() throws(CryptoError) -> [UInt64] {
        _ = try expect(Universal.objectIdentifier, "OBJECT IDENTIFIER")
        guard let first = content.first else { throw CryptoError.malformedEncoding(reason: "empty OID") }
        var arcs: [UInt64] = []
        var value: UInt64 = 0
        var started = false
        for byte in content {
            if !started && byte == 0x80 { throw CryptoError.malformedEncoding(reason: "non-minimal OID arc") }
            started = true
            guard value < (1 << 56) else { throw CryptoError.malformedEncoding(reason: "OID arc too large") }
            value = value << 7 | UInt64(byte & 0x7F)
            if byte & 0x80 == 0 {
                arcs.append(value)
                value = 0
                started = false
            }
        }
        guard content.last! & 0x80 == 0 else { throw CryptoError.malformedEncoding(reason: "truncated OID") }
        _ = first
        return arcs
    }

    /// The text of a UTF8String, IA5String or PrintableString.
    public func string() throws(CryptoError) -> String {
        guard tagClass == .universal,
            [Universal.utf8String, Universal.ia5String, Universal.printableString].contains(tagNumber)
        else { throw CryptoError.malformedEncoding(reason: "expected a string, found tag \(tagNumber)") }
        guard let text = String(validating: content, as: UTF8.self) else {
            throw CryptoError.malformedEncoding(reason: "string is not valid UTF-8")
        }
        return text
    }

    /// A non-negative INTEGER that fits in 64 bits.
    public func unsignedInteger() throws(CryptoError) -> UInt64 {
        _ = try expect(Universal.integer, "INTEGER")
        var bytes = content
        guard !bytes.isEmpty else { throw CryptoError.malformedEncoding(reason: "empty INTEGER") }
        guard bytes.first! & 0x80 == 0 else { throw CryptoError.malformedEncoding(reason: "negative INTEGER") }
        while bytes.count > 1 && bytes.first == 0 { bytes = bytes.dropFirst() }
        guard bytes.count <= 8 else { throw CryptoError.malformedEncoding(reason: "INTEGER too large") }
        return bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// The content of an OCTET STRING.
    public func octetString() throws(CryptoError) -> ArraySlice<UInt8> {
        _ = try expect(Universal.octetString, "OCTET STRING")
        return content
    }
}

/// Sequential reader over concatenated DER values.
public struct DERReader {
    private var bytes: ArraySlice<UInt8>
    private let all: ArraySlice<UInt8>
    private static let maximumLength = 1 << 26

    public init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.all = bytes
    }

    public var isAtEnd: Bool { bytes.isEmpty }

    public mutating func next() throws(CryptoError) -> DERNode {
        let start = bytes.startIndex
        guard let first = bytes.popFirst() else { throw CryptoError.malformedEncoding(reason: "truncated DER value") }
        guard let tagClass = DERNode.TagClass(rawValue: first >> 6) else {
            throw CryptoError.malformedEncoding(reason: "bad tag class")
        }
        let constructed = first & 0x20 != 0
        var number = UInt32(first & 0x1F)
        if number == 0x1F {
            number = 0
            var count = 0
            while true {
                guard let byte = bytes.popFirst() else { throw CryptoError.malformedEncoding(reason: "truncated tag") }
                count += 1
                guard count <= 4 else { throw CryptoError.malformedEncoding(reason: "tag number too large") }
                number = number << 7 | UInt32(byte & 0x7F)
                if byte & 0x80 == 0 { break }
            }
        }
        guard let lengthByte = bytes.popFirst() else { throw CryptoError.malformedEncoding(reason: "truncated length") }
        var length = 0
        if lengthByte & 0x80 == 0 {
            length = Int(lengthByte)
        } else {
            let count = Int(lengthByte & 0x7F)
            guard count > 0 else { throw CryptoError.malformedEncoding(reason: "indefinite length is not DER") }
            guard count <= 4 else { throw CryptoError.malformedEncoding(reason: "length too large") }
            for index in 0..<count {
                guard let byte = bytes.popFirst() else {
                    throw CryptoError.malformedEncoding(reason: "truncated length")
                }
                if index == 0 && byte == 0 { throw CryptoError.malformedEncoding(reason: "non-minimal length") }
                length = length << 8 | Int(byte)
            }
            guard length >= 0x80 else { throw CryptoError.malformedEncoding(reason: "non-minimal length") }
        }
        guard length <= Self.maximumLength, length <= bytes.count else {
            throw CryptoError.malformedEncoding(reason: "DER length exceeds the available bytes")
        }
        let contentStart = bytes.startIndex
        let content = bytes[contentStart..<(contentStart + length)]
        bytes = bytes[(contentStart + length)...]
        return DERNode(
            tagClass: tagClass, isConstructed: constructed, tagNumber: number,
            content: content, encoded: all[start..<(contentStart + length)])
    }
}
