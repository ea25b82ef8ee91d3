import Foundation
import HephaestusCore
import HephaestusTestSupport
import Testing

@testable import HephaestusToolkit

@Suite("PEP 440 versions and PEP 503 names, cross-checked against PyPI packaging")
struct PEP440VersionTests {
    /// Spellings that normalise, order or match in surprising ways, and strings that are not versions at all.
    static let versions: [String] = [
        // Release segments, padding, leading zeros, large numbers.
        "1.0", "1.0.0", "1", "1.0.0.0", "0", "0.0", "0.0.0", "0.1", "0.01", "1.01", "01.02.003", "1.1", "1.9", "1.10", "2.0", "10.0",
        "1.0.0.0.0.1", "1.2.3.4.5.6", "2026.12.05", "99999999999999999999999.0", "1.0.99999999999999999999", "00000.0000",
        // Prefix, case, surrounding white space (Python's str.isspace()).
        "v1.0", "V1.0", " 1.0 ", "\t1.0\n", "1.0\u{0B}", "\u{3000}1.0\u{2003}", "1.0\u{1C}", "\u{85}1.0",
        // Pre-releases and their spellings.
        "1.0a1", "1.0A1", "1.0alpha1", "1.0-alpha-1", "1.0_alpha_1", "1.0.alpha.1", "1.0a", "1.0alpha", "1.0a01", "1.0b2", "1.0beta2",
        "1.0-beta.2", "1.0rc1", "1.0c1", "1.0pre1", "1.0preview1", "1.0-rc-1", "1.0RC1", "1.0rc", "1.0c", "1.0.0rc01", "1.0-preview",
        // Post-releases.
        "1.0.post1", "1.0post1", "1.0-post1", "1.0_post1", "1.0-1", "1.0.post", "1.0post", "1.0.rev1", "1.0r1", "1.0-r", "1.0.post01",
        "1.0Post", "1.0-1.dev1",
        // Development releases and combinations.
        "1.0.dev1", "1.0dev1", "1.0-dev", "1.0.dev", "1.0.dev01", "1.0-Dev", "1.0a1.dev1", "1.0a1.post1", "1.0a1.post1.dev1",
        "1.0.post1.dev2", "1.0rc1.post1", "1.0RC1.POST2.DEV3", "1.0-alpha_1.dev-2",
        // Epochs.
        "1!1.0", "0!1.0", "2!0.1", "1!1.0+abc", "01!1.0",
        // Local versions.
        "1.0+abc", "1.0+ABC", "1.0+abc.5", "1.0+abc-5", "1.0+abc_5", "1.0+5", "1.0+05", "1.0+abc.05", "1.0+1.0", "1.0+1.0.0", "1.0+ubuntu.1",
        "1.0+ubuntu1", "1.0+a.b.c", "1.0+0", "1.0+a", "1.0+b", "1.0+a.1", "1.0+a.a", "1.0+1.a", "v1.0.post1.dev1+local.7", "1.0a1+local",
        "1.0.dev1+local", "1.0.0+abc", "1.0-1+abc",
        // Not versions.
        "", " ", "1.0-", "1.0.", ".1", "1..0", "1.0+", "1.0+abc.", "1.0+-abc", "a1.0", "1.0-beta-", "1.0 a1", "1.0a1a2", "1.0.post1.post2",
        "1.0.dev1.dev2", "1!2!3", "!1.0", "1.0+abc def", "vv1.0", "1.0~rc1", "1.0.x", "latest", "1.0_", "1,0", "1.0é", "١.٠", "1.0\u{200B}",
        "1.0+\u{212A}", "1.0-1-1", "1.0_1", "1-0", "1.0.1a.", "1.0+abc+def", "1.0.*", "=1.0", "1.0 ", "1.0-post-",
    ]

    /// Project names: PEP 503 normalisation.
    static let names = [
        "Django", "oslo.concurrency", "requests", "Foo_Bar", "foo--bar", "FOO.-_bar", "a.b.c", "zope.interface", "ruamel.yaml.clib", "A",
        "typing_extensions", "Typing-Extensions", "my__pkg", "pkg-", "x.Y_z-1", "PyYAML", "pip", "_private", "a-_-b",
    ]

    @Test("Normalisation, ordering and == matching agree with packaging for every version and every pair")
    func agreesWithPackaging() throws {
        let python = try #require(TestVenv.tool("python"), "the test venv (scripts/bootstrap) provides packaging")
        let directory = try TemporaryDirectory(prefix: "pep440")
        let table = try JSONSerialization.data(withJSONObject: ["versions": Self.versions, "names": Self.names])
        let input = try directory.write("table.json", Array(table))
        let result = try ProcessResult.run(python, ["-c", Self.reference, input])
        try #require(result.status == 0, "\(result.stderrText)")
        let reference = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [String: Any])
        let normalised = try #require(reference["normalised"] as? [Any])
        let order = try #require(reference["order"] as? [String])
        let match = try #require(reference["match"] as? [String])
        let names = try #require(reference["names"] as? [String])

        var disagreements: [String] = []
        var parsed: [(text: String, version: PEP440Version)] = []
        for (text, expected) in zip(Self.versions, normalised) {
            let version = PEP440Version(text)
            let theirs = expected as? String
            if version?.description != theirs {
                disagreements.append("\(text.debugDescription): ours \(version?.description ?? "invalid"), packaging \(theirs ?? "invalid")")
            }
            if let version, theirs != nil { parsed.append((text, version)) }
        }
        try #require(order.count == parsed.count && match.count == parsed.count, "the valid versions differ: \(disagreements)")
        for (row, left) in parsed.enumerated() {
            let signs = Array(order[row])
            let matches = Array(match[row])
            for (column, right) in parsed.enumerated() {
                let sign: Character = left.version < right.version ? "<" : left.version == right.version ? "=" : ">"
                if sign != signs[column] {
                    disagreements.append("\(left.text.debugDescription) \(sign) \(right.text.debugDescription), packaging says \(signs[column])")
                }
                let satisfied: Character = left.version.satisfies(pin: right.version) ? "1" : "0"
                if satisfied != matches[column] {
                    disagreements.append("\(left.text.debugDescription) matches ==\(right.version): ours \(satisfied), packaging \(matches[column])")
                }
            }
        }
        for (name, theirs) in zip(Self.names, names) where DriftDetector.normalise(name) != theirs {
            disagreements.append("name \(name): ours \(DriftDetector.normalise(name)), packaging \(theirs)")
        }
        #expect(parsed.count == 112 && Self.versions.count == 144, "valid: \(parsed.count) of \(Self.versions.count)")
        #expect(disagreements.isEmpty, "\(disagreements.count) disagreement(s):\n\(disagreements.prefix(40).joined(separator: "\n"))")
    }

    /// packaging's verdicts for the table: each version's normalised form (null when invalid), and for the valid ones,
    /// a row per version of `<`/`=`/`>` against every other and of `1`/`0` for `Specifier("==" + other).contains`.
    static let reference = """
        import json, sys
        from packaging.version import Version, InvalidVersion
        from packaging.specifiers import Specifier
        from packaging.utils import canonicalize_name
        table = json.load(open(sys.argv[1]))
        normalised, valid = [], []
        for text in table["versions"]:
            try:
                version = Version(text)
            except InvalidVersion:
                normalised.append(None)
                continue
            normalised.append(str(version))
            valid.append(version)
        order = ["".join("<" if a < b else "=" if a == b else ">" for b in valid) for a in valid]
        match = ["".join("1" if Specifier("==" + str(b)).contains(a, prereleases=True) else "0" for b in valid) for a in valid]
        json.dump({"normalised": normalised, "order": order, "match": match,
                   "names": [canonicalize_name(name) for name in table["names"]]}, sys.stdout)
        """

    @Test("Drift compares pins by PEP 440: v1.0.0 pins an installed 1.0; 1.0.post1 and 1.0+local differ from ==1.0+other")
    func pinsMatchByPEP440() {
        let installed = PEP440Version("1.0")!
        #expect(installed.satisfies(pin: PEP440Version("v1.0.0")!))
        #expect(PEP440Version("1.0+cpu")!.satisfies(pin: PEP440Version("1.0")!))
        #expect(!PEP440Version("1.0+cpu")!.satisfies(pin: PEP440Version("1.0+cuda")!))
        #expect(!PEP440Version("1.0.post1")!.satisfies(pin: installed))
        #expect(PEP440Version("1.0-1")!.description == "1.0.post1")
        #expect(PEP440Version("1.0-latest") == nil)
    }
}
