import Foundation
import HephaestusPlatform
import HephaestusTestSupport
import Testing

@Suite("BLAKE2b")
struct BLAKE2bTests {
    @Test("RFC 7693 test vector (BLAKE2b-512 of \"abc\")")
    func rfcVector() {
        var hasher = BLAKE2b(digestLength: 64)
        hasher.update(Array("abc".utf8))
        #expect(
            Hex.encode(hasher.finalize())
                == "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923")
    }

    @Test("BLAKE2b-256 agrees with Python's hashlib.blake2b(digest_size=32) on lengths around block boundaries")
    func agreesWithPython() throws {
        let directory = try TemporaryDirectory()
        for length in [0, 1, 127, 128, 129, 255, 256, 257, 100_000] {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            let path = try directory.write("input-\(length)", bytes)
            let python = try ProcessResult.runTool(
                "python3", ["-c", "import hashlib,sys; print(hashlib.blake2b(open(sys.argv[1],'rb').read(), digest_size=32).hexdigest())", path])
            #expect(
                Hex.encode(try BLAKE2b.hash(fileAt: path)) == python.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines), "length \(length)")
        }
    }
}
