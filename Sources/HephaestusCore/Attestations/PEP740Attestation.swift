import Foundation
import HephaestusPlatform
import HephaestusSigstore

/// A PEP 740 attestation object (`{version: 1, verification_material: {certificate, transparency_entries}, envelope:
/// {statement, signature}}`), as `pypi-attestations sign` and twine write it and PyPI serves it.
public struct PEP740Attestation: Sendable {
    /// The DER leaf certificate.
    public let certificate: [UInt8]
    /// The transparency log entries, each as the JSON of its object (protobuf-specs `TransparencyLogEntry`).
    public let transparencyEntries: [[UInt8]]
    /// The in-toto statement (the DSSE payload) and the DSSE signature over it.
    public let statement: [UInt8]
    public let signature: [UInt8]

    /// Parses an attestation object from its JSON.
    public init(json bytes: [UInt8]) throws(AttestationError) {
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: Data(bytes)) } catch {
            throw AttestationError(.malformed, "the attestation is not JSON: \(error.localizedDescription)")
        }
        try self.init(object: object, path: "attestation")
    }

    init(object: Any, path: String) throws(AttestationError) {
        func malformed(_ reason: String) -> AttestationError { AttestationError(.malformed, "\(path): \(reason)") }
        guard let attestation = object as? [String: Any] else { throw malformed("not a JSON object") }
        guard let version = attestation["version"] as? Int, version == 1 else {
            throw malformed("version must be 1")
        }
        guard let material = attestation["verification_material"] as? [String: Any] else {
            throw malformed("verification_material is missing")
        }
        guard let certificate = Self.base64(material["certificate"]) else {
            throw malformed("verification_material.certificate is not Base64")
        }
        guard let entries = material["transparency_entries"] as? [[String: Any]], !entries.isEmpty else {
            throw malformed("verification_material.transparency_entries must hold at least one entry")
        }
        guard let envelope = attestation["envelope"] as? [String: Any] else { throw malformed("envelope is missing") }
        guard let statement = Self.base64(envelope["statement"]) else {
            throw malformed("envelope.statement is not Base64")
        }
        guard let signature = Self.base64(envelope["signature"]) else {
            throw malformed("envelope.signature is not Base64")
        }
        self.certificate = certificate
        self.transparencyEntries = try entries.map { entry throws(AttestationError) in
            guard let data = try? JSONSerialization.data(withJSONObject: entry) else {
                throw malformed("a transparency entry is not a JSON object")
            }
            return Array(data)
        }
        self.statement = statement
        self.signature = signature
    }

    private static func base64(_ value: Any?) -> [UInt8]? {
        guard let text = value as? String else { return nil }
        return Base64.decode(text)
    }

    /// Converts a Sigstore bundle with a DSSE envelope, as pypi-attestations' `Attestation.from_bundle` (and
    /// `pypi-attestations convert`) does: its leaf certificate, its transparency log entries, its one signature.
    public init(sigstoreBundle bytes: [UInt8]) throws(AttestationError) {
        let parsed: SigstoreBundle
        do { parsed = try SigstoreBundle(json: bytes) } catch {
            throw AttestationError(.malformed, "not a Sigstore bundle: \(error)")
        }
        guard let leaf = parsed.leafCertificate else {
            throw AttestationError(.malformed, "the bundle is signed with a managed key; PEP 740 attestations need a certificate")
        }
        guard case .dsseEnvelope(let envelope) = parsed.content else {
            throw AttestationError(.malformed, "bundle does not contain a DSSE envelope")
        }
        guard envelope.signatures.count == 1 else {
            throw AttestationError(.malformed, "expected exactly one signature, got \(envelope.signatures.count)")
        }
        guard let root = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
            let material = root["verificationMaterial"] as? [String: Any],
            let entries = material["tlogEntries"] as? [[String: Any]], !entries.isEmpty
        else { throw AttestationError(.malformed, "the bundle has no transparency log entry (PEP 740 attestations need one)") }
        try self.init(
            object: [
                "version": 1,
                "verification_material": ["certificate": Base64.encode(leaf.derEncoded), "transparency_entries": entries],
                "envelope": ["statement": Base64.encode(envelope.payload), "signature": Base64.encode(envelope.signatures[0].signature)],
            ] as [String: Any], path: "bundle")
    }

    /// Reads an attestation file: a PEP 740 attestation object, or a Sigstore bundle (recognised by its `mediaType`)
    /// converted as `pypi-attestations convert` converts it.
    public static func read(path: String) throws -> PEP740Attestation {
        let bytes = try FileReader.contents(of: path, limit: BundleVerification.maximumBundleSize)
        let isBundle = ((try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any])?["mediaType"] != nil
        return isBundle ? try PEP740Attestation(sigstoreBundle: bytes) : try PEP740Attestation(json: bytes)
    }

    /// The Sigstore bundle this attestation stands for, as pypi-attestations' `Attestation.to_bundle` builds it: the
    /// certificate, the *first* transparency entry, and a DSSE envelope with the in-toto payload type.
    public func bundle() throws(AttestationError) -> SigstoreBundle {
        guard let entry = try? JSONSerialization.jsonObject(with: Data(transparencyEntries[0])) else {
            throw AttestationError(.malformed, "the transparency entry is not JSON")
        }
        let bundle: [String: Any] = [
            "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "verificationMaterial": ["certificate": ["rawBytes": Base64.encode(certificate)], "tlogEntries": [entry]],
            "dsseEnvelope": [
                "payload": Base64.encode(statement), "payloadType": "application/vnd.in-toto+json",
                "signatures": [["sig": Base64.encode(signature)]],
            ],
        ]
        do {
            let json = try JSONSerialization.data(withJSONObject: bundle, options: [.sortedKeys, .withoutEscapingSlashes])
            return try SigstoreBundle(json: Array(json))
        } catch {
            throw AttestationError(.malformed, "the attestation does not convert to a Sigstore bundle: \(error)")
        }
    }
}

/// A PEP 740 provenance object, as PyPI's Integrity API serves it: attestation bundles, each the attestations of one
/// Trusted Publisher.
public struct PEP740Provenance: Sendable {
    public struct Bundle: Sendable {
        public let publisher: TrustedPublisher
        public let attestations: [PEP740Attestation]

        public init(publisher: TrustedPublisher, attestations: [PEP740Attestation]) {
            self.publisher = publisher
            self.attestations = attestations
        }
    }

    public let bundles: [Bundle]

    public init(bundles: [Bundle]) {
        self.bundles = bundles
    }

    public init(json bytes: [UInt8]) throws(AttestationError) {
        func malformed(_ reason: String) -> AttestationError { AttestationError(.malformed, "provenance: \(reason)") }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] else {
            throw malformed("not a JSON object")
        }
        if let version = object["version"], (version as? Int) != 1 { throw malformed("version must be 1") }
        guard let bundles = object["attestation_bundles"] as? [[String: Any]] else {
            throw malformed("attestation_bundles is missing or not a list of objects")
        }
        var parsed: [Bundle] = []
        for (index, bundle) in bundles.enumerated() {
            let path = "attestation_bundles[\(index)]"
            guard let publisher = bundle["publisher"] as? [String: Any] else { throw malformed("\(path).publisher is missing") }
            guard let attestations = bundle["attestations"] as? [Any] else { throw malformed("\(path).attestations is missing") }
            parsed.append(
                Bundle(
                    publisher: try Self.publisher(publisher, path: "provenance: \(path).publisher"),
                    attestations: try attestations.enumerated().map { item throws(AttestationError) in
                        try PEP740Attestation(object: item.element, path: "provenance: \(path).attestations[\(item.offset)]")
                    }))
        }
        self.bundles = parsed
    }

    public static func read(path: String) throws -> PEP740Provenance {
        try PEP740Provenance(json: FileReader.contents(of: path, limit: 4 * BundleVerification.maximumBundleSize))
    }

    private static func publisher(_ object: [String: Any], path: String) throws(AttestationError) -> TrustedPublisher {
        func field(_ name: String) throws(AttestationError) -> String {
            guard let value = object[name] as? String else { throw AttestationError(.malformed, "\(path).\(name) is missing") }
            return value
        }
        switch object["kind"] as? String {
        case "GitHub": return .github(repository: try field("repository"), workflow: try field("workflow"))
        case "GitLab": return .gitlab(project: try field("repository"), workflow: try field("workflow_filepath"))
        case "Google": return .google(email: try field("email"))
        case "CircleCI":
            return .circleCI(
                projectID: try field("project_id"), pipelineDefinitionID: try field("pipeline_definition_id"),
                vcsOrigin: object["vcs_origin"] as? String, vcsRef: object["vcs_ref"] as? String)
        default: throw AttestationError(.malformed, "\(path).kind \(String(describing: object["kind"] ?? "(none)")) is not a known publisher")
        }
    }
}
