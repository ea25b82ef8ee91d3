internal import COpenSSL
import Foundation
import Synchronization

/// An RFC 3161 `TimeStampResp`, parsed by OpenSSL's TS module; owns its `TS_RESP`.
public final class TimestampResponse: Sendable {
    /// The `TS_RESP`, reached only under its lock (verification runs while holding it).
    private let handle: Mutex<OpaquePointer>
    /// The TSA's claimed time (`genTime`).
    public let generationTime: Date
    /// The message imprint's hash algorithm OID and digest.
    public let imprintAlgorithmOID: String
    public let imprint: [UInt8]
    /// The nonce echoed from the request, when there was one and it fits 64 bits.
    public let nonce: UInt64?

    /// Parses a DER TimeStampResp; the status must be granted (0) or grantedWithMods (1) and a token present.
    public init(derEncoded der: [UInt8]) throws(CryptoError) {
        OpenSSLErrorQueue.clear()
        var consumed = 0
        let parsed: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            let response = d2i_TS_RESP(nil, &cursor, buffer.count)
            if let cursor, let base = buffer.baseAddress { consumed = cursor - base }
            return response
        }
        guard let parsed else {
            throw CryptoError.malformedEncoding(reason: "not an RFC 3161 TimeStampResp (\(OpenSSLErrorQueue.drain()))")
        }
        guard consumed == der.count else {
            TS_RESP_free(parsed)
            throw CryptoError.malformedEncoding(reason: "trailing bytes after the TimeStampResp")
        }
        do throws(CryptoError) {
            guard let status = TS_RESP_get_status_info(parsed), let code = TS_STATUS_INFO_get0_status(status),
                (0...1).contains(ASN1_INTEGER_get(code))
            else { throw CryptoError.malformedEncoding(reason: "timestamp response status is not granted") }
            guard TS_RESP_get_token(parsed) != nil, let info = TS_RESP_get_tst_info(parsed),
                let time = TS_TST_INFO_get_time(info), let messageImprint = TS_TST_INFO_get_msg_imprint(info),
                let algorithm = TS_MSG_IMPRINT_get_algo(messageImprint), let digest = TS_MSG_IMPRINT_get_msg(messageImprint)
            else { throw CryptoError.malformedEncoding(reason: "timestamp response has no usable TSTInfo") }
            var components = tm()
            guard ASN1_TIME_to_tm(time, &components) == 1 else {
                throw CryptoError.malformedEncoding(reason: "unreadable genTime")
            }
            generationTime = Date(timeIntervalSince1970: TimeInterval(timegm(&components)))
            var object: OpaquePointer?
            X509_ALGOR_get0(&object, nil, nil, algorithm)
            var buffer = [CChar](repeating: 0, count: 128)
            OBJ_obj2txt(&buffer, Int32(buffer.count), object, 1)
            imprintAlgorithmOID = decodeCString(buffer)
            let length = Int(ASN1_STRING_length(digest))
            imprint = ASN1_STRING_get0_data(digest).map { Array(UnsafeBufferPointer(start: $0, count: length)) } ?? []
            var nonceValue: UInt64 = 0
            if let echoed = TS_TST_INFO_get_nonce(info), ASN1_INTEGER_get_uint64(&nonceValue, echoed) == 1 {
                nonce = nonceValue
            } else {
                nonce = nil
            }
        } catch {
            TS_RESP_free(parsed)
            throw error
        }
        handle = Mutex(parsed)
    }

    deinit {
        handle.withLock { TS_RESP_free($0) }
    }

    /// The hash algorithm of the message imprint, when it is one we support.
    public var imprintAlgorithm: DigestAlgorithm? {
        switch imprintAlgorithmOID {
        case "2.16.840.1.101.3.4.2.1": .sha256
        case "2.16.840.1.101.3.4.2.2": .sha384
        case "2.16.840.1.101.3.4.2.3": .sha512
        default: nil
        }
    }

    /// Verifies the token's CMS signature (and ESS signing-certificate binding), and that the signing certificate
    /// chains to `trustAnchors` through `intermediates` *at the token's own genTime*, with the timeStamping purpose.
    /// Certificates embedded in the token are used only as untrusted path candidates.
    public func verifySignature(trustAnchors: [Certificate], intermediates: [Certificate]) throws(CryptoError) {
        let time = time_t(generationTime.timeIntervalSince1970)
        try handle.withLock { response throws(CryptoError) in
            OpenSSLErrorQueue.clear()
            guard let context = TS_VERIFY_CTX_new(), let store = X509_STORE_new(), let certificates = hp_sk_X509_new_null()
            else { fatalError("TS_VERIFY_CTX_new: out of memory") }
            defer { TS_VERIFY_CTX_free(context) }
            // The context owns the store and the stack (and the references pushed onto it).
            TS_VERIFY_CTX_set_store(context, store)
            TS_VERIFY_CTX_set_certs(context, certificates)
            for anchor in trustAnchors {
                X509_STORE_add_cert(store, try anchor.openSSLHandle())
            }
            X509_STORE_set_flags(store, hp_X509_V_FLAG_PARTIAL_CHAIN)
            X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(store), time)
            for certificate in intermediates + trustAnchors {
                hp_sk_X509_push(certificates, try certificate.retainedHandle())
            }
            TS_VERIFY_CTX_set_flags(context, hp_TS_VFY_SIGNATURE | hp_TS_VFY_VERSION)
            guard TS_RESP_verify_response(context, response) == 1 else {
                throw CryptoError.chainInvalid(reason: OpenSSLErrorQueue.drain())
            }
        }
    }
}
