import Foundation
import HephaestusCore
import HephaestusPlatform
import HephaestusSigstore
import SwiftProtobuf

/// `POST /v1/verify/bundle` and `Verification.VerifyBundle`: a bundle sent in the request verified for an artifact
/// digest and a signer, against a root the service holds. A bundle that does not verify — including one that is not a
/// bundle — is a verdict (`fail`); a request that cannot be run as given (no digest, two identities, an unknown root)
/// is a ``RequestError``.
public struct BundleVerificationService: Sendable {
    public let roots: TrustRoots

    public init(roots: TrustRoots) {
        self.roots = roots
    }

    /// Verifies one request; `source` names the bundle in the report (`request.bundle`, `request.items[2].bundle`).
    public func verify(_ input: VerifyBundleInput, source: String, runID: RunID) throws -> VerifiedDocument {
        VerifiedDocument(report: try report(input, source: source), runID: runID)
    }

    /// The verification report of one request.
    func report(_ input: VerifyBundleInput, source: String) throws -> VerificationReport {
        let request = input.message
        let digestText = request.artifactDigest
        guard !digestText.isEmpty else { throw RequestError("\(prefix(source))artifactDigest is required") }
        guard let digest = try ArtifactReference.digest(digestText) else {
            throw RequestError("\(prefix(source))artifactDigest \(digestText) is not a digest (sha256:<64 hex>)")
        }
        let bundle = try bundleJSON(input, source: source)
        let verifier = try roots.verifier(named: request.hasTrustedRoot ? request.trustedRoot : nil)
        let policy = try VerificationPolicy(artifact: .digest(digest), identity: try identity(request, source: source))
        let outcome = Result { () throws(VerificationError) -> VerificationResult in
            let parsed =
                switch bundle {
                case .parsed(let value): try SigstoreBundle(json: value)
                case .text(let text): try SigstoreBundle(json: text)
                }
            return try verifier.verify(parsed, policy: policy)
        }.mapError { $0 as any Error }
        return VerificationReport(bundle: source, artifact: digestText, outcome: outcome)
    }

    /// How messages name the item's fields: nothing for the request itself, `items[2].` for a batch item.
    private func prefix(_ source: String) -> String {
        var owner = source.hasSuffix(".bundle") ? String(source.dropLast(".bundle".count)) : source
        if owner.hasPrefix("request.") { owner.removeFirst("request.".count) }
        return owner == "request" ? "" : "\(owner)."
    }

    /// The bundle's JSON: `bundle` (an object, perhaps parsed with the body already) or `bundleJson` (its text),
    /// exactly one.
    private func bundleJSON(_ input: VerifyBundleInput, source: String) throws -> BundleJSON {
        let request = input.message
        let hasBundle = request.hasBundle || input.parsedBundle != nil
        switch (hasBundle, request.bundleJson.isEmpty) {
        case (true, true):
            if let parsed = input.parsedBundle { return .parsed(parsed) }
            guard let converted = JSONValue(request.bundle, maximumValues: SigstoreBundle.maximumJSONValues) else {
                throw RequestError("\(prefix(source))bundle holds more than \(SigstoreBundle.maximumJSONValues) JSON values, more than any bundle")
            }
            return .parsed(converted)
        case (false, false): return .text(request.bundleJson)
        case (true, false): throw RequestError("\(prefix(source))bundle and bundleJson cannot be used together")
        case (false, true): throw RequestError("\(prefix(source))bundle (an object) or bundleJson (its text) is required")
        }
    }

    private enum BundleJSON {
        case parsed(JSONValue)
        case text(String)
    }

    /// The signer policy, validated as the CLI's identity options are (a key is PEM text here, not a file).
    private func identity(_ request: Hephaestus_V1_VerifyBundleRequest, source: String) throws -> IdentityPolicy {
        let choice = SignerChoice(
            certificateIdentity: request.hasCertificateIdentity ? request.certificateIdentity : nil,
            certificateIdentityRegexp: request.hasCertificateIdentityRegexp ? request.certificateIdentityRegexp : nil,
            certificateOidcIssuer: request.hasCertificateOidcIssuer ? request.certificateOidcIssuer : nil,
            certificateOidcIssuerRegexp: request.hasCertificateOidcIssuerRegexp ? request.certificateOidcIssuerRegexp : nil,
            key: request.hasKey ? request.key : nil)
        do {
            try choice.validate()
        } catch {
            throw RequestError(prefix(source) + Self.fieldNames(error.message))
        }
        if request.hasKey {
            do {
                return .publicKey(try PublicKey(pemOrDER: Array(request.key.utf8)))
            } catch {
                throw RequestError("\(prefix(source))key is not a PEM public key: \(error)")
            }
        }
        return try choice.identityPolicy()
    }

    /// The CLI's flag names in a validation message, as the request's JSON fields.
    static func fieldNames(_ message: String) -> String {
        var text = message
        for (flag, field) in [
            ("--certificate-identity-regexp", "certificateIdentityRegexp"), ("--certificate-identity", "certificateIdentity"),
            ("--certificate-oidc-issuer-regexp", "certificateOidcIssuerRegexp"), ("--certificate-oidc-issuer", "certificateOidcIssuer"),
            ("--certificate-*", "certificate*"), ("--github-*", "github*"), ("--key", "key"),
        ] {
            text = text.replacingOccurrences(of: flag, with: field)
        }
        return text
    }
}

/// A `VerifyBundleRequest` as a transport read it. REST parses its JSON body once and keeps the `bundle` object as
/// parsed (``parsedBundle``, the message then holding every other field), so the bundle reaches the verifier without
/// a round trip through `google.protobuf.Struct`; gRPC's message carries its bundle itself.
public struct VerifyBundleInput: Sendable {
    public let message: Hephaestus_V1_VerifyBundleRequest
    let parsedBundle: JSONValue?

    public init(_ message: Hephaestus_V1_VerifyBundleRequest) {
        self.init(message, parsedBundle: nil)
    }

    init(_ message: Hephaestus_V1_VerifyBundleRequest, parsedBundle: JSONValue?) {
        self.message = message
        self.parsedBundle = parsedBundle
    }
}

/// A verification's result document (what `verify bundle --json` prints) and its verdict, written in the form its
/// transport sends: compact JSON for REST, the typed message for gRPC (whose proto3 JSON mapping is that JSON).
public struct VerifiedDocument: Sendable {
    let report: VerificationReport
    let runID: RunID
    public var passed: Bool { report.verdict == .pass }
    /// Why it failed (the report's failure), nil when it passed.
    public var failure: (any CodedError)? { report.failure }

    init(report: VerificationReport, runID: RunID) {
        self.report = report
        self.runID = runID
    }

    /// The document as compact, key-sorted JSON.
    public func json() throws -> [UInt8] {
        try CompactJSONEncoder().encode(ResultDocument(mediaType: MediaType.verificationResult, runID: runID, payload: report))
    }

    /// The document as the gRPC message, field by field (what decoding ``json()`` as proto3 JSON gives, without
    /// writing and reading that text).
    public func message() -> Hephaestus_V1_VerificationResult {
        var message = Hephaestus_V1_VerificationResult()
        message.mediaType = MediaType.verificationResult
        message.runID = runID.value
        message.verdict = report.verdict.rawValue
        message.bundle = report.bundle
        message.artifact = report.artifact
        if let step = report.step { message.step = step }
        if let code = report.code { message.code = code }
        if let reason = report.reason { message.reason = reason }
        guard let result = report.result else { return message }
        message.bundleMediaType = result.bundleMediaType
        message.artifactDigest = result.artifactDigest
        message.identity = result.identity
        if let issuer = result.issuer { message.issuer = issuer }
        message.claims = result.claims
        message.logEntries = result.logEntries.map { entry in
            var logEntry = Hephaestus_V1_VerificationResult.LogEntry()
            logEntry.logIndex = entry.logIndex
            logEntry.logID = entry.logID
            logEntry.log = entry.log
            logEntry.kind = entry.kind
            logEntry.kindVersion = entry.kindVersion
            if let time = entry.integratedTime { logEntry.integratedTime = RFC3339.string(time) }
            if let size = entry.inclusionProofTreeSize { logEntry.inclusionProofTreeSize = size }
            return logEntry
        }
        message.verifiedTimestamps = result.verifiedTimestamps.map { timestamp in
            var verified = Hephaestus_V1_VerificationResult.VerifiedTimestamp()
            verified.source = timestamp.source
            verified.authority = timestamp.authority
            verified.time = RFC3339.string(timestamp.time)
            return verified
        }
        if let certificate = result.certificate {
            message.certificate.serialNumber = certificate.serialNumber
            message.certificate.issuer = certificate.issuer
            message.certificate.notBefore = RFC3339.string(certificate.notBefore)
            message.certificate.notAfter = RFC3339.string(certificate.notAfter)
        }
        if let signingTime = result.signingTime { message.signingTime = RFC3339.string(signingTime) }
        return message
    }
}

extension JSONValue {
    /// A `google.protobuf.Struct` (gRPC's `bundle`) as the JSON its proto3 JSON mapping writes, without writing and
    /// parsing that text: numbers are doubles there, so an integral one within 2^53 is the integer its text would be.
    /// Nil when it holds more than `maximumValues` values (counted as ``JSONValue/parse(_:maximumValues:)`` counts them).
    init?(_ object: Google_Protobuf_Struct, maximumValues: Int) {
        var valuesLeft = maximumValues
        var root = Google_Protobuf_Value()
        root.structValue = object
        guard let value = Self.converting(root, valuesLeft: &valuesLeft) else { return nil }
        self = value
    }

    private static func converting(_ value: Google_Protobuf_Value, valuesLeft: inout Int) -> JSONValue? {
        guard valuesLeft > 0 else { return nil }
        valuesLeft -= 1
        switch value.kind {
        case .nullValue, nil: return .null
        case .boolValue(let bool): return .bool(bool)
        case .stringValue(let string): return .string(string)
        case .numberValue(let number):
            return number.rounded() == number && abs(number) < 9_007_199_254_740_992 ? .integer(Int64(number)) : .number(number)
        case .structValue(let object):
            var fields: [String: JSONValue] = [:]
            for (key, member) in object.fields {
                guard let converted = converting(member, valuesLeft: &valuesLeft) else { return nil }
                fields[key] = converted
            }
            return .object(fields)
        case .listValue(let list):
            var items: [JSONValue] = []
            for item in list.values {
                guard let converted = converting(item, valuesLeft: &valuesLeft) else { return nil }
                items.append(converted)
            }
            return .array(items)
        }
    }
}
