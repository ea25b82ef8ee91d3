import Foundation

/// A git repository scripted for the analytics tests: 50 commits by four authors over Python, Swift, Markdown and
/// generated text files, with renames (a file renamed twice, a directory rename, a rename across directories), a
/// deleted file, two commits of more than 30 files, and pairs of files that change together. Deterministic: the same
/// commits (content, authors, dates) every time.
public struct AnalyticsFixtureRepository: Sendable {
    public let root: String
    /// The renames in commit order: (old path, new path).
    public let renames: [(old: String, new: String)]
    /// Every path that ever existed.
    public let everyPath: Set<String>

    public static let authors = ["Ada Lovelace", "Brian Kernighan", "Chen Wei", "Dana Scully"]

    /// The path a file has at HEAD, following `renames`.
    public func finalName(of path: String) -> String {
        var name = path
        for rename in renames where rename.old == name { name = rename.new }
        return name
    }

    /// Paths that were never renamed, neither from nor to.
    public var neverRenamed: Set<String> {
        everyPath.subtracting(renames.flatMap { [$0.old, $0.new] })
    }

    /// Runs git in the repository; throws with git's stderr when it fails.
    @discardableResult
    public func git(_ arguments: [String], date: String? = nil, author: String? = nil) throws -> String {
        try Self.git(arguments, in: root, date: date, author: author)
    }

    static func git(_ arguments: [String], in directory: String, date: String? = nil, author: String? = nil) throws -> String {
        var environment = ProcessInfo.processInfo.environment
        let name = author ?? authors[0]
        let email = name.lowercased().replacingOccurrences(of: " ", with: ".") + "@example.org"
        for role in ["AUTHOR", "COMMITTER"] {
            environment["GIT_\(role)_NAME"] = name
            environment["GIT_\(role)_EMAIL"] = email
            if let date { environment["GIT_\(role)_DATE"] = date }
        }
        environment["GIT_CONFIG_NOSYSTEM"] = "1"
        environment["HOME"] = directory
        let result = try ProcessResult.run(
            "/usr/bin/git", ["-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main"] + arguments, in: directory, environment: environment)
        guard result.status == 0 else {
            throw FixtureError(description: "git \(arguments.joined(separator: " ")): \(result.stderrText)")
        }
        return result.stdoutText
    }

    public struct FixtureError: Error, CustomStringConvertible {
        public let description: String

        public init(description: String) {
            self.description = description
        }
    }

    /// Creates the repository in `directory`/repo.
    public static func create(in directory: TemporaryDirectory) throws -> AnalyticsFixtureRepository {
        let root = directory.file("repo")
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        _ = try git(["init", "-q"], in: root)
        var script = Script(root: root)
        try script.run()
        return AnalyticsFixtureRepository(root: root, renames: script.renames, everyPath: script.everyPath)
    }

    /// The commits, one by one.
    private struct Script {
        let root: String
        var renames: [(old: String, new: String)] = []
        var everyPath: Set<String> = []
        var random = SplitMix(seed: 20)
        var day = 0

        init(root: String) {
            self.root = root
        }

        mutating func write(_ path: String, _ text: String) throws {
            let full = root + "/" + path
            try FileManager.default.createDirectory(
                atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: full, atomically: false, encoding: .utf8)
            everyPath.insert(path)
        }

        func read(_ path: String) throws -> String { try String(contentsOfFile: root + "/" + path, encoding: .utf8) }

        /// Appends a Python function with a few branches (step `n`).
        mutating func growPython(_ path: String, _ n: Int) throws {
            let extra = n % 3 == 0 ? "        if y and x or not y:\n            y = [v for v in range(x) if v % 2]\n" : ""
            try write(
                path,
                try read(path)
                    + "\n\ndef step_\(n)(x, y=None):\n    \"\"\"Step \(n): if this were code, it would branch.\"\"\"\n    if x > \(n):\n        return x  # or not\n"
                    + "    for i in range(x):\n\(extra.isEmpty ? "        pass\n" : extra)    return -x\n")
        }

        /// Rewrites a line of a file (a deletion and an addition).
        mutating func touch(_ path: String, _ n: Int) throws {
            var lines = try read(path).components(separatedBy: "\n")
            let index = Int(random.next() % UInt64(max(1, lines.count - 1)))
            let indent = lines[index].prefix { $0 == " " }
            lines[index] = indent + (path.hasSuffix(".py") ? "pass  # revised \(n)" : "// revised \(n)")
            if path.hasSuffix(".md") || path.hasSuffix(".txt") { lines[index] = "revised \(n)" }
            try write(path, lines.joined(separator: "\n"))
        }

        mutating func commit(_ message: String, author: Int) throws {
            day += 1
            let date = String(format: "2025-%02d-%02dT12:00:00+00:00", 1 + (day - 1) / 28, 1 + (day - 1) % 28)
            _ = try AnalyticsFixtureRepository.git(["add", "-A"], in: root)
            _ = try AnalyticsFixtureRepository.git(
                ["commit", "-q", "-m", message], in: root, date: date, author: AnalyticsFixtureRepository.authors[author % 4])
        }

        mutating func move(_ old: String, _ new: String) throws {
            try FileManager.default.createDirectory(
                atPath: (root + "/" + new as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            _ = try AnalyticsFixtureRepository.git(["mv", old, new], in: root)
            renames.append((old, new))
            everyPath.insert(new)
        }

        mutating func run() throws {
            try write("src/app/verify.py", AnalyticsFixtureSources.verify)
            try write("src/app/signing.py", AnalyticsFixtureSources.signing)
            try write("src/app/util.py", "\"\"\"Utilities.\"\"\"\n\n\ndef identity(x):\n    return x\n")
            try write("src/app/models.py", "class Model:\n    def __init__(self):\n        self.x = 1\n")
            try write("src/app/cli.py", "import sys\n\n\ndef main(argv):\n    if not argv:\n        return 1\n    return 0\n")
            try write("src/app/legacy.py", "def old():\n    return None\n")
            try write("pkg/__init__.py", "")
            try write("pkg/calc.py", AnalyticsFixtureSources.calc)
            try write("pkg/shapes.py", AnalyticsFixtureSources.shapes)
            try write("Sources/Tool/Main.swift", AnalyticsFixtureSources.swiftMain)
            try write("Sources/Tool/Parser.swift", AnalyticsFixtureSources.swiftParser)
            try write("docs/guide.md", (1...30).map { "Guide line \($0)." }.joined(separator: "\n") + "\n")
            try write("README.md", "# Fixture\n\nA repository for the analytics tests.\n")
            for index in 0..<34 {
                try write(String(format: "gen/file%02d.txt", index), (0..<8).map { "generated \(index) line \($0)" }.joined(separator: "\n") + "\n")
            }
            try commit("initial import", author: 0)
            for n in 1...48 {
                if n % 2 == 0 {
                    try growPython("src/app/verify.py", n)
                    try touch("src/app/signing.py", n)
                }
                if n % 3 == 0 {
                    try touch("src/app/models.py", n)
                    try growPython("src/app/cli.py", n)
                }
                if n % 5 == 0 { try growPython(currentUtil(n), n) }
                if n % 4 == 1 { try touch("Sources/Tool/Main.swift", n) }
                if n % 7 == 3 { try touch(n > 32 ? "Sources/Tool/ArgumentParser.swift" : "Sources/Tool/Parser.swift", n) }
                if n % 6 == 2 { try touch(n > 20 ? "manual/guide.md" : "docs/guide.md", n) }
                if n % 9 == 4 { try growPython("pkg/calc.py", n) }
                if n % 11 == 0 { try touch("README.md", n) }
                switch n {
                case 11: try move("src/app/util.py", "src/app/helpers.py")
                case 21: try move("docs/guide.md", "manual/guide.md")
                case 25: _ = try AnalyticsFixtureRepository.git(["rm", "-q", "src/app/legacy.py"], in: root)
                case 32: try move("Sources/Tool/Parser.swift", "Sources/Tool/ArgumentParser.swift")
                case 36: try move("src/app/helpers.py", "lib/tools.py")
                case 40:
                    for index in 0..<34 { try touch(String(format: "gen/file%02d.txt", index), n) }
                default: break
                }
                if try AnalyticsFixtureRepository.git(["status", "--porcelain"], in: root).isEmpty { try touch("README.md", n) }
                try commit("change \(n)", author: Int(random.next() % 4))
            }
        }

        func currentUtil(_ n: Int) -> String {
            n < 11 ? "src/app/util.py" : (n < 36 ? "src/app/helpers.py" : "lib/tools.py")
        }
    }
}

/// The fixture repository of the analytics tests, made once per test process, with a directory for their other files.
public final class AnalyticsFixture: Sendable {
    public let directory: TemporaryDirectory
    public let repository: AnalyticsFixtureRepository

    private init() throws {
        directory = try TemporaryDirectory()
        repository = try AnalyticsFixtureRepository.create(in: directory)
    }

    /// The fixture (or why it could not be made).
    public static let shared = Result { try AnalyticsFixture() }
}

/// A deterministic pseudo-random generator (SplitMix64).
struct SplitMix {
    var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Sources of the fixture repository, with the constructs the function counters must get right.
public enum AnalyticsFixtureSources {
    public static let verify = #"""
        """Verification: nested functions, methods, decorators, async, strings that look like code."""
        import functools


        def decorator(fn):
            @functools.wraps(fn)
            def wrapper(*args, **kwargs):
                if args and kwargs:
                    return fn(*args, **kwargs)
                return fn(*args)
            return wrapper


        class Verifier:
            """def not_a_function(): if this counted, it would be wrong"""

            def __init__(self, policy):
                self.policy = policy or {}

            @decorator
            def verify(self, bundle, identity=None):
                text = "if and or while for"  # a string, not conditions
                try:
                    for entry in bundle:
                        while entry.pending():
                            entry.advance()
                except ValueError:
                    return False
                except (KeyError, TypeError) as error:
                    raise RuntimeError(str(error))
                finally:
                    self.closed = True
                return identity is None or identity in self.policy and text

            async def fetch(self, url):
                result = await self.client.get(url) if url else None
                return [r for r in result or [] if r]


        def checks(values):
            total = 0
            for value in values:
                if value > 10:
                    total += value
                elif value < 0:
                    total -= value
                else:
                    total = total
            key = lambda v: v if v else 0
            return sorted(values, key=key)
        """#

    public static let signing = #"""
        def sign(payload, key):
            if not key:
                raise ValueError("no key")
            return payload + key


        def digest(payload):
            return len(payload)


        def canonical(payload):
            return payload.strip()
        """#

    public static let calc = #"""
        def add(a, b):
            return a + b


        def divide(a, b):
            if b == 0:
                raise ZeroDivisionError("b is zero")
            return a / b


        def unused(x):
            total = 0
            for i in range(x):
                total += i
            return total
        """#

    public static let shapes = #"""
        class Square:
            def __init__(self, side):
                self.side = side

            def area(self):
                return self.side * self.side

            def describe(self):
                if self.side > 10:
                    return "large"
                return "small"


        def never_called():
            return Square(1).describe()
        """#

    public static let swiftMain = #"""
        import Foundation

        struct Tool {
            let name: String

            init(name: String) {
                self.name = name
            }

            func run() -> Int {
                let text = "func notAFunction() { }"  // func in a string
                /* func commented() {} /* nested */ */
                if name.isEmpty { return 1 }
                return text.count
            }

            subscript(index: Int) -> Character {
                Array(name)[index]
            }
        }

        final class Runner {
            deinit {}

            func start(_ tool: Tool) -> Int {
                let copy = Tool.init(name: "\(tool.name) copy")
                return copy.run()
            }
        }
        """#

    public static let swiftParser = #"""
        enum Parser {
            static func parse(_ arguments: [String]) -> [String: String] {
                var result: [String: String] = [:]
                for argument in arguments where argument.hasPrefix("--") {
                    result[String(argument.dropFirst(2))] = ""
                }
                return result
            }

            static func usage() -> String {
                #"usage: tool [--flag] "quoted" func"#
            }
        }
        """#
}
