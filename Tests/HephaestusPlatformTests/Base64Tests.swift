import HephaestusPlatform
import Testing

@Suite("Base64")
struct Base64Tests {
    @Test(
        "RFC 4648 test vectors, standard alphabet",
        arguments: [
            ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ])
    func vectors(plain: String, encoded: String) {
        #expect(Base64.encode(Array(plain.utf8)) == encoded)
        #expect(Base64.decode(encoded) == Array(plain.utf8))
    }

    @Test("URL-safe alphabet without padding, as in JWTs")
    func urlSafe() {
        let bytes: [UInt8] = [0xFB, 0xFF, 0xBF, 0x01]
        #expect(Base64.encode(bytes) == "+/+/AQ==")
        #expect(Base64.encode(bytes, alphabet: .urlSafe) == "-_-_AQ")
        #expect(Base64.decode("-_-_AQ", alphabet: .urlSafe) == bytes)
        #expect(Base64.decode("-_-_AQ==", alphabet: .urlSafe) == bytes)
        #expect(Base64.decode("+/+/AQ==", alphabet: .urlSafe) == nil)
        #expect(Base64.decode("-_-_AQ==") == nil)
    }

    @Test(
        "Malformed input is refused",
        arguments: [
            "Zg", "Zg=", "Zg===", "Z", "Zm9v\n", " Zm9v", "Zm9v=", "Zh==", "Zm9vYmF=", "Zm*v", "=Zm9",
        ])
    func strictness(text: String) {
        #expect(Base64.decode(text) == nil)
    }
}
