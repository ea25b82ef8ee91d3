import Foundation
import HephaestusPlatform
import HephaestusTestSupport
import Testing

/// Hostile archives from fixtures/hostile-archives/make.py: each refused with its rule, nothing written outside the
/// destination (a canary beside it stays untouched), nothing left inside it.
@Suite("Safe extraction")
struct SafeExtractorTests {
    /// A parent directory with a canary, and the destination path inside it.
    static func workspace() throws -> (TemporaryDirectory, String) {
        let parent = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: parent.file("canary"), withIntermediateDirectories: false)
        try parent.write("canary/secret.txt", "canary\n")
        return (parent, parent.file("dest"))
    }

    static func expectCanaryUntouched(_ parent: TemporaryDirectory, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent.path).sorted() == ["canary"], sourceLocation: sourceLocation)
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent.file("canary")) == ["secret.txt"], sourceLocation: sourceLocation)
        #expect(try String(contentsOfFile: parent.file("canary/secret.txt"), encoding: .utf8) == "canary\n", sourceLocation: sourceLocation)
    }

    @Test(
        "Hostile archives are refused with the entry and the rule",
        arguments: [
            ("traversal.tar", "'..' path component"),
            ("traversal-deep.tar", "'..' path component"),
            ("absolute.tar", "absolute path"),
            ("backslash.tar", "backslash"),
            ("symlink-escape.tar", "resolves outside the destination"),
            ("symlink-absolute.tar", "symbolic link to an absolute path"),
            ("symlink-chain.tar", "resolves outside the destination"),
            ("link-then-directory.tar", "passes through the symbolic link"),
            ("link-then-escape-write.tar", "resolves outside the destination"),
            ("hardlink-escape.tar", "'..' path component"),
            ("hardlink-absolute.tar", "absolute path"),
            ("device.tar", "special file"),
            ("block-device.tar", "special file"),
            ("fifo.tar", "special file"),
            ("duplicates.tar", "duplicate entry name"),
            ("unicode-collision.tar", "Unicode normalisation or case folding"),
            ("case-collision.tar", "Unicode normalisation or case folding"),
            ("control-character.tar", "control character"),
            ("entry-count.tar", "more than 10000 entries"),
            ("bomb.tar.gz", "compression ratio"),
            ("bomb.zip", "compression ratio"),
            ("corrupt.tar.gz", "corrupt"),
            ("truncated.tar.gz", "truncated"),
            ("concatenated.tar", "concatenated"),
            ("not-an-archive.tar.gz", "unsupported archive format"),
            ("zip-name-mismatch.zip", "central directory and local headers disagree on the name"),
            ("zip-traversal.zip", "'..' path component"),
            // zip: the central directory against the local headers and the data.
            ("zip-crc-stored.zip", "data do not match their CRC-32"),
            ("zip-crc-deflated.zip", "data do not match their CRC-32"),
            ("zip-central-crc.zip", "disagree on the CRC-32"),
            ("zip-central-size.zip", "disagree on the size"),
            ("zip-local-compressed-size.zip", "disagree on the compressed size"),
            ("zip-size-vs-data.zip", "holds 1100 bytes, its central directory says 5"),
            ("zip-deflate-slack.zip", "deflate stream ends 20 bytes before its recorded compressed size"),
            ("zip-hidden-entry.zip", "bytes before its central directory that no entry describes"),
            ("zip-overlap.zip", "overlaps the previous one"),
            ("zip-unflagged-name.zip", "neither ASCII nor flagged UTF-8"),
            // Names readers cut or apply differently.
            ("pax-nul-path.tar", "NUL in a pax path record"),
            ("zip-nul-name.zip", #"refusing entry "evil.txt\0.whl": NUL in name"#),
            ("pax-nul-linkpath.tar", "NUL in a pax linkpath record"),
            ("pax-global-path.tar", "pax global header sets path"),
            ("pax-global-linkpath.tar", "pax global header sets linkpath"),
            // Types other than files, directories and links, and what carries data it should not.
            ("contiguous.tar", "entry type '7' (contiguous file), which many tar readers extract as a regular file"),
            ("unknown-type.tar", "unknown entry type 'Z'"),
            ("gnu-sparse.tar", "entry type 'S' (GNU sparse file)"),
            ("pax-sparse.tar", "GNU sparse file"),
            ("link-with-data.tar", "carries 512 bytes of data"),
            // Names that a normalising consumer would read as another path; names too long for the file system.
            ("fullwidth-dots.tar", #"(NFKC) into "../escaped.txt""#),
            ("fullwidth-slash.tar", #"(NFKC) into "a/b.txt""#),
            ("dot-leader.tar", #"(NFKC) into "../escaped.txt""#),
            ("zip-fullwidth.zip", #"(NFKC) into "../zip-escaped.txt""#),
            ("long-path.tar", "path longer than 4095 bytes (PATH_MAX)"),
            ("long-component.tar", "path component longer than 255 bytes (NAME_MAX)"),
        ])
    func refused(archive: String, rule: String) throws {
        let (parent, destination) = try Self.workspace()
        do {
            try SafeExtractor().extract(HostileArchives.path(archive), into: destination)
            Issue.record("\(archive) was extracted")
        } catch {
            #expect("\(error)".contains(rule), "\(archive): \(error)")
        }
        try Self.expectCanaryUntouched(parent)
        #expect(!FileManager.default.fileExists(atPath: "/tmp/hephaestus-absolute-escape.txt"))
    }

    @Test("Benign archives extract, with internal links; setuid/setgid bits are stripped")
    func benign() throws {
        let (parent, destination) = try Self.workspace()
        let report = try SafeExtractor().extract(HostileArchives.path("benign.tar.gz"), into: destination)
        #expect(report.files == ["pkg/a.txt"])
        #expect(try String(contentsOfFile: destination + "/pkg/link", encoding: .utf8) == "alpha")
        #expect(try String(contentsOfFile: destination + "/pkg/hard", encoding: .utf8) == "alpha")
        let setuid = parent.file("setuid")
        try SafeExtractor().extract(HostileArchives.path("setuid.tar"), into: setuid)
        let mode = try FileManager.default.attributesOfItem(atPath: setuid + "/tool")[.posixPermissions] as? Int
        #expect(mode == 0o755)
    }

    @Test(
        "Legitimate variants extract: zip64, data descriptors, UTF-8 zip names, central records in another order, a git-archive global comment, a long path within PATH_MAX",
        arguments: [
            ("zip64.zip", ["a.txt", "b.txt"]),
            ("zip-descriptors.zip", ["a.txt", "caf\u{e9}.txt", "zip64.txt"]),
            ("zip-reordered.zip", ["a.txt", "b.txt"]),
            ("pax-global-comment.tar", ["a.txt"]),
            ("long-path-ok.tar", [Array(repeating: String(repeating: "d", count: 200), count: 15).joined(separator: "/") + "/x.txt"]),
        ])
    func legitimateVariants(archive: String, files: [String]) throws {
        let (_, destination) = try Self.workspace()
        let report = try SafeExtractor().extract(HostileArchives.path(archive), into: destination)
        #expect(report.files == files)
        for file in files { #expect(FileManager.default.fileExists(atPath: destination + "/" + file), "\(file)") }
    }

    @Test("A name too long for the file system is refused in one short line, before anything is written")
    func longNames() throws {
        for archive in ["long-path.tar", "long-component.tar"] {
            let (parent, destination) = try Self.workspace()
            #expect {
                try SafeExtractor().extract(HostileArchives.path(archive), into: destination)
            } throws: { error in
                let message = "\(error)"
                return message.count < 250 && !message.contains("\n") && message.contains("bytes)")
            }
            try Self.expectCanaryUntouched(parent)
        }
    }

    @Test("Limits can be raised for archives that need it")
    func raisedLimits() throws {
        let (_, destination) = try Self.workspace()
        let report = try SafeExtractor(limits: ExtractionLimits(entries: 20_000)).extract(HostileArchives.path("entry-count.tar"), into: destination)
        #expect(report.files.count == 10_050)
        let (_, other) = try Self.workspace()
        #expect(throws: ArchiveError.self) {
            try SafeExtractor(limits: ExtractionLimits(totalBytes: 10_000)).extract(HostileArchives.path("good.tar.gz"), into: other)
        }
        let (_, third) = try Self.workspace()
        #expect(throws: ArchiveError.self) {
            try SafeExtractor(limits: ExtractionLimits(entryBytes: 6000)).extract(HostileArchives.path("good.tar.gz"), into: third)
        }
    }

    @Test("The destination must be fresh")
    func freshDestination() throws {
        let (parent, destination) = try Self.workspace()
        try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: false)
        try parent.write("dest/existing.txt", "keep me")
        #expect(throws: ArchiveError.destinationExists(path: destination)) {
            try SafeExtractor().extract(HostileArchives.path("good.tar.gz"), into: destination)
        }
        #expect(try String(contentsOfFile: destination + "/existing.txt", encoding: .utf8) == "keep me")
    }

    @Test("A destination that is a symbolic link (even to an empty directory) or a file is refused, named as what it is")
    func destinationNotDirectory() throws {
        let (parent, _) = try Self.workspace()
        try FileManager.default.createDirectory(atPath: parent.file("empty"), withIntermediateDirectories: false)
        try FileManager.default.createSymbolicLink(atPath: parent.file("link"), withDestinationPath: "empty")
        try parent.write("file", "x")
        #expect(throws: ArchiveError.destinationNotDirectory(path: parent.file("link"), kind: "a symbolic link")) {
            try SafeExtractor().extract(HostileArchives.path("good.tar.gz"), into: parent.file("link"))
        }
        #expect(throws: ArchiveError.destinationNotDirectory(path: parent.file("file"), kind: "a regular file")) {
            try SafeExtractor().extract(HostileArchives.path("good.tar.gz"), into: parent.file("file"))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent.file("empty")).isEmpty)
        #expect(ArchiveError.destinationNotDirectory(path: "link", kind: "a symbolic link").code == "archive.destination-exists")
    }
}
