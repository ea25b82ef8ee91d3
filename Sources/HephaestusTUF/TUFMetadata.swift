import Foundation
import HephaestusPlatform
import HephaestusSigstore

/// A verification key of a TUF role (`keytype`, `scheme`, `keyval.public`), as securesystemslib writes them.
struct TUFKey {
    let key: PublicKey
    let scheme: SignatureScheme

    /// Parses one key; nil for a key type or scheme this client does not support (it then counts for no threshold).
    init?(_ value: JSONValue) {
        guard let type = value["keytype"]?.stringValue, let schemeName = value["scheme"]?.stringValue,
            let material = value["keyval"]?["public"]?.stringValue
        else { return nil }
        switch (type, schemeName) {
        case ("ed25519", "ed25519"):
            // Raw 32-byte key in hex: wrapped in its SubjectPublicKeyInfo (RFC 8410).
            guard let raw = Hex.decode(material), raw.count == 32,
                let key = try? PublicKey(derSubjectPublicKeyInfo: [0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00] + raw)
            else { return nil }
            self.key = key
            self.scheme = .ed25519
        case ("ecdsa", "ecdsa-sha2-nistp256"), ("ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256"):
            guard let key = try? PublicKey(pem: material), key.kind == .ecdsa(curve: .p256) else { return nil }
            self.key = key
            self.scheme = .ecdsa(.sha256)
        case ("ecdsa", "ecdsa-sha2-nistp384"), ("ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384"):
            guard let key = try? PublicKey(pem: material), key.kind == .ecdsa(curve: .p384) else { return nil }
            self.key = key
            self.scheme = .ecdsa(.sha384)
        case ("rsa", "rsassa-pss-sha256"), ("rsa", "rsa-pkcs1v15-sha256"):
            guard let key = try? PublicKey(pem: material), case .rsa = key.kind else { return nil }
            self.key = key
            self.scheme = schemeName == "rsassa-pss-sha256" ? .rsaPSS(.sha256) : .rsaPKCS1v15(.sha256)
        default: return nil
        }
    }
}

/// The keys and threshold one role must be signed by.
struct TUFRoleKeys {
    let keyIDs: [String]
    let threshold: Int
}

/// A metadata file's entry in timestamp or snapshot (`meta`): its version and, optionally, length and hashes.
struct TUFMetaFile: Equatable {
    let version: Int
    let length: Int?
    let hashes: [String: String]
}

/// A delegation from a targets role (TUF 1.0 §2.6 `delegations.roles`).
struct TUFDelegatedRole {
    let name: String
    let roleKeys: TUFRoleKeys
    let terminating: Bool
    let paths: [String]?
    let pathHashPrefixes: [String]?

    /// Whether this role is trusted for `target` (its path patterns match component by component, `*` never crossing
    /// a `/`; or a hash prefix matches the SHA-256 of the path).
    func isDelegated(_ target: String) -> Bool {
        if let paths {
            let parts = target.split(separator: "/", omittingEmptySubsequences: false)
            return paths.contains { pattern in
                let patternParts = pattern.split(separator: "/", omittingEmptySubsequences: false)
                return patternParts.count == parts.count && zip(patternParts, parts).allSatisfy { Glob.matches(Array($0.utf8), Array($1.utf8)) }
            }
        }
        if let pathHashPrefixes {
            let hash = DigestAlgorithm.sha256.hash(Array(target.utf8)).hex
            return pathHashPrefixes.contains { hash.hasPrefix($0) }
        }
        return false
    }
}

/// fnmatch over one path component: `*`, `?` and `[...]` sets, as Python's fnmatch (which the reference client uses).
enum Glob {
    static func matches(_ pattern: [UInt8], _ text: [UInt8]) -> Bool {
        var p = 0
        var t = 0
        var star: Int?
        var starText = 0
        while t < text.count {
            if p < pattern.count, pattern[p] == UInt8(ascii: "*") {
                star = p
                starText = t
                p += 1
                continue
            }
            if p < pattern.count, let next = single(pattern, p, text[t]) {
                p = next
                t += 1
                continue
            }
            guard let star else { return false }
            p = star + 1
            starText += 1
            t = starText
        }
        while p < pattern.count, pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.count
    }

    /// Matches one pattern element at `p` against `byte`; returns the index after the element, or nil.
    private static func single(_ pattern: [UInt8], _ p: Int, _ byte: UInt8) -> Int? {
        switch pattern[p] {
        case UInt8(ascii: "?"): return p + 1
        case UInt8(ascii: "["):
            var index = p + 1
            var negate = false
            if index < pattern.count, pattern[index] == UInt8(ascii: "!") {
                negate = true
                index += 1
            }
            var matched = false
            var first = true
            while index < pattern.count, first || pattern[index] != UInt8(ascii: "]") {
                first = false
                if index + 2 < pattern.count, pattern[index + 1] == UInt8(ascii: "-"), pattern[index + 2] != UInt8(ascii: "]") {
                    if pattern[index] <= byte && byte <= pattern[index + 2] { matched = true }
                    index += 3
                } else {
                    if pattern[index] == byte { matched = true }
                    index += 1
                }
            }
            // An unclosed `[` is a literal, as in fnmatch.
            guard index < pattern.count else { return pattern[p] == byte ? p + 1 : nil }
            return matched != negate ? index + 1 : nil
        default: return pattern[p] == byte ? p + 1 : nil
        }
    }
}

/// A target file's entry: its length and hashes.
struct TUFTargetFile: Equatable {
    let length: Int
    let hashes: [String: String]
}

/// One metadata file as received: the signed part, its canonical bytes and the signatures over them.
struct TUFEnvelope {
    let type: String
    let version: Int
    let expires: Date
    let signed: JSONValue
    let canonicalSigned: [UInt8]
    let signatures: [(keyID: String, signature: [UInt8])]
    /// The bytes exactly as fetched or read (what is persisted).
    let bytes: [UInt8]

    init(bytes: [UInt8], role: String) throws(TUFError) {
        func invalid(_ reason: String) -> TUFError { TUFError(.metadataInvalid, "\(role) metadata is invalid: \(reason)") }
        let document: JSONValue
        do { document = try JSONValue.parse(bytes) } catch { throw invalid("not JSON (\(error))") }
        guard let signed = document["signed"], case .object = signed, case .array(let signatureList)? = document["signatures"] else {
            throw invalid("no signed object and signatures list")
        }
        guard let type = signed["_type"]?.stringValue else { throw invalid("no _type") }
        guard let version = signed["version"]?.intValue, version >= 1 else { throw invalid("no positive version") }
        guard let expiresText = signed["expires"]?.stringValue, let expires = RFC3339.date(expiresText) else {
            throw invalid("no valid expires")
        }
        guard let specVersion = signed["spec_version"]?.stringValue, specVersion.split(separator: ".").first == "1" else {
            throw invalid("unsupported spec_version")
        }
        var signatures: [(String, [UInt8])] = []
        for entry in signatureList {
            guard let keyID = entry["keyid"]?.stringValue, let hex = entry["sig"]?.stringValue else { throw invalid("a malformed signature") }
            // A signature that is not hex can never verify; it counts for nothing rather than failing the file.
            signatures.append((keyID, Hex.decode(hex) ?? []))
        }
        do { self.canonicalSigned = try TUFCanonicalJSON.serialize(signed) } catch { throw invalid("a number that is not an integer") }
        self.type = type
        self.version = version
        self.expires = expires
        self.signed = signed
        self.signatures = signatures
        self.bytes = bytes
    }

    /// Throws unless the file is of `expected` type.
    func requireType(_ expected: String) throws(TUFError) {
        guard type == expected else { throw TUFError(.metadataInvalid, "\(expected) metadata is invalid: its _type is \(type)") }
    }

    /// Throws unless at least `roleKeys.threshold` distinct keys of the role signed the canonical bytes.
    func verify(role: String, roleKeys: TUFRoleKeys, keys: [String: TUFKey]) throws(TUFError) {
        var signers = Set<String>()
        // Once the threshold is met the verdict cannot change: the remaining signatures are not verified.
        for (keyID, signature) in signatures where signers.count < roleKeys.threshold {
            guard roleKeys.keyIDs.contains(keyID), !signers.contains(keyID), let key = keys[keyID] else { continue }
            if key.key.isValidSignature(signature, for: canonicalSigned, scheme: key.scheme) { signers.insert(keyID) }
        }
        guard signers.count >= roleKeys.threshold else {
            throw TUFError(.thresholdNotMet, "\(role) metadata has \(signers.count) valid signatures of the \(roleKeys.threshold) required")
        }
    }

    func requireUnexpired(role: String, at time: Date) throws(TUFError) {
        guard expires > time else { throw TUFError(.expired, "\(role) metadata expired at \(RFC3339.string(expires))") }
    }
}

/// Root metadata: the keys and the threshold of each top-level role.
struct TUFRoot {
    let envelope: TUFEnvelope
    let keys: [String: TUFKey]
    let roles: [String: TUFRoleKeys]
    let consistentSnapshot: Bool

    init(_ envelope: TUFEnvelope) throws(TUFError) {
        try envelope.requireType("root")
        guard let keyObject = envelope.signed["keys"]?.objectValue, let roleObject = envelope.signed["roles"]?.objectValue else {
            throw TUFError(.metadataInvalid, "root metadata is invalid: no keys or roles")
        }
        var roles: [String: TUFRoleKeys] = [:]
        for name in ["root", "timestamp", "snapshot", "targets"] {
            guard let role = roleObject[name], let parsed = TUFRoleKeys(role) else {
                throw TUFError(.metadataInvalid, "root metadata is invalid: the \(name) role is missing or malformed")
            }
            roles[name] = parsed
        }
        self.envelope = envelope
        self.keys = keyObject.compactMapValues(TUFKey.init)
        self.roles = roles
        self.consistentSnapshot = envelope.signed["consistent_snapshot"]?.boolValue ?? false
    }

    var version: Int { envelope.version }

    func verify(_ other: TUFEnvelope, as role: String) throws(TUFError) {
        try other.verify(role: role, roleKeys: roles[role]!, keys: keys)
    }
}

extension TUFRoleKeys {
    init?(_ value: JSONValue) {
        guard case .array(let ids)? = value["keyids"], let threshold = value["threshold"]?.intValue, threshold >= 1 else { return nil }
        let keyIDs = ids.compactMap(\.stringValue)
        guard keyIDs.count == ids.count else { return nil }
        self.init(keyIDs: keyIDs, threshold: threshold)
    }
}

extension TUFMetaFile {
    init(_ value: JSONValue, role: String) throws(TUFError) {
        guard let version = value["version"]?.intValue, version >= 1 else {
            throw TUFError(.metadataInvalid, "\(role) metadata is invalid: a meta entry has no version")
        }
        let length = value["length"]?.intValue
        let hashes = value["hashes"]?.objectValue?.compactMapValues(\.stringValue) ?? [:]
        self.init(version: version, length: length, hashes: hashes)
    }
}

/// Targets metadata (top-level or delegated): its targets and delegations.
struct TUFTargets {
    let envelope: TUFEnvelope
    let targets: [String: TUFTargetFile]
    let delegationKeys: [String: TUFKey]
    let delegations: [TUFDelegatedRole]

    init(_ envelope: TUFEnvelope, role: String) throws(TUFError) {
        try envelope.requireType("targets")
        func invalid(_ reason: String) -> TUFError { TUFError(.metadataInvalid, "\(role) metadata is invalid: \(reason)") }
        var targets: [String: TUFTargetFile] = [:]
        for (path, entry) in envelope.signed["targets"]?.objectValue ?? [:] {
            guard let length = entry["length"]?.intValue, length >= 0, let hashes = entry["hashes"]?.objectValue?.compactMapValues(\.stringValue),
                !hashes.isEmpty
            else { throw invalid("target \(path) has no length or hashes") }
            targets[path] = TUFTargetFile(length: length, hashes: hashes)
        }
        var delegationKeys: [String: TUFKey] = [:]
        var delegations: [TUFDelegatedRole] = []
        if let delegationObject = envelope.signed["delegations"] {
            delegationKeys = (delegationObject["keys"]?.objectValue ?? [:]).compactMapValues(TUFKey.init)
            guard case .array(let roles)? = delegationObject["roles"] else { throw invalid("delegations without roles") }
            for role in roles {
                guard let name = role["name"]?.stringValue, let roleKeys = TUFRoleKeys(role) else { throw invalid("a malformed delegated role") }
                let paths = role["paths"]?.arrayValue?.compactMap(\.stringValue)
                let prefixes = role["path_hash_prefixes"]?.arrayValue?.compactMap(\.stringValue)
                guard (paths == nil) != (prefixes == nil) else {
                    throw invalid("delegated role \(name) needs exactly one of paths and path_hash_prefixes")
                }
                delegations.append(
                    TUFDelegatedRole(
                        name: name, roleKeys: roleKeys, terminating: role["terminating"]?.boolValue ?? false, paths: paths,
                        pathHashPrefixes: prefixes))
            }
        }
        self.envelope = envelope
        self.targets = targets
        self.delegationKeys = delegationKeys
        self.delegations = delegations
    }
}

extension JSONValue {
    subscript(key: String) -> JSONValue? {
        if case .object(let fields) = self { return fields[key] }
        return nil
    }
    var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }
    var intValue: Int? {
        if case .integer(let number) = self { return Int(exactly: number) }
        return nil
    }
    var boolValue: Bool? {
        if case .bool(let flag) = self { return flag }
        return nil
    }
    var objectValue: [String: JSONValue]? {
        if case .object(let fields) = self { return fields }
        return nil
    }
    var arrayValue: [JSONValue]? {
        if case .array(let items) = self { return items }
        return nil
    }
}
