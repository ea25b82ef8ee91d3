import Foundation
import Glibc
import HephaestusPlatform
import HephaestusTestSupport
import Testing

/// Issue 14, "Writing results": what a user sees when results cannot be written (a full disk, a closed stdout, a
/// reader that went away), when an output path is not a regular file, when `pack --sign` fails part-way, and what
/// `release verify --json` leaves as evidence when a stage fails.
@Suite("writing results: stdout errors, output files, pack --sign, release verify evidence")
struct WritingResultsTests {
    static let fullDevice = FileManager.default.isWritableFile(atPath: "/dev/full")
    static let python = ToolLocator.find("python3") != nil

    /// A directory holding `f`.
    static func work() throws -> TemporaryDirectory {
        let work = try TemporaryDirectory()
        try work.write("f", "bytes\n")
        return work
    }

    // MARK: - stdout

    @Test("stdout on a full disk: one line naming the error and exit 74, no crash (digest, verify batch)", .enabled(if: fullDevice, "no /dev/full"))
    func fullDisk() throws {
        let work = try Self.work()
        let full = try #require(FileHandle(forWritingAtPath: "/dev/full"))
        let digest = try HephaestusBinary.run(["digest", "f"], in: work.path, stdout: full)
        #expect(digest.signal == nil && digest.status == 74, "\(digest.stderrText)")
        #expect(digest.stderrText == "hephaestus: write error on standard output: No space left on device\n")

        let (directory, _) = try VerifyBatchCommandTests.workspace(count: 3)
        try directory.write("list.jsonl", (0..<3).map { VerifyBatchCommandTests.request($0) }.joined(separator: "\n"))
        let batch = try HephaestusBinary.run(
            ["verify", "batch", "--trusted-root", directory.file("trusted_root.json"), directory.file("list.jsonl")], stdout: full)
        #expect(batch.signal == nil && batch.status == 74, "\(batch.stderrText)")
        #expect(batch.stderrText == "hephaestus: write error on standard output: No space left on device\n")
    }

    @Test(
        "what the parser prints (--version, --help, a completion script) on a full disk: exit 74 with one line, as results",
        .enabled(if: fullDevice, "no /dev/full"))
    func parserOutputOnFullDisk() throws {
        let full = try #require(FileHandle(forWritingAtPath: "/dev/full"))
        for arguments in [["--version"], ["verify", "bundle", "--help"], ["--generate-completion-script", "bash"]] {
            let result = try HephaestusBinary.run(arguments, stdout: full)
            #expect(result.signal == nil && result.status == 74, "\(arguments): \(result.status) \(result.stderrText)")
            #expect(result.stderrText == "hephaestus: write error on standard output: No space left on device\n", "\(arguments)")
        }
        let help = try HephaestusBinary.run(["--version"])
        #expect(help.status == 0 && help.stdoutText.hasPrefix("hephaestus "))
    }

    @Test("a closed stdout (>&-): one line naming the error and exit 74, no crash, no file receives the results")
    func closedStdout() throws {
        let work = try Self.work()
        let result = try ProcessResult.run("/bin/sh", ["-c", #"exec "$0" "$@" >&-"#, HephaestusBinary.path, "digest", "f"], in: work.path)
        #expect(result.signal == nil && result.status == 74, "\(result.stderrText)")
        #expect(result.stderrText == "hephaestus: write error on standard output: Bad file descriptor\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: work.path) == ["f"])
    }

    @Test(
        "a reader that went away (closed pipe): the process ends quietly, killed by SIGPIPE as coreutils are, SIGPIPE ignored or not",
        arguments: [false, true])
    func closedPipe(ignoringSIGPIPE: Bool) throws {
        let work = try Self.work()
        let pipe = Pipe()
        try pipe.fileHandleForReading.close()
        let script = (ignoringSIGPIPE ? "trap '' PIPE; " : "") + #"exec "$0" "$@""#
        let result = try ProcessResult.run("/bin/sh", ["-c", script, HephaestusBinary.path, "digest", "f"], in: work.path, stdout: pipe)
        #expect(result.signal == SIGPIPE, "status \(result.status): \(result.stderrText.suffix(300))")
        #expect(result.stderr.isEmpty)
    }

    // MARK: - output files

    @Test("an output that is a FIFO, a symbolic link or a directory is never replaced, even with --overwrite: exit 73, one line")
    func notRegularOutputs() throws {
        let work = try Self.work()
        #expect(mkfifo(work.file("bundle.fifo"), 0o600) == 0)
        let fifo = try HephaestusBinary.run(
            ["sign", "f", "--bundle", "bundle.fifo", "--overwrite", "--identity-token", "not.a.token"], in: work.path,
            environment: ["PATH": "/usr/bin:/bin"])
        #expect(fifo.status == 73, "\(fifo.stderrText)")
        #expect(fifo.stderrText == "hephaestus: bundle.fifo is a FIFO: refusing to write over it (outputs replace regular files only)\n")
        var status = stat()
        #expect(lstat(work.file("bundle.fifo"), &status) == 0 && status.st_mode & S_IFMT == S_IFIFO)

        guard Self.python else { return }
        let script = FakeGitHubServer.projectRoot.appendingPathComponent("fixtures/wheels/make_wheel.py").path
        #expect(try ProcessResult.runTool("python3", [script, work.file("wheels"), "alpha", "1.0"]).status == 0)
        try work.write("elsewhere.tar.gz", "not yours\n")
        try FileManager.default.createSymbolicLink(atPath: work.file("demo-1.0-wheelhouse.tar.gz"), withDestinationPath: "elsewhere.tar.gz")
        let link = try HephaestusBinary.run(["wheelhouse", "pack", "wheels", "--output", "demo-1.0-wheelhouse.tar.gz", "--overwrite"], in: work.path)
        #expect(link.status == 73, "\(link.stderrText)")
        #expect(link.stderrText.contains("demo-1.0-wheelhouse.tar.gz is a symbolic link: refusing to write over it"))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: work.file("demo-1.0-wheelhouse.tar.gz")) == "elsewhere.tar.gz")
        #expect(try String(contentsOfFile: work.file("elsewhere.tar.gz"), encoding: .utf8) == "not yours\n")

        try FileManager.default.createDirectory(atPath: work.file("demo-2.0-wheelhouse.tar.gz.sha256"), withIntermediateDirectories: false)
        let directory = try HephaestusBinary.run(
            ["wheelhouse", "pack", "wheels", "--output", "demo-2.0-wheelhouse.tar.gz", "--overwrite"], in: work.path)
        #expect(directory.status == 73, "\(directory.stderrText)")
        #expect(directory.stderrText.contains("demo-2.0-wheelhouse.tar.gz.sha256 is a directory"))
        #expect(!FileManager.default.fileExists(atPath: work.file("demo-2.0-wheelhouse.tar.gz")), "nothing written: not even the archive")
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: work.path).filter { $0.hasPrefix(".") }.isEmpty, "no temporary file left")
    }

    @Test(
        "pack --sign is all or nothing: without a token nothing is packed, archive and manifest included",
        .enabled(if: python, "python3 is not on PATH: make_wheel.py cannot build test wheels"))
    func packSignWithoutToken() throws {
        let work = try Self.work()
        let script = FakeGitHubServer.projectRoot.appendingPathComponent("fixtures/wheels/make_wheel.py").path
        #expect(try ProcessResult.runTool("python3", [script, work.file("wheels"), "alpha", "1.0"]).status == 0)
        let result = try HephaestusBinary.run(
            ["wheelhouse", "pack", "wheels", "--output", "demo-1.0-wheelhouse.tar.gz", "--sign"], in: work.path,
            environment: ["PATH": "/usr/bin:/bin"])
        #expect(result.status == 78, "\(result.stderrText)")
        #expect(result.stderrText.hasPrefix("hephaestus: no OIDC identity token"), "\(result.stderrText)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: work.path).sorted() == ["f", "wheels"], "no archive, manifest or bundle")
    }

    // MARK: - release verify --json on failure

    @Test(
        "release verify --json reports a failed stage (verdict, stage, code, reason) and --keep-workdir keeps and prints the staging directory",
        .enabled(if: python && ToolLocator.find("tar") != nil, "needs python3 (make_wheel.py) and tar"))
    func releaseVerifyEvidence() throws {
        let factory = try WheelhouseFactory()
        try factory.wheel("alpha-pkg", "1.2.0")
        let archive = try factory.release()
        let workdir = try TemporaryDirectory()
        let pinned = [
            "--require-sigstore", "--sigstore-identity", WheelhouseFactory.identity, "--trusted-root", factory.trustedRoot, "--workdir",
            workdir.path, "--keep-workdir", "--json",
        ]

        // The runbook's recipe, with a manifest that does not match.
        try factory.directory.write("demo-1.0.0-wheelhouse.tar.gz.sha256", String(repeating: "0", count: 64) + "  demo-1.0.0-wheelhouse.tar.gz\n")
        let mismatch = try HephaestusBinary.run(["--log-format", "json", "release", "verify", "--archive", archive] + pinned)
        #expect(mismatch.status == 1, "\(mismatch.stderrText)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(mismatch.stdout)) as? [String: Any], "\(mismatch.stdoutText)")
        #expect(report["mediaType"] as? String == "application/vnd.hephaestus.release-report+json;version=1")
        #expect(report["verdict"] as? String == "fail" && report["failedStage"] as? String == "checksum")
        #expect(report["code"] as? String == "release.checksum-mismatch")
        #expect((report["reason"] as? String)?.hasPrefix("checksum failed: demo-1.0.0-wheelhouse.tar.gz has SHA-256") == true)
        let kept = try #require(report["workdir"] as? String)
        #expect(try FileManager.default.contentsOfDirectory(atPath: workdir.path) == [URL(fileURLWithPath: kept).lastPathComponent])
        #expect(FileManager.default.fileExists(atPath: kept + "/downloads"), "the staging directory is kept for inspection")
        #expect(mismatch.stderrText.contains("staging directory kept: \(kept)"), "\(mismatch.stderrText)")
        #expect(report["runId"] as? String != nil && mismatch.stderrText.contains(report["runId"] as? String ?? "-"))

        // A later stage: the manifest matches, the bundle is gone.
        let digest = try DigestAlgorithm.sha256.hash(fileAt: archive).hex
        try factory.directory.write("demo-1.0.0-wheelhouse.tar.gz.sha256", "\(digest)  demo-1.0.0-wheelhouse.tar.gz\n")
        try FileManager.default.removeItem(atPath: archive + ".sigstore.json")
        let unsigned = try HephaestusBinary.run(["release", "verify", "--archive", archive] + pinned)
        #expect(unsigned.status == 1, "\(unsigned.stderrText)")
        let second = try #require(try JSONSerialization.jsonObject(with: Data(unsigned.stdout)) as? [String: Any], "\(unsigned.stdoutText)")
        #expect(second["verdict"] as? String == "fail" && second["failedStage"] as? String == "sigstore")
        #expect(second["code"] as? String == "release.missing-bundle")
        #expect((second["manifest"] as? [String: Any])?["verdict"] as? String == "pass", "what passed before the failure is reported")
        let keptAgain = try #require(second["workdir"] as? String)
        #expect(unsigned.stderrText.contains("staging directory kept: \(keptAgain)"), "\(unsigned.stderrText)")
        #expect(FileManager.default.fileExists(atPath: keptAgain))

        // Without --json the failure is the one line on stderr and nothing on stdout, as before.
        let text = try HephaestusBinary.run(["release", "verify", "--archive", archive] + pinned.dropLast(2))
        #expect(text.status == 1 && text.stdout.isEmpty)
    }
}
