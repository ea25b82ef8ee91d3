import HephaestusPlatform

/// What a Fulcio leaf certificate says about its signer: the SAN identity, the OIDC issuer and the CI claims
/// (Fulcio's OID registry, 1.3.6.1.4.1.57264.1.*).
public struct FulcioCertificate: Sendable, Equatable {
    /// Fulcio extension OIDs.
    public enum OID {
        public static let prefix = "1.3.6.1.4.1.57264.1."
        /// Deprecated issuer: the raw value bytes, no DER wrapping.
        public static let issuerV1 = "1.3.6.1.4.1.57264.1.1"
        /// Issuer as a DER UTF8String.
        public static let issuerV2 = "1.3.6.1.4.1.57264.1.8"
        /// otherName SAN type for username identities.
        public static let otherNameSAN = "1.3.6.1.4.1.57264.1.7"
    }

    /// The claims by name, with their OID and whether the value is DER-wrapped (.1.8 onwards) or raw (.1.2–.1.6).
    public static let claimOIDs: [(name: String, oid: String, derEncoded: Bool)] = [
        ("githubWorkflowTrigger", "1.3.6.1.4.1.57264.1.2", false),
        ("githubWorkflowSHA", "1.3.6.1.4.1.57264.1.3", false),
        ("githubWorkflowName", "1.3.6.1.4.1.57264.1.4", false),
        ("githubWorkflowRepository", "1.3.6.1.4.1.57264.1.5", false),
        ("githubWorkflowRef", "1.3.6.1.4.1.57264.1.6", false),
        ("buildSignerURI", "1.3.6.1.4.1.57264.1.9", true),
        ("buildSignerDigest", "1.3.6.1.4.1.57264.1.10", true),
        ("runnerEnvironment", "1.3.6.1.4.1.57264.1.11", true),
        ("sourceRepositoryURI", "1.3.6.1.4.1.57264.1.12", true),
        ("sourceRepositoryDigest", "1.3.6.1.4.1.57264.1.13", true),
        ("sourceRepositoryRef", "1.3.6.1.4.1.57264.1.14", true),
        ("sourceRepositoryIdentifier", "1.3.6.1.4.1.57264.1.15", true),
        ("sourceRepositoryOwnerURI", "1.3.6.1.4.1.57264.1.16", true),
        ("sourceRepositoryOwnerIdentifier", "1.3.6.1.4.1.57264.1.17", true),
        ("buildConfigURI", "1.3.6.1.4.1.57264.1.18", true),
        ("buildConfigDigest", "1.3.6.1.4.1.57264.1.19", true),
        ("buildTrigger", "1.3.6.1.4.1.57264.1.20", true),
        ("runInvocationURI", "1.3.6.1.4.1.57264.1.21", true),
        ("sourceRepositoryVisibilityAtSigning", "1.3.6.1.4.1.57264.1.22", true),
    ]

    /// The signer identity: the one email, URI or Fulcio otherName SAN.
    public let identity: String
    /// The OIDC issuer.
    public let issuer: String
    /// CI claims present in the certificate, by name.
    public let claims: [String: String]

    /// A summary already read (from a verified result).
    public init(identity: String, issuer: String, claims: [String: String]) {
        self.identity = identity
        self.issuer = issuer
        self.claims = claims
    }

    /// Reads the summary; fails on a certificate that does not carry exactly one usable identity, lacks an issuer,
    /// or whose two issuer extensions disagree.
    public init(_ certificate: Certificate) throws(VerificationError) {
        let names: [GeneralName]
        do {
            names = try certificate.subjectAlternativeNames()
        } catch {
            throw VerificationError.certificateProfileInvalid("unreadable subject alternative names: \(error)")
        }
        var identities: [String] = []
        for name in names {
            switch name {
            case .email(let value), .uri(let value): identities.append(value)
            case .otherName(let typeID, let value) where typeID == OID.otherNameSAN:
                guard let text = try? DERNode.parse(value).string() else {
                    throw VerificationError.certificateProfileInvalid("malformed Fulcio otherName SAN")
                }
                identities.append(text)
            default: continue
            }
        }
        guard identities.count == 1 else {
            throw VerificationError.certificateProfileInvalid(
                "certificate must carry exactly one email, URI or Fulcio username SAN, found \(identities.count)")
        }
        identity = identities[0]

        let legacy = certificate.extension(oid: OID.issuerV1).map { String(decoding: $0.value, as: UTF8.self) }
        var current: String?
        if let issuerV2 = certificate.extension(oid: OID.issuerV2) {
            guard let text = try? DERNode.parse(issuerV2.value).string() else {
                throw VerificationError.certificateProfileInvalid("OIDC issuer extension \(OID.issuerV2) is not a DER UTF8String")
            }
            current = text
        }
        if let legacy, let current, legacy != current {
            throw VerificationError.certificateProfileInvalid(
                "OIDC issuer extensions disagree: \(OID.issuerV2) says \(current), \(OID.issuerV1) says \(legacy)")
        }
        guard let resolved = current ?? legacy, !resolved.isEmpty else {
            throw VerificationError.certificateProfileInvalid("certificate has no OIDC issuer extension")
        }
        issuer = resolved

        var claims: [String: String] = [:]
        for (name, oid, derEncoded) in Self.claimOIDs {
            guard let value = certificate.extension(oid: oid)?.value else { continue }
            if derEncoded {
                guard let text = try? DERNode.parse(value).string() else {
                    throw VerificationError.certificateProfileInvalid("claim \(oid) is not a DER string")
                }
                claims[name] = text
            } else {
                claims[name] = String(decoding: value, as: UTF8.self)
            }
        }
        self.claims = claims
    }
}
