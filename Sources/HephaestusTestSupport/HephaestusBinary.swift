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
}
