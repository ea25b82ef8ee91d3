import Foundation
import HephaestusPlatform
import HephaestusTestSupport
import Testing

@Suite("staged files: written beside their destination, committed together or not at all")
struct StagedFileTests {
    @Test("a staged file is invisible until committed; dropped uncommitted, it leaves nothing")
    func stagedUntilCommitted() throws {
        let directory = try TemporaryDirectory()
        do {
            let file = try StagedFile(destination: directory.file("out"), overwrite: false)
            try file.write(Array("abandoned".utf8))
            #expect(!FileManager.default.fileExists(atPath: directory.file("out")))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
        let file = try StagedFile(destination: directory.file("out"), overwrite: false)
        try file.write(Array("kept".utf8))
        try file.commit()
        #expect(try String(contentsOfFile: directory.file("out"), encoding: .utf8) == "kept")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["out"])
    }

    @Test("commit of several files: when one cannot be put in place, those already committed are removed and nothing is left")
    func allOrNothing() throws {
        let directory = try TemporaryDirectory()
        let first = try StagedFile(destination: directory.file("archive"), overwrite: false)
        try first.write(Array("archive".utf8))
        let second = try StagedFile(destination: directory.file("manifest"), overwrite: false)
        try second.write(Array("manifest".utf8))
        // Someone creates the second destination meanwhile: its commit is refused.
        try directory.write("manifest", "theirs")
        #expect(throws: FileError.alreadyExists(path: directory.file("manifest"))) { try AtomicFileWriter.commit([first, second]) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["manifest"])
        #expect(try String(contentsOfFile: directory.file("manifest"), encoding: .utf8) == "theirs")
    }

    @Test("checkDestination refuses before any work what the commit would refuse")
    func checkDestination() throws {
        let directory = try TemporaryDirectory()
        try AtomicFileWriter.checkDestination(directory.file("new"), overwrite: false)
        try directory.write("existing", "x")
        #expect(throws: FileError.alreadyExists(path: directory.file("existing"))) {
            try AtomicFileWriter.checkDestination(directory.file("existing"), overwrite: false)
        }
        try AtomicFileWriter.checkDestination(directory.file("existing"), overwrite: true)
        #expect(throws: FileError.notReplaceable(path: directory.path, kind: "a directory")) {
            try AtomicFileWriter.checkDestination(directory.path, overwrite: true)
        }
    }
}
