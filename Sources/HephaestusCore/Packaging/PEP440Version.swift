import Foundation

/// A version as PEP 440 defines it (the "Version specifiers" specification of packaging.python.org): parsed with the
/// same grammar as PyPI `packaging` (case-insensitive, `v` prefix, `-`/`_`/`.` separators, `alpha`/`beta`/`c`/`pre`/
/// `preview` spellings, implicit numbers, `-N` post releases, `rev`/`r`, epochs, local labels), normalised, ordered and
/// matched by `==` like `packaging.version.Version` and `packaging.specifiers.Specifier`: the one version type, for
/// attestation file names (pypi-attestations compares them with `packaging`) as for guard-rails' pins and drift.
public struct PEP440Version: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// A pre-release phase, in its normalised spelling.
    public enum Phase: String, Sendable, Comparable {
        case alpha = "a"
        case beta = "b"
        case candidate = "rc"

        public static func < (lhs: Phase, rhs: Phase) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// A local label segment: numbers sort after words and compare as numbers.
    public enum LocalSegment: Sendable, Hashable, Comparable, CustomStringConvertible {
        case word(String)
        case number(Digits)

        public var description: String {
            switch self {
            case .word(let word): word
            case .number(let number): number.description
            }
        }

        public static func < (lhs: LocalSegment, rhs: LocalSegment) -> Bool {
            switch (lhs, rhs) {
            case (.word(let left), .word(let right)): left < right
            case (.number(let left), .number(let right)): left < right
            case (.word, .number): true
            case (.number, .word): false
            }
        }
    }

    public let epoch: Digits
    public let release: [Digits]
    public let pre: (phase: Phase, number: Digits)?
    public let post: Digits?
    public let dev: Digits?
    public let local: [LocalSegment]?

    /// nil when `text` is not a PEP 440 version.
    public init?(_ original: String) {
        // packaging trims what Python's str.isspace() calls white space; the version itself is ASCII only.
        let scalars = original.unicodeScalars.drop(while: Self.isPythonSpace).reversed().drop(while: Self.isPythonSpace).reversed()
        guard scalars.allSatisfy(\.isASCII) else { return nil }
        let text = String(String.UnicodeScalarView(scalars))
        let range = NSRange(text.startIndex..., in: text)
        guard let match = Self.pattern?.firstMatch(in: text, range: range) else { return nil }
        func group(_ name: String) -> String? {
            let found = match.range(withName: name)
            guard found.location != NSNotFound, let bounds = Range(found, in: text) else { return nil }
            return String(text[bounds])
        }
        epoch = group("epoch").map(Digits.init) ?? .zero
        release = (group("release") ?? "").split(separator: ".").map { Digits(String($0)) }
        if let letter = group("preL")?.lowercased() {
            let phase: Phase =
                switch letter {
                case "a", "alpha": .alpha
                case "b", "beta": .beta
                default: .candidate
                }
            pre = (phase, group("preN").map(Digits.init) ?? .zero)
        } else {
            pre = nil
        }
        if let number = group("postN1") {
            post = Digits(number)
        } else if group("postL") != nil {
            post = group("postN2").map(Digits.init) ?? .zero
        } else {
            post = nil
        }
        dev = group("devL") != nil ? (group("devN").map(Digits.init) ?? .zero) : nil
        local = group("local").map { label in
            label.lowercased().split(whereSeparator: { $0 == "." || $0 == "-" || $0 == "_" }).map { part in
                part.allSatisfy(\.isASCIIDigit) ? .number(Digits(String(part))) : .word(String(part))
            }
        }
    }

    /// The normalised form (`str(packaging.version.Version(text))`).
    public var description: String {
        var text = epoch == .zero ? "" : "\(epoch)!"
        text += release.map(\.description).joined(separator: ".")
        if let pre { text += pre.phase.rawValue + pre.number.description }
        if let post { text += ".post\(post)" }
        if let dev { text += ".dev\(dev)" }
        if let local { text += "+" + local.map(\.description).joined(separator: ".") }
        return text
    }

    /// Whether this (installed) version satisfies the pin `==pinned`: equal, except that a pin without a local label
    /// ignores the candidate's local label (PEP 440, "Version matching").
    public func satisfies(pin pinned: PEP440Version) -> Bool {
        pinned.local == nil ? withoutLocal == pinned : self == pinned
    }

    private var withoutLocal: PEP440Version {
        PEP440Version(epoch: epoch, release: release, pre: pre, post: post, dev: dev, local: nil)
    }

    private init(epoch: Digits, release: [Digits], pre: (phase: Phase, number: Digits)?, post: Digits?, dev: Digits?, local: [LocalSegment]?) {
        self.epoch = epoch
        self.release = release
        self.pre = pre
        self.post = post
        self.dev = dev
        self.local = local
    }

    // MARK: Ordering (packaging's `_cmpkey`)

    /// Sorts below or above every value of its component.
    private enum Bound<Value: Comparable>: Comparable {
        case below
        case value(Value)
        case above
    }

    private struct Key: Comparable {
        let epoch: Digits
        let release: [Digits]
        let pre: Bound<PreKey>
        let post: Bound<Digits>
        let dev: Bound<Digits>
        let local: Bound<LocalKey>

        static func < (lhs: Key, rhs: Key) -> Bool {
            if lhs.epoch != rhs.epoch { return lhs.epoch < rhs.epoch }
            if lhs.release != rhs.release { return lhs.release.lexicographicallyPrecedes(rhs.release) }
            if lhs.pre != rhs.pre { return lhs.pre < rhs.pre }
            if lhs.post != rhs.post { return lhs.post < rhs.post }
            if lhs.dev != rhs.dev { return lhs.dev < rhs.dev }
            return lhs.local < rhs.local
        }
    }

    private struct PreKey: Comparable {
        let phase: Phase
        let number: Digits
        static func < (lhs: PreKey, rhs: PreKey) -> Bool { (lhs.phase, lhs.number) < (rhs.phase, rhs.number) }
    }

    private struct LocalKey: Comparable {
        let segments: [LocalSegment]
        static func < (lhs: LocalKey, rhs: LocalKey) -> Bool { lhs.segments.lexicographicallyPrecedes(rhs.segments) }
    }

    private var key: Key {
        var trimmed = release
        while trimmed.last == .zero { trimmed.removeLast() }
        let preKey: Bound<PreKey> =
            if let pre { .value(PreKey(phase: pre.phase, number: pre.number)) } else if post == nil && dev != nil { .below } else { .above }
        return Key(
            epoch: epoch, release: trimmed, pre: preKey, post: post.map { .value($0) } ?? .below, dev: dev.map { .value($0) } ?? .above,
            local: local.map { .value(LocalKey(segments: $0)) } ?? .below)
    }

    public static func == (lhs: PEP440Version, rhs: PEP440Version) -> Bool { lhs.key == rhs.key }
    public static func < (lhs: PEP440Version, rhs: PEP440Version) -> Bool { lhs.key < rhs.key }
    public func hash(into hasher: inout Hasher) {
        let key = key
        hasher.combine(key.epoch)
        hasher.combine(key.release)
    }

    /// The characters `str.isspace()` accepts (packaging's `\\s*` around the version).
    private static func isPythonSpace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: true
        default: false
        }
    }

    /// packaging's `VERSION_PATTERN`, anchored, case-insensitive (the input is ASCII by then). A constant that compiles
    /// (the `packaging` cross-check's 112 valid spellings would all fail if it did not), held optional so nothing traps.
    private static let pattern = try? NSRegularExpression(
        pattern: #"""
            ^v?(?:(?:(?<epoch>[0-9]+)!)?(?<release>[0-9]+(?:\.[0-9]+)*)\#
            (?<pre>[-_\.]?(?<preL>alpha|a|beta|b|preview|pre|c|rc)[-_\.]?(?<preN>[0-9]+)?)?\#
            (?<post>(?:-(?<postN1>[0-9]+))|(?:[-_\.]?(?<postL>post|rev|r)[-_\.]?(?<postN2>[0-9]+)?))?\#
            (?<dev>[-_\.]?(?<devL>dev)[-_\.]?(?<devN>[0-9]+)?)?)\#
            (?:\+(?<local>[a-z0-9]+(?:[-_\.][a-z0-9]+)*))?$
            """#,
        options: [.caseInsensitive])
}

/// A non-negative decimal integer of any size (version components are unbounded in PEP 440), leading zeros dropped.
public struct Digits: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let description: String

    public init(_ text: String) {
        let trimmed = text.drop { $0 == "0" }
        description = trimmed.isEmpty ? "0" : String(trimmed)
    }

    public static let zero = Digits("0")

    public static func < (lhs: Digits, rhs: Digits) -> Bool {
        lhs.description.count != rhs.description.count
            ? lhs.description.count < rhs.description.count : lhs.description.utf8.lexicographicallyPrecedes(rhs.description.utf8)
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
