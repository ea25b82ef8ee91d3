import HephaestusPlatform

/// A parsed checksum manifest in the formats `sha256sum -c` accepts.
///
/// Accepted per line, after optional leading blanks and an optional `\` marking an escaped name:
/// - GNU: `HEX  NAME` (text) or `HEX *NAME` (binary);
/// - the single-separator form `HEX NAME` (as `md5 -r` writes), when it is the form of the first checksum line;
/// - BSD tags: `SHA256 (NAME) = HEX`.
/// Empty lines and lines starting with `#` are skipped; a trailing carriage return is ignored. Hex may be upper or
/// lower case. Every other line counts as improperly formatted, exactly as GNU coreutils 9 counts them.
public struct ChecksumManifest: Sendable {
    /// A line that parsed, with its 1-based line number.
    public struct Entry: Sendable, Equatable {
        public let lineNumber: Int
        public let line: ChecksumLine
    }

    public let algorithm: DigestAlgorithm
    public let entries: [Entry]
    /// The line numbers of improperly formatted lines.
    public let malformedLines: [Int]

    /// Parses manifest bytes (names are arbitrary bytes; invalid UTF-8 is kept as replacement characters).
    public init(bytes: [UInt8], algorithm: DigestAlgorithm) {
        self.algorithm = algorithm
        var entries: [Entry] = []
        var malformed: [Int] = []
        var separatorForm = SeparatorForm.undecided
        var lineNumber = 0
        for rawLine in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = rawLine
            if line.last == 0x0D { line = line.dropLast() }
            if line.isEmpty || line.first == UInt8(ascii: "#") {
                // coreutils skips these silently; a final newline also yields one empty piece here.
                continue
            }
            if let parsed = Self.parseLine(line, algorithm: algorithm, separatorForm: &separatorForm) {
                entries.append(Entry(lineNumber: lineNumber, line: parsed))
            } else {
                malformed.append(lineNumber)
            }
        }
        self.entries = entries
        self.malformedLines = malformed
    }

    /// Whether lines separate digest and name with a mode character (`  ` or ` *`) or a single blank.
    /// GNU coreutils fixes this from the first line of the GNU form and holds later lines to it.
    private enum SeparatorForm {
        case undecided
        case withMode
        case singleBlank
    }

    private static func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

    private static func parseLine(
        _ line: ArraySlice<UInt8>, algorithm: DigestAlgorithm, separatorForm: inout SeparatorForm
    ) -> ChecksumLine? {
        var rest = line.drop(while: isBlank)
        var escaped = false
        if rest.first == UInt8(ascii: "\\") {
            escaped = true
            rest = rest.dropFirst()
        }
        if let tagged = parseTagged(rest, algorithm: algorithm, escaped: escaped) {
            return tagged
        }
        let hexLength = algorithm.byteCount * 2
        guard rest.count > hexLength + 1 else { return nil }
        let hexEnd = rest.startIndex + hexLength
        guard let digest = Digest(algorithm: algorithm, hex: String(decoding: rest[rest.startIndex..<hexEnd], as: UTF8.self)),
            isBlank(rest[hexEnd])
        else { return nil }
        var nameStart = hexEnd + 1
        let modeCharacter = nameStart < rest.endIndex ? rest[nameStart] : 0
        if modeCharacter != 0x20 && modeCharacter != UInt8(ascii: "*") {
            if separatorForm == .withMode { return nil }
            separatorForm = .singleBlank
        } else if separatorForm != .singleBlank {
            separatorForm = .withMode
            nameStart += 1
        }
        guard nameStart < rest.endIndex else { return nil }
        return makeLine(digest: digest, name: rest[nameStart...], escaped: escaped)
    }

    /// `SHA256 (NAME) = HEX`, the BSD/`--tag` form.
    private static func parseTagged(
        _ line: ArraySlice<UInt8>, algorithm: DigestAlgorithm, escaped: Bool
    ) -> ChecksumLine? {
        let tag = Array(algorithm.rawValue.uppercased().utf8)
        guard line.starts(with: tag) else { return nil }
        var rest = line.dropFirst(tag.count)
        if rest.first == 0x20 { rest = rest.dropFirst() }
        guard rest.first == UInt8(ascii: "(") else { return nil }
        rest = rest.dropFirst()
        let hexLength = algorithm.byteCount * 2
        let marker = Array(") = ".utf8)
        guard rest.count >= marker.count + hexLength else { return nil }
        let hexStart = rest.endIndex - hexLength
        let markerStart = hexStart - marker.count
        guard Array(rest[markerStart..<hexStart]) == marker,
            let digest = Digest(algorithm: algorithm, hex: String(decoding: rest[hexStart...], as: UTF8.self))
        else { return nil }
        return makeLine(digest: digest, name: rest[rest.startIndex..<markerStart], escaped: escaped)
    }

    private static func makeLine(digest: Digest, name: ArraySlice<UInt8>, escaped: Bool) -> ChecksumLine? {
        let bytes: [UInt8]
        if escaped {
            guard let unescaped = ChecksumLine.unescape(name) else { return nil }
            bytes = unescaped
        } else {
            bytes = Array(name)
        }
        guard !bytes.isEmpty, !bytes.contains(0) else { return nil }
        return ChecksumLine(digest: digest, name: NativePath.decode(bytes))
    }
}
