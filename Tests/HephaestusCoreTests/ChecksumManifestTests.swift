import HephaestusCore
import HephaestusPlatform
import Testing

@Suite("Checksum manifests (sha256sum formats)")
struct ChecksumManifestTests {
    static let hexA = "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"

    static func parse(_ text: String) -> ChecksumManifest {
        ChecksumManifest(bytes: Array(text.utf8), algorithm: .sha256)
    }

    @Test(
        "Accepted line forms",
        arguments: [
            ("\(hexA)  a", "a"),
            ("\(hexA) *a", "a"),
            ("\(hexA) a", "a"),
            ("\(hexA)\ta", "a"),
            ("SHA256 (a) = \(hexA)", "a"),
            ("SHA256 (a) = b) = \(hexA)", "a) = b"),
            ("  \(hexA)  a", "a"),
            ("\(hexA.uppercased())  a", "a"),
            ("\(hexA)  a\r", "a"),
            ("\\\(hexA)  new\\nline", "new\nline"),
            ("\\\(hexA)  back\\\\slash", "back\\slash"),
            ("\(hexA)   a", " a"),
            ("\(hexA)  with space ", "with space "),
        ])
    func accepted(line: String, name: String) {
        let manifest = Self.parse(line + "\n")
        #expect(manifest.malformedLines.isEmpty)
        #expect(manifest.entries.map(\.line.name) == [name])
        #expect(manifest.entries.first?.line.digest.hex == Self.hexA)
    }

    @Test(
        "Malformed lines are counted",
        arguments: [
            "garbage",
            String(hexA.dropLast()) + "  a",
            hexA + "  ",
            hexA + "a",
            "\\" + hexA + "  bad\\escape",
            "SHA384 (a) = " + hexA,
            "SHA256 (a) = " + hexA.dropLast(),
        ])
    func malformed(line: String) {
        let manifest = Self.parse(line + "\n")
        #expect(manifest.entries.isEmpty)
        #expect(manifest.malformedLines == [1])
    }

    @Test("Comments and empty lines are skipped without counting")
    func skipped() {
        let manifest = Self.parse("# comment\n\n\(Self.hexA)  a\n")
        #expect(manifest.entries.map(\.lineNumber) == [3])
        #expect(manifest.malformedLines.isEmpty)
    }

    @Test("The first line fixes the separator form, as in coreutils")
    func separatorForm() {
        let gnuFirst = Self.parse("\(Self.hexA)  a\n\(Self.hexA) b\n\(Self.hexA)\tc\n")
        #expect(gnuFirst.entries.map(\.line.name) == ["a"])
        #expect(gnuFirst.malformedLines == [2, 3])
        let singleFirst = Self.parse("\(Self.hexA) a\n\(Self.hexA)  b\n")
        #expect(singleFirst.entries.map(\.line.name) == ["a", " b"])
    }

    @Test("Printed lines escape names as sha256sum does")
    func formatting() {
        let digest = Digest(algorithm: .sha256, hex: Self.hexA)!
        #expect(ChecksumLine(digest: digest, name: "a b").formatted == "\(Self.hexA)  a b")
        #expect(ChecksumLine(digest: digest, name: "x\\y").formatted == "\\\(Self.hexA)  x\\\\y")
        #expect(ChecksumLine(digest: digest, name: "x\ny\r").formatted == "\\\(Self.hexA)  x\\ny\\r")
        #expect(ChecksumVerdict.ok(name: "x\\y").formatted == "x\\y: OK")
        #expect(ChecksumVerdict.failed(name: "x\\y\nz").formatted == "\\x\\\\y\\nz: FAILED")
        #expect(ChecksumVerdict.unreadable(name: "m", error: .notFound(path: "m")).formatted == "m: FAILED open or read")
    }

    @Test("Manifests for other algorithms need their own lengths and tags")
    func otherAlgorithms() {
        let digest = DigestAlgorithm.sha512.hash(Array("abc".utf8))
        let manifest = ChecksumManifest(bytes: Array("SHA512 (f) = \(digest.hex)\n\(digest.hex)  g\n".utf8), algorithm: .sha512)
        #expect(manifest.entries.map(\.line.name) == ["f", "g"])
    }
}
