import Foundation
import HephaestusPlatform
import HephaestusTestSupport
import Testing

@Suite("Digests")
struct DigestTests {
    @Test(
        "Known answers (FIPS 180-2 'abc')",
        arguments: [
            (DigestAlgorithm.sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            (.sha384, "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"),
            (
                .sha512,
                "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
            ),
        ])
    func knownAnswers(algorithm: DigestAlgorithm, expected: String) {
        #expect(algorithm.hash(Array("abc".utf8)).hex == expected)
    }

    @Test("Streaming a file in chunks gives what openssl dgst gives, for every algorithm")
    func fileMatchesOpenSSL() throws {
        let directory = try TemporaryDirectory()
        // 3 MiB + 17 bytes: several 1 MiB chunks and a partial one.
        var bytes = [UInt8](repeating: 0, count: 3 << 20 + 17)
        for index in bytes.indices { bytes[index] = UInt8(truncatingIfNeeded: index &* 2_654_435_761 >> 13) }
        let path = try directory.write("blob.bin", bytes)
        for algorithm in DigestAlgorithm.allCases {
            let expected = try ProcessResult.runTool("openssl", ["dgst", "-\(algorithm.rawValue)", "-r", path])
            #expect(try algorithm.hash(fileAt: path).hex == String(expected.stdoutText.prefix(algorithm.byteCount * 2)))
        }
    }

    @Test("The empty file has the empty-string digest")
    func emptyFile() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("empty", [])
        #expect(try DigestAlgorithm.sha256.hash(fileAt: path).hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test("Missing files, directories and FIFOs are refused with their own errors")
    func badInputs() throws {
        let directory = try TemporaryDirectory()
        #expect(throws: FileError.notFound(path: directory.file("nope"))) {
            try DigestAlgorithm.sha256.hash(fileAt: directory.file("nope"))
        }
        #expect(throws: FileError.isDirectory(path: directory.path)) {
            try DigestAlgorithm.sha256.hash(fileAt: directory.path)
        }
        let fifo = directory.file("fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        #expect(throws: FileError.notRegularFile(path: fifo)) {
            try DigestAlgorithm.sha256.hash(fileAt: fifo)
        }
    }

    @Test("Hex digests parse back, of either case, and only at the right length")
    func hexParsing() {
        let digest = DigestAlgorithm.sha256.hash(Array("abc".utf8))
        #expect(Digest(algorithm: .sha256, hex: digest.hex.uppercased()) == digest)
        #expect(Digest(algorithm: .sha256, hex: String(digest.hex.dropLast())) == nil)
        #expect(Digest(algorithm: .sha384, hex: digest.hex) == nil)
        #expect(Digest(algorithm: .sha256, hex: "g" + digest.hex.dropFirst()) == nil)
        #expect(digest.description == "sha256:" + digest.hex)
    }
}
