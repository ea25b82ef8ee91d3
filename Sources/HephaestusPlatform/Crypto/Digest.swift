internal import COpenSSL

/// A hash function supported for artifact digests.
public enum DigestAlgorithm: String, Sendable, CaseIterable, Codable {
    case sha256
    case sha384
    case sha512

    /// The digest length in bytes.
    public var byteCount: Int {
        switch self {
        case .sha256: 32
        case .sha384: 48
        case .sha512: 64
        }
    }

    /// The provider implementation, fetched once: OpenSSL 3 otherwise re-fetches it (locks, string compares) on
    /// every digest or signature initialisation.
    var evpMessageDigest: OpaquePointer {
        switch self {
        case .sha256: FetchedDigests.sha256
        case .sha384: FetchedDigests.sha384
        case .sha512: FetchedDigests.sha512
        }
    }

    /// The digest of `bytes`.
    public func hash<Bytes: Sequence>(_ bytes: Bytes) -> Digest where Bytes.Element == UInt8 {
        let hasher = StreamingHasher(algorithm: self)
        let array = Array(bytes)
        array.withUnsafeBytes { hasher.update($0) }
        return hasher.finalize()
    }

    /// The digest of the file at `path` (`-` is standard input), streamed in 1 MiB chunks: memory does not grow
    /// with the file.
    public func hash(fileAt path: String) throws(FileError) -> Digest {
        let reader = path == "-" ? FileReader.standardInput() : try FileReader(path: path)
        let hasher = StreamingHasher(algorithm: self)
        do {
            try reader.forEachChunk { hasher.update($0) }
        } catch let error as FileError {
            throw error
        } catch {
            throw FileError.readFailed(path: path, reason: "\(error)")
        }
        return hasher.finalize()
    }
}

/// A computed message digest.
public struct Digest: Sendable, Hashable, CustomStringConvertible {
    public let algorithm: DigestAlgorithm
    public let bytes: [UInt8]

    public init(algorithm: DigestAlgorithm, bytes: [UInt8]) {
        self.algorithm = algorithm
        self.bytes = bytes
    }

    /// Parses lowercase or uppercase hex of the right length for `algorithm`.
    public init?(algorithm: DigestAlgorithm, hex: some StringProtocol) {
        guard hex.utf8.count == algorithm.byteCount * 2, let bytes = Hex.decode(hex) else { return nil }
        self.init(algorithm: algorithm, bytes: bytes)
    }

    /// Lowercase hexadecimal, as `sha256sum` prints it.
    public var hex: String { Hex.encode(bytes) }

    /// `sha256:<hex>`.
    public var description: String { "\(algorithm.rawValue):\(hex)" }
}

/// Incremental hashing over an OpenSSL `EVP_MD_CTX`, which this type owns.
public final class StreamingHasher {
    public let algorithm: DigestAlgorithm
    private let context: OpaquePointer

    public init(algorithm: DigestAlgorithm) {
        self.algorithm = algorithm
        guard let context = EVP_MD_CTX_new() else {
            fatalError("EVP_MD_CTX_new: out of memory")
        }
        guard EVP_DigestInit_ex(context, algorithm.evpMessageDigest, nil) == 1 else {
            fatalError("EVP_DigestInit_ex(\(algorithm.rawValue)) failed: \(OpenSSLErrorQueue.drain())")
        }
        self.context = context
    }

    deinit {
        EVP_MD_CTX_free(context)
    }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        EVP_DigestUpdate(context, base, bytes.count)
    }

    public func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The digest of everything passed to `update`. The hasher must not be used afterwards.
    public func finalize() -> Digest {
        var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &output, &length)
        return Digest(algorithm: algorithm, bytes: Array(output.prefix(Int(length))))
    }
}

/// Explicitly fetched message digests, shared process-wide (EVP_MD objects are immutable and thread-safe).
private enum FetchedDigests {
    nonisolated(unsafe) static let sha256: OpaquePointer = EVP_MD_fetch(nil, "SHA2-256", nil) ?? EVP_sha256()
    nonisolated(unsafe) static let sha384: OpaquePointer = EVP_MD_fetch(nil, "SHA2-384", nil) ?? EVP_sha384()
    nonisolated(unsafe) static let sha512: OpaquePointer = EVP_MD_fetch(nil, "SHA2-512", nil) ?? EVP_sha512()
}
