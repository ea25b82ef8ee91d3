import Foundation
import HephaestusPlatform

/// Writes bundle v0.3 JSON (proto3 JSON: lowerCamelCase, int64 as strings, bytes as standard Base64).
public enum BundleEncoder {
    public static let mediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"

    /// The whole bundle as a JSON object.
    public static func bundle(
        certificate: Certificate?, publicKeyHint: String? = nil, logEntries: [[String: Any]], timestamps: [[UInt8]],
        messageDigest: Digest?, signature: [UInt8]?, envelope: DSSEEnvelope? = nil
    ) -> [String: Any] {
        var material: [String: Any] = ["tlogEntries": logEntries]
        if let certificate {
            material["certificate"] = ["rawBytes": Base64.encode(certificate.derEncoded)]
        } else {
            material["publicKey"] = ["hint": publicKeyHint ?? ""]
        }
        if !timestamps.isEmpty {
            material["timestampVerificationData"] = ["rfc3161Timestamps": timestamps.map { ["signedTimestamp": Base64.encode($0)] }]
        }
        var bundle: [String: Any] = ["mediaType": mediaType, "verificationMaterial": material]
        if let envelope {
            bundle["dsseEnvelope"] = envelopeJSON(envelope)
        } else if let signature {
            var message: [String: Any] = ["signature": Base64.encode(signature)]
            if let messageDigest {
                message["messageDigest"] = [
                    "algorithm": RekorEntryBody.protoName(messageDigest.algorithm), "digest": Base64.encode(messageDigest.bytes),
                ]
            }
            bundle["messageSignature"] = message
        }
        return bundle
    }

    public static func envelopeJSON(_ envelope: DSSEEnvelope) -> [String: Any] {
        [
            "payloadType": envelope.payloadType, "payload": Base64.encode(envelope.payload),
            "signatures": envelope.signatures.map { signature -> [String: Any] in
                var item: [String: Any] = ["sig": Base64.encode(signature.signature)]
                if let keyID = signature.keyID { item["keyid"] = keyID }
                return item
            },
        ]
    }

    /// Pretty JSON bytes.
    public static func data(_ object: [String: Any]) -> [UInt8] {
        Array((try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data())
    }
}
