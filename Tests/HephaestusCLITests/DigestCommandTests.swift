import Foundation
import HephaestusTestSupport
import Testing

/// `hephaestus digest` must be a drop-in for `sha256sum`: same stdout bytes, same zero/non-zero exit.
@Suite("hephaestus digest vs sha256sum")
struct DigestCommandTests {
    /// A directory of files with awkward names.
    static func workspace() throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory()
        try directory.write("a.txt", "alpha\n")
        try directory.write("with space.whl", "bravo")
        try directory.write("back\\slash", "charlie")
        try directory.write("new\nline", "delta")
        try directory.write("empty", [])
        return directory
    }

    static let names = ["a.txt", "with space.whl", "back\\slash", "new\nline", "empty"]

    @Test("Hash lines are byte-identical to sha256sum's", arguments: ["sha256", "sha384", "sha512"])
    func hashLines(algorithm: String) throws {
        let directory = try Self.workspace()
        let ours = try HephaestusBinary.run(["digest", "--algorithm", algorithm] + Self.names, in: directory.path)
        let theirs = try ProcessResult.runTool("\(algorithm)sum", Self.names, in: directory.path)
        #expect(ours.status == 0)
        #expect(ours.stdout == theirs.stdout)
        #expect(ours.stderr.isEmpty)
    }

    /// Manifests to check, by case name; each is checked by both tools.
    static func manifests(in directory: TemporaryDirectory) throws -> [String: String] {
        let good = try ProcessResult.runTool("sha256sum", Self.names, in: directory.path).stdoutText
        let goodLines = good.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let wrong = "0000000000000000000000000000000000000000000000000000000000000000  a.txt"
        let missing = "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb  missing.whl"
        return [
            "good": good,
            "one-mismatch": good + wrong + "\n",
            "missing-file": good + missing + "\n",
            "malformed-line": good + "this is not a checksum line\n",
            "binary-and-bsd": goodLines[0].replacingOccurrences(of: "  ", with: " *") + "\n"
                + "SHA256 (with space.whl) = " + goodLines[1].prefix(64) + "\n",
            "everything-wrong": wrong + "\n" + missing + "\nnonsense\n# comment\n\n",
            "comments-only": "# nothing\n\n",
        ]
    }

    /// Hephaestus fails closed on malformed lines, so it is compared with `sha256sum -c --strict`.
    @Test(
        "--check gives sha256sum -c --strict's verdict lines and exit status",
        arguments: [
            "good", "one-mismatch", "missing-file", "malformed-line", "binary-and-bsd", "everything-wrong", "comments-only",
        ])
    func check(caseName: String) throws {
        let directory = try Self.workspace()
        let manifest = try directory.write("SHA256SUMS", try Self.manifests(in: directory)[caseName]!)
        let ours = try HephaestusBinary.run(["digest", "--check", manifest], in: directory.path)
        let theirs = try ProcessResult.runTool("sha256sum", ["-c", "--strict", manifest], in: directory.path)
        #expect(ours.stdoutText == theirs.stdoutText)
        #expect((ours.status == 0) == (theirs.status == 0), "ours \(ours.status), sha256sum \(theirs.status)")
        // The warnings carry the same counts as sha256sum's.
        for warning in theirs.stderrText.split(separator: "\n") where warning.contains("WARNING") {
            let text = warning.split(separator: ":", maxSplits: 1)[1]
            #expect(ours.stderrText.contains(text), "missing warning \(text)")
        }
    }

    @Test("Mismatches, missing files and malformed lines exit 1; a manifest without checksum lines exits 65")
    func exitStatuses() throws {
        let directory = try Self.workspace()
        let manifests = try Self.manifests(in: directory)
        for (name, status) in [("good", 0), ("one-mismatch", 1), ("missing-file", 1), ("malformed-line", 1), ("comments-only", 65)] {
            let path = try directory.write(name, manifests[name]!)
            #expect(try HephaestusBinary.run(["digest", "-c", path], in: directory.path).status == Int32(status), "\(name)")
        }
    }

    @Test("--status prints nothing on stdout; --ignore-missing skips missing files like sha256sum")
    func statusAndIgnoreMissing() throws {
        let directory = try Self.workspace()
        let manifests = try Self.manifests(in: directory)
        let mismatch = try directory.write("m1", manifests["one-mismatch"]!)
        let status = try HephaestusBinary.run(["digest", "--check", "--status", mismatch], in: directory.path)
        #expect(status.stdout.isEmpty)
        #expect(status.status == 1)
        #expect(!status.stderrText.contains("WARNING"))
        let missing = try directory.write("m2", manifests["missing-file"]!)
        for extra in [[], ["--ignore-missing"]] {
            let ours = try HephaestusBinary.run(["digest", "--check"] + extra + [missing], in: directory.path)
            let theirs = try ProcessResult.runTool("sha256sum", ["--check"] + extra + [missing], in: directory.path)
            #expect(ours.stdout == theirs.stdout)
            #expect((ours.status == 0) == (theirs.status == 0))
        }
        let onlyMissing = try directory.write("m3", "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb  gone\n")
        let nothing = try HephaestusBinary.run(["digest", "--check", "--ignore-missing", onlyMissing], in: directory.path)
        #expect(nothing.status == 1)
        #expect(nothing.stderrText.contains("no file was verified"))
    }

    @Test("Bad input: one clear line on stderr and the documented status")
    func badInput() throws {
        let directory = try Self.workspace()
        try FileManager.default.createDirectory(atPath: directory.file("dir"), withIntermediateDirectories: false)
        let cases: [([String], Int32, String)] = [
            (["digest", "nope.txt"], 66, "hephaestus: nope.txt: No such file or directory"),
            (["digest", "dir"], 66, "hephaestus: dir: Is a directory"),
            (["digest", "--check", "nope.sums"], 66, "hephaestus: nope.sums: No such file or directory"),
            (["digest", "--check", "dir"], 66, "hephaestus: dir: Is a directory"),
        ]
        for (arguments, status, line) in cases {
            let result = try HephaestusBinary.run(arguments, in: directory.path)
            #expect(result.status == status, "\(arguments)")
            #expect(result.stderrText == line + "\n", "\(arguments)")
            #expect(result.stdout.isEmpty)
        }
        for arguments in [["digest", "--algorithm", "md5", "a.txt"], ["digest"], ["digest", "--status", "a.txt"], ["digest", "-q", "-v", "a.txt"]] {
            let result = try HephaestusBinary.run(arguments, in: directory.path)
            #expect(result.status == 64, "\(arguments)")
            #expect(result.stderrText.hasPrefix("Error: "), "\(arguments)")
            #expect(!result.stderrText.contains("Fatal error"))
        }
    }

    @Test("Other files are still hashed after an unreadable one, and the status reports the failure")
    func continuesAfterFailure() throws {
        let directory = try Self.workspace()
        let result = try HephaestusBinary.run(["digest", "a.txt", "nope", "empty"], in: directory.path)
        let expected = try ProcessResult.runTool("sha256sum", ["a.txt", "empty"], in: directory.path)
        #expect(result.stdout == expected.stdout)
        #expect(result.status == 66)
    }

    @Test(
        "--log-format json writes only JSON lines on stderr, all with one run id",
        arguments: [
            ["--log-format", "json", "digest", "a.txt"],
            ["--log-format", "json", "-v", "digest", "a.txt", "nope"],
            ["digest", "--log-format=json", "--check", "bad.sums"],
            ["--log-format", "json", "digest", "--algorithm", "md5", "a.txt"],
        ])
    func jsonLogs(arguments: [String]) throws {
        let directory = try Self.workspace()
        try directory.write("bad.sums", "0000000000000000000000000000000000000000000000000000000000000000  a.txt\nnonsense\n")
        let result = try HephaestusBinary.run(arguments, in: directory.path)
        let lines = result.stderrText.split(separator: "\n")
        #expect(!lines.isEmpty)
        var runIDs = Set<String>()
        for line in lines {
            let record = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not JSON: \(line)")
            #expect(record["timestamp"] is String)
            #expect(record["level"] is String)
            #expect(record["event"] is String)
            #expect(record["fields"] is [String: Any])
            runIDs.insert(try #require(record["run_id"] as? String))
        }
        #expect(runIDs.count == 1)
    }

    @Test("--json prints one document with media type and run id")
    func jsonResult() throws {
        let directory = try Self.workspace()
        let result = try HephaestusBinary.run(["--log-format", "json", "digest", "--json", "a.txt"], in: directory.path)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [String: Any])
        #expect(document["mediaType"] as? String == "application/vnd.hephaestus.digest-result+json;version=1")
        let files = try #require(document["files"] as? [[String: Any]])
        let sha = try ProcessResult.runTool("sha256sum", ["a.txt"], in: directory.path).stdoutText.prefix(64)
        #expect(files.first?["digest"] as? String == String(sha))
        let runID = document["runId"] as? String
        let logRunID =
            try #require(
                result.stderrText.split(separator: "\n").first.flatMap {
                    try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
                })["run_id"] as? String
        #expect(runID != nil && runID == logRunID)
    }
}
