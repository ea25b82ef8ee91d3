import Foundation

/// What a finished child process left: exit status and captured output.
public struct ProcessResult: Sendable {
    /// The exit status, or the number of the signal that ended the process (see ``signal``).
    public let status: Int32
    /// The signal that ended the process (`SIGPIPE`, …); nil when it exited.
    public let signal: Int32?
    public let stdout: [UInt8]
    public let stderr: [UInt8]

    public init(status: Int32, signal: Int32? = nil, stdout: [UInt8], stderr: [UInt8] = []) {
        self.status = status
        self.signal = signal
        self.stdout = stdout
        self.stderr = stderr
    }

    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    public var stderrText: String { String(decoding: stderr, as: UTF8.self) }

    /// Runs `executable` with `arguments` to completion. Output is captured through files, not pipes, so large
    /// outputs cannot deadlock the child. `stdout` replaces the captured standard output (a `FileHandle` on
    /// `/dev/full`, a `Pipe` whose reader is gone): `stdout` of the result is then empty.
    public static func run(
        _ executable: String, _ arguments: [String], in directory: String? = nil,
        environment: [String: String]? = nil, stdin: [UInt8]? = nil, stdout: Any? = nil
    ) throws -> ProcessResult {
        let scratch = try TemporaryDirectory(prefix: "hephaestus-process")
        let outPath = scratch.file("stdout")
        let errPath = scratch.file("stderr")
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        if let environment { process.environment = environment }
        let outHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        let errHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        process.standardOutput = stdout ?? outHandle
        process.standardError = errHandle
        if let stdin {
            let inPath = try scratch.write("stdin", stdin)
            process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: inPath))
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        try process.run()
        process.waitUntilExit()
        try outHandle.close()
        try errHandle.close()
        return ProcessResult(
            status: process.terminationStatus, signal: process.terminationReason == .uncaughtSignal ? process.terminationStatus : nil,
            stdout: Array(try Data(contentsOf: URL(fileURLWithPath: outPath))),
            stderr: Array(try Data(contentsOf: URL(fileURLWithPath: errPath))))
    }

    /// Runs `executable` with arguments given as bytes, which need not be UTF-8 (file names): Foundation's `Process`
    /// passes arguments as UTF-8 only, so `/bin/sh` rebuilds each one from `printf` octal escapes and execs the program.
    /// (An argument's trailing newlines are lost, as with any command substitution.)
    public static func run(_ executable: String, byteArguments: [[UInt8]], in directory: String? = nil) throws -> ProcessResult {
        let words = byteArguments.map { bytes in
            let escapes = bytes.map { byte in
                let octal = String(byte, radix: 8)
                return "\\" + String(repeating: "0", count: 3 - octal.count) + octal
            }
            return "\"$(printf '" + escapes.joined() + "')\""
        }
        return try run("/bin/sh", ["-c", "exec \"$0\" " + words.joined(separator: " "), executable], in: directory)
    }

    /// Runs a program found on PATH.
    public static func runTool(
        _ name: String, _ arguments: [String], in directory: String? = nil, stdin: [UInt8]? = nil
    ) throws -> ProcessResult {
        guard let path = ToolLocator.find(name) else { throw ToolLocator.Missing(name: name) }
        return try run(path, arguments, in: directory, stdin: stdin)
    }
}

/// Finds programs on PATH.
public enum ToolLocator {
    public struct Missing: Error, CustomStringConvertible {
        public let name: String
        public var description: String { "\(name) is not on PATH" }
    }

    public static func find(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
