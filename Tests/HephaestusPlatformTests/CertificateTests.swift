import Foundation
import HephaestusPlatform
import HephaestusTestSupport
import Testing

@Suite("X.509 certificates")
struct CertificateTests {
    @Test("Subject, issuer, serial, validity and extensions are read")
    func fields() throws {
        let directory = try TemporaryDirectory()
        let pki = try OpenSSLTestPKI(directory: directory)
        let leaf = try Certificate.parsePEM(pki.leafPEM)[0]
        #expect(leaf.subject == "O=hephaestus.test")
        #expect(leaf.issuer == "CN=Test Intermediate,O=hephaestus.test")
        #expect(leaf.serialNumber == "1F2E3D4C5B6A")
        #expect(leaf.notAfter.timeIntervalSince(leaf.notBefore) == 86_400)
        #expect(abs(leaf.notBefore.timeIntervalSinceNow) < 600)
        #expect(try leaf.publicKey().kind == .ecdsa(curve: .p256))
        #expect(try leaf.keyUsage()?.digitalSignature == true)
        #expect(try leaf.extendedKeyUsage() == [CertificateExtension.OID.codeSigningUsage])
        #expect(try leaf.isCertificateAuthority() == false)
        #expect(leaf.extension(oid: CertificateExtension.OID.keyUsage)?.isCritical == true)
        #expect(leaf.extension(oid: CertificateExtension.OID.extendedKeyUsage)?.isCritical == false)
    }

    @Test("SAN entries of every type are read in order")
    func subjectAlternativeNames() throws {
        let directory = try TemporaryDirectory()
        let pki = try OpenSSLTestPKI(directory: directory)
        let names = try Certificate.parsePEM(pki.leafPEM)[0].subjectAlternativeNames()
        #expect(names.count == 6)
        #expect(names.contains(.email("signer@example.com")))
        #expect(names.contains(.uri("https://github.com/octo/repo/.github/workflows/release.yml@refs/tags/v1.2.0")))
        #expect(names.contains(.dns("signer.example.com")))
        #expect(names.contains(.ipAddress([192, 0, 2, 7])))
        #expect(names.contains(.registeredID("1.2.3.4")))
        let otherName = names.first { if case .otherName = $0 { true } else { false } }
        guard case .otherName(let typeID, let value) = otherName else {
            Issue.record("no otherName SAN")
            return
        }
        #expect(typeID == "1.3.6.1.4.1.57264.1.7")
        #expect(try DERNode.parse(value).string() == "octo@example.com")
    }

    @Test("Custom extensions keep their raw DER value")
    func customExtensions() throws {
        let directory = try TemporaryDirectory()
        let pki = try OpenSSLTestPKI(directory: directory)
        let leaf = try Certificate.parsePEM(pki.leafPEM)[0]
        let issuerV2 = try #require(leaf.extension(oid: "1.3.6.1.4.1.57264.1.8"))
        #expect(try DERNode.parse(issuerV2.value).string() == OpenSSLTestPKI.issuerExtensionValue)
        let issuerV1 = try #require(leaf.extension(oid: "1.3.6.1.4.1.57264.1.1"))
        #expect(issuerV1.value == Array(OpenSSLTestPKI.issuerExtensionValue.utf8))
    }

    @Test("The TBS bytes are what the issuer signed")
    func tbsSignature() throws {
        let directory = try TemporaryDirectory()
        let pki = try OpenSSLTestPKI(directory: directory)
        let leaf = try Certificate.parsePEM(pki.leafPEM)[0]
        let intermediate = try Certificate.parsePEM(pki.intermediatePEM)[0]
        #expect(leaf.signatureAlgorithm == "ecdsa-with-SHA384")
        try intermediate.publicKey().verify(signature: leaf.signature, message: leaf.tbsBytes, scheme: .ecdsa(.sha384))
        var tampered = leaf.tbsBytes
        tampered[tampered.count - 3] ^= 1
        #expect(throws: CryptoError.invalidSignature) {
            try intermediate.publicKey().verify(signature: leaf.signature, message: tampered, scheme: .ecdsa(.sha384))
        }
    }

    @Test("DER and PEM round-trip; garbage and trailing bytes are refused")
    func encodings() throws {
        let directory = try TemporaryDirectory()
        let pki = try OpenSSLTestPKI(directory: directory)
        let leaf = try Certificate.parsePEM(pki.leafPEM)[0]
        #expect(try Certificate(derEncoded: leaf.derEncoded).derEncoded == leaf.derEncoded)
        #expect(try Certificate.parsePEM(leaf.pem)[0].derEncoded == leaf.derEncoded)
        #expect(try Certificate.parsePEM(pki.leafPEM + pki.intermediatePEM).count == 2)
        #expect(throws: CryptoError.self) { try Certificate(derEncoded: leaf.derEncoded + [0]) }
        #expect(throws: CryptoError.self) { try Certificate(derEncoded: Array(leaf.derEncoded.dropLast())) }
        #expect(throws: CryptoError.self) { try Certificate.parsePEM("no certificate here") }
    }
}

@Suite("Chain validation at a given time")
struct ChainValidationTests {
    struct Chain {
        let root: Certificate
        let rogue: Certificate
        let intermediate: Certificate
        let leaf: Certificate
        let directory: TemporaryDirectory
    }

    static func chain() throws -> Chain {
        let directory = try TemporaryDirectory()
        let pki = try OpenSSLTestPKI(directory: directory)
        return Chain(
            root: try Certificate.parsePEM(pki.rootPEM)[0], rogue: try Certificate.parsePEM(pki.rogueRootPEM)[0],
            intermediate: try Certificate.parsePEM(pki.intermediatePEM)[0],
            leaf: try Certificate.parsePEM(pki.leafPEM)[0], directory: directory)
    }

    @Test("A leaf validates through its intermediate inside the validity window")
    func validInside() throws {
        let chain = try Self.chain()
        let validator = CertificateChainValidator(trustAnchors: [chain.root])
        let path = try validator.validate(chain.leaf, untrustedIntermediates: [chain.intermediate], at: chain.leaf.notBefore.addingTimeInterval(60))
        #expect(path.map(\.serialNumber) == [chain.leaf.serialNumber, chain.intermediate.serialNumber, chain.root.serialNumber])
    }

    @Test("Before notBefore and after notAfter, validation fails", arguments: [-3600.0, 2 * 86_400.0])
    func outsideWindow(offset: Double) throws {
        let chain = try Self.chain()
        let validator = CertificateChainValidator(trustAnchors: [chain.root], intermediates: [chain.intermediate])
        let time = chain.leaf.notBefore.addingTimeInterval(offset)
        #expect(throws: CryptoError.self) { try validator.validate(chain.leaf, at: time) }
    }

    @Test("A missing intermediate fails")
    func missingIntermediate() throws {
        let chain = try Self.chain()
        let validator = CertificateChainValidator(trustAnchors: [chain.root])
        #expect(throws: CryptoError.self) { try validator.validate(chain.leaf, at: chain.leaf.notBefore.addingTimeInterval(60)) }
    }

    @Test("A rogue root with the same name does not anchor the chain")
    func rogueRoot() throws {
        let chain = try Self.chain()
        let validator = CertificateChainValidator(trustAnchors: [chain.rogue], intermediates: [chain.intermediate])
        #expect(throws: CryptoError.self) { try validator.validate(chain.leaf, at: chain.leaf.notBefore.addingTimeInterval(60)) }
    }

    @Test("Our verdicts agree with openssl verify -attime")
    func agreesWithOpenSSL() throws {
        let chain = try Self.chain()
        let validator = CertificateChainValidator(trustAnchors: [chain.root], intermediates: [chain.intermediate])
        for offset in [-3600.0, 60, 86_000, 90_000] {
            let time = chain.leaf.notBefore.addingTimeInterval(offset)
            let ours = (try? validator.validate(chain.leaf, at: time)) != nil
            let theirs = try ProcessResult.runTool(
                "openssl",
                ["verify", "-attime", String(Int(time.timeIntervalSince1970)), "-CAfile", "root.pem", "-untrusted", "intermediate.pem", "leaf.pem"],
                in: chain.directory.path)
            #expect(ours == (theirs.status == 0), "offset \(offset)")
        }
    }

    @Test("Partial chains end at a trusted intermediate only when allowed")
    func partialChains() throws {
        let chain = try Self.chain()
        let time = chain.leaf.notBefore.addingTimeInterval(60)
        #expect(throws: CryptoError.self) {
            try CertificateChainValidator(trustAnchors: [chain.intermediate]).validate(chain.leaf, at: time)
        }
        let path = try CertificateChainValidator(trustAnchors: [chain.intermediate], allowsNonSelfSignedAnchors: true)
            .validate(chain.leaf, at: time)
        #expect(path.count == 2)
    }
}
