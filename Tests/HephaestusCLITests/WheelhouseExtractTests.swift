import Foundation
import HephaestusTestSupport
import Testing

/// `wheelhouse extract` on the classes of hostile archive that readers would read differently (fixtures/hostile-
/// archives/make.py): exit 1, one line on stderr naming the entry and the rule, nothing on stdout, no destination.
@Suite("wheelhouse extract refuses what readers would read differently")
struct WheelhouseExtractTests {
    @Test(
        "Each class is refused with its rule and leaves nothing",
        arguments: [
            ("zip-crc-deflated.zip", "data do not match their CRC-32"),
            ("zip-central-size.zip", "zip central directory and local headers disagree on the size"),
            ("zip-hidden-entry.zip", "no entry describes"),
            ("pax-nul-path.tar", #"refusing entry "evil.txt\0.whl": NUL in a pax path record"#),
            ("pax-global-path.tar", "pax global header sets path"),
            ("contiguous.tar", "entry type '7' (contiguous file)"),
            ("unknown-type.tar", "unknown entry type 'Z'"),
            ("fullwidth-dots.tar", #"(NFKC) into "../escaped.txt""#),
            ("long-path.tar", "(PATH_MAX)"),
            ("long-component.tar", "(NAME_MAX)"),
            ("wheelhouse-whl-directory.tar", #""other-1.0-py3-none-any.whl" is a directory named like a wheel"#),
            ("wheelhouse-empty.tar", "the wheelhouse holds no wheels"),
        ])
    func refused(archive: String, rule: String) throws {
        let work = try TemporaryDirectory()
        let result = try HephaestusBinary.run(["wheelhouse", "extract", HostileArchives.path(archive), "--dest", "out"], in: work.path)
        #expect(result.status == 1, "\(archive): \(result.stderrText)")
        #expect(result.stderrText.hasPrefix("hephaestus: ") && result.stderrText.contains(rule), "\(archive): \(result.stderrText)")
        #expect(result.stderrText.split(separator: "\n").count == 1 && result.stderrText.count < 300, "\(archive): \(result.stderrText)")
        #expect(result.stdout.isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: work.path).isEmpty, "\(archive) left files")
    }

    @Test("A wheelhouse extracts")
    func wheelhouse() throws {
        let work = try TemporaryDirectory()
        let result = try HephaestusBinary.run(["wheelhouse", "extract", HostileArchives.path("wheelhouse.tar"), "--dest", "out"], in: work.path)
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(FileManager.default.fileExists(atPath: work.file("out/wheels/demo-1.0-py3-none-any.whl")))
    }
}
