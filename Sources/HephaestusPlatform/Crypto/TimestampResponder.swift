internal import COpenSSL
import Foundation
import Synchronization

/// Issues RFC 3161 timestamp responses with OpenSSL's TS module: the TSA of the local Sigstore test instance.
public final class TimestampResponder: Sendable {
    public let certificate: Certificate
    public let chain: [Certificate]
    private let key: PrivateKey
    /// The TSA policy OID written into every token.
    public let policyOID: String
    /// The last serial number issued.
    private let serial = Mutex<UInt64>(0)

    /// - Parameters:
    ///   - certificate: the TSA signing certificate (critical EKU timeStamping only).
    ///   - chain: certificates to embed after it (intermediates).
    public init(certificate: Certificate, chain: [Certificate], key: PrivateKey, policyOID: String = "1.3.6.1.4.1.57264.2") {
        self.certificate = certificate
        self.chain = chain
        self.key = key
        self.policyOID = policyOID
    }

    /// A DER TimeStampResp over the SHA-256 of `data`, stamped with `time`.
    public func respond(toDigestOf data: [UInt8], at time: Date = Date()) throws(CryptoError) -> [UInt8] {
        try respond(toImprint: DigestAlgorithm.sha256.hash(data), at: time)
    }

    public func respond(toImprint imprint: Digest, at time: Date) throws(CryptoError) -> [UInt8] {
        try respond(toRequest: try Self.request(for: imprint), at: time)
    }

    /// A DER TimeStampResp answering a client's DER TimeStampReq (its imprint, nonce and certReq honoured).
    /// A request OpenSSL cannot parse gets a `rejection` response, as RFC 3161 §2.4.2 prescribes.
    public func respond(toRequest request: [UInt8], at time: Date) throws(CryptoError) -> [UInt8] {
        let number = serial.withLock { serial in
            serial += 1
            return serial
        }
        OpenSSLErrorQueue.clear()
        guard let context = TS_RESP_CTX_new() else { fatalError("TS_RESP_CTX_new: out of memory") }
        defer { TS_RESP_CTX_free(context) }
        guard TS_RESP_CTX_set_signer_cert(context, certificate.handle) == 1,
            TS_RESP_CTX_set_signer_key(context, key.handle) == 1,
            TS_RESP_CTX_set_signer_digest(context, EVP_sha256()) == 1
        else { throw CryptoError.internalFailure(operation: "TS_RESP_CTX signer", reason: OpenSSLErrorQueue.drain()) }
        if let stack = hp_sk_X509_new_null() {
            for item in chain { hp_sk_X509_push(stack, item.handle) }
            TS_RESP_CTX_set_certs(context, stack)  // copies the stack and its references
            hp_sk_X509_free(stack)
        }
        guard let policy = OBJ_txt2obj(policyOID, 1) else { throw CryptoError.malformedEncoding(reason: "policy OID") }
        defer { ASN1_OBJECT_free(policy) }
        TS_RESP_CTX_set_def_policy(context, policy)
        for digest in [EVP_sha256(), EVP_sha384(), EVP_sha512()] { TS_RESP_CTX_add_md(context, digest) }
        TS_RESP_CTX_add_flags(context, hp_TS_ESS_CERT_ID_CHAIN)
        var stamp = (seconds: Int(time.timeIntervalSince1970), serial: number)
        return try withUnsafeMutablePointer(to: &stamp) { pointer throws(CryptoError) in
            TS_RESP_CTX_set_time_cb(
                context,
                { _, data, seconds, microseconds in
                    let stamp = data!.assumingMemoryBound(to: (seconds: Int, serial: UInt64).self).pointee
                    seconds?.pointee = stamp.seconds
                    microseconds?.pointee = 0
                    return 1
                }, pointer)
            TS_RESP_CTX_set_serial_cb(
                context,
                { _, data in
                    let stamp = data!.assumingMemoryBound(to: (seconds: Int, serial: UInt64).self).pointee
                    let integer = ASN1_INTEGER_new()
                    ASN1_INTEGER_set_uint64(integer, stamp.serial)
                    return integer
                }, pointer)
            let bio = MemoryBIO(reading: request)
            guard let response = TS_RESP_create_response(context, bio.handle) else {
                throw CryptoError.internalFailure(operation: "TS_RESP_create_response", reason: OpenSSLErrorQueue.drain())
            }
            defer { TS_RESP_free(response) }
            var out: UnsafeMutablePointer<UInt8>?
            let length = i2d_TS_RESP(response, &out)
            guard length > 0, let out else { throw CryptoError.internalFailure(operation: "i2d_TS_RESP", reason: OpenSSLErrorQueue.drain()) }
            defer { hp_OPENSSL_free(out) }
            return Array(UnsafeBufferPointer(start: out, count: Int(length)))
        }
    }

    /// A DER TimeStampReq for `imprint`, asking for the signing certificate, with `nonce` when given.
    public static func request(for imprint: Digest, nonce: UInt64? = nil) throws(CryptoError) -> [UInt8] {
        let nid: Int32 =
            switch imprint.algorithm {
            case .sha256: hp_NID_sha256
            case .sha384: hp_NID_sha384
            case .sha512: hp_NID_sha512
            }
        guard let request = TS_REQ_new(), let messageImprint = TS_MSG_IMPRINT_new(), let algorithm = X509_ALGOR_new() else {
            fatalError("TS_REQ_new: out of memory")
        }
        defer {
            TS_REQ_free(request)
            TS_MSG_IMPRINT_free(messageImprint)
            X509_ALGOR_free(algorithm)
        }
        X509_ALGOR_set0(algorithm, OBJ_nid2obj(nid), hp_V_ASN1_NULL, nil)
        var bytes = imprint.bytes
        guard TS_MSG_IMPRINT_set_algo(messageImprint, algorithm) == 1,
            TS_MSG_IMPRINT_set_msg(messageImprint, &bytes, Int32(bytes.count)) == 1,
            TS_REQ_set_version(request, 1) == 1, TS_REQ_set_msg_imprint(request, messageImprint) == 1,
            TS_REQ_set_cert_req(request, 1) == 1
        else { throw CryptoError.internalFailure(operation: "TS_REQ", reason: OpenSSLErrorQueue.drain()) }
        if let nonce {
            let integer = ASN1_INTEGER_new()
            defer { ASN1_INTEGER_free(integer) }
            guard ASN1_INTEGER_set_uint64(integer, nonce) == 1, TS_REQ_set_nonce(request, integer) == 1 else {
                throw CryptoError.internalFailure(operation: "TS_REQ nonce", reason: OpenSSLErrorQueue.drain())
            }
        }
        var out: UnsafeMutablePointer<UInt8>?
        let length = i2d_TS_REQ(request, &out)
        guard length > 0, let out else { throw CryptoError.internalFailure(operation: "i2d_TS_REQ", reason: OpenSSLErrorQueue.drain()) }
        defer { hp_OPENSSL_free(out) }
        return Array(UnsafeBufferPointer(start: out, count: Int(length)))
    }
}
