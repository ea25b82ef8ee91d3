import HephaestusPlatform

/// One line of a coreutils-style checksum manifest: a digest and the file name it belongs to.
public struct ChecksumLine: Sendable, Equatable {
    public let digest: Digest
    public let name: String

    public init(digest: Digest, name: String) {
        self.digest = digest
        self.name = name
    }

    /// The line exactly as `sha256sum` prints it (text mode), without the trailing newline.
    ///
    /// Names containing a backslash, newline or carriage return are escaped and the line starts with `\`,
    /// as GNU coreutils does, so that every name round-trips through a manifest.
    public var formatted: String { Self.format(hex: digest.hex, name: name) }

    /// The `sha256sum` line of a digest given as hex (see ``formatted``).
    public static func format(hex: String, name: String) -> String {
        let needsEscape = name.utf8.contains { $0 == UInt8(ascii: "\\") || $0 == 0x0A || $0 == 0x0D }
        return (needsEscape ? "\\" : "") + hex + "  " + (needsEscape ? escape(name) : name)
    }

    /// coreutils' escaping: `\` → `\\`, newline → `\n`, carriage return → `\r`.
    static func escape(_ name: String) -> String {
        var output = ""
        output.reserveCapacity(name.utf8.count)
        for character in name.unicodeScalars {
            switch character {
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            default: output.unicodeScalars.append(character)
            }
        }
        return output
    }

    /// The inverse of ``escape(_:)``; nil on an unknown escape or a trailing backslash.
    static func unescape<Bytes: Collection>(_ bytes: Bytes) -> [UInt8]? where Bytes.Element == UInt8 {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var iterator = bytes.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "\\") else {
                output.append(byte)
                continue
            }
            switch iterator.next() {
            case UInt8(ascii: "\\"): output.append(UInt8(ascii: "\\"))
            case UInt8(ascii: "n"): output.append(0x0A)
            case UInt8(ascii: "r"): output.append(0x0D)
            default: return nil
            }
        }
        return output
    }
}
