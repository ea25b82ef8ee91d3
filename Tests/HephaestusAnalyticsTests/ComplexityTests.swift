import Foundation
import HephaestusAnalytics
import HephaestusTestSupport
import Testing

/// Indentation complexity as *Your Code as a Crime Scene* measures it, and function counts checked against lizard.
@Suite("complexity")
struct ComplexityTests {
    @Test("indentation: 4 spaces or a tab a level, blank lines not counted")
    func indentation() {
        let source = "a\n    b\n\n  \n\tc\n        d\n  e\n"
        let complexity = SourceComplexity(source: Array(source.utf8), path: "notes.txt")
        #expect(complexity.lines == 5)
        #expect(complexity.totalIndentation == 0 + 1 + 1 + 2 + 0.5)
        #expect(complexity.maxIndentation == 2)
        #expect(complexity.meanIndentation == 4.5 / 5)
        #expect(complexity.language == nil)
        #expect(complexity.functions == nil)
        #expect(SourceComplexity(source: [], path: "empty.py").lines == 0)
    }

    @Test("Swift: func, init, deinit and subscript declarations; not calls, strings or comments")
    func swiftFunctions() {
        #expect(SwiftFunctions.count(Array(AnalyticsFixtureSources.swiftMain.utf8)) == 5)
        #expect(SwiftFunctions.count(Array(AnalyticsFixtureSources.swiftParser.utf8)) == 2)
        let tricky = #"""
            let a = "\(f("func"))" // func
            let b = #"func "# ; let c = """
            func not()
            """
            init?(x: Int) {}
            `func`()
            """#
        #expect(SwiftFunctions.count(Array(tricky.utf8)) == 1)
    }

    /// Python sources: the fixture's, and generated ones with every construct the scanner must get right.
    static var pythonSources: [(String, String)] {
        var sources = [
            ("verify.py", AnalyticsFixtureSources.verify), ("signing.py", AnalyticsFixtureSources.signing),
            ("calc.py", AnalyticsFixtureSources.calc), ("shapes.py", AnalyticsFixtureSources.shapes),
        ]
        sources.append(
            (
                "edge.py",
                #"""
                x = 1 if True else 2


                def outer(a,
                          b=lambda q: q or 1):
                    s = '''
                def fake():
                    if x: pass
                '''
                    t = r"\" if"
                    u = f"{a if a else b}"
                    def inner():
                        while a and b:
                            break
                    if a:  # if in a comment
                        return inner
                    return [i for i in range(3) if i for _ in range(2)]


                class K:
                    async def run(self):
                        try:
                            pass
                        except Exception:
                            pass


                def after():
                    return x \
                        and x
                """#
            ))
        return sources
    }

    @Test("Python functions and their cyclomatic complexity agree with lizard's, function by function")
    func pythonAgreesWithLizard() throws {
        guard let lizard = TestVenv.tool("lizard") else {
            #expect(!TestVenv.isRequired, "lizard is missing from the test venv (scripts/python-test-tools.txt)")
            return
        }
        let directory = try TemporaryDirectory()
        var compared = 0
        var disagreements: [String] = []
        for (name, source) in Self.pythonSources {
            let path = try directory.write(name, source)
            let result = try ProcessResult.run(lizard, ["--csv", path])
            #expect(result.status == 0, "lizard: \(result.stderrText)")
            // lizard's CSV: NLOC, CCN, token, PARAM, length, "location", "file", "function", "long_name", start, end.
            // lizard lists a nested function before its parent and names it `parent.name`: by line, last name part.
            let theirs = result.stdoutText.split(separator: "\n").map { line -> (String, Int, Int) in
                let fields = Self.csvFields(String(line))
                return (String(fields[7].split(separator: ".").last ?? ""), Int(fields[9]) ?? -1, Int(fields[1]) ?? -1)
            }.sorted { $0.1 < $1.1 }
            let ours = PythonFunctions.scan(Array(source.utf8)).map { ($0.name, $0.line, $0.cyclomaticComplexity) }.sorted { $0.1 < $1.1 }
            compared += max(ours.count, theirs.count)
            if ours.count != theirs.count { disagreements.append("\(name): \(ours.count) functions, lizard \(theirs.count)") }
            for (mine, lizards) in zip(ours, theirs) where mine != lizards {
                disagreements.append("\(name): \(mine) vs lizard \(lizards)")
            }
            let complexity = SourceComplexity(source: Array(source.utf8), path: name)
            #expect(complexity.functions == theirs.count)
            #expect(complexity.cyclomaticComplexity == theirs.reduce(0) { $0 + $1.2 })
        }
        print("python functions compared with lizard: \(compared), disagreements: \(disagreements.count)")
        #expect(compared >= 20)
        #expect(disagreements.isEmpty, "\(disagreements)")
    }

    @Test("Swift function counts agree with lizard's where both count the same (no property accessors)")
    func swiftAgreesWithLizard() throws {
        guard let lizard = TestVenv.tool("lizard") else {
            #expect(!TestVenv.isRequired, "lizard is missing from the test venv (scripts/python-test-tools.txt)")
            return
        }
        let directory = try TemporaryDirectory()
        for (name, source) in [("Main.swift", AnalyticsFixtureSources.swiftMain), ("Parser.swift", AnalyticsFixtureSources.swiftParser)] {
            let path = try directory.write(name, source + "\n")
            let result = try ProcessResult.run(lizard, ["--csv", path])
            #expect(result.status == 0, "lizard: \(result.stderrText)")
            let theirs = result.stdoutText.split(separator: "\n").count
            #expect(SwiftFunctions.count(Array(source.utf8)) == theirs, "\(name)")
            #expect(theirs > 0)
        }
    }

    static func csvFields(_ line: String) -> [String] {
        var fields: [String] = []
        var current = ""
        var quoted = false
        for character in line {
            if character == "\"" {
                quoted.toggle()
            } else if character == "," && !quoted {
                fields.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        fields.append(current)
        return fields
    }
}
