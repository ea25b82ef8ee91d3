import Foundation
import Glibc
import HephaestusCore
import HephaestusPlatform
import HephaestusTestSupport
import HephaestusToolkit
import Synchronization
import Testing

@Suite("cleanup: plans, removes exactly the plan, refuses hostile targets")
struct CleanupOperationTests {
    /// A Python project with every kind of artefact, and what must survive around them.
    static func project() throws -> (TemporaryDirectory, String) {
        let directory = try TemporaryDirectory(prefix: "cleanup")
        let root = directory.file("project")
        try makeDirectory(root + "/.git/objects")
        try put(root + "/.git/hooks/__pycache__/hook.pyc", "git's own")
        try put(root + "/pkg/__init__.py", "source")
        try put(root + "/pkg/__pycache__/__init__.cpython-312.pyc", String(repeating: "p", count: 1000))
        try put(root + "/pkg/sub/__pycache__/m.cpython-312.pyc", String(repeating: "q", count: 333))
        try put(root + "/pkg/stray.pyc", "stray")
        try put(root + "/pkg/old.pyo", "old")
        try put(root + "/build/lib/pkg/__init__.py", String(repeating: "b", count: 4096))
        try put(root + "/dist/pkg-1.0-py3-none-any.whl", String(repeating: "w", count: 2048))
        try put(root + "/src/pkg.egg-info/PKG-INFO", "Metadata-Version: 2.1")
        try put(root + "/.pytest_cache/v/cache/lastfailed", "{}")
        try put(root + "/.mypy_cache/3.12/x.json", "{}")
        try put(root + "/.ruff_cache/0.14/y", "r")
        try put(root + "/.coverage", "coverage data")
        try put(root + "/.coverage.host.1234.567", "parallel")
        try put(root + "/.coveragerc", "[run]\nbranch = true\n")
        try put(root + "/htmlcov/index.html", "<html>")
        try put(root + "/.tox/py312/log", "tox")
        try put(root + "/.nox/tests/log", "nox")
        try put(root + "/.hephaestus-tmp-a1B2c3", "staging")
        // Protected: a virtualenv inside the root, site-packages outside a venv, a file named like a cache directory.
        try put(root + "/.venv/pyvenv.cfg", "home = /usr/bin")
        try put(root + "/.venv/lib/python3.12/site-packages/dep/__pycache__/d.pyc", "dep")
        try put(root + "/vendor/site-packages/lib/__pycache__/v.pyc", "vendored")
        try put(root + "/docs/build", "a file named build")
        try put(root + "/docs/__pycache__", "a file named __pycache__")
        try symlink("/usr", at: root + "/dist-link")
        return (directory, root)
    }

    static let expectedTargets: Set<String> = [
        "pkg/__pycache__", "pkg/sub/__pycache__", "pkg/stray.pyc", "pkg/old.pyo", "build", "dist", "src/pkg.egg-info", ".pytest_cache",
        ".mypy_cache", ".ruff_cache", ".coverage", ".coverage.host.1234.567", "htmlcov", ".tox", ".nox", ".hephaestus-tmp-a1B2c3",
    ]

    static func relative(_ report: CleanupReport) -> Set<String> {
        Set(report.targets.map { String($0.path.dropFirst(report.root.count + 1)) })
    }

    @Test("The dry run lists exactly what the real run removes, and the real run removes nothing else")
    func dryRunEqualsRealRun() async throws {
        let (directory, root) = try Self.project()
        _ = directory
        let before = treeSnapshot(root)
        let dry = try await CleanupOperation.run(CleanupOperation.Request(root: root, dryRun: true), in: toolkitContext())
        #expect(treeSnapshot(root) == before, "a dry run changed the tree")
        #expect(Self.relative(dry) == Self.expectedTargets)
        let real = try await CleanupOperation.run(CleanupOperation.Request(root: root), in: toolkitContext())
        #expect(real.targets == dry.targets)
        #expect(real.failure == nil)
        let after = treeSnapshot(root)
        let gone = Set(before.keys).subtracting(after.keys)
        let expectedGone = Set(before.keys.filter { path in Self.expectedTargets.contains { path == $0 || path.hasPrefix($0 + "/") } })
        #expect(gone == expectedGone)
        // Nothing outside the plan changed (added, removed or resized).
        for (path, kind) in after { #expect(before[path] == kind, "\(path) changed") }
        #expect(after[".coveragerc"] != nil && after[".venv/lib/python3.12/site-packages/dep/__pycache__/d.pyc"] != nil)
        #expect(after[".git/hooks/__pycache__/hook.pyc"] != nil && after["vendor/site-packages/lib/__pycache__/v.pyc"] != nil)
        #expect(after["docs/build"] == "file:18" && after["dist-link"] == "link:/usr")
    }

    @Test("The audit manifest lists every removed entry; its total equals the bytes that left the disk")
    func manifestTotals() async throws {
        let (directory, root) = try Self.project()
        let before = treeSnapshot(root)
        let manifest = directory.file("audit.json")
        let report = try await CleanupOperation.run(CleanupOperation.Request(root: root, auditManifest: manifest), in: toolkitContext())
        let after = treeSnapshot(root)
        let removedBytes = before.filter { after[$0.key] == nil }.compactMap { entry -> Int64? in
            entry.value.hasPrefix("file:") ? Int64(entry.value.dropFirst(5)) : nil
        }.reduce(0, +)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: manifest))) as! [String: Any]
        let entries = json["entries"] as! [[String: Any]]
        let totals = json["totals"] as! [String: Any]
        #expect(json["runId"] as? String == report.runId)
        #expect((totals["bytes"] as! NSNumber).int64Value == removedBytes)
        #expect(entries.map { ($0["size"] as! NSNumber).int64Value }.reduce(0, +) == removedBytes)
        #expect(report.removed?.bytes == removedBytes && report.planned.bytes == removedBytes)
        let listed = Set(entries.map { String(($0["path"] as! String).dropFirst(report.root.count + 1)) })
        #expect(listed == Set(before.keys).subtracting(after.keys))
        #expect(entries.allSatisfy { ["file", "directory", "symlink"].contains($0["type"] as! String) })
        // An existing manifest is never replaced, and nothing is removed when it would be.
        try put(root + "/build/again.txt")
        await #expect(throws: FileError.alreadyExists(path: manifest)) {
            try await CleanupOperation.run(CleanupOperation.Request(root: root, auditManifest: manifest), in: toolkitContext())
        }
        #expect(FileManager.default.fileExists(atPath: root + "/build/again.txt"))
    }

    /// A hostile request, and the error code it must end with; nothing may be removed.
    struct Hostile: CustomTestStringConvertible, Sendable {
        let name: String
        let code: CleanupError.Code
        /// (project root, scratch directory) → request.
        let request: @Sendable (String, String) throws -> CleanupOperation.Request
        var testDescription: String { name }
    }

    static let blocklisted = [
        "/", "/usr", "/etc", "/var", "/boot", "/opt", "/bin", "/sbin", "/lib", "/lib64", "/proc", "/sys", "/dev", "/root", "/srv", "/tmp", "/home",
        "/usr/local", "/usr/lib/python3",
    ]

    static let hostile: [Hostile] =
        blocklisted.map { path in
            Hostile(name: "extra path \(path)", code: .dangerousTarget) { root, _ in
                CleanupOperation.Request(root: root, extraPaths: [path], allowOutsideRoot: true, yes: true)
            }
        }
        + blocklisted.map { path in
            Hostile(name: "symlink to \(path)", code: .dangerousTarget) { root, _ in
                try symlink(path, at: root + "/link")
                return CleanupOperation.Request(root: root, extraPaths: [root + "/link"], allowOutsideRoot: true, yes: true)
            }
        }
        + blocklisted.map { path in
            Hostile(name: "root \(path)", code: .dangerousTarget) { _, _ in CleanupOperation.Request(root: path) }
        } + [
            Hostile(name: "`..` climbing to /usr", code: .dangerousTarget) { root, _ in
                CleanupOperation.Request(root: root, extraPaths: [root + "/pkg/../../../../../../../../usr"], allowOutsideRoot: true, yes: true)
            },
            Hostile(name: "`..` climbing to /", code: .dangerousTarget) { root, _ in
                CleanupOperation.Request(root: root + "/pkg/../../../../../../../../..")
            },
            Hostile(name: "the home directory", code: .dangerousTarget) { root, _ in
                CleanupOperation.Request(root: root, extraPaths: ["/root/."], allowOutsideRoot: true, yes: true)
            },
            Hostile(name: "a root that is a symlink to /etc", code: .dangerousTarget) { _, scratch in
                try symlink("/etc", at: scratch + "/etc-root")
                return CleanupOperation.Request(root: scratch + "/etc-root")
            },
            Hostile(name: "the root itself", code: .dangerousTarget) { root, _ in
                CleanupOperation.Request(root: root, extraPaths: [root + "/."])
            },
            Hostile(name: "the parent of the root", code: .dangerousTarget) { root, _ in
                CleanupOperation.Request(root: root, extraPaths: [root + "/.."], allowOutsideRoot: true, yes: true)
            },
            Hostile(name: "empty extra path", code: .emptyPath) { root, _ in CleanupOperation.Request(root: root, extraPaths: [""]) },
            Hostile(name: "whitespace extra path", code: .emptyPath) { root, _ in CleanupOperation.Request(root: root, extraPaths: [" \t\n"]) },
            Hostile(name: "whitespace root", code: .emptyPath) { _, _ in CleanupOperation.Request(root: "   ") },
            Hostile(name: "a virtualenv", code: .protectedTarget) { root, _ in CleanupOperation.Request(root: root, extraPaths: [root + "/.venv"]) },
            Hostile(name: "inside a virtualenv", code: .protectedTarget) { root, _ in
                CleanupOperation.Request(root: root, extraPaths: [root + "/.venv/lib/python3.12/site-packages/dep/__pycache__"])
            },
            Hostile(name: "a directory holding a virtualenv", code: .protectedTarget) { root, _ in
                try put(root + "/tools/env/pyvenv.cfg", "home = /usr/bin")
                return CleanupOperation.Request(root: root, extraPaths: [root + "/tools"])
            },
            Hostile(name: ".git", code: .protectedTarget) { root, _ in CleanupOperation.Request(root: root, extraPaths: [root + "/.git"]) },
            Hostile(name: "site-packages", code: .protectedTarget) { root, _ in
                CleanupOperation.Request(root: root, extraPaths: [root + "/vendor/site-packages"])
            },
            Hostile(name: "a symlink into .git", code: .protectedTarget) { root, _ in
                try symlink(root + "/.git/objects", at: root + "/objects")
                return CleanupOperation.Request(root: root, extraPaths: [root + "/objects"])
            },
            Hostile(name: "a root inside a virtualenv", code: .protectedTarget) { root, _ in CleanupOperation.Request(root: root + "/.venv/lib") },
            Hostile(name: "outside the root without --allow-outside-root", code: .outsideRoot) { root, scratch in
                try put(scratch + "/elsewhere/file")
                return CleanupOperation.Request(root: root, extraPaths: [scratch + "/elsewhere"])
            },
            Hostile(name: "outside the root, no terminal, no --yes", code: .notConfirmed) { root, scratch in
                try put(scratch + "/elsewhere/file")
                return CleanupOperation.Request(root: root, extraPaths: [scratch + "/elsewhere"], allowOutsideRoot: true)
            },
        ]

    @Test("Hostile targets are refused with their code, and nothing is removed", arguments: hostile)
    func hostileTargets(_ hostile: Hostile) async throws {
        let (directory, root) = try Self.project()
        let request = try hostile.request(root, directory.path)
        let before = treeSnapshot(directory.path)
        await #expect {
            try await CleanupOperation.run(request, in: toolkitContext())
        } throws: { error in
            (error as? CleanupError)?.errorCode == hostile.code
        }
        #expect(treeSnapshot(directory.path) == before)
    }

    @Test("A root reached through a symbolic link is cleaned at its real path; the link stays")
    func symlinkedRoot() async throws {
        let (directory, root) = try Self.project()
        try symlink(root, at: directory.file("alias"))
        let report = try await CleanupOperation.run(CleanupOperation.Request(root: directory.file("alias")), in: toolkitContext())
        #expect(report.root == CleanupSafety.resolve(root))
        #expect(Self.relative(report) == Self.expectedTargets)
        #expect(!FileManager.default.fileExists(atPath: root + "/build"))
        #expect(treeSnapshot(directory.file("alias")) == ["": "link:\(root)"])
    }

    @Test("Outside the root: removed when the typed path matches, refused when it does not, logged with --yes")
    func outsideRootConfirmation() async throws {
        let (directory, root) = try Self.project()
        try put(directory.file("elsewhere/a.txt"), "12345")
        let elsewhere = CleanupSafety.resolve(directory.file("elsewhere"))!
        let request = CleanupOperation.Request(root: root, dryRun: false, extraPaths: [elsewhere], allowOutsideRoot: true)
        await #expect(throws: CleanupError.self) {
            try await CleanupOperation.run(request, in: toolkitContext(confirmation: GivenConfirmation(elsewhere + "x")))
        }
        #expect(FileManager.default.fileExists(atPath: elsewhere + "/a.txt"))
        let report = try await CleanupOperation.run(request, in: toolkitContext(confirmation: GivenConfirmation(elsewhere)))
        #expect(report.targets.contains { $0.path == elsewhere && $0.reason == "extra-path" && $0.bytes == 5 })
        #expect(!FileManager.default.fileExists(atPath: elsewhere))
    }

    @Test("[cleanup] include and exclude patterns of hephaestus.toml apply; an extra path inside the root goes whole")
    func configuredPatterns() async throws {
        let (directory, root) = try Self.project()
        _ = directory
        try put(root + "/hephaestus.toml", "[cleanup]\ninclude = [\"*.log\", \"docs/_build/\"]\nexclude = [\"dist/\", \"pkg/sub\"]\n")
        try put(root + "/run.log", "log")
        try put(root + "/docs/_build/html/index.html", "html")
        let report = try await CleanupOperation.run(
            CleanupOperation.Request(root: root, dryRun: true, extraPaths: [root + "/pkg"]), in: toolkitContext())
        let targets = Self.relative(report)
        #expect(targets.contains("run.log") && targets.contains("docs/_build") && targets.contains("pkg"))
        #expect(!targets.contains("dist") && !targets.contains("pkg/__pycache__") && !targets.contains("pkg/sub/__pycache__"))
    }

    /// Who swaps, in a tight loop until stopped: a planned directory ⇄ a symbolic link to the canary.
    final class Swapper: Sendable {
        private let stop = Atomic<Bool>(false)
        private let finished = Atomic<Bool>(false)
        let swaps = Atomic<Int>(0)
        private let directory: String
        private let canary: String

        init(directory: String, canary: String) {
            self.directory = directory
            self.canary = canary
            Thread { self.loop() }.start()
        }

        private func loop() {
            let away = (directory as NSString).deletingLastPathComponent + "/.swapped-away"
            while !stop.load(ordering: .acquiring) {
                if rename(directory, away) == 0 {
                    if Glibc.symlink(canary, directory) == 0 {
                        swaps.add(1, ordering: .relaxed)
                        sched_yield()
                        unlink(directory)
                    }
                    rename(away, directory)
                }
                sched_yield()
            }
            finished.store(true, ordering: .releasing)
        }

        func finish() {
            stop.store(true, ordering: .releasing)
            while !finished.load(ordering: .acquiring) { sched_yield() }
        }
    }

    /// Where the swapped directory sits: a target's subdirectory, or a directory on the way to a target.
    @Test(
        "A directory swapped for a symlink to a canary during the run never redirects removal: 200 races, canary intact",
        arguments: ["build/lib", "pkg"])
    func racingSwap(swapped: String) async throws {
        let directory = try TemporaryDirectory(prefix: "cleanup-race")
        let canary = directory.file("canary")
        for index in 0..<40 { try put(canary + "/__pycache__/c\(index).pyc", "canary \(index)") }
        for index in 0..<40 { try put(canary + "/f\(index).py", "canary \(index)") }
        let canaryBefore = treeSnapshot(canary)
        var interfered = 0
        var swaps = 0
        for repetition in 0..<200 {
            let root = directory.file("project-\(repetition)")
            try makeDirectory(root + "/.git")
            for index in 0..<40 {
                try put(root + "/pkg/__pycache__/c\(index).pyc", "planned \(index)")
                try put(root + "/build/lib/f\(index).py", "planned \(index)")
            }
            let swapper = Swapper(directory: root + "/" + swapped, canary: canary)
            let report = try await CleanupOperation.run(CleanupOperation.Request(root: root), in: toolkitContext())
            swapper.finish()
            swaps += swapper.swaps.load(ordering: .relaxed)
            if !report.leftInPlace.isEmpty { interfered += 1 }
            #expect(treeSnapshot(canary) == canaryBefore, "repetition \(repetition): the canary was touched")
            #expect(report.failed.isEmpty)
            NativePath.removeTree(root)
        }
        #expect(swaps > 0, "the swapper never swapped")
        #expect(interfered > 0, "no run met a swapped directory: the race was not exercised")
        print("cleanup race (\(swapped)): 200 runs, \(swaps) swaps, \(interfered) runs left swapped entries in place, canary intact")
    }
}
