import HephaestusPlatform

extension SigstoreBundle {
    /// Parses and validates bundle JSON. Every structural rule of the bundle's version is checked here, before any
    /// cryptography: media type, verification material shape, per-version log entry requirements, bounds,
    /// duplicates and encodings.
    public init(json bytes: [UInt8]) throws(VerificationError) {
        try self.init(json: try bytes.withUnsafeBufferPointer { buffer throws(VerificationError) in try Self.parseJSON(buffer) })
    }

    /// Parses and validates bundle JSON held as a string, read in place.
    public init(json text: String) throws(VerificationError) {
        try self.init(json: try Self.parseJSON(text))
    }

    /// A bundle's text parsed as ``init(json:)-([UInt8])`` parses it, for ``init(json:)-(JSONValue)`` to read later.
    package static func parseJSON(_ text: String) throws(VerificationError) -> JSONValue {
        var text = text
        return try text.withUTF8 { bytes in Result { () throws(VerificationError) in try parseJSON(bytes) } }.get()
    }

    /// The strict parse of a bundle's text, stopping at its ``maximumJSONValues``-plus-first value.
    private static func parseJSON(_ bytes: UnsafeBufferPointer<UInt8>) throws(VerificationError) -> JSONValue {
        do {
            return try JSONValue.parse(bytes, maximumValues: maximumJSONValues)
        } catch {
            throw VerificationError.malformedBundle("not valid JSON (\(error))")
        }
    }

    /// A bundle from JSON already parsed (a member of a larger request, parsed once with it).
    package init(json value: JSONValue) throws(VerificationError) {
        guard case .object(let fields) = value else { throw VerificationError.malformedBundle("$ is not a JSON object") }
        try self.init(root: JSONObject(path: "$", fields: fields))
    }

    private init(root: JSONObject) throws(VerificationError) {
        let fail: JSONObject.Failure = { .malformedBundle($0) }
        let mediaType = try root.optionalString("mediaType", failure: fail) ?? ""
        guard let version = SigstoreBundle.mediaTypes[mediaType] else { throw VerificationError.unsupportedMediaType(mediaType) }
        self.mediaType = mediaType
        self.version = version

        let material = try root.object("verificationMaterial", failure: fail)
        self.verificationContent = try Self.parseVerificationContent(material, version: version)

        let entries = try material.objects("tlogEntries", failure: fail)
        guard entries.count <= SigstoreBundle.maximumLogEntries else {
            throw VerificationError.malformedBundle("too many transparency log entries: \(entries.count) > \(SigstoreBundle.maximumLogEntries)")
        }
        var parsedEntries: [TransparencyLogEntry] = []
        for entry in entries {
            parsedEntries.append(try TransparencyLogEntry(json: entry, bundleVersion: version))
        }
        for (index, entry) in parsedEntries.enumerated() {
            for other in parsedEntries[(index + 1)...] where other.logKeyID == entry.logKeyID && other.logIndex == entry.logIndex {
                throw VerificationError.malformedBundle("duplicate transparency log entry (log index \(entry.logIndex))")
            }
        }
        self.transparencyLogEntries = parsedEntries

        var timestamps: [[UInt8]] = []
        if let data = try material.optionalObject("timestampVerificationData", failure: fail) {
            let items = try data.objects("rfc3161Timestamps", failure: fail)
            guard items.count <= SigstoreBundle.maximumTimestamps else {
                throw VerificationError.malformedBundle("too many signed timestamps: \(items.count) > \(SigstoreBundle.maximumTimestamps)")
            }
            for item in items {
                let token = try item.bytes("signedTimestamp", failure: fail)
                guard !token.isEmpty else { throw VerificationError.malformedBundle("\(item.path).signedTimestamp is empty") }
                guard !timestamps.contains(token) else { throw VerificationError.malformedBundle("duplicate signed timestamp") }
                timestamps.append(token)
            }
        }
        self.signedTimestamps = timestamps

        let message = try root.optionalObject("messageSignature", failure: fail)
        let envelope = try root.optionalObject("dsseEnvelope", failure: fail)
        switch (message, envelope) {
        case (let message?, nil):
            self.content = .messageSignature(try MessageSignature(json: message))
        case (nil, let envelope?):
            self.content = .dsseEnvelope(try DSSEEnvelope(json: envelope))
        case (nil, nil):
            throw VerificationError.malformedBundle("bundle has neither messageSignature nor dsseEnvelope")
        case (.some, .some):
            throw VerificationError.malformedBundle("bundle has both messageSignature and dsseEnvelope")
        }

        if parsedEntries.isEmpty && timestamps.isEmpty {
            throw VerificationError.malformedBundle("bundle has no transparency log entry and no signed timestamp")
        }
    }

    private static func parseVerificationContent(
        _ material: JSONObject, version: Version
    ) throws(VerificationError) -> VerificationContent {
        let fail: JSONObject.Failure = { .malformedBundle($0) }
        let present = ["publicKey", "x509CertificateChain", "certificate"].filter { material.has($0) }
        guard present.count == 1 else {
            throw VerificationError.malformedBundle(
                present.isEmpty
                    ? "verificationMaterial has no certificate, certificate chain or public key"
                    : "verificationMaterial has more than one of \(present.joined(separator: ", "))")
        }
        switch present[0] {
        case "publicKey":
            let key = try material.object("publicKey", failure: fail)
            return .publicKey(hint: try key.optionalString("hint", failure: fail))
        case "certificate":
            guard version >= .v0_3 else {
                throw VerificationError.malformedBundle("verificationMaterial.certificate requires bundle v0.3")
            }
            let der = try material.object("certificate", failure: fail).bytes("rawBytes", failure: fail)
            return .certificate(leaf: try parseCertificate(der, path: "verificationMaterial.certificate"), intermediates: [])
        default:
            if version >= .v0_3 {
                throw VerificationError.malformedBundle("bundle v0.3 must carry a single certificate, not x509CertificateChain")
            }
            let chain = try material.object("x509CertificateChain", failure: fail).objects("certificates", failure: fail)
            guard !chain.isEmpty else { throw VerificationError.malformedBundle("empty certificate chain") }
            var certificates: [Certificate] = []
            for (index, item) in chain.enumerated() {
                certificates.append(try parseCertificate(item.bytes("rawBytes", failure: fail), path: "x509CertificateChain[\(index)]"))
            }
            for certificate in certificates where !Self.namesEvidentlyDiffer(certificate) && certificate.subject == certificate.issuer {
                throw VerificationError.malformedBundle(
                    "certificate chain includes a root (\(certificate.subject)); roots come from the trusted root only")
            }
            return .certificate(leaf: certificates[0], intermediates: Array(certificates.dropFirst()))
        }
    }

    /// True when the subject Name is empty and the issuer Name holds an attribute (every Fulcio leaf): their printed
    /// forms cannot be equal, so OpenSSL need not parse the certificate to print them.
    private static func namesEvidentlyDiffer(_ certificate: Certificate) -> Bool {
        guard certificate.subjectNameDER == [0x30, 0x00], let issuer = try? DERNode.parse(certificate.issuerNameDER).children() else {
            return false
        }
        return issuer.contains { (try? $0.children().isEmpty) == false }
    }

    private static func parseCertificate(_ der: [UInt8], path: String) throws(VerificationError) -> Certificate {
        do {
            return try Certificate(deferringOpenSSLParse: der)
        } catch {
            throw VerificationError.malformedBundle("\(path): \(error)")
        }
    }
}

extension TransparencyLogEntry {
    init(json entry: JSONObject, bundleVersion: SigstoreBundle.Version) throws(VerificationError) {
        let fail: JSONObject.Failure = { .malformedBundle($0) }
        logIndex = try entry.int64("logIndex", failure: fail)
        logKeyID = try entry.object("logId", failure: fail).bytes("keyId", failure: fail)
        guard !logKeyID.isEmpty else { throw VerificationError.malformedBundle("\(entry.path).logId.keyId is empty") }
        let kindVersion = try entry.object("kindVersion", failure: fail)
        kind = try kindVersion.string("kind", failure: fail)
        self.kindVersion = try kindVersion.string("version", failure: fail)
        integratedTime = try entry.optionalInt64("integratedTime", failure: fail) ?? 0
        canonicalizedBody = try entry.bytes("canonicalizedBody", failure: fail)
        if let promise = try entry.optionalObject("inclusionPromise", failure: fail) {
            inclusionPromise = try promise.bytes("signedEntryTimestamp", failure: fail)
        } else {
            inclusionPromise = nil
        }
        if let proof = try entry.optionalObject("inclusionProof", failure: fail) {
            let checkpoint = try proof.optionalObject("checkpoint", failure: fail)?.optionalString("envelope", failure: fail)
            let hashes = try proof.strings("hashes", failure: fail).enumerated().map { index, text throws(VerificationError) in
                guard let bytes = JSONObject.decodeBase64(text) else {
                    throw VerificationError.malformedBundle("\(proof.path).hashes[\(index)] is not valid Base64")
                }
                return bytes
            }
            inclusionProof = InclusionProof(
                logIndex: try proof.int64("logIndex", failure: fail), rootHash: try proof.bytes("rootHash", failure: fail),
                treeSize: try proof.int64("treeSize", failure: fail), hashes: hashes,
                checkpoint: checkpoint.flatMap { $0.isEmpty ? nil : $0 })
        } else {
            inclusionProof = nil
        }
        // Spec: v0.1 bundles need an inclusion promise; v0.2 and later need an inclusion proof with a checkpoint.
        if bundleVersion == .v0_1 {
            guard inclusionPromise != nil else {
                throw VerificationError.malformedBundle("bundle v0.1 entries must contain an inclusion promise")
            }
        } else {
            guard inclusionProof != nil else {
                throw VerificationError.malformedBundle("bundle v\(bundleVersion.rawValue) entries must contain an inclusion proof")
            }
        }
        if let proof = inclusionProof, proof.checkpoint == nil {
            throw VerificationError.malformedBundle("entry must contain an inclusion proof with a checkpoint")
        }
    }
}

extension MessageSignature {
    init(json: JSONObject) throws(VerificationError) {
        let fail: JSONObject.Failure = { .malformedBundle($0) }
        signature = try json.bytes("signature", failure: fail)
        guard !signature.isEmpty else { throw VerificationError.malformedBundle("messageSignature.signature is empty") }
        if let digest = try json.optionalObject("messageDigest", failure: fail) {
            let algorithmName = try digest.string("algorithm", failure: fail)
            let bytes = try digest.bytes("digest", failure: fail)
            guard let algorithm = HashAlgorithmName.digestAlgorithm(algorithmName) else {
                throw VerificationError.malformedBundle("unknown message digest algorithm \(algorithmName)")
            }
            guard bytes.count == algorithm.byteCount else {
                throw VerificationError.malformedBundle("message digest has \(bytes.count) bytes, \(algorithm.rawValue) needs \(algorithm.byteCount)")
            }
            messageDigest = Digest(algorithm: algorithm, bytes: bytes)
        } else {
            messageDigest = nil
        }
    }
}

extension DSSEEnvelope {
    /// Parses a standalone DSSE envelope (JSON with payloadType, payload and exactly one signature).
    public init(json bytes: [UInt8]) throws(VerificationError) {
        try self.init(json: try JSONObject.parse(bytes, failure: { .malformedBundle($0) }))
    }

    init(json: JSONObject) throws(VerificationError) {
        let fail: JSONObject.Failure = { .malformedBundle($0) }
        payloadType = try json.string("payloadType", failure: fail)
        payload = try json.bytes("payload", failure: fail)
        let signatures = try json.objects("signatures", failure: fail)
        guard signatures.count == 1 else {
            throw VerificationError.malformedBundle("DSSE envelope must have exactly one signature, has \(signatures.count)")
        }
        self.signatures = try signatures.map { item throws(VerificationError) in
            Signature(signature: try item.bytes("sig", failure: fail), keyID: try item.optionalString("keyid", failure: fail))
        }
    }
}

/// Hash algorithm names as protobuf-specs writes them.
enum HashAlgorithmName {
    static func digestAlgorithm(_ name: String) -> DigestAlgorithm? {
        switch name {
        case "SHA2_256": .sha256
        case "SHA2_384": .sha384
        case "SHA2_512": .sha512
        default: nil
        }
    }
}
