import Foundation
import HephaestusPlatform
import Synchronization

/// A transparency log (Rekor) or certificate-transparency log trusted by a ``TrustedRoot``.
public struct TransparencyLogInstance: Sendable {
    public let baseURL: String
    public let publicKey: PublicKey
    /// The key's declared algorithm (`PKIX_ECDSA_P256_SHA_256`, `PKIX_ED25519`, …).
    public let keyDetails: String
    public let scheme: SignatureScheme
    public let validity: ValidityWindow
    /// The log id: SHA-256 of the DER public key for Rekor v1 and CT logs; as published for Rekor v2.
    public let logID: [UInt8]
}

/// A certificate authority (Fulcio) or timestamp authority trusted by a ``TrustedRoot``.
public struct CertificateAuthority: Sendable {
    public let subject: String
    public let uri: String
    /// The chain as published: issuing certificate first, root last.
    public let certificates: [Certificate]
    public let validity: ValidityWindow
    /// Validates leaves against every certificate of the chain as an anchor; the chain's own links are verified
    /// once, on first use (``ChainLinkCheck``), so the same intermediate signature is not re-verified per bundle.
    public let validator: CertificateChainValidator
    let chainCheck: ChainLinkCheck

    /// A path from `leaf` to this authority at `time`: the chain's links were verified at load, and every published
    /// certificate from the leaf's issuer up to the root must be within its validity window at `time`.
    /// `signatures` remembers leaf signatures already verified in the run (see ``VerifiedSignatureCache``).
    public func validate(
        _ leaf: Certificate, untrustedIntermediates: [Certificate], at time: Date, signatures: VerifiedSignatureCache? = nil
    ) throws -> [Certificate] {
        try chainCheck.verify()
        let path: [Certificate]
        let issuers = certificates.filter { $0.subjectNameDER == leaf.issuerNameDER }
        if untrustedIntermediates.isEmpty, issuers.count == 1, DirectIssuance.accepts(leaf, issuedBy: issuers[0], at: time, signatures: signatures) {
            // A leaf this chain issued directly, checked without OpenSSL's parse of it (see DirectIssuance).
            path = [leaf, issuers[0]]
        } else {
            path = try validator.validate(leaf, untrustedIntermediates: untrustedIntermediates, at: time)
        }
        guard let anchor = path.last, let position = certificates.firstIndex(where: { $0 === anchor }) else { return path }
        for certificate in certificates[position...] where !certificate.isValid(at: time) {
            throw CryptoError.chainInvalid(reason: "\(certificate.subject) is not valid at \(RFC3339.string(time))")
        }
        return path + Array(certificates[(position + 1)...])
    }
}

/// The trust material for one Sigstore deployment (`dev.sigstore.trustroot.v1.TrustedRoot`).
public struct TrustedRoot: Sendable {
    public static let mediaTypes = [
        "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
        "application/vnd.dev.sigstore.trustedroot.v0.1+json",
        "application/vnd.dev.sigstore.trustedroot.v0.2+json",
    ]

    public let mediaType: String
    public let transparencyLogs: [TransparencyLogInstance]
    public let certificateAuthorities: [CertificateAuthority]
    public let certificateTransparencyLogs: [TransparencyLogInstance]
    public let timestampAuthorities: [CertificateAuthority]
    /// The SHA-256 of the JSON bytes the root was parsed from (for the embedded roots, their embedded JSON): which
    /// root a recorded verdict was made with. Bytes, not a canonical form: a reformatted file counts as another root,
    /// which only ever costs a re-verification.
    public let sha256: Digest

    /// The transparency logs with `logID`.
    public func transparencyLogs(withID logID: [UInt8]) -> [TransparencyLogInstance] {
        transparencyLogs.filter { $0.logID == logID }
    }

    /// Parses trusted-root JSON; any malformed entry fails the whole root.
    public init(json bytes: [UInt8]) throws(VerificationError) {
        let fail: JSONObject.Failure = { .malformedTrustedRoot($0) }
        let root = try JSONObject.parse(bytes, failure: fail)
        sha256 = DigestAlgorithm.sha256.hash(bytes)
        mediaType = try root.string("mediaType", failure: fail)
        guard Self.mediaTypes.contains(mediaType) else {
            throw VerificationError.malformedTrustedRoot("unsupported media type \"\(mediaType)\"")
        }
        transparencyLogs = try root.objects("tlogs", failure: fail).map { item throws(VerificationError) in
            try Self.parseLog(item)
        }
        certificateTransparencyLogs = try root.objects("ctlogs", failure: fail).map { item throws(VerificationError) in
            try Self.parseLog(item)
        }
        certificateAuthorities = try root.objects("certificateAuthorities", failure: fail).map { item throws(VerificationError) in
            try Self.parseAuthority(item)
        }
        timestampAuthorities = try root.objects("timestampAuthorities", failure: fail).map { item throws(VerificationError) in
            try Self.parseAuthority(item)
        }
    }

    /// Reads a trusted root from a file.
    public static func load(path: String) throws -> TrustedRoot {
        try TrustedRoot(json: FileReader.contents(of: path))
    }

    /// The embedded Sigstore public-good production root.
    public static func production() throws(VerificationError) -> TrustedRoot {
        try TrustedRoot(json: Array(EmbeddedTrustMaterial.productionTrustedRoot.utf8))
    }

    /// The embedded Sigstore public-good staging root.
    public static func staging() throws(VerificationError) -> TrustedRoot {
        try TrustedRoot(json: Array(EmbeddedTrustMaterial.stagingTrustedRoot.utf8))
    }

    static func parseValidity(_ object: JSONObject?, path: String) throws(VerificationError) -> ValidityWindow {
        let fail: JSONObject.Failure = { .malformedTrustedRoot($0) }
        guard let object else { throw VerificationError.malformedTrustedRoot("\(path).validFor is missing") }
        guard let startText = try object.optionalString("start", failure: fail) else {
            throw VerificationError.malformedTrustedRoot("\(object.path).start is missing")
        }
        guard let start = RFC3339.date(startText) else {
            throw VerificationError.malformedTrustedRoot("\(object.path).start is not an RFC 3339 time")
        }
        var end: Date?
        if let endText = try object.optionalString("end", failure: fail) {
            guard let parsed = RFC3339.date(endText) else {
                throw VerificationError.malformedTrustedRoot("\(object.path).end is not an RFC 3339 time")
            }
            guard parsed >= start else { throw VerificationError.malformedTrustedRoot("\(object.path) ends before it starts") }
            end = parsed
        }
        return ValidityWindow(start: start, end: end)
    }

    private static func parseLog(_ item: JSONObject) throws(VerificationError) -> TransparencyLogInstance {
        let fail: JSONObject.Failure = { .malformedTrustedRoot($0) }
        let key = try item.object("publicKey", failure: fail)
        let details = try key.string("keyDetails", failure: fail)
        let raw = try key.bytes("rawBytes", failure: fail)
        let publicKey: PublicKey
        do {
            // Legacy PKCS1_* key details carry a bare PKCS#1 RSAPublicKey rather than a SubjectPublicKeyInfo.
            publicKey = try PublicKey(derSubjectPublicKeyInfo: details.hasPrefix("PKCS1_RSA") ? Self.wrapPKCS1(raw) : raw)
        } catch {
            throw VerificationError.malformedTrustedRoot("\(key.path): \(error)")
        }
        guard let scheme = KeyDetails.scheme(details), KeyDetails.matches(scheme, publicKey.kind) else {
            throw VerificationError.malformedTrustedRoot("\(key.path).keyDetails \(details) does not fit a \(publicKey.kind) key")
        }
        let logID = try item.object("logId", failure: fail).bytes("keyId", failure: fail)
        guard !logID.isEmpty else { throw VerificationError.malformedTrustedRoot("\(item.path).logId.keyId is empty") }
        return TransparencyLogInstance(
            baseURL: try item.optionalString("baseUrl", failure: fail) ?? "", publicKey: publicKey, keyDetails: details,
            scheme: scheme, validity: try parseValidity(try key.optionalObject("validFor", failure: fail), path: key.path),
            logID: logID)
    }

    /// SubjectPublicKeyInfo { AlgorithmIdentifier { rsaEncryption, NULL }, BIT STRING { RSAPublicKey } }.
    static func wrapPKCS1(_ rsaPublicKey: [UInt8]) -> [UInt8] {
        let algorithm: [UInt8] = [0x30, 0x0D, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01, 0x05, 0x00]
        return DERWriter.wrap(0x30, algorithm + DERWriter.wrap(0x03, [0x00] + rsaPublicKey))
    }

    private static func parseAuthority(_ item: JSONObject) throws(VerificationError) -> CertificateAuthority {
        let fail: JSONObject.Failure = { .malformedTrustedRoot($0) }
        let chain = try item.object("certChain", failure: fail).objects("certificates", failure: fail)
        guard !chain.isEmpty else { throw VerificationError.malformedTrustedRoot("\(item.path).certChain is empty") }
        var certificates: [Certificate] = []
        for entry in chain {
            do {
                certificates.append(try Certificate(derEncoded: try entry.bytes("rawBytes", failure: fail)))
            } catch let error as VerificationError {
                throw error
            } catch {
                throw VerificationError.malformedTrustedRoot("\(entry.path): \(error)")
            }
        }
        let subject = try item.optionalObject("subject", failure: fail)
        let name = [try subject?.optionalString("organization", failure: fail), try subject?.optionalString("commonName", failure: fail)]
            .compactMap { $0 }.joined(separator: "/")
        return CertificateAuthority(
            subject: name, uri: try item.optionalString("uri", failure: fail) ?? "", certificates: certificates,
            validity: try parseValidity(try item.optionalObject("validFor", failure: fail), path: item.path),
            validator: CertificateChainValidator(trustAnchors: certificates, allowsNonSelfSignedAnchors: true),
            chainCheck: ChainLinkCheck(certificates: certificates))
    }
}

/// protobuf-specs `PublicKeyDetails` names.
enum KeyDetails {
    static func scheme(_ name: String) -> SignatureScheme? {
        switch name {
        case "PKIX_ECDSA_P256_SHA_256", "ECDSA_P256_SHA_256", "PKIX_ECDSA_P256_HMAC_SHA_256": .ecdsa(.sha256)
        case "PKIX_ECDSA_P384_SHA_384": .ecdsa(.sha384)
        case "PKIX_ECDSA_P521_SHA_512": .ecdsa(.sha512)
        case "PKIX_ED25519", "PKIX_ED25519_PH": .ed25519
        case "PKIX_RSA_PKCS1V15_2048_SHA256", "PKIX_RSA_PKCS1V15_3072_SHA256", "PKIX_RSA_PKCS1V15_4096_SHA256",
            "PKCS1_RSA_PKCS1V5", "PKIX_RSA_PKCS1V5":
            .rsaPKCS1v15(.sha256)
        case "PKIX_RSA_PSS_2048_SHA256", "PKIX_RSA_PSS_3072_SHA256", "PKIX_RSA_PSS_4096_SHA256", "PKCS1_RSA_PSS", "PKIX_RSA_PSS":
            .rsaPSS(.sha256)
        default: nil
        }
    }

    static func matches(_ scheme: SignatureScheme, _ kind: PublicKeyKind) -> Bool {
        switch (scheme, kind) {
        case (.ecdsa(.sha256), .ecdsa(.p256)), (.ecdsa(.sha384), .ecdsa(.p384)), (.ecdsa(.sha512), .ecdsa(.p521)): true
        case (.ed25519, .ed25519): true
        case (.rsaPKCS1v15, .rsa), (.rsaPSS, .rsa): true
        default: false
        }
    }
}

extension TrustedRoot {
    /// The embedded TUF `root.json` of Sigstore's public-good production or staging TUF repository: what
    /// `trust update` is bootstrapped from.
    public static func embeddedTUFRoot(staging: Bool) -> [UInt8] {
        Array((staging ? EmbeddedTrustMaterial.stagingTufRoot : EmbeddedTrustMaterial.productionTufRoot).utf8)
    }

    /// Where the embedded public-good material came from (wheel name and hash).
    public static var embeddedOrigin: String { EmbeddedTrustMaterial.origin }

    /// When the embedded material was taken from the wheel (YYYY-MM-DD).
    public static var embeddedRetrievedAt: String { EmbeddedTrustMaterial.retrievedAt }
}

/// Verifies, once, that each certificate of a published CA chain is issued by the next one.
final class ChainLinkCheck: Sendable {
    private let certificates: [Certificate]
    /// The outcome of the one check, nil until it has run; held while it runs, so concurrent callers wait for it.
    private let outcome = Mutex<Result<Void, CryptoError>?>(nil)

    init(certificates: [Certificate]) {
        self.certificates = certificates
    }

    func verify() throws(CryptoError) {
        try outcome.withLock { outcome throws(CryptoError) in
            if outcome == nil {
                outcome = Result { () throws(CryptoError) in
                    for (index, certificate) in certificates.enumerated().dropLast() {
                        let issuer = certificates[index + 1]
                        do {
                            try CertificateChainValidator(trustAnchors: [issuer], allowsNonSelfSignedAnchors: true)
                                .validate(certificate, at: max(certificate.notBefore, issuer.notBefore))
                        } catch {
                            throw CryptoError.chainInvalid(
                                reason: "trusted root chain: \(certificate.subject) is not issued by \(issuer.subject): \(error)")
                        }
                    }
                }
            }
            try outcome!.get()
        }
    }
}
