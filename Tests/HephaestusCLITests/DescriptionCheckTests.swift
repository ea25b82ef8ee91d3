import Foundation
import HephaestusCore
import HephaestusTestSupport
import Testing

/// Long-description validation (`publish pypi`) agrees with `twine check` (readme_renderer over docutils).
@Suite("description check agrees with twine check")
struct DescriptionCheckTests {
    /// reStructuredText descriptions and whether `twine check` 7.0.0 (docutils 0.23) passes them, recorded from
    /// running it; when twine is installed the test runs it again on the same wheels.
    static let corpus: [(description: String, renders: Bool)] = [
        ("Title\n==\n\nbody", true),
        ("Title\n=====\n\nbody", true),
        ("unclosed ``literal", false),
        ("unclosed `interp", false),
        (".. _bad target\n\ntext", false),
        ("plain *fine* text", true),
        ("Fine\n----\n\n.. _good: https://example.com\n\nSee good_.", true),
        ("x\n\n.. code-block:: python\n\n   print(1)\n", true),
        ("- item\n- item2\n\n`ok <https://x>`_", true),
        ("Broken :ref:`role`", false),
        ("Title\n===\n\nbody", true),
        ("LongTitle\n=====\n\nbody", false),
        ("Para\n\nLongTitleHere\n-----\n\nbody", false),
        ("Text with `link <http://x>`_ and ``code``", true),
        ("a *b c", false),
        ("a **b", false),
        (".. image:: x.png\n   :bad-option: y", false),
        ("Title\n=====\n\n.. unknown-directive:: x", false),
        ("See missing_ here.", false),
        ("Use |sub| here.", false),
        (".. |sub| replace:: text\n\nUse |sub| here.", true),
        ("Footnote [1]_ here.\n\n.. [1] The note.", true),
        ("Footnote [2]_ here.", false),
        ("Anonymous `a <http://a>`__ and `b`__.\n\n__ http://b", true),
        ("Anonymous `b`__ without target.", false),
        ("- item\ncontinued without indent", false),
        ("1. one\n2. two\n\nAfter.", true),
        ("para line one\npara line two\n   indented", false),
        ("Term\n   Definition\nNext para", false),
        ("Example::\n\n    code\n\nAfter", true),
        ("Example::\n\nNo literal block", false),
        (".. note::\n\n   A note.\nUnindented", false),
        (".. note::\n\n   A note.\n\nAfter", true),
        (".. raw:: html\n\n   <b>x</b>", false),
        (".. include:: other.rst", false),
        ("=====\nTitle\n=====\n\nText", true),
        ("=====\nTitle\n-----\n\nText", false),
        ("Lvl1\n====\n\nLvl2\n----\n\nLvl3\n~~~~\n\nLvl2b\n-----\n\ntext", true),
        ("Lvl1\n====\n\nLvl3\n~~~~\n\nLvl2\n----\n\nx\n\nOther\n~~~~~\n\ny\n\nNew\n^^^\n", false),
        ("Lvl1\n====\n\nA\n---\n\nB\n~~~\n\nC\n===\n\nD\n~~~\n", false),
        ("* a\n* b\n\n  * nested\n  * nested2\n\n* c", true),
        (":field: value\n:other: value two\n\ntext", true),
        ("Some ``literal`` and *emph* and **strong** and `title`.", true),
        ("Email me at a_b@example.com or visit https://example.com/a_b_ now.", false),
        ("Python 3.8+ required. 2 * 3 = 6. snake_case_name here.", true),
        ("Use ``pip install foo`` then run ``foo --help``.\n\n>>> import foo\n>>> foo.bar()\n42", true),
        ("+-----+-----+\n| a   | b   |\n+=====+=====+\n| 1   | 2   |\n+-----+-----+\n\ntext", true),
        ("=====  =====\ncol 1  col 2\n=====  =====\n1      2\n=====  =====\n\ntext", true),
        ("Title\n=====\n\nSection\n-------\n\nSee `Section`_ above.", true),
        ("A :sub:`2` and :sup:`x` and :code:`y` and :func:`z`.", false),
        ("Badge\n\n.. image:: https://img.shields.io/pypi/v/foo.svg\n   :target: https://pypi.org/project/foo\n   :alt: version", true),
        ("Trailing `unclosed phrase_", false),
        ("Line one\n\n    indented block quote\n\nback", true),
        ("Line one\n\n    indented block quote\nback without blank", false),
        ("`Link text`_\n\n.. _Link text: http://example.com", true),
        ("`Link text <other_>`_\n\n.. _other: http://example.com", true),
        (".. _a: http://one\n.. _a: http://two\n\nx a_", false),
        ("-a            Option a\n--bee=VALUE   Option b\n\ntext", true),
        ("*emphasis*text", false),
        ("A sentence with *emphasis* inside (*and here*).", true),
        (".. contents:: Table\n   :depth: 2\n\nTitle\n=====\n\ntext", true),
        ("Text\n\n.. [#] auto\n\nRef [#]_ ok.", true),
        ("Ref [#]_ and [#]_.\n\n.. [#] only one", false),
        (".. code:: python\n   :number-lines:\n\n   print(1)", true),
        (".. note:: Inline note text.\n\n.. warning::\n   Warned.", true),
        ("A paragraph.\n\n----\n\nAnother.", true),
        ("Heading\n=======\n- list right after heading", true),
        ("Version history\n---------------\n\n1.0 (2026-01-01)\n~~~~~~~~~~~~~~~~\n\n* Initial release.", true),
        ("| line block one\n| line block two\n\ntext", true),
        ("Text with a trailing backslash \\\\ and \\*escaped\\* stars.", true),
        ("**bold with *nested* emphasis**", true),
        ("Unicode title ✓\n===============\n\ntext", true),
        ("CJK 标题\n====\n\ntext", false),
    ]

    @Test("each description: hephaestus refuses exactly what twine check refuses, before any upload")
    func agreesWithTwine() throws {
        let work = try TemporaryDirectory()
        var wheels: [String] = []
        for (index, item) in Self.corpus.enumerated() {
            wheels.append(try PublishPyPITests.makeWheel(work, "case\(index)", "1.0", ["--description", item.description], folder: "w\(index)"))
        }
        for (index, wheel) in wheels.enumerated() {
            let result = try HephaestusBinary.run(["publish", "pypi", "--dry-run", wheel], in: work.path)
            let expected = Self.corpus[index]
            #expect((result.status == 0) == expected.renders, "case \(index) \(expected.description.debugDescription): \(result.stderrText)")
            if !expected.renders {
                #expect(result.status == 65 && result.stderrText.contains("the long description does not render (text/x-rst): line "))
            }
        }
        guard let twine = TestVenv.tool("twine") else {
            #expect(!TestVenv.isRequired, "twine is missing from the test venv")
            print("twine from PyPI is not installed: recorded verdicts used")
            return
        }
        let checked = try ProcessResult.run(twine, ["check"] + wheels, environment: ["PATH": "/usr/bin:/bin", "NO_COLOR": "1", "TERM": "dumb"])
        let verdicts = checked.stdoutText.replacingOccurrences(of: "\u{1B}", with: "").components(separatedBy: "\n").filter {
            $0.hasPrefix("Checking ")
        }
        #expect(verdicts.count == wheels.count, "\(checked.stdoutText)\(checked.stderrText)")
        for (index, line) in verdicts.enumerated() where index < wheels.count {
            #expect(line.contains(URL(fileURLWithPath: wheels[index]).lastPathComponent))
            #expect(line.contains("PASSED") == Self.corpus[index].renders, "twine: case \(index): \(line)")
        }
    }

    @Test("messages name the line and docutils' complaint")
    func messages() {
        let cases: [(String, String)] = [
            ("Title\n\nLongTitle\n=====\n", "line 4: Title underline too short."),
            ("a\n\n.. _x: http://one\n.. _x: http://two\n", "line 4: Duplicate explicit target name: \"x\"."),
            ("See `docs`_.\n", "line 1: Unknown target name: \"docs\"."),
            ("one\ntwo\n   three\n", "line 3: Unexpected indentation."),
            (".. sidebar-note:: x\n", "line 1: Unknown directive type \"sidebar-note\"."),
            (".. raw:: html\n\n   <b>\n", "line 1: \"raw\" directive disabled."),
            ("a :func:`f`\n", "line 1: Unknown interpreted text role \"func\"."),
            ("x\n\ny **bold\n", "line 3: Inline strong start-string without end-string."),
            ("Lvl1\n====\n\nLvl3\n~~~~\n\nLvl2\n----\n\nOther\n~~~~~\n\nNew\n^^^\n", "line 13: Title level inconsistent."),
        ]
        for (text, expected) in cases {
            #expect(ReStructuredTextLint.firstProblem(in: text)?.description == expected, "\(text.debugDescription)")
        }
        #expect(ReStructuredTextLint.firstProblem(in: "Title\n=====\n\n- a\n- b\n\n.. note:: fine\n") == nil)
    }
}
