internal import COpenSSL

/// Secrets made and compared the way credentials must be: random bytes from OpenSSL's CSPRNG, and equality whose time
/// does not depend on where two values first differ.
public enum SecretBytes {
    /// `count` bytes from OpenSSL's cryptographically secure generator (seeded by the operating system).
    public static func random(count: Int) throws(CryptoError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        guard count > 0 else { return bytes }
        let status = bytes.withUnsafeMutableBytes { RAND_bytes($0.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(count)) }
        guard status == 1 else { throw CryptoError.internalFailure(operation: "RAND_bytes", reason: OpenSSLErrorQueue.drain()) }
        return bytes
    }

    /// Whether `a` and `b` hold the same bytes, in time that depends on their lengths only (`CRYPTO_memcmp`): for token
    /// hashes and MACs, where an early exit would tell an attacker how much of a guess was right.
    public static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        guard !a.isEmpty else { return true }
        return a.withUnsafeBytes { left in
            b.withUnsafeBytes { right in CRYPTO_memcmp(left.baseAddress!, right.baseAddress!, a.count) == 0 }
        }
    }
}
