import Foundation
import HephaestusAnalytics
import HephaestusTestSupport
import Testing

/// The three coverage formats, recognised by content, with report paths made relative to the repository.
@Suite("coverage reports")
struct CoverageReportTests {
    @Test("coverage.py JSON: num_statements and covered_lines per file")
    func coveragePy() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write(
            "coverage.json",
            #"{"meta": {"format": 3}, "files": {"pkg/a.py": {"summary": {"num_statements": 10, "covered_lines": 7}}, "/repo/pkg/b.py": {"summary": {"num_statements": 0, "covered_lines": 0}}}}"#
        )
        let report = try CoverageReport.read(path: path, repository: "/repo")
        #expect(report.format == .coveragePy)
        #expect(report.files == ["pkg/a.py": .init(statements: 10, covered: 7), "pkg/b.py": .init(statements: 0, covered: 0)])
        #expect(report.files["pkg/b.py"]?.rate == 1)
    }

    @Test("Cobertura: <source> directories, lines counted once per file, entities decoded, split across reads")
    func cobertura() throws {
        let directory = try TemporaryDirectory()
        let padding = String(repeating: "<!-- padding -->", count: 8000)
        let xml = """
            <?xml version="1.0" ?>
            <!DOCTYPE coverage SYSTEM "http://cobertura.sourceforge.net/xml/coverage-04.dtd">
            <coverage line-rate="0.5">\(padding)
            <sources><source>/repo/src</source></sources>
            <packages><package name="p"><classes>
            <class name="a" filename="a&amp;b.py" line-rate="0.5"><methods><method name="m"><lines><line number="1" hits="3"/></lines></method></methods>
            <lines><line number="1" hits="3"/><line number='2' hits='0'/><line number="3" hits="1" branch="true" condition-coverage="50% (1/2)"/></lines></class>
            <class name="c" filename="c.py"><lines><line number="1" hits="0"/></lines></class>
            </classes></package></packages></coverage>
            """
        let path = try directory.write("coverage.xml", xml)
        let report = try CoverageReport.read(path: path, repository: "/repo")
        #expect(report.format == .cobertura)
        #expect(report.files == ["src/a&b.py": .init(statements: 3, covered: 2), "src/c.py": .init(statements: 1, covered: 0)])
    }

    @Test("lcov: DA records per SF, LF/LH when a record has no DA")
    func lcov() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write(
            "coverage.lcov",
            "TN:\nSF:/repo/pkg/a.py\nDA:1,1\nDA:2,0\nDA:3,5,abc\nLF:3\nLH:2\nend_of_record\nSF:pkg/b.py\nLF:4\nLH:1\nend_of_record\n")
        let report = try CoverageReport.read(path: path, repository: "/repo/")
        #expect(report.format == .lcov)
        #expect(report.files == ["pkg/a.py": .init(statements: 3, covered: 2), "pkg/b.py": .init(statements: 4, covered: 1)])
    }

    @Test(
        "unusable reports are refused with the reason",
        arguments: [
            ("", "empty"), ("{\"files\": 3}", "not a coverage.py JSON report"), ("<html></html>", "no <coverage> element"),
            ("TN:\nDA:1,1\n", "no SF: record"), ("SF:a.py\nDA:x,1\n", "malformed DA record"),
        ])
    func refused(contents: String, reason: String) throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("report", contents)
        #expect {
            try CoverageReport.read(path: path, repository: "/repo")
        } throws: { error in
            guard let error = error as? AnalyticsError, case .coverageUnreadable = error else { return false }
            return "\(error)".contains(reason)
        }
    }
}
