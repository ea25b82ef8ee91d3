import Foundation
import Glibc
import HephaestusPlatform
import HephaestusTestSupport
import Testing

@Suite("Atomic file writer")
struct AtomicFileWriterTests {
    @Test("writes whole files, refuses to replace without overwrite, replaces with it, leaves no temporary files")
    func writes() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("out.json")
        try AtomicFileWriter.write(Array("first".utf8), to: path, overwrite: false, permissions: 0o640)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "first")
        #expect((try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) == 0o640)
        #expect(throws: FileError.alreadyExists(path: path)) { try AtomicFileWriter.write(Array("second".utf8), to: path, overwrite: false) }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "first")
        try AtomicFileWriter.write(Array("third".utf8), to: path, overwrite: true)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "third")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["out.json"])
        #expect(throws: FileError.self) { try AtomicFileWriter.write([1], to: directory.file("missing/dir/out"), overwrite: true) }
    }

    @Test("an output whose name is not UTF-8 is written under exactly those bytes, and nothing else is left")
    func nonUTF8Name() throws {
        let directory = try TemporaryDirectory()
        let nameBytes: [UInt8] = [0x72, 0x65, 0x70, 0x6F, 0x72, 0x74, 0xFF, 0x2E, 0x6A, 0x73, 0x6F, 0x6E]  // "report\xFF.json"
        let path = directory.path + "/" + NativePath.decode(nameBytes)
        try AtomicFileWriter.write(Array("{}\n".utf8), to: path, overwrite: false)
        let names = try #require(NativePath.entries(ofDirectory: directory.path))
        #expect(names.map { NativePath.bytes($0) } == [nameBytes], "\(names)")
        #expect(
            FileManager.default.contents(atPath: directory.path + "/" + String(decoding: nameBytes, as: UTF8.self)) == nil,
            "not under the repaired name")
        #expect(throws: FileError.alreadyExists(path: path)) { try AtomicFileWriter.write([0x41], to: path, overwrite: false) }
    }

    @Test("only a regular file is replaced: a FIFO, a symbolic link (even dangling) or a directory is refused, even with overwrite")
    func notRegularDestinations() throws {
        let directory = try TemporaryDirectory()
        #expect(mkfifo(directory.file("fifo"), 0o600) == 0)
        try directory.write("target", "keep me")
        try FileManager.default.createSymbolicLink(atPath: directory.file("link"), withDestinationPath: "target")
        try FileManager.default.createSymbolicLink(atPath: directory.file("dangling"), withDestinationPath: "nowhere")
        try FileManager.default.createDirectory(atPath: directory.file("dir"), withIntermediateDirectories: false)
        for (name, kind) in [("fifo", "a FIFO"), ("link", "a symbolic link"), ("dangling", "a symbolic link"), ("dir", "a directory")] {
            for overwrite in [false, true] {
                do {
                    try AtomicFileWriter.write(Array("new".utf8), to: directory.file(name), overwrite: overwrite)
                    Issue.record("\(name) replaced (overwrite: \(overwrite))")
                } catch {
                    #expect(error.code == "file.output-not-regular", "\(name): \(error)")
                    #expect("\(error)" == "\(directory.file(name)) is \(kind): refusing to write over it (outputs replace regular files only)")
                }
            }
        }
        var status = stat()
        #expect(lstat(directory.file("fifo"), &status) == 0 && status.st_mode & S_IFMT == S_IFIFO)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: directory.file("link")) == "target")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: directory.file("dangling")) == "nowhere")
        #expect(try String(contentsOfFile: directory.file("target"), encoding: .utf8) == "keep me")
        #expect(!FileManager.default.fileExists(atPath: directory.file("nowhere")))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == ["dangling", "dir", "fifo", "link", "target"])
    }

    @Test("ECDSA signatures convert between DER and JOSE r||s and still verify")
    func ecdsaFormats() throws {
        let key = PrivateKey.generate(.ecdsaP256)
        for _ in 0..<20 {
            let der = try key.sign(message: Array("message".utf8))
            let raw = try ECDSASignatureFormat.raw(fromDER: der, width: 32)
            #expect(raw.count == 64)
            let back = try ECDSASignatureFormat.der(fromRaw: raw)
            #expect(key.publicKey.isValidSignature(back, for: Array("message".utf8), scheme: .ecdsa(.sha256)))
        }
        #expect(throws: CryptoError.self) { try ECDSASignatureFormat.der(fromRaw: [1, 2, 3]) }
        #expect(throws: CryptoError.self) { try ECDSASignatureFormat.raw(fromDER: [0x30, 0x00], width: 32) }
    }
}
