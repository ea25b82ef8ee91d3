import Foundation

/// The `hephaestus` executable the CLI suites run: the one `HEPHAESTUS_BINARY` names (the test job points it at the
/// release binary with the Swift runtime linked statically, built as the README's demo command builds it — the binary
/// users run), else the one next to the test bundle in the build directory.
public enum HephaestusBinary {
    /// The variable naming the binary under test.
    public static let environmentVariable = "HEPHAESTUS_BINARY"

    public static let path: String = {
        if let given = ProcessInfo.processInfo.environment[environmentVariable], !given.isEmpty { return given }
        return builtAlongsideTests
    }()

    /// `hephaestus-server` beside ``path`` (what `hephaestus serve` runs): the scripts build both into one directory.
    public static var serverPath: String {
        URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("hephaestus-server").path
    }

    /// Whether the suites run the binary `HEPHAESTUS_BINARY` names rather than the test build's own.
    public static var isExplicit: Bool { !(ProcessInfo.processInfo.environment[environmentVariable] ?? "").isEmpty }

    private static var builtAlongsideTests: String {
        let testExecutable =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        var directory = URL(fileURLWithPath: testExecutable).deletingLastPathComponent()
        // The test runner may live inside an .xctest bundle directory.
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent("hephaestus").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory.deleteLastPathComponent()
        }
        return "hephaestus"
    }

    /// Runs `hephaestus ARGUMENTS` in `directory` (`stdout`: see ``ProcessResult/run(_:_:in:environment:stdin:stdout:)``).
    /// A `--json` run's output is recorded for the schema validation of the test job (``JSONReportRecorder``).
    public static func run(
        _ arguments: [String], in directory: String? = nil, environment: [String: String]? = nil,
        stdin: [UInt8]? = nil, stdout: Any? = nil, caller: String = #fileID, line: Int = #line
    ) throws -> ProcessResult {
        let result = try ProcessResult.run(path, arguments, in: directory, environment: environment, stdin: stdin, stdout: stdout)
        if stdout == nil { JSONReportRecorder.record(arguments: arguments, result: result, caller: "\(caller):\(line)") }
        return result
    }

    /// Runs `hephaestus ARGUMENTS` with arguments given as bytes (file names that are not UTF-8).
    public static func run(byteArguments: [[UInt8]], in directory: String? = nil) throws -> ProcessResult {
        try ProcessResult.run(path, byteArguments: byteArguments, in: directory)
    }

    /// Runs `hephaestus ARGUMENTS` with a pseudo-terminal as its stdin, stdout and stderr (util-linux `script`), as a
    /// user at a terminal would; the result's stdout is everything written to the terminal (both streams).
    public static func runInTerminal(
        _ arguments: [String], in directory: String? = nil, environment: [String: String]? = nil
    ) throws -> ProcessResult {
        guard let script = ToolLocator.find("script") else { throw ToolLocator.Missing(name: "script (util-linux)") }
        let command = ([path] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        return try ProcessResult.run(script, ["-qec", command, "/dev/null"], in: directory, environment: environment)
    }
}
