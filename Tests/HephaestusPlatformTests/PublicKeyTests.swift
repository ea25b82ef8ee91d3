import Foundation
import HephaestusPlatform
import HephaestusTestSupport
import Testing

/// Signatures made by the `openssl` command line, verified by ``PublicKey``.
@Suite("Public keys and signatures")
struct PublicKeyTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let key: String
        let scheme: SignatureScheme
        let kind: PublicKeyKind
        let signArguments: [String]
        var testDescription: String { "\(kind) \(scheme)" }
    }

    static let cases: [Case] = [
        Case(key: "ec:P-256", scheme: .ecdsa(.sha256), kind: .ecdsa(curve: .p256), signArguments: ["dgst", "-sha256"]),
        Case(key: "ec:P-384", scheme: .ecdsa(.sha384), kind: .ecdsa(curve: .p384), signArguments: ["dgst", "-sha384"]),
        Case(key: "ed25519", scheme: .ed25519, kind: .ed25519, signArguments: ["pkeyutl", "-rawin"]),
        Case(key: "rsa:2048", scheme: .rsaPKCS1v15(.sha256), kind: .rsa(bits: 2048), signArguments: ["dgst", "-sha256"]),
        Case(
            key: "rsa:3072", scheme: .rsaPSS(.sha384), kind: .rsa(bits: 3072),
            signArguments: ["dgst", "-sha384", "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:32"]),
    ]

    /// Signs `message.txt` with openssl and returns (public key, message, signature).
    static func sign(_ testCase: Case) throws -> (PublicKey, [UInt8], [UInt8]) {
        let directory = try TemporaryDirectory()
        let tool = OpenSSLTool(directory: directory)
        let keyFile = try tool.generateKey(testCase.key, name: "signer")
        let message = Array("hephaestus signs releases\n".utf8)
        try directory.write("message.txt", message)
        if testCase.signArguments[0] == "pkeyutl" {
            try tool.run(["pkeyutl", "-sign", "-rawin", "-inkey", keyFile, "-in", "message.txt", "-out", "message.sig"])
        } else {
            try tool.run(testCase.signArguments + ["-sign", keyFile, "-out", "message.sig", "message.txt"])
        }
        let key = try PublicKey(pem: try tool.publicKeyPEM(of: keyFile))
        return (key, message, try tool.read("message.sig"))
    }

    @Test("Signatures made by openssl verify", arguments: cases)
    func verifies(testCase: Case) throws {
        let (key, message, signature) = try Self.sign(testCase)
        #expect(key.kind == testCase.kind)
        try key.verify(signature: signature, message: message, scheme: testCase.scheme)
        if let hash = testCase.scheme.digestAlgorithm {
            try key.verify(signature: signature, digest: hash.hash(message), scheme: testCase.scheme)
        }
    }

    @Test("A flipped signature byte is rejected", arguments: cases)
    func flippedSignature(testCase: Case) throws {
        let (key, message, signature) = try Self.sign(testCase)
        var tampered = signature
        tampered[tampered.count / 2] ^= 0x01
        #expect(throws: CryptoError.invalidSignature) {
            try key.verify(signature: tampered, message: message, scheme: testCase.scheme)
        }
    }

    @Test("A different message is rejected", arguments: cases)
    func wrongMessage(testCase: Case) throws {
        let (key, message, signature) = try Self.sign(testCase)
        #expect(throws: CryptoError.invalidSignature) {
            try key.verify(signature: signature, message: message + [0x0A], scheme: testCase.scheme)
        }
        if let hash = testCase.scheme.digestAlgorithm {
            #expect(throws: CryptoError.invalidSignature) {
                try key.verify(signature: signature, digest: hash.hash(message + [0x0A]), scheme: testCase.scheme)
            }
        }
    }

    @Test("A key cannot verify another algorithm's signatures")
    func schemeMismatch() throws {
        let (key, message, signature) = try Self.sign(Self.cases[0])
        #expect(throws: CryptoError.keySchemeMismatch(key: "ECDSA P-256", scheme: "Ed25519")) {
            try key.verify(signature: signature, message: message, scheme: .ed25519)
        }
        #expect(throws: CryptoError.self) {
            try key.verify(signature: signature, digest: DigestAlgorithm.sha384.hash(message), scheme: .ecdsa(.sha256))
        }
    }

    @Test("DER SubjectPublicKeyInfo round-trips and trailing bytes are refused")
    func derRoundTrip() throws {
        let (key, _, _) = try Self.sign(Self.cases[2])
        let der = key.derSubjectPublicKeyInfo
        #expect(try PublicKey(derSubjectPublicKeyInfo: der).derSubjectPublicKeyInfo == der)
        #expect(try PublicKey(pemOrDER: Array(key.pem.utf8)).derSubjectPublicKeyInfo == der)
        #expect(throws: CryptoError.self) { try PublicKey(derSubjectPublicKeyInfo: der + [0]) }
        #expect(throws: CryptoError.self) { try PublicKey(pem: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n") }
    }

    @Test("RSA keys under 2048 bits are refused")
    func weakRSA() throws {
        let directory = try TemporaryDirectory()
        let tool = OpenSSLTool(directory: directory)
        let keyFile = try tool.generateKey("rsa:1024", name: "weak")
        #expect(throws: CryptoError.self) { try PublicKey(pem: try tool.publicKeyPEM(of: keyFile)) }
    }
}
