import Foundation
import Testing

@testable import HephaestusPlatform

/// Rendered Names are remembered only while small: a certificate sent by anyone can carry a Name as large as its body,
/// and such a Name must be rendered without being held.
@Suite("certificate Name renderings, bounded")
struct CertificateNameCacheTests {
    /// A self-signed certificate whose Name holds `units` organisational units of 60 characters.
    static func certificate(commonName: String, units: Int = 0) throws -> (certificate: Certificate, rfc2253: String) {
        let key = PrivateKey.generate(.ecdsaP256)
        let now = Date()
        let name = [("O", "example")] + (0..<units).map { ("OU", "unit \($0) " + String(repeating: "u", count: 50)) } + [("CN", commonName)]
        let certificate = try CertificateBuilder(
            subject: name, serialNumber: 7, notBefore: now, notAfter: now.addingTimeInterval(60), publicKey: key.publicKey
        ).sign(issuer: nil, key: key)
        return (certificate, name.reversed().map { "\($0.0)=\($0.1)" }.joined(separator: ","))
    }

    @Test("a small Name is held once rendered; a large one is rendered each time and never held")
    func bounded() throws {
        let (small, smallName) = try Self.certificate(commonName: "small \(UUID().uuidString)")
        let (large, largeName) = try Self.certificate(commonName: "large", units: 12)
        #expect(small.subjectNameDER.count <= Certificate.cachedNameBytes && large.subjectNameDER.count > Certificate.cachedNameBytes)

        #expect(large.subject == largeName)
        #expect(large.issuer == largeName)
        let largeHeld = Certificate.holdsRendering(of: large.subjectNameDER)
        #expect(!largeHeld, "a \(large.subjectNameDER.count)-byte Name was held")
        #expect(small.subject == smallName)
        let smallHeld = Certificate.holdsRendering(of: small.subjectNameDER)
        #expect(smallHeld, "a \(small.subjectNameDER.count)-byte Name was not held")
        #expect(small.issuer == smallName)
    }
}
