import Foundation
import Glibc
import HephaestusPlatform
import HephaestusTestSupport
import Testing

@Suite("NativePath: file names as bytes")
struct NativePathTests {
    @Test("Any byte string round-trips: invalid UTF-8, lone continuation bytes, surrogates, overlong forms, escapes themselves")
    func roundTrip() {
        let samples: [[UInt8]] = [
            [0xFF], [0x66, 0xFF, 0x2E, 0x74], [0x80], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82],
            Array("U+10FEFF is \u{10FEFF}, U+10FE80 is \u{10FE80}".utf8), Array("caf\u{E9} \u{1F600}".utf8), [0xF4, 0x8F, 0xBB, 0xBF, 0xFF],
        ]
        for sample in samples {
            #expect(NativePath.bytes(NativePath.decode(sample)) == sample, "\(sample)")
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let sample = (0..<Int.random(in: 1...12, using: &generator)).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
            #expect(NativePath.bytes(NativePath.decode(sample)) == sample, "\(sample)")
        }
    }

    @Test("Valid UTF-8 without escape code points decodes as usual; only 0x80...0xFF are ever escaped")
    func plainNames() {
        for name in ["a.txt", "dist/caf\u{E9}-1.0.whl", "\u{1F600}", ""] {
            #expect(NativePath.decode(Array(name.utf8)) == name)
            #expect(NativePath.bytes(name) == Array(name.utf8))
        }
        #expect(NativePath.decode([0x61, 0xFF]) == "a\u{10FEFF}")
        #expect(NativePath.cString("a\u{10FEFF}") == [0x61, CChar(bitPattern: 0xFF), 0])
    }

    @Test("System calls reach the original bytes: exists, entries, createDirectories, removeTree")
    func systemCalls() throws {
        let directory = try TemporaryDirectory()
        let parent = directory.path + "/p\u{10FEFE}"
        try NativePath.createDirectories(parent + "/q\u{10FEFF}")
        #expect(NativePath.exists(parent + "/q\u{10FEFF}"))
        #expect(access(Array(directory.path.utf8CString.dropLast()) + [0x2F, 0x70, CChar(bitPattern: 0xFE), 0], F_OK) == 0, "the raw byte")
        #expect(NativePath.entries(ofDirectory: parent) == ["q\u{10FEFF}"])
        let file = parent + "/q\u{10FEFF}/f\u{10FEFF}"
        let descriptor = open(NativePath.cString(file), O_WRONLY | O_CREAT | O_EXCL, 0o644)
        #expect(descriptor >= 0)
        close(descriptor)
        #expect(try FileStatus.size(of: file) == 0)
        #expect(throws: FileError.self) { try NativePath.createDirectories(file) }
        NativePath.removeTree(parent)
        #expect(!NativePath.exists(parent))
        #expect(NativePath.entries(ofDirectory: directory.path) == [])
    }
}
