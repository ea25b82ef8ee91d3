internal import COpenSSL
import Foundation

/// RFC 5280 path validation by OpenSSL against caller-given trust anchors, at a caller-given time.
///
/// Owns one `X509_STORE` holding the anchors; safe to share across threads (each validation uses its own context).
///
/// Unchecked because `store` is a C pointer. Safe because the store is filled in init and only read afterwards: every
/// validation builds its own `X509_STORE_CTX`, and OpenSSL guards the store's object lookups with the store's lock.
public final class CertificateChainValidator: @unchecked Sendable {
    private let store: OpaquePointer
    private let intermediates: [Certificate]
    public let trustAnchors: [Certificate]

    /// - Parameters:
    ///   - trustAnchors: certificates trusted as path ends (usually self-signed roots).
    ///   - intermediates: untrusted certificates offered for path building with every validation.
    ///   - allowsNonSelfSignedAnchors: accept a path that ends at a trusted, non-self-signed anchor
    ///     (OpenSSL's partial-chain mode), for trust roots that pin an intermediate.
    public init(
        trustAnchors: [Certificate], intermediates: [Certificate] = [], allowsNonSelfSignedAnchors: Bool = false
    ) {
        guard let store = X509_STORE_new() else { fatalError("X509_STORE_new: out of memory") }
        for anchor in trustAnchors {
            X509_STORE_add_cert(store, anchor.handle)
        }
        if allowsNonSelfSignedAnchors {
            X509_STORE_set_flags(store, hp_X509_V_FLAG_PARTIAL_CHAIN)
        }
        OpenSSLErrorQueue.clear()
        self.store = store
        self.trustAnchors = trustAnchors
        self.intermediates = intermediates
    }

    deinit {
        X509_STORE_free(store)
    }

    /// Validates a path from `leaf` to one of the anchors, as it stood at `time`.
    ///
    /// - Returns: the validated path, leaf first, anchor last.
    /// - Throws: ``CryptoError/chainInvalid(reason:)`` with OpenSSL's reason and the failing depth.
    @discardableResult
    public func validate(
        _ leaf: Certificate, untrustedIntermediates: [Certificate] = [], at time: Date
    ) throws(CryptoError) -> [Certificate] {
        OpenSSLErrorQueue.clear()
        guard let untrusted = hp_sk_X509_new_null(), let context = X509_STORE_CTX_new() else {
            fatalError("X509_STORE_CTX_new: out of memory")
        }
        defer {
            X509_STORE_CTX_free(context)
            hp_sk_X509_free(untrusted)
        }
        // The stack borrows the handles: the Certificates outlive this call.
        for certificate in intermediates + untrustedIntermediates {
            hp_sk_X509_push(untrusted, try certificate.openSSLHandle())
        }
        guard X509_STORE_CTX_init(context, store, try leaf.openSSLHandle(), untrusted) == 1 else {
            throw CryptoError.internalFailure(operation: "X509_STORE_CTX_init", reason: OpenSSLErrorQueue.drain())
        }
        X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(context), time_t(time.timeIntervalSince1970.rounded(.down)))
        guard X509_verify_cert(context) == 1 else {
            let code = X509_STORE_CTX_get_error(context)
            let depth = X509_STORE_CTX_get_error_depth(context)
            let reason = String(cString: X509_verify_cert_error_string(Int(code)))
            OpenSSLErrorQueue.clear()
            throw CryptoError.chainInvalid(reason: "\(reason) (depth \(depth))")
        }
        guard let chain = X509_STORE_CTX_get1_chain(context) else { return [leaf] }
        defer { hp_sk_X509_pop_free(chain) }
        // The chain holds the very X509 objects we handed in: map them back instead of re-wrapping each one.
        let known = [leaf] + untrustedIntermediates + intermediates + trustAnchors
        var path: [Certificate] = []
        for index in 0..<hp_sk_X509_num(chain) {
            guard let certificate = hp_sk_X509_value(chain, index) else { continue }
            if let existing = known.first(where: { $0.x509ParsedHandle == certificate }) {
                path.append(existing)
            } else {
                X509_up_ref(certificate)
                path.append(try Certificate(taking: certificate))
            }
        }
        return path
    }
}
