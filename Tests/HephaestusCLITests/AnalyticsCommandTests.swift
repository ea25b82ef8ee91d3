import Foundation
import HephaestusTestSupport
import Testing

/// `hephaestus analytics` against independent oracles on a repository scripted here: code-maat-python for revisions,
/// churn and coupling, lizard for functions, coverage.py for coverage; each strategy's top 10 recomputed from the
/// `--json` inputs by the formula in docs/analytics.md, written again here.
@Suite("analytics commands against code-maat-python, lizard and coverage.py")
struct AnalyticsCommandTests {
    typealias Fixture = AnalyticsFixture

    static let fixture = AnalyticsFixture.shared

    static func json(_ arguments: [String], in directory: String? = nil) throws -> [String: Any] {
        let result = try HephaestusBinary.run(arguments + ["--json"], in: directory)
        #expect(result.status == 0, "\(arguments): \(result.stderrText)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [String: Any])
    }

    static func tool(_ name: String) -> String? {
        let found = TestVenv.tool(name)
        if found == nil { #expect(!TestVenv.isRequired, "\(name) is missing from the test venv (scripts/python-test-tools.txt)") }
        return found
    }

    /// code-maat's CSV output as rows of fields (header dropped).
    static func csv(_ text: String) -> [[String]] {
        text.split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    }

    /// The file a code-maat entity (a path, or git's `{old => new}` rename text) is at HEAD.
    static func headName(of entity: String, _ repository: AnalyticsFixtureRepository) -> String {
        var path = entity
        if let open = entity.firstIndex(of: "{"), let arrow = entity.range(of: " => "), let close = entity.firstIndex(of: "}") {
            path = String(entity[..<open]) + String(entity[arrow.upperBound..<close]) + String(entity[entity.index(after: close)...])
            while path.contains("//") { path = path.replacingOccurrences(of: "//", with: "/") }
        } else if let arrow = entity.range(of: " => ") {
            path = String(entity[arrow.upperBound...])
        }
        return repository.finalName(of: path)
    }

    @Test("revisions, churn and coupling agree with code-maat-python on the same log")
    func codeMaat() throws {
        guard let codeMaat = Self.tool("code-maat") else { return }
        let fixture = try Self.fixture.get()
        let repository = fixture.repository
        let log = try repository.git(["log", "-M", "--numstat", "--date=short", "--pretty=format:--%h--%cd--%cn"])
        let logPath = try fixture.directory.write("git.log", log)
        let revisions = try ProcessResult.run(codeMaat, ["revisions", logPath])
        let churn = try ProcessResult.run(codeMaat, ["entity-churn", logPath])
        let coupling = try ProcessResult.run(codeMaat, ["coupling", logPath])
        #expect(
            revisions.status == 0 && churn.status == 0 && coupling.status == 0, "\(revisions.stderrText)\(churn.stderrText)\(coupling.stderrText)")

        // code-maat counts per entity; a renamed file's entities (old names, rename lines) add up to our file.
        var expected: [String: (revisions: Int, added: Int, deleted: Int)] = [:]
        for row in Self.csv(revisions.stdoutText) {
            expected[Self.headName(of: row[0], repository), default: (0, 0, 0)].revisions += Int(row[1]) ?? -1000
        }
        for row in Self.csv(churn.stdoutText) {
            let name = Self.headName(of: row[0], repository)
            expected[name, default: (0, 0, 0)].added += Int(row[1]) ?? -1000
            expected[name, default: (0, 0, 0)].deleted += Int(row[2]) ?? -1000
        }
        let report = try Self.json(["analytics", "rankings", "--strategy", "churn_based", "--repo", repository.root])
        let files = try #require(report["files"] as? [[String: Any]])
        var compared = 0
        var disagreements: [String] = []
        for file in files {
            let inputs = try #require(file["inputs"] as? [String: Any])
            let path = try #require(inputs["path"] as? String)
            let theirs = expected[path] ?? (0, 0, 0)
            let ours = (inputs["revisions"] as? Int ?? -1, inputs["added"] as? Int ?? -1, inputs["deleted"] as? Int ?? -1)
            compared += 1
            if ours != theirs { disagreements.append("\(path): ours \(ours), code-maat \(theirs)") }
        }
        print("code-maat-python revisions/churn: \(compared) files compared, \(disagreements.count) disagreements")
        #expect(compared >= 45)
        #expect(disagreements.isEmpty, "\(disagreements)")
        #expect(files.contains { ($0["inputs"] as? [String: Any])?["path"] as? String == "lib/tools.py" })

        // The same log given with --log: the same figures as reading git.
        let fromLog = try Self.json(["analytics", "rankings", "--strategy", "churn_based", "--repo", repository.root, "--log", logPath])
        #expect(fromLog["commits"] as? Int == report["commits"] as? Int)
        #expect(
            (fromLog["files"] as? [[String: Any]])?.map { ($0["inputs"] as? [String: Any])?["revisions"] as? Int }
                == files.map {
                    ($0["inputs"] as? [String: Any])?["revisions"] as? Int
                })

        // Coupling: code-maat takes rename lines as entities of their own, so pairs of files never renamed compare.
        let stable = repository.neverRenamed
        let theirPairs = Set(
            Self.csv(coupling.stdoutText).filter { stable.contains($0[0]) && stable.contains($0[1]) }.map { $0.joined(separator: ",") })
        let hotspots = try Self.json(["analytics", "hotspots", "--repo", repository.root])
        let couplings = try #require(hotspots["couplings"] as? [[String: Any]])
        let ourPairs = Set(
            couplings.compactMap { pair -> String? in
                guard let entity = pair["entity"] as? String, let coupled = pair["coupled"] as? String, stable.contains(entity),
                    stable.contains(coupled)
                else { return nil }
                return "\(entity),\(coupled),\(pair["degree"] as? Int ?? -1),\(pair["averageRevisions"] as? Int ?? -1)"
            })
        print(
            "code-maat-python coupling: \(theirPairs.union(ourPairs).count) pairs compared, \(theirPairs.symmetricDifference(ourPairs).count) disagreements"
        )
        #expect(theirPairs.count >= 2)
        #expect(ourPairs == theirPairs)
    }

    @Test("function counts and cyclomatic complexity agree with lizard, file by file")
    func lizard() throws {
        guard let lizard = Self.tool("lizard") else { return }
        let fixture = try Self.fixture.get()
        let report = try Self.json(["analytics", "rankings", "--strategy", "composite", "--repo", fixture.repository.root, "--include", "*.py"])
        let files = try #require(report["files"] as? [[String: Any]])
        let paths = files.compactMap { ($0["inputs"] as? [String: Any])?["path"] as? String }
        let result = try ProcessResult.run(lizard, ["--csv"] + paths, in: fixture.repository.root)
        #expect(result.status == 0, "\(result.stderrText)")
        var theirs: [String: (functions: Int, complexity: Int)] = [:]
        for line in result.stdoutText.split(separator: "\n") {
            let fields = line.split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
            theirs[fields[6], default: (0, 0)].functions += 1
            theirs[fields[6], default: (0, 0)].complexity += Int(fields[1]) ?? -1000
        }
        var disagreements: [String] = []
        for file in files {
            let inputs = try #require(file["inputs"] as? [String: Any])
            let complexity = try #require(inputs["complexity"] as? [String: Any])
            let path = inputs["path"] as? String ?? ""
            let ours = (complexity["functions"] as? Int ?? -1, complexity["cyclomaticComplexity"] as? Int ?? -1)
            let lizards = theirs[path] ?? (0, 0)
            if ours != lizards { disagreements.append("\(path): ours \(ours), lizard \(lizards)") }
        }
        print("lizard: \(files.count) Python files compared, \(disagreements.count) disagreements")
        #expect(files.count >= 8)
        #expect(disagreements.isEmpty, "\(disagreements)")
    }

    /// coverage.py's reports of the fixture's `pkg` in its three formats (made once).
    static let coverageReports = Result { try makeCoverageReports(try fixture.get()) }

    static func coverageReports(_: Fixture) throws -> (json: String, xml: String, lcov: String) { try coverageReports.get() }

    static func makeCoverageReports(_ fixture: Fixture) throws -> (json: String, xml: String, lcov: String) {
        let directory = fixture.directory
        let json = directory.file("coverage.json")
        guard let coverage = TestVenv.tool("coverage") else { throw AnalyticsFixtureRepository.FixtureError(description: "no coverage.py") }
        let script = try directory.write(
            "exercise.py", "import pkg.calc, pkg.shapes\npkg.calc.add(1, 2)\npkg.calc.divide(4, 2)\npkg.shapes.Square(3).area()\n")
        let data = "--data-file=" + directory.file("coverage-data")
        let environment = ProcessInfo.processInfo.environment.merging(["PYTHONPATH": fixture.repository.root]) { $1 }
        let root = fixture.repository.root
        for arguments in [
            ["run", data, "--source=pkg", script], ["json", data, "-o", json + ".part"], ["xml", data, "-o", directory.file("coverage.xml")],
            ["lcov", data, "-o", directory.file("coverage.lcov")],
        ] {
            let result = try ProcessResult.run(coverage, arguments, in: root, environment: environment)
            guard result.status == 0 else {
                throw AnalyticsFixtureRepository.FixtureError(description: "coverage \(arguments): \(result.stderrText)")
            }
        }
        try FileManager.default.moveItem(atPath: json + ".part", toPath: json)
        return (json, directory.file("coverage.xml"), directory.file("coverage.lcov"))
    }

    @Test("coverage read from coverage.py's JSON, Cobertura XML and lcov reports agrees with coverage.py's JSON")
    func coverage() throws {
        guard Self.tool("coverage") != nil else { return }
        let fixture = try Self.fixture.get()
        let reports = try Self.coverageReports(fixture)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: reports.json))) as? [String: Any])
        let theirs = try #require(document["files"] as? [String: [String: Any]])
        var compared = 0
        var disagreements: [String] = []
        for report in [reports.json, reports.xml, reports.lcov] {
            let ranked = try Self.json([
                "analytics", "rankings", "--strategy", "coverage_first", "--repo", fixture.repository.root, "--coverage", report, "--include",
                "pkg/*",
            ])
            for file in try #require(ranked["files"] as? [[String: Any]]) {
                let inputs = try #require(file["inputs"] as? [String: Any])
                let path = inputs["path"] as? String ?? ""
                let summary = theirs[path]?["summary"] as? [String: Any]
                let ours = inputs["coverage"] as? [String: Any]
                compared += 1
                if (ours?["statements"] as? Int, ours?["covered"] as? Int) != (summary?["num_statements"] as? Int, summary?["covered_lines"] as? Int)
                {
                    disagreements.append("\(report) \(path): ours \(String(describing: ours)), coverage.py \(String(describing: summary))")
                }
            }
        }
        print("coverage.py: \(compared) file reports compared (3 formats), \(disagreements.count) disagreements")
        #expect(compared == 9)
        #expect(disagreements.isEmpty, "\(disagreements)")
    }

    /// The documented formula, written again: N(x) = x / max x; u = 1 − covered/statements (1 without coverage).
    static func recomputedScore(_ strategy: String, _ inputs: [String: Any], _ maxima: [String: Double]) -> Double {
        func value(_ key: String) -> Double { (inputs[key] as? NSNumber)?.doubleValue ?? 0 }
        func norm(_ x: Double, _ key: String) -> Double { (maxima[key] ?? 0) == 0 ? 0 : x / maxima[key]! }
        let complexity = ((inputs["complexity"] as? [String: Any])?["totalIndentation"] as? NSNumber)?.doubleValue ?? 0
        var uncovered = 1.0
        if let coverage = inputs["coverage"] as? [String: Any], let statements = coverage["statements"] as? Int,
            let covered = coverage["covered"] as? Int
        {
            uncovered = statements == 0 ? 0 : 1 - Double(covered) / Double(statements)
        }
        let r = norm(value("revisions"), "revisions")
        let c = norm(value("churn"), "churn")
        let a = norm(value("authors"), "authors")
        let k = norm(complexity, "complexity")
        let d = norm(value("defects"), "defects")
        let churnBased = 0.2 * a + 0.3 * r + 0.5 * c
        let coverageFirst = 0.15 * r + 0.25 * k + 0.6 * uncovered
        let riskWeighted = 0.15 * d + 0.25 * uncovered + 0.3 * k + 0.3 * r
        let score: Double
        switch strategy {
        case "churn_based": score = churnBased
        case "coverage_first": score = coverageFirst
        case "risk_weighted": score = riskWeighted
        default: score = (churnBased + coverageFirst + riskWeighted) / 3
        }
        return (score * 1_000_000).rounded() / 1_000_000
    }

    @Test("each strategy's top 10 is recomputed from the --json inputs", arguments: ["risk_weighted", "coverage_first", "churn_based", "composite"])
    func topTen(strategy: String) throws {
        guard Self.tool("coverage") != nil else { return }
        let fixture = try Self.fixture.get()
        let reports = try Self.coverageReports(fixture)
        let store = fixture.directory.file("events-\(strategy).sqlite")
        let events = ["src/app/signing.py", "src/app/signing.py", "lib/tools.py", "pkg/calc.py"].enumerated().map {
            #"{"time": "2025-02-1\#($0.offset)T08:00:00Z", "file": "\#($0.element)", "kind": "\#($0.offset == 3 ? "incident" : "defect")"}"#
        }
        let ingest = try HephaestusBinary.run(["analytics", "ingest", "-", "--store", store], stdin: Array(events.joined(separator: "\n").utf8))
        #expect(ingest.status == 0, "\(ingest.stderrText)")
        let arguments = [
            "analytics", "rankings", "--strategy", strategy, "--repo", fixture.repository.root, "--coverage", reports.json, "--events", store,
        ]
        let report = try Self.json(arguments)
        let files = try #require(report["files"] as? [[String: Any]])
        let inputs = files.compactMap { $0["inputs"] as? [String: Any] }
        var maxima: [String: Double] = [:]
        for file in inputs {
            for key in ["revisions", "churn", "authors", "defects"] {
                maxima[key] = max(maxima[key] ?? 0, (file[key] as? NSNumber)?.doubleValue ?? 0)
            }
            let complexity = ((file["complexity"] as? [String: Any])?["totalIndentation"] as? NSNumber)?.doubleValue ?? 0
            maxima["complexity"] = max(maxima["complexity"] ?? 0, complexity)
        }
        #expect(maxima["defects"] == 2)
        let recomputed = inputs.map { (path: $0["path"] as? String ?? "", score: Self.recomputedScore(strategy, $0, maxima)) }
            .sorted { $0.score != $1.score ? $0.score > $1.score : Array($0.path.utf8).lexicographicallyPrecedes(Array($1.path.utf8)) }
        let top = files.prefix(10).map {
            (path: ($0["inputs"] as? [String: Any])?["path"] as? String ?? "", score: ($0["score"] as? NSNumber)?.doubleValue ?? -1)
        }
        #expect(top.map(\.path) == recomputed.prefix(10).map(\.path))
        for (ours, theirs) in zip(top, recomputed.prefix(10)) { #expect(abs(ours.score - theirs.score) < 1e-9, "\(ours.path)") }
        // --limit prints the same first ten.
        let limited = try Self.json(arguments + ["--limit", "10"])
        let limitedPaths = (limited["files"] as? [[String: Any]] ?? []).map { ($0["inputs"] as? [String: Any])?["path"] as? String ?? "" }
        #expect(limitedPaths == top.map(\.path))
        #expect(limited["rankedFiles"] as? Int == files.count)
    }

    @Test("the former name `tools refactor rankings` runs the same operation; it is not listed in help")
    func alias() throws {
        let fixture = try Self.fixture.get()
        let arguments = ["--strategy", "churn_based", "--repo", fixture.repository.root, "--limit", "3"]
        let ours = try HephaestusBinary.run(["analytics", "rankings"] + arguments)
        let former = try HephaestusBinary.run(["tools", "refactor", "rankings"] + arguments)
        #expect(ours.status == 0)
        #expect(former.stdoutText == ours.stdoutText)
        #expect(ours.stdoutText.contains("lib/tools.py") || ours.stdoutText.split(separator: "\n").count == 5)
        let help = try HephaestusBinary.run(["--help"])
        #expect(help.stdoutText.contains("analytics"))
        #expect(!help.stdoutText.split(separator: "\n").contains { $0.trimmingCharacters(in: .whitespaces).hasPrefix("tools ") })
    }

    @Test("usage errors and unusable inputs: one line, a distinct exit status")
    func errors() throws {
        let fixture = try Self.fixture.get()
        let root = fixture.repository.root
        let directory = try TemporaryDirectory()
        let garbage = try directory.write("garbage.json", "{\"files\": 1}")
        let cases: [([String], Int32, String)] = [
            (["analytics", "rankings", "--strategy", "coverage_first", "--repo", root], 64, "needs --coverage"),
            (["analytics", "rankings", "--strategy", "composite", "--since", "last week", "--repo", root], 64, "--since"),
            (["analytics", "rankings", "--strategy", "fastest"], 64, "fastest"),
            (["analytics", "rankings", "--strategy", "composite", "--repo", directory.path], 66, "not in a git work tree"),
            (["analytics", "rankings", "--strategy", "composite", "--repo", root, "--coverage", garbage], 65, "not a coverage.py JSON report"),
            (["analytics", "hotspots", "--repo", root, "--min-revs", "0"], 64, "--min-revs"),
            (["analytics", "ingest", "--retention-bytes", "5"], 64, "--retention-bytes"),
        ]
        for (arguments, status, message) in cases {
            let result = try HephaestusBinary.run(arguments)
            #expect(result.status == status, "\(arguments): \(result.status) \(result.stderrText)")
            #expect(result.stderrText.contains(message), "\(arguments): \(result.stderrText)")
            #expect(result.stdout.isEmpty)
        }
    }

    @Test("ingest: malformed lines reported by number; --strict refuses the input and stores nothing")
    func ingest() throws {
        let directory = try TemporaryDirectory()
        let store = directory.file("store/events.sqlite")
        let lines = [
            #"{"time": "2026-01-02T03:04:05Z", "file": "a.py", "kind": "defect"}"#, "{oops",
            #"{"time": "2026-01-02T03:04:05Z", "file": "b.py", "kind": "review"}"#,
            #"{"time": "2026-01-02", "file": "b.py", "kind": "review"}"#,
        ]
        let input = try directory.write("events.ndjson", lines.joined(separator: "\n") + "\n")
        let strict = try HephaestusBinary.run(["analytics", "ingest", input, "--store", store, "--strict"])
        #expect(strict.status == 65)
        #expect(strict.stderrText.contains("2 malformed lines (lines 2, 4)"))
        #expect(strict.stderrText.contains("nothing was stored"))
        #expect(strict.stdout.isEmpty)

        let lenient = try HephaestusBinary.run(["analytics", "ingest", input, "--store", store])
        #expect(lenient.status == 0)
        #expect(lenient.stderrText.contains("warning: 2 malformed lines (lines 2, 4) skipped"))
        #expect(lenient.stdoutText.contains("2 events from 4 lines (2 malformed)"))
        #expect(lenient.stdoutText.contains("2 events in 2 day/file/kind counts"))

        let notStore = try directory.write("not-a-store.sqlite", "plain text, not SQLite")
        let refused = try HephaestusBinary.run(["analytics", "ingest", input, "--store", notStore])
        #expect(refused.status == 74, "\(refused.stderrText)")
        #expect(try String(contentsOfFile: notStore, encoding: .utf8) == "plain text, not SQLite")
    }

    @Test("ingest --store takes the store URLs of --store elsewhere (sqlite:PATH, sqlite:///PATH) and paths; postgres:// is refused")
    func ingestStoreURL() throws {
        let directory = try TemporaryDirectory()
        let input = try directory.write("events.ndjson", #"{"time": "2026-01-02T03:04:05Z", "file": "a.py", "kind": "defect"}"# + "\n")
        let store = directory.file("events.sqlite")
        var stored: [Int] = []
        for location in [store, "sqlite:\(store)", "sqlite://\(store)"] {
            let result = try HephaestusBinary.run(["analytics", "ingest", input, "--store", location, "--json"])
            #expect(result.status == 0, "\(location): \(result.stderrText)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [String: Any], "\(result.stdoutText)")
            #expect(report["store"] as? String == store)
            stored.append(report["storedEvents"] as? Int ?? 0)
        }
        #expect(stored == [1, 2, 3], "one store, whichever way it is named")
        let postgres = try HephaestusBinary.run(["analytics", "ingest", input, "--store", "postgres://u:secret@db/events"])
        #expect(postgres.status == 78, "\(postgres.stderrText)")
        #expect(postgres.stderrText.contains("not supported") && !postgres.stderrText.contains("secret"), "\(postgres.stderrText)")
        let unknown = try HephaestusBinary.run(["analytics", "ingest", input, "--store", "mysql://db/events"])
        #expect(unknown.status == 64 && unknown.stderrText.contains("mysql://db/events"), "\(unknown.stderrText)")
    }

    @Test("ingest streams a generated NDJSON stream through a pipe: exact counts, peak RSS under 64 MiB")
    func ingestStream() throws {
        let directory = try TemporaryDirectory()
        let script = TestVenv.projectRoot.appendingPathComponent("bench/analytics_ingest_stream.py").path
        // 48 MB here (the benchmark streams 1 GiB): large enough that buffering the input would show in the RSS.
        let result = try ProcessResult.run(
            "/usr/bin/env", ["python3", script, "--binary", HephaestusBinary.path, "--bytes", "48000000", "--store", directory.file("events.sqlite")])
        #expect(result.status == 0, "\(result.stderrText)")
        let run = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [String: Any])
        let report = try #require(run["report"] as? [String: Any], "\(run["stderr"] ?? "")")
        let summary = try #require(report["summary"] as? [String: Any])
        #expect(run["exitStatus"] as? Int == 0)
        #expect(summary["lines"] as? Int == run["lines"] as? Int)
        #expect(summary["malformed"] as? Int == run["expectedMalformed"] as? Int)
        #expect(summary["overlong"] as? Int == run["expectedOverlong"] as? Int)
        #expect(summary["accepted"] as? Int == run["expectedAccepted"] as? Int)
        #expect(summary["malformedLines"] as? [Int] == run["expectedFirstMalformedLines"] as? [Int])
        #expect(summary["bytes"] as? Int == run["bytes"] as? Int)
        #expect(report["storedEvents"] as? Int == run["expectedAccepted"] as? Int)
        let rss = try #require(run["maxRSSKiB"] as? Int)
        print("ingest stream: \(run["bytes"] ?? 0) bytes, \(run["megabytesPerSecond"] ?? 0) MB/s, peak RSS \(rss) KiB")
        #expect(rss < 64 * 1024, "peak RSS \(rss) KiB")
    }
}
