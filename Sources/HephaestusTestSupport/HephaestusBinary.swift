import Foundation

/// The built `hephaestus` executable, next to the test bundle in the build directory.
public enum HephaestusBinary {
    public static var path: String {
        let testExecutable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
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

    /// Runs `hephaestus ARGUMENTS` in `directory`.
    public static func run(
        _ arguments: [String], in directory: String? = nil, environment: [String: String]? = nil,
        stdin: [UInt8]? = nil
    ) throws -> ProcessResult {
        try ProcessResult.run(path, arguments, in: directory, environment: environment, stdin: stdin)
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
