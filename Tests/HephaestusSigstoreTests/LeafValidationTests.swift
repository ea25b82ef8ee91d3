import Foundation
import HephaestusPlatform
import HephaestusSigstore
import HephaestusTestSupport
import Testing

/// The leaf fast path: certificates read by our DER reader with OpenSSL's parse deferred, keys built from their
/// points, and `DirectIssuance`, which may only ever accept what OpenSSL's path validation accepts.
@Suite("Leaf certificates without OpenSSL's parse")
struct LeafValidationTests {
    /// Every certificate the genuine fixtures hold (PEM files), plus virtual CA certificates and leaves.
    static func sampleCertificates() throws -> [[UInt8]] {
        var samples: [[UInt8]] = []
        if SharedFixtures.isAvailable {
            let directory = SharedFixtures.sigstorePython.path
            for name in try FileManager.default.contentsOfDirectory(atPath: directory).sorted() {
                guard let data = FileManager.default.contents(atPath: directory + "/" + name) else { continue }  // directories
                let bytes = Array(data)
                if name.hasSuffix(".crt") {
                    // PEM, or Base64 of the DER as sigstore-python's fixtures keep some of them.
                    if let certificates = try? Certificate.parsePEM(String(decoding: bytes, as: UTF8.self)) {
                        samples += certificates.map(\.derEncoded)
                    } else if let der = Base64.decode(String(decoding: bytes, as: UTF8.self).filter { !$0.isWhitespace }) {
                        samples.append(der)
                    }
                } else if name.contains(".sigstore"), let bundle = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
                    let material = bundle["verificationMaterial"] as? [String: Any]
                {
                    let single = (material["certificate"] as? [String: Any])?["rawBytes"] as? String
                    let chain =
                        ((material["x509CertificateChain"] as? [String: Any])?["certificates"] as? [[String: Any]])?.compactMap {
                            $0["rawBytes"] as? String
                        } ?? []
                    samples += ([single].compactMap { $0 } + chain).compactMap { Base64.decode($0) }
                }
            }
        }
        let sigstore = try VirtualSigstore()
        samples += [sigstore.ca.root.derEncoded, sigstore.ca.intermediate.derEncoded]
        if let leaf = try sigstore.sign(Harness.artifact).leaf { samples.append(leaf.derEncoded) }
        return samples
    }

    @Test("a deferred certificate reads the same fields as OpenSSL's parse")
    func deferredParseAgrees() throws {
        let samples = try Self.sampleCertificates()
        #expect(samples.count >= 3)
        if SharedFixtures.isAvailable { #expect(samples.count > 20, "genuine certificates read: \(samples.count)") }
        for der in samples {
            guard let eager = try? Certificate(derEncoded: der) else {
                // What OpenSSL refuses, the deferred reader must not accept either (it falls back to OpenSSL).
                #expect(throws: CryptoError.self) { try Certificate(deferringOpenSSLParse: der) }
                continue
            }
            let deferred = try Certificate(deferringOpenSSLParse: der)
            #expect(deferred.isOpenSSLParseDeferred, "a well-formed certificate is read without OpenSSL")
            #expect(deferred.notBefore == eager.notBefore && deferred.notAfter == eager.notAfter)
            #expect(deferred.subjectPublicKeyInfo == eager.subjectPublicKeyInfo)
            #expect(deferred.issuerNameDER == eager.issuerNameDER && deferred.subjectNameDER == eager.subjectNameDER)
            #expect(
                deferred.extensions.map { "\($0.oid) \($0.isCritical) \($0.value)" }
                    == eager.extensions.map { "\($0.oid) \($0.isCritical) \($0.value)" })
            #expect(deferred.tbsBytes == eager.tbsBytes && !deferred.tbsBytes.isEmpty)
            #expect(deferred.signature == eager.signature && !deferred.signature.isEmpty)
            #expect(try deferred.publicKey().derSubjectPublicKeyInfo == eager.publicKey().derSubjectPublicKeyInfo)
            // Names and serials are OpenSSL's renderings of those fields alone: reading them parses nothing more.
            #expect(deferred.subject == eager.subject && deferred.serialNumber == eager.serialNumber && deferred.issuer == eager.issuer)
            #expect(deferred.isOpenSSLParseDeferred, "reading the subject, issuer and serial parsed the whole certificate")
        }
    }

    @Test("subject, issuer and serial are what the openssl command prints for the certificate (RFC 2253, hex serial)")
    func namesAgreeWithOpenSSLCommand() throws {
        let work = try TemporaryDirectory()
        var compared = 0
        for (index, der) in try Self.sampleCertificates().enumerated() {
            guard let certificate = try? Certificate(deferringOpenSSLParse: der) else { continue }
            let path = work.file("\(index).der")
            try Data(der).write(to: URL(fileURLWithPath: path))
            let printed = try ProcessResult.run(
                "/usr/bin/openssl", ["x509", "-inform", "DER", "-in", path, "-noout", "-serial", "-subject", "-issuer", "-nameopt", "RFC2253"])
            #expect(printed.status == 0, "\(printed.stderrText)")
            var fields: [String: String] = [:]
            for line in printed.stdoutText.split(separator: "\n") {
                guard let equals = line.firstIndex(of: "=") else { continue }
                fields[String(line[..<equals])] = String(line[line.index(after: equals)...])
            }
            func number(_ hex: String?) -> String { String((hex ?? "").drop { $0 == "0" }) }
            #expect(number(fields["serial"]) == number(certificate.serialNumber) && !certificate.serialNumber.isEmpty)
            #expect(fields["subject"] == certificate.subject, "\(fields)")
            #expect(fields["issuer"] == certificate.issuer, "\(fields)")
            compared += 1
        }
        #expect(compared >= 3)
    }

    @Test("irregular DER is left to OpenSSL: trailing bytes and garbage are still refused")
    func irregularInput() throws {
        let sigstore = try VirtualSigstore()
        let der = sigstore.ca.intermediate.derEncoded
        #expect(throws: CryptoError.self) { try Certificate(deferringOpenSSLParse: der + [0]) }
        #expect(throws: CryptoError.self) { try Certificate(deferringOpenSSLParse: Array(der.dropLast(3))) }
        #expect(throws: CryptoError.self) { try Certificate(deferringOpenSSLParse: [0x30, 0x03, 0x02, 0x01, 0x01]) }
    }

    @Test("the fast path accepts a directly issued leaf, and declines everything OpenSSL must judge; verdicts never differ")
    func directIssuanceNeverWidens() throws {
        let sigstore = try VirtualSigstore()
        let other = try VirtualSigstore()
        let intermediate = sigstore.ca.intermediate
        let validator = CertificateChainValidator(trustAnchors: [intermediate], allowsNonSelfSignedAnchors: true)
        var unknownCritical = VirtualSigstore.Options()
        unknownCritical.leaf = {
            $0.extraExtensions.append(CertificateExtension(oid: "1.3.6.1.4.1.57264.99.1", isCritical: true, value: [0x05, 0x00]))
        }
        func extra(_ oid: String, _ value: [UInt8]) -> VirtualSigstore.Options {
            var options = VirtualSigstore.Options()
            options.leaf = { $0.extraExtensions.append(CertificateExtension(oid: oid, isCritical: false, value: value)) }
            return options
        }
        let leaves: [(String, Certificate, Bool)] = [
            ("valid", try #require(try sigstore.sign(Harness.artifact).leaf), true),
            ("unknown critical extension", try #require(try sigstore.sign(Harness.artifact, options: unknownCritical).leaf), false),
            ("issued by another CA with the same name", try #require(try other.sign(Harness.artifact).leaf), false),
            (
                "malformed CRL distribution points",
                try #require(try sigstore.sign(Harness.artifact, options: extra("2.5.29.31", [0x05, 0x00])).leaf), false
            ),
        ]
        for (name, minted, fast) in leaves {
            let leaf = try Certificate(deferringOpenSSLParse: minted.derEncoded)
            for time in [leaf.notBefore.addingTimeInterval(1), leaf.notBefore.addingTimeInterval(-60), leaf.notAfter.addingTimeInterval(60)] {
                let accepted = DirectIssuance.accepts(leaf, issuedBy: intermediate, at: time)
                let openSSL = (try? validator.validate(leaf, at: time)) != nil
                #expect(!accepted || openSSL, "\(name) at \(time): the fast path accepted what OpenSSL refuses")
                if time == leaf.notBefore.addingTimeInterval(1) {
                    #expect(accepted == fast, "\(name): fast path \(accepted)")
                    #expect(openSSL == fast, "\(name): OpenSSL \(openSSL)")
                } else {
                    #expect(!accepted && !openSSL, "\(name) outside its validity")
                }
            }
        }
    }

    @Test("a leaf with an unknown critical extension fails verification (OpenSSL's verdict, named)")
    func unknownCriticalExtensionRefused() throws {
        let sigstore = try VirtualSigstore()
        var options = VirtualSigstore.Options()
        options.leaf = { $0.extraExtensions.append(CertificateExtension(oid: "1.3.6.1.4.1.57264.99.1", isCritical: true, value: [0x05, 0x00])) }
        let minted = try sigstore.sign(Harness.artifact, options: options)
        do {
            _ = try sigstore.verifier().verify(try minted.parsed(), policy: try Harness.policy())
            Issue.record("a leaf with an unhandled critical extension verified")
        } catch let error as VerificationError {
            #expect(error.errorCode == .certificateChainInvalid, "\(error)")
            #expect("\(error)".contains("critical extension"), "\(error)")
        }
    }

    @Test("EC public keys from their points: every NIST curve verifies as OpenSSL's decoder does; a point off the curve is refused")
    func ecPublicKeys() throws {
        for kind in [PrivateKey.Algorithm.ecdsaP256, .ecdsaP384] {
            let key = PrivateKey.generate(kind)
            let spki = key.publicKey.derSubjectPublicKeyInfo
            let rebuilt = try PublicKey(derSubjectPublicKeyInfo: spki)
            #expect(rebuilt.kind == key.publicKey.kind)
            #expect(rebuilt.derSubjectPublicKeyInfo == spki)
            let message = Array("message".utf8)
            let signature = try key.sign(message: message)
            #expect(rebuilt.isValidSignature(signature, for: message, scheme: rebuilt.defaultScheme))
            #expect(!rebuilt.isValidSignature(signature, for: message + [0], scheme: rebuilt.defaultScheme))
        }
        var offCurve = PrivateKey.generate(.ecdsaP256).publicKey.derSubjectPublicKeyInfo
        offCurve[offCurve.count - 1] ^= 0x01
        #expect(throws: CryptoError.self) { try PublicKey(derSubjectPublicKeyInfo: offCurve) }
        #expect(throws: CryptoError.self) { try PublicKey(derSubjectPublicKeyInfo: offCurve + [0]) }
    }
}
