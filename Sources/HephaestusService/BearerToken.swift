import HephaestusCore
import HephaestusPlatform

/// An account's bearer token: `hph_` and 43 base64url characters (256 random bits). It is shown once, when the
/// account is created; the store keeps only its ``TokenHash``. Its `description` never shows it.
public struct BearerToken: Sendable, CustomStringConvertible {
    /// The recognisable prefix (secret scanners and people can tell a Hephaestus token at a glance).
    public static let prefix = "hph_"
    /// Random bytes per token.
    static let secretByteCount = 32
    /// `prefix` + base64url without padding of ``secretByteCount`` bytes.
    static let textLength = prefix.count + 43

    /// The token itself: print it once, never log it.
    public let text: String

    /// A fresh token from OpenSSL's CSPRNG.
    public static func generate() throws -> BearerToken {
        BearerToken(verifiedText: prefix + Base64.encode(try SecretBytes.random(count: secretByteCount), alphabet: .urlSafe))
    }

    private init(verifiedText: String) {
        text = verifiedText
    }

    /// A token as a client presents it; a ``AccessError/malformedCredentials(reason:)`` when it is not one (the
    /// reason never quotes it).
    public init(presented text: some StringProtocol) throws(AccessError) {
        guard text.hasPrefix(Self.prefix) else { throw .malformedCredentials(reason: "the token does not start with \(Self.prefix)") }
        guard text.utf8.count == Self.textLength,
            let secret = Base64.decode(text.dropFirst(Self.prefix.count), alphabet: .urlSafe), secret.count == Self.secretByteCount
        else {
            throw .malformedCredentials(reason: "the token is not \(Self.prefix) followed by 43 base64url characters")
        }
        self.init(verifiedText: String(text))
    }

    /// What the store keeps.
    public var hash: TokenHash { TokenHash(bytes: DigestAlgorithm.sha256.hash(Array(text.utf8)).bytes) }

    public var description: String { "\(Self.prefix)…(redacted)" }
}

/// SHA-256 of a token's text: how the store finds and checks a token without holding it. A 256-bit random token needs
/// no salt or slow hash (nothing to brute-force); equality is compared in constant time.
public struct TokenHash: Sendable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Whether `other` is the same hash, in constant time (``SecretBytes/equal(_:_:)``).
    public func matches(_ other: TokenHash) -> Bool {
        SecretBytes.equal(bytes, other.bytes)
    }

    public var hex: String { Hex.encode(bytes) }
    public var description: String { "sha256:\(hex)" }
}
