import Foundation

/// A distribution file name parsed as `packaging.utils` parses it (`parse_wheel_filename`, `parse_sdist_filename`):
/// what pypi-attestations compares when it matches an attestation's subject to a distribution. Two names are equal
/// when they parse to the same normalised project name, version, build tag and tag set, so
/// `spt3g-1.0-cp310-cp310-manylinux2014_x86_64.manylinux_2_17_x86_64.whl` equals the name with its platform tags in
/// the other order, and `Foo_Bar-1.0.tar.gz` equals `foo-bar-1.0.tar.gz`.
public enum PythonDistributionFilename: Sendable, Hashable {
    case wheel(name: String, version: PEP440Version, build: WheelBuildTag?, tags: Set<WheelTag>)
    case sdist(name: String, version: PEP440Version)

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
        guard let version = PEP440Version(parts[1]) else {
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
        guard let version = PEP440Version(String(stem[stem.index(after: dash)...])) else {
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
