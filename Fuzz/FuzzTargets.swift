import Foundation
import HephaestusCore
import HephaestusPlatform
import HephaestusSigstore

/// The parsers of untrusted bytes, each a fuzz target. Select one with HEPHAESTUS_FUZZ_TARGET; see fuzz/run.
enum FuzzTargets {
    static let all: [String: @Sendable ([UInt8]) -> Void] = [
        "bundle": { _ = try? SigstoreBundle(json: $0) },
        "trusted-root": { _ = try? TrustedRoot(json: $0) },
        "checkpoint": { _ = try? Checkpoint(note: String(decoding: $0, as: UTF8.self)) },
        "dsse": { _ = try? DSSEEnvelope(json: $0) },
        "der": derTarget,
        "canonical-json": canonicalJSONTarget,
        "manifest": { _ = ChecksumManifest(bytes: $0, algorithm: .sha256) },
        "core-metadata": { bytes in
            let metadata = CoreMetadata(String(decoding: bytes, as: UTF8.self))
            if let description = metadata.description {
                _ = DescriptionCheck.problem(in: description, contentType: "text/x-rst")
            }
        },
        "certificate": { bytes in
            if let certificate = try? Certificate(derEncoded: bytes) {
                _ = try? FulcioCertificate(certificate)
                _ = try? certificate.extendedKeyUsage()
            }
        },
        "deferred-certificate": deferredCertificateTarget,
    ]

    /// Differential: what our DER reader accepts for a bundle certificate, OpenSSL must accept too, with the same
    /// fields; and the leaf fast path must never accept a certificate as issued by itself that OpenSSL refuses.
    static func deferredCertificateTarget(_ bytes: [UInt8]) {
        guard let deferred = try? Certificate(deferringOpenSSLParse: bytes) else { return }
        guard let eager = try? Certificate(derEncoded: bytes) else {
            fatalError("our DER reader accepted a certificate OpenSSL refuses")
        }
        precondition(deferred.notBefore == eager.notBefore && deferred.notAfter == eager.notAfter, "validity differs")
        precondition(deferred.subjectPublicKeyInfo == eager.subjectPublicKeyInfo, "public key differs")
        precondition(deferred.issuerNameDER == eager.issuerNameDER && deferred.subjectNameDER == eager.subjectNameDER, "names differ")
        precondition(deferred.extensions.map(\.oid) == eager.extensions.map(\.oid), "extensions differ")
        _ = try? deferred.publicKey()
        _ = DirectIssuance.accepts(deferred, issuedBy: eager, at: deferred.notBefore)
    }

    /// Walks any DER tree, decoding every leaf the ways the verifier does.
    static func derTarget(_ bytes: [UInt8]) {
        guard let node = try? DERNode.parse(bytes) else { return }
        walk(node, depth: 0)
        _ = try? GeneralName.parseSequence(bytes)
        _ = try? KeyUsage(der: bytes)
    }

    static func walk(_ node: DERNode, depth: Int) {
        guard depth < 64 else { return }
        _ = try? node.objectIdentifier()
        _ = try? node.string()
        _ = try? node.unsignedInteger()
        if node.isConstructed, let children = try? node.children() {
            for child in children { walk(child, depth: depth + 1) }
        }
    }

    /// Canonical JSON must be a fixed point: canonicalising the canonical form changes nothing.
    static func canonicalJSONTarget(_ bytes: [UInt8]) {
        guard let value = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]),
            let canonical = CanonicalJSON(foundation: value)
        else { return }
        let once = canonical.serialized
        guard let reparsed = try? JSONSerialization.jsonObject(with: Data(once), options: [.fragmentsAllowed]),
            let again = CanonicalJSON(foundation: reparsed)
        else { fatalError("canonical JSON does not parse back: \(String(decoding: once, as: UTF8.self))") }
        precondition(again.serialized == once, "canonical JSON is not a fixed point")
    }
}

extension CanonicalJSON {
    /// Converts a Foundation JSON value; nil for fractional numbers (outside the canonical subset).
    init?(foundation value: Any) {
        switch value {
        case is NSNull: self = .null
        case let text as String: self = .string(text)
        case let number as NSNumber:
            // Booleans are NSNumbers too; any consistent rule keeps the fixed-point property.
            if String(describing: type(of: number)).contains("Bool") {
                self = .bool(number.boolValue)
            } else if Double(number.int64Value) == number.doubleValue {
                self = .integer(number.int64Value)
            } else {
                return nil
            }
        case let array as [Any]:
            var items: [CanonicalJSON] = []
            for item in array {
                guard let converted = CanonicalJSON(foundation: item) else { return nil }
                items.append(converted)
            }
            self = .array(items)
        case let object as [String: Any]:
            var fields: [String: CanonicalJSON] = [:]
            for (key, item) in object {
                guard let converted = CanonicalJSON(foundation: item) else { return nil }
                fields[key] = converted
            }
            self = .object(fields)
        default: return nil
        }
    }
}

#if FUZZING
    /// libFuzzer's driver, for executables that keep their own `main` (SwiftPM defines one for every executable).
    // swift-format-ignore: AlwaysUseLowerCamelCase
    @_silgen_name("LLVMFuzzerRunDriver")
    func LLVMFuzzerRunDriver(
        _ argc: UnsafeMutablePointer<Int32>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
    ) -> Int32

    /// The libFuzzer entry point: one input through the selected target.
    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
        let name = ProcessInfo.processInfo.environment["HEPHAESTUS_FUZZ_TARGET"] ?? "bundle"
        FuzzTargets.all[name]!(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
        return 0
    }

    @main
    struct FuzzDriver {
        static func main() {
            let name = ProcessInfo.processInfo.environment["HEPHAESTUS_FUZZ_TARGET"] ?? "bundle"
            guard FuzzTargets.all[name] != nil else { fatalError("unknown fuzz target \(name)") }
            var argc = CommandLine.argc
            var argv = CommandLine.unsafeArgv
            exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOneInput))
        }
    }
#else
    /// Without the fuzzing build, replays inputs (files) through a target: `hephaestus-fuzz TARGET FILE...`.
    @main
    struct FuzzReplay {
        static func main() throws {
            let arguments = CommandLine.arguments.dropFirst()
            guard let name = arguments.first, let target = FuzzTargets.all[name] else {
                print("usage: hephaestus-fuzz TARGET FILE...   (targets: \(FuzzTargets.all.keys.sorted().joined(separator: ", ")))")
                print("fuzz with: fuzz/run TARGET [libFuzzer options]")
                return
            }
            for file in arguments.dropFirst() {
                target(Array(try Data(contentsOf: URL(fileURLWithPath: file))))
            }
        }
    }
#endif
