import Foundation
import HephaestusPlatform

/// What the bundle says was signed, by whom, which a log entry's body must repeat exactly
/// (the check that stops CVE-2022-36056: an entry from another signing of the same bytes).
struct SignedMaterial {
    /// The bundle's signature bytes.
    let signature: [UInt8]
    /// The signing certificate's DER, or the managed key's SPKI DER.
    let verifierDER: [UInt8]
    let verifierIsCertificate: Bool
    /// For message signatures: the artifact digest. For DSSE: nil.
    let artifactDigest: Digest?
    /// For DSSE: the envelope.
    let envelope: DSSEEnvelope?
}

/// Checks a transparency log entry's canonicalized body against the bundle, per entry kind and version.
enum LogEntryConsistency {
    static func check(_ entry: TransparencyLogEntry, material: SignedMaterial) throws(VerificationError) {
        let fail: JSONObject.Failure = { .transparencyLogEntryInconsistent($0) }
        let body = try JSONObject.parse(entry.canonicalizedBody, path: "body", failure: fail)
        let kind = try body.string("kind", failure: fail)
        let apiVersion = try body.string("apiVersion", failure: fail)
        guard kind == entry.kind, apiVersion == entry.kindVersion else {
            throw VerificationError.transparencyLogEntryInconsistent(
                "body is \(kind) \(apiVersion), entry says \(entry.kind) \(entry.kindVersion)")
        }
        let spec = try body.object("spec", failure: fail)
        switch (kind, apiVersion) {
        case ("hashedrekord", "0.0.1"): try hashedRekordV001(spec, material)
        case ("hashedrekord", "0.0.2"): try hashedRekordV002(spec, material)
        case ("dsse", "0.0.1"): try dsseV001(spec, material)
        case ("dsse", "0.0.2"): try dsseV002(spec, material)
        case ("intoto", "0.0.2"): try intotoV002(spec, material)
        default:
            throw VerificationError.transparencyLogEntryInvalid("unsupported entry kind \(kind) \(apiVersion)")
        }
    }

    // MARK: - Rekor v1

    private static func hashedRekordV001(_ spec: JSONObject, _ material: SignedMaterial) throws(VerificationError) {
        let fail: JSONObject.Failure = { .transparencyLogEntryInconsistent($0) }
        guard let artifactDigest = material.artifactDigest else {
            throw VerificationError.transparencyLogEntryInconsistent("a hashedrekord entry cannot log a DSSE envelope")
        }
        let signature = try spec.object("signature", failure: fail)
        try expectSignature(try signature.bytes("content", failure: fail), material)
        try expectVerifierPEM(try signature.object("publicKey", failure: fail).bytes("content", failure: fail), material)
        let hash = try spec.object("data", failure: fail).object("hash", failure: fail)
        let algorithm = try hash.string("algorithm", failure: fail)
        let value = try hash.string("value", failure: fail)
        guard algorithm == artifactDigest.algorithm.rawValue, value.lowercased() == artifactDigest.hex else {
            throw VerificationError.transparencyLogEntryInconsistent(
                "logged digest \(algorithm):\(value) is not the artifact's \(artifactDigest)")
        }
    }

    private static func dsseV001(_ spec: JSONObject, _ material: SignedMaterial) throws(VerificationError) {
        let fail: JSONObject.Failure = { .transparencyLogEntryInconsistent($0) }
        guard let envelope = material.envelope else {
            throw VerificationError.transparencyLogEntryInconsistent("a dsse entry needs a DSSE envelope in the bundle")
        }
        let payloadHash = try spec.object("payloadHash", failure: fail)
        try expectDigest(
            algorithm: try payloadHash.string("algorithm", failure: fail), hex: try payloadHash.string("value", failure: fail),
            of: envelope.payload, what: "payload")
        let signatures = try spec.objects("signatures", failure: fail)
        guard signatures.count == envelope.signatures.count else {
            throw VerificationError.transparencyLogEntryInconsistent(
                "entry has \(signatures.count) signatures, envelope has \(envelope.signatures.count)")
        }
        for item in signatures {
            try expectSignature(try item.bytes("signature", failure: fail), material)
            try expectVerifierPEM(try item.bytes("verifier", failure: fail), material)
        }
    }

    private static func intotoV002(_ spec: JSONObject, _ material: SignedMaterial) throws(VerificationError) {
        let fail: JSONObject.Failure = { .transparencyLogEntryInconsistent($0) }
        guard let envelope = material.envelope else {
            throw VerificationError.transparencyLogEntryInconsistent("an intoto entry needs a DSSE envelope in the bundle")
        }
        let content = try spec.object("content", failure: fail)
        let payloadHash = try content.object("payloadHash", failure: fail)
        try expectDigest(
            algorithm: try payloadHash.string("algorithm", failure: fail), hex: try payloadHash.string("value", failure: fail),
            of: envelope.payload, what: "payload")
        let logged = try content.object("envelope", failure: fail)
        let signatures = try logged.objects("signatures", failure: fail)
        guard signatures.count == envelope.signatures.count else {
            throw VerificationError.transparencyLogEntryInconsistent(
                "entry has \(signatures.count) signatures, envelope has \(envelope.signatures.count)")
        }
        for item in signatures {
            // intoto 0.0.2 stores the signature Base64 of Base64, and the verifier as Base64 PEM.
            let outer = try item.bytes("sig", failure: fail)
            let signature = JSONObject.decodeBase64(String(decoding: outer, as: UTF8.self)) ?? outer
            try expectSignature(signature, material)
            try expectVerifierPEM(try item.bytes("publicKey", failure: fail), material)
        }
    }

    // MARK: - Rekor v2

    private static func hashedRekordV002(_ spec: JSONObject, _ material: SignedMaterial) throws(VerificationError) {
        let fail: JSONObject.Failure = { .transparencyLogEntryInconsistent($0) }
        let record = try spec.object("hashedRekordV002", failure: fail)
        let data = try record.object("data", failure: fail)
        let algorithmName = try data.string("algorithm", failure: fail)
        let logged = try data.bytes("digest", failure: fail)
        // A DSSE envelope is logged in Rekor v2 as a hashedrekord over its PAE.
        let expected: Digest
        if let artifactDigest = material.artifactDigest {
            expected = artifactDigest
        } else if let envelope = material.envelope {
            expected = DigestAlgorithm.sha256.hash(envelope.preAuthenticationEncoding)
        } else {
            throw VerificationError.transparencyLogEntryInconsistent("nothing to compare the logged digest with")
        }
        guard HashAlgorithmName.digestAlgorithm(algorithmName) == expected.algorithm, logged == expected.bytes else {
            throw VerificationError.transparencyLogEntryInconsistent(
                "logged digest \(algorithmName):\(Hex.encode(logged)) is not the signed \(expected)")
        }
        let signature = try record.object("signature", failure: fail)
        try expectSignature(try signature.bytes("content", failure: fail), material)
        try expectVerifier(try signature.object("verifier", failure: fail), material)
    }

    private static func dsseV002(_ spec: JSONObject, _ material: SignedMaterial) throws(VerificationError) {
        let fail: JSONObject.Failure = { .transparencyLogEntryInconsistent($0) }
        guard let envelope = material.envelope else {
            throw VerificationError.transparencyLogEntryInconsistent("a dsse entry needs a DSSE envelope in the bundle")
        }
        let record = try spec.object("dsseV002", failure: fail)
        let payloadHash = try record.object("payloadHash", failure: fail)
        let algorithmName = try payloadHash.string("algorithm", failure: fail)
        guard let algorithm = HashAlgorithmName.digestAlgorithm(algorithmName),
            try payloadHash.bytes("digest", failure: fail) == algorithm.hash(envelope.payload).bytes
        else { throw VerificationError.transparencyLogEntryInconsistent("logged payload hash is not the envelope payload's") }
        let signatures = try record.objects("signatures", failure: fail)
        guard signatures.count == envelope.signatures.count else {
            throw VerificationError.transparencyLogEntryInconsistent(
                "entry has \(signatures.count) signatures, envelope has \(envelope.signatures.count)")
        }
        for item in signatures {
            try expectSignature(try item.bytes("content", failure: fail), material)
            try expectVerifier(try item.object("verifier", failure: fail), material)
        }
    }

    // MARK: - Comparisons

    private static func expectSignature(_ logged: [UInt8], _ material: SignedMaterial) throws(VerificationError) {
        guard logged == material.signature else {
            throw VerificationError.transparencyLogEntryInconsistent("logged signature is not the bundle's signature")
        }
    }

    /// A PEM certificate or public key, as Rekor v1 bodies hold it.
    private static func expectVerifierPEM(_ pem: [UInt8], _ material: SignedMaterial) throws(VerificationError) {
        let logged: [UInt8]?
        if material.verifierIsCertificate {
            logged = PEMBlock.der(pem, label: "CERTIFICATE") ?? (try? Certificate.parse(pemOrDER: pem))?.derEncoded
        } else {
            logged = (try? PublicKey(pemOrDER: pem))?.derSubjectPublicKeyInfo
        }
        guard logged == material.verifierDER else {
            throw VerificationError.transparencyLogEntryInconsistent(
                material.verifierIsCertificate ? "logged certificate is not the bundle's certificate" : "logged key is not the verification key")
        }
    }

    /// A Rekor v2 `Verifier`: `x509Certificate.rawBytes` or `publicKey.rawBytes`.
    private static func expectVerifier(_ verifier: JSONObject, _ material: SignedMaterial) throws(VerificationError) {
        let fail: JSONObject.Failure = { .transparencyLogEntryInconsistent($0) }
        let logged: [UInt8]
        if let certificate = try verifier.optionalObject("x509Certificate", failure: fail) {
            guard material.verifierIsCertificate else {
                throw VerificationError.transparencyLogEntryInconsistent("entry logs a certificate, the bundle uses a key")
            }
            logged = try certificate.bytes("rawBytes", failure: fail)
        } else if let key = try verifier.optionalObject("publicKey", failure: fail) {
            guard !material.verifierIsCertificate else {
                throw VerificationError.transparencyLogEntryInconsistent("entry logs a key, the bundle uses a certificate")
            }
            logged = try key.bytes("rawBytes", failure: fail)
        } else {
            throw VerificationError.transparencyLogEntryInconsistent("entry verifier has neither certificate nor key")
        }
        guard logged == material.verifierDER else {
            throw VerificationError.transparencyLogEntryInconsistent(
                material.verifierIsCertificate ? "logged certificate is not the bundle's certificate" : "logged key is not the verification key")
        }
    }

    private static func expectDigest(algorithm: String, hex: String, of bytes: [UInt8], what: String) throws(VerificationError) {
        guard let digestAlgorithm = DigestAlgorithm(rawValue: algorithm), digestAlgorithm.hash(bytes).hex == hex.lowercased() else {
            throw VerificationError.transparencyLogEntryInconsistent("logged \(what) hash \(algorithm):\(hex) does not match the envelope")
        }
    }
}

/// The DER inside a single PEM block, decoded without a parser round trip (the bytes are compared, not trusted).
enum PEMBlock {
    static func der(_ pem: [UInt8], label: String) -> [UInt8]? {
        let begin = Array("-----BEGIN \(label)-----".utf8)
        let end = Array("-----END \(label)-----".utf8)
        var start = 0
        while start < pem.count, pem[start] == 0x0A || pem[start] == 0x0D || pem[start] == 0x20 { start += 1 }
        guard pem[start...].starts(with: begin) else { return nil }
        var body: [UInt8] = []
        body.reserveCapacity(pem.count)
        var index = start + begin.count
        while index < pem.count, pem[index] != UInt8(ascii: "-") {
            let byte = pem[index]
            if byte != 0x0A && byte != 0x0D && byte != 0x20 && byte != 0x09 { body.append(byte) }
            index += 1
        }
        guard pem[index...].starts(with: end) else { return nil }
        var rest = index + end.count
        while rest < pem.count, pem[rest] == 0x0A || pem[rest] == 0x0D || pem[rest] == 0x20 { rest += 1 }
        guard rest == pem.count else { return nil }
        return Base64.decode(String(decoding: body, as: UTF8.self))
    }
}
