import Foundation

/// Turns a remote asset name into a safe local file name: one path component, no traversal, no control characters.
///
/// The name is also *interpreted* the way hostile tooling might read it — percent-decoded (repeatedly), Unicode
/// NFKC-normalised (fullwidth `．．／` becomes `../`), slash look-alikes mapped to `/` — and if that interpretation has
/// directory components, only its last component is kept. Names that end up empty, `.`, `..`, over 255 bytes, or
/// holding NUL or control characters are refused.
public enum AssetNameSanitizer {
    public struct Result: Sendable, Equatable {
        public let name: String
        /// True when the name differs from the remote one (the caller logs original → sanitised).
        public let rewritten: Bool
    }

    public static let maximumBytes = 255
    private static let slashLookAlikes: [Character: Character] = [
        "\u{2215}": "/", "\u{2044}": "/", "\u{29F8}": "/", "\u{FF0F}": "/", "\u{29F9}": "\\", "\u{FF3C}": "\\", "\u{2216}": "\\",
    ]

    public static func sanitize(_ remote: String) throws(GitHubError) -> Result {
        func refuse(_ reason: String) -> GitHubError { .unsafeAssetName(name: remote, reason: reason) }
        guard !remote.isEmpty else { throw refuse("empty name") }
        guard !remote.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F || (0x80...0x9F).contains($0.value) }) else {
            throw refuse("NUL or control characters")
        }
        var interpreted = remote
        for _ in 0..<3 {
            guard let decoded = interpreted.removingPercentEncoding, decoded != interpreted else { break }
            interpreted = decoded
        }
        guard !interpreted.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw refuse("encoded NUL or control characters")
        }
        interpreted = String(interpreted.precomposedStringWithCompatibilityMapping.map { slashLookAlikes[$0] ?? $0 })
        let separators = CharacterSet(charactersIn: "/\\")
        let hasDirectories = interpreted.unicodeScalars.contains { separators.contains($0) }
        var name = remote
        if hasDirectories {
            name = interpreted.components(separatedBy: separators).last ?? ""
        } else if [".", ".."].contains(interpreted) {
            throw refuse("a name that means \(interpreted)")
        }
        guard !name.isEmpty else { throw refuse("nothing left after removing directory components") }
        guard name != ".", name != ".." else { throw refuse("a name that means \(name)") }
        guard name.utf8.count <= maximumBytes else { throw refuse("longer than \(maximumBytes) bytes") }
        return Result(name: name, rewritten: name != remote)
    }
}
