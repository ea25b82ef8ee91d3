import HephaestusAnalytics
import Testing

/// `git log --numstat` lines as code-maat reads them, and renames followed to the latest name.
@Suite("git history")
struct HistoryTests {
    @Test(
        "numstat paths: plain, braced renames (with empty sides), bare renames, C-quoted",
        arguments: [
            ("src/a.py", "src/a.py", "src/a.py"),
            ("src/{old.py => new.py}", "src/old.py", "src/new.py"),
            ("{docs => manual}/guide.md", "docs/guide.md", "manual/guide.md"),
            ("src/{ => sub}/a.py", "src/a.py", "src/sub/a.py"),
            ("src/{sub => }/a.py", "src/sub/a.py", "src/a.py"),
            ("old.txt => new.txt", "old.txt", "new.txt"),
            ("\"tab\\there.py\"", "tab\there.py", "tab\there.py"),
            ("\"caf\\303\\251.py\"", "café.py", "café.py"),
        ])
    func numstatPaths(field: String, previous: String, path: String) {
        let parsed = NumstatPath(parsing: Substring(field))
        #expect(parsed.previous == previous)
        #expect(parsed.path == path)
        #expect(parsed.isRename == (previous != path))
    }

    /// A log, newest commit first: b.py was a.py, then was renamed to c.py; a new a.py was created after the first
    /// rename and is a file of its own.
    static let log = """
        --c3--2025-03-03--Chen
        1\t1\t{b.py => c.py}
        4\t0\ta.py

        --b2--2025-02-02--Brian
        2\t1\tb.py
        -\t-\tlogo.png
        garbage that is not a numstat line

        --a1--2025-01-01--Ada
        0\t0\t{a.py => b.py}

        --a0--2024-12-31--Ada
        10\t0\ta.py
        5\t0\tlogo.png
        """

    @Test("renames are followed to the latest name; a re-used name is a new file; binary counts are 0")
    func renamesFollowed() {
        var parser = GitLog.Parser()
        for line in Self.log.split(separator: "\n", omittingEmptySubsequences: false) { parser.consume(line) }
        let history = parser.finish()
        let files = history.files
        #expect(history.commits == 4)
        #expect(Set(files.keys) == ["c.py", "a.py", "logo.png"])
        let c = files["c.py"]
        #expect(c?.revisions == 4)
        #expect(c?.added == 13)
        #expect(c?.deleted == 2)
        #expect(c?.authors == 3)
        #expect(c?.lastChange == "2025-03-03")
        #expect(c?.firstChange == "2024-12-31")
        #expect(files["a.py"]?.revisions == 1)
        #expect(files["a.py"]?.added == 4)
        #expect(files["logo.png"]?.revisions == 2)
        #expect(files["logo.png"]?.added == 5)
    }

    @Test("headers: code-maat's format; other lines before a header are ignored")
    func headers() {
        var parser = GitLog.Parser()
        parser.consume("1\t1\torphan.py")
        parser.consume("--zz--2025-01-01--Not a hash")
        parser.consume("--abc--2025-1-01--Bad date")
        parser.consume("--abc--2025-01-01--Real -- Author")
        parser.consume("3\t2\tx.py")
        parser.consume("x\t2\ty.py")
        let history = parser.finish()
        #expect(history.commits == 1)
        #expect(history.files.keys.sorted() == ["x.py"])
    }

    @Test("coupling: code-maat's degree, thresholds, and change sets over the maximum size left out")
    func coupling() {
        var history = ChangeHistory(maxChangesetSize: 3)
        func path(_ name: String) -> (path: NumstatPath, added: Int, deleted: Int) { (NumstatPath(parsing: Substring(name)), 1, 0) }
        for _ in 0..<6 { history.add(date: "2025-01-01", author: "A", changes: [path("a"), path("b")]) }
        for _ in 0..<2 { history.add(date: "2025-01-01", author: "A", changes: [path("a")]) }
        for _ in 0..<4 { history.add(date: "2025-01-01", author: "A", changes: [path("a"), path("b"), path("c"), path("d")]) }
        let couplings = history.couplings()
        // a: 8 bounded revisions, b: 6 → mean 7, shared 6: 85.7 %.
        #expect(couplings == [ChangeHistory.Coupling(entity: "a", coupled: "b", sharedRevisions: 6, averageRevisions: 7, degree: 85)])
        #expect(history.files["a"]?.revisions == 12)
        #expect(history.files["a"]?.boundedRevisions == 8)
        #expect(history.couplings(ChangeHistory.CouplingThresholds(minRevisions: 8)).isEmpty)
        #expect(history.couplings(ChangeHistory.CouplingThresholds(minCoupling: 90)).isEmpty)
        #expect(history.couplings(ChangeHistory.CouplingThresholds(minSharedRevisions: 7)).isEmpty)
    }
}
