import Foundation

/// A PEP 440 version, compared as `packaging.version.Version` compares: epoch, release without trailing zeros,
/// pre-, post- and dev-release, local segments (`1.0 == 1.0.0 == v1.0`, `1.0a1 == 1.0.alpha.1`, `1.0-1 == 1.0.post1`).
public struct PythonVersion: Sendable, Hashable, CustomStringConvertible {
    public let epoch: Int
    /// The release segment with its trailing zeros removed.
    public let release: [Int]
    /// `a`, `b` or `rc` with its number.
    public let pre: PreRelease?
    public let post: Int?
    public let dev: Int?
    /// Local segments: numbers compare as numbers, words lowercased.
    public let local: [LocalSegment]?
    public let description: String

    public struct PreRelease: Sendable, Hashable {
        public let label: String
        public let number: Int
    }

    public enum LocalSegment: Sendable, Hashable {
        case number(Int)
        case word(String)
    }

    /// Parses as `packaging.version.Version(text)` does (leading/trailing whitespace allowed, case-insensitive);
    /// nil when `packaging` would raise `InvalidVersion`.
    public init?(_ text: String) {
        var scanner = VersionScanner(Array(text.lowercased().trimmingCharacters(in: .whitespacesAndNewlines).utf8))
        guard let parsed = scanner.parse() else { return nil }
        var release = parsed.release
        while release.count > 0, release.last == 0 { release.removeLast() }
        self.epoch = parsed.epoch
        self.release = release
        self.pre = parsed.pre
        self.post = parsed.post
        self.dev = parsed.dev
        self.local = parsed.local
        self.description = text
    }

    public static func == (lhs: PythonVersion, rhs: PythonVersion) -> Bool {
        lhs.epoch == rhs.epoch && lhs.release == rhs.release && lhs.pre == rhs.pre && lhs.post == rhs.post && lhs.dev == rhs.dev
            && lhs.local == rhs.local
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(epoch)
        hasher.combine(release)
        hasher.combine(pre)
        hasher.combine(post)
        hasher.combine(dev)
        hasher.combine(local)
    }
}

/// The grammar of `packaging`'s `VERSION_PATTERN`, over lowercased ASCII.
private struct VersionScanner {
    let bytes: [UInt8]
    var index = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    struct Parsed {
        var epoch = 0
        var release: [Int] = []
        var pre: PythonVersion.PreRelease?
        var post: Int?
        var dev: Int?
        var local: [PythonVersion.LocalSegment]?
    }

    static let preLabels: [(spelling: String, label: String)] = [
        ("alpha", "a"), ("a", "a"), ("beta", "b"), ("b", "b"), ("preview", "rc"), ("pre", "rc"), ("c", "rc"), ("rc", "rc"),
    ]
    static let postLabels = ["post", "rev", "r"]

    mutating func parse() -> Parsed? {
        var parsed = Parsed()
        if peek() == UInt8(ascii: "v") { index += 1 }
        let start = index
        if let epoch = number(), peek() == UInt8(ascii: "!") {
            index += 1
            parsed.epoch = epoch
        } else {
            index = start
        }
        guard let first = number() else { return nil }
        parsed.release = [first]
        while peek() == UInt8(ascii: "."), let next = lookahead({ $0.numberAfterSeparator() }) {
            parsed.release.append(next)
        }
        parsed.pre = lookahead { scanner -> PythonVersion.PreRelease? in
            scanner.separator()
            guard let label = scanner.word(Self.preLabels.map(\.spelling)) else { return nil }
            scanner.separator()
            let number = scanner.optionalNumber()
            return PythonVersion.PreRelease(label: Self.preLabels.first { $0.spelling == label }!.label, number: number ?? 0)
        }
        parsed.post = lookahead { scanner -> Int? in
            if scanner.peek() == UInt8(ascii: "-"), let number = scanner.lookahead({ $0.numberAfterSeparator() }) {
                return number
            }
            scanner.separator()
            guard scanner.word(Self.postLabels) != nil else { return nil }
            scanner.separator()
            return scanner.optionalNumber() ?? 0
        }
        parsed.dev = lookahead { scanner -> Int? in
            scanner.separator()
            guard scanner.word(["dev"]) != nil else { return nil }
            scanner.separator()
            return scanner.optionalNumber() ?? 0
        }
        if peek() == UInt8(ascii: "+") {
            index += 1
            var segments: [PythonVersion.LocalSegment] = []
            while true {
                let begin = index
                while let byte = peek(), isAlphanumeric(byte) { index += 1 }
                guard index > begin else { return nil }
                let text = String(decoding: bytes[begin..<index], as: UTF8.self)
                segments.append(text.allSatisfy(\.isASCIIDigit) ? .number(Int(text) ?? Int.max) : .word(text))
                guard let byte = peek(), byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") else { break }
                index += 1
            }
            parsed.local = segments
        }
        return index == bytes.count ? parsed : nil
    }

    func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

    func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    /// Runs `body`; rewinds when it yields nil.
    mutating func lookahead<T>(_ body: (inout VersionScanner) -> T?) -> T? {
        let start = index
        if let value = body(&self) { return value }
        index = start
        return nil
    }

    mutating func separator() {
        if let byte = peek(), byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") { index += 1 }
    }

    mutating func number() -> Int? {
        let begin = index
        while let byte = peek(), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { index += 1 }
        guard index > begin else { return nil }
        return Int(String(decoding: bytes[begin..<index], as: UTF8.self)) ?? Int.max
    }

    mutating func optionalNumber() -> Int? { lookahead { $0.number() } }

    /// The number after the separator at the current position (the caller has seen it).
    mutating func numberAfterSeparator() -> Int? {
        index += 1
        return number()
    }

    /// The first of `words` (longest alternatives first where they share a prefix) that follows.
    mutating func word(_ words: [String]) -> String? {
        for word in words.sorted(by: { $0.count > $1.count }) {
            let utf8 = Array(word.utf8)
            if index + utf8.count <= bytes.count, Array(bytes[index..<index + utf8.count]) == utf8 {
                index += utf8.count
                return word
            }
        }
        return nil
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}

/// A distribution file name parsed as `packaging.utils` parses it (`parse_wheel_filename`, `parse_sdist_filename`):
/// what pypi-attestations compares when it matches an attestation's subject to a distribution. Two names are equal
/// when they parse to the same normalised project name, version, build tag and tag set, so
/// `spt3g-1.0-cp310-cp310-manylinux2014_x86_64.manylinux_2_17_x86_64.whl` equals the name with its platform tags in
/// the other order, and `Foo_Bar-1.0.tar.gz` equals `foo-bar-1.0.tar.gz`.
public enum PythonDistributionFilename: Sendable, Hashable {
    case wheel(name: String, version: PythonVersion, build: WheelBuildTag?, tags: Set<WheelTag>)
    case sdist(name: String, version: PythonVersion)

    public struct WheelBuildTag: Sendable, Hashable {
        public let number: Int
        public let suffix: String
    }

    public struct WheelTag: Sendable, Hashable {
        public let interpreter: String
        public let abi: String
        public let platform: String
    }

    /// Why a name is not a distribution file name (as `packaging` words it).
    public struct Invalid: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    public init(_ filename: String) throws(Invalid) {
        if filename.hasSuffix(".whl") {
            self = try Self.wheel(filename)
        } else if filename.hasSuffix(".tar.gz") || filename.hasSuffix(".zip") {
            self = try Self.sdist(filename)
        } else {
            throw Invalid(description: "unknown distribution format: \(filename)")
        }
    }

    /// PEP 503 normalisation, as `packaging.utils.canonicalize_name`.
    public static func canonicalize(_ name: String) -> String { WheelFilename.normalize(name) }

    private static func wheel(_ filename: String) throws(Invalid) -> PythonDistributionFilename {
        let stem = String(filename.dropLast(4))
        let dashes = stem.filter { $0 == "-" }.count
        guard dashes == 4 || dashes == 5 else { throw Invalid(description: "Invalid wheel filename (wrong number of parts): \(stem)") }
        let parts = stem.split(separator: "-", maxSplits: dashes - 2, omittingEmptySubsequences: false).map(String.init)
        let namePart = parts[0]
        guard !namePart.isEmpty, !namePart.contains("__"),
            namePart.allSatisfy({ $0 == "_" || $0 == "." || $0.isLetter || $0.isNumber })
        else { throw Invalid(description: "Invalid project name: \(stem)") }
        guard let version = PythonVersion(parts[1]) else {
            throw Invalid(description: "Invalid wheel filename (invalid version): \(stem)")
        }
        var build: WheelBuildTag?
        if dashes == 5 {
            let text = parts[2]
            let digits = text.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, let number = Int(digits) else { throw Invalid(description: "Invalid build number: \(text) in \(stem)") }
            build = WheelBuildTag(number: number, suffix: String(text.dropFirst(digits.count)))
        }
        let components = parts[parts.count - 1].split(separator: "-", omittingEmptySubsequences: false).map {
            $0.split(separator: ".", omittingEmptySubsequences: false).map { String($0).lowercased() }
        }
        guard components.count == 3, components.allSatisfy({ !$0.contains("") }),
            components[0].allSatisfy(Self.isIdentifier)
        else { throw Invalid(description: "Invalid wheel filename (invalid tag component): \(stem)") }
        var tags: Set<WheelTag> = []
        for interpreter in components[0] {
            for abi in components[1] {
                for platform in components[2] { tags.insert(WheelTag(interpreter: interpreter, abi: abi, platform: platform)) }
            }
        }
        return .wheel(name: canonicalize(namePart), version: version, build: build, tags: tags)
    }

    private static func sdist(_ filename: String) throws(Invalid) -> PythonDistributionFilename {
        let stem = String(filename.hasSuffix(".tar.gz") ? filename.dropLast(7) : filename.dropLast(4))
        guard let dash = stem.lastIndex(of: "-") else { throw Invalid(description: "Invalid sdist filename: \(filename)") }
        let namePart = String(stem[..<dash])
        guard !namePart.isEmpty else { throw Invalid(description: "Invalid sdist filename (empty project name): \(filename)") }
        guard let version = PythonVersion(String(stem[stem.index(after: dash)...])) else {
            throw Invalid(description: "Invalid sdist filename (invalid version): \(filename)")
        }
        return .sdist(name: canonicalize(namePart), version: version)
    }

    /// Python's `str.isidentifier()` for the ASCII and letter cases tags use.
    private static func isIdentifier(_ text: String) -> Bool {
        guard let first = text.first, first == "_" || first.isLetter else { return false }
        return text.allSatisfy { $0 == "_" || $0.isLetter || $0.isNumber }
    }
}
