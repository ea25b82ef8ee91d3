internal import COpenSSL

/// Failures of the cryptographic primitives: parsing keys and certificates, signatures, chains.
public enum CryptoError: CodedError, Equatable {
    case malformedKey(reason: String)
    case unsupportedKey(reason: String)
    case malformedCertificate(reason: String)
    case malformedSignature(reason: String)
    case invalidSignature
    case keySchemeMismatch(key: String, scheme: String)
    case chainInvalid(reason: String)
    case malformedEncoding(reason: String)
    case internalFailure(operation: String, reason: String)

    public enum Code: String, ErrorCode {
        case malformedKey = "crypto.malformed-key"
        case unsupportedKey = "crypto.unsupported-key"
        case malformedCertificate = "crypto.malformed-certificate"
        case malformedSignature = "crypto.malformed-signature"
        case invalidSignature = "crypto.signature-invalid"
        case keySchemeMismatch = "crypto.key-scheme-mismatch"
        case chainInvalid = "crypto.chain-invalid"
        case malformedEncoding = "crypto.malformed-encoding"
        case internalFailure = "crypto.internal-failure"

        public var definition: (category: ErrorCategory, summary: String) {
            switch self {
            case .malformedKey: (.invalidInput, "a public key cannot be parsed")
            case .unsupportedKey: (.invalidInput, "a key type, curve or size is not supported")
            case .malformedCertificate: (.invalidInput, "a certificate cannot be parsed")
            case .malformedSignature: (.checkFailed, "a signature is not well-formed")
            case .invalidSignature: (.checkFailed, "a signature does not verify")
            case .keySchemeMismatch: (.checkFailed, "a key cannot make the claimed kind of signature")
            case .chainInvalid: (.checkFailed, "a certificate chain does not validate")
            case .malformedEncoding: (.invalidInput, "DER or Base64 input is malformed")
            case .internalFailure: (.internalError, "OpenSSL failed unexpectedly")
            }
        }
    }

    public var errorCode: Code {
        switch self {
        case .malformedKey: .malformedKey
        case .unsupportedKey: .unsupportedKey
        case .malformedCertificate: .malformedCertificate
        case .malformedSignature: .malformedSignature
        case .invalidSignature: .invalidSignature
        case .keySchemeMismatch: .keySchemeMismatch
        case .chainInvalid: .chainInvalid
        case .malformedEncoding: .malformedEncoding
        case .internalFailure: .internalFailure
        }
    }

    public var description: String {
        switch self {
        case .malformedKey(let reason): "malformed public key: \(reason)"
        case .unsupportedKey(let reason): "unsupported key: \(reason)"
        case .malformedCertificate(let reason): "malformed certificate: \(reason)"
        case .malformedSignature(let reason): "malformed signature: \(reason)"
        case .invalidSignature: "signature does not verify"
        case .keySchemeMismatch(let key, let scheme): "a \(key) key cannot verify \(scheme) signatures"
        case .chainInvalid(let reason): "certificate chain does not verify: \(reason)"
        case .malformedEncoding(let reason): "malformed encoding: \(reason)"
        case .internalFailure(let operation, let reason): "OpenSSL \(operation) failed: \(reason)"
        }
    }
}

/// Reads and clears OpenSSL's thread-local error queue.
enum OpenSSLErrorQueue {
    /// The queued errors as one line (most recent last), or "unknown error" when the queue is empty.
    static func drain() -> String {
        var messages: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            messages.append(decodeCString(buffer))
        }
        return messages.isEmpty ? "unknown error" : messages.joined(separator: "; ")
    }

    /// Clears the queue without reading it (before an operation whose failure we report ourselves).
    static func clear() {
        ERR_clear_error()
    }
}

/// One DER value decoded by an OpenSSL `d2i_*` function, which must consume all of `der`: the object, or an error
/// saying whether nothing decoded (`what` and OpenSSL's reason) or bytes were left over. `free` releases a partial win.
func decodeExactly(
    _ der: [UInt8], what: String, failure: (String) -> CryptoError,
    free: (OpaquePointer) -> Void, decode: (inout UnsafePointer<UInt8>?, Int) -> OpaquePointer?
) throws(CryptoError) -> OpaquePointer {
    OpenSSLErrorQueue.clear()
    var consumed = 0
    let decoded: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
        var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
        let object = decode(&cursor, buffer.count)
        if let cursor, let base = buffer.baseAddress { consumed = cursor - base }
        return object
    }
    guard let decoded else { throw failure("not a DER \(what) (\(OpenSSLErrorQueue.drain()))") }
    guard consumed == der.count else {
        free(decoded)
        throw failure("trailing bytes after the \(what)")
    }
    return decoded
}

/// Decodes a NUL-terminated C buffer (String(cString: [CChar]) is deprecated).
func decodeCString(_ buffer: [CChar]) -> String {
    let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
    return String(decoding: bytes, as: UTF8.self)
}
