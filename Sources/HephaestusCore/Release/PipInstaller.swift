import Foundation
import HephaestusPlatform

/// Installs checked wheels with the real `pip`, from the staging wheelhouse only (`--no-index --find-links`).
public struct PipInstaller: Sendable {
    public enum Target: Sendable, Equatable {
        /// A virtual environment, created with `python -m venv` when missing.
        case venv(String)
        /// An explicit interpreter, which may be a system Python (the user asked for it by name).
        case python(String)
    }

    public let target: Target
    public let pipArguments: [String]
    /// The interpreter that creates missing venvs.
    public let basePython: String
    /// The environment programs are found in (`PATH`) and run with (the operation context's, never read here from
    /// the process).
    public let environment: [String: String]
    public let log: @Sendable (String) -> Void

    public init(
        target: Target, pipArguments: [String] = [], basePython: String = "python3", environment: [String: String],
        log: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.target = target
        self.pipArguments = pipArguments
        self.basePython = basePython
        self.environment = environment
        self.log = log
    }

    /// The interpreter pip runs under.
    var interpreter: String {
        switch target {
        case .venv(let directory): directory + "/bin/python"
        case .python(let path): path
        }
    }

    /// Installs `wheels` (paths inside `wheelhouse`); returns `name==version` for what pip installed or, with
    /// `dryRun`, would install. A venv created by this call is removed again if pip fails.
    public func install(wheels: [String], wheelhouse: String, dryRun: Bool) throws -> [String] {
        var createdVenv = false
        if case .venv(let directory) = target, !FileManager.default.fileExists(atPath: directory + "/bin/python") {
            guard !dryRun else { return try plan(wheels: wheels, wheelhouse: wheelhouse, python: basePython) }
            guard
                !FileManager.default.fileExists(atPath: directory)
                    || ((try? FileManager.default.contentsOfDirectory(atPath: directory))?.isEmpty ?? false)
            else {
                throw ReleaseCheckError.environment("--venv \(directory) exists but is not a virtual environment")
            }
            let result = try run(basePython, ["-m", "venv", directory])
            for line in result.output.split(separator: "\n") { log(String(line)) }
            guard result.status == 0 else {
                try? FileManager.default.removeItem(atPath: directory)
                throw ReleaseCheckError.environment("python -m venv \(directory) failed: \(result.output.split(separator: "\n").last ?? "")")
            }
            createdVenv = true
        }
        if case .venv(let directory) = target, !createdVenv, !isVirtualEnvironment(interpreter) {
            throw ReleaseCheckError.environment("--venv \(directory) is not a virtual environment; use --python to install into another interpreter")
        }
        do {
            return try runPip(wheels: wheels, wheelhouse: wheelhouse, python: interpreter, dryRun: dryRun)
        } catch {
            if createdVenv, case .venv(let directory) = target { try? FileManager.default.removeItem(atPath: directory) }
            throw error
        }
    }

    private func plan(wheels: [String], wheelhouse: String, python: String) throws -> [String] {
        try runPip(wheels: wheels, wheelhouse: wheelhouse, python: python, dryRun: true)
    }

    private func runPip(wheels: [String], wheelhouse: String, python: String, dryRun: Bool) throws -> [String] {
        let report = NSTemporaryDirectory() + "/hephaestus-pip-report-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: report) }
        var arguments = [
            "-m", "pip", "install", "--no-index", "--find-links", wheelhouse, "--disable-pip-version-check", "--no-input", "--report", report,
        ]
        if dryRun { arguments.append("--dry-run") }
        arguments += pipArguments + wheels
        let result = try run(python, arguments)
        for line in result.output.split(separator: "\n") { log(String(line)) }
        guard result.status == 0 else {
            let lines = result.output.split(separator: "\n").map(String.init).filter { $0.hasPrefix("ERROR") || $0.contains("error") }
            throw ReleaseCheckError.pipFailed(
                status: result.status,
                message: (lines.isEmpty ? result.output.split(separator: "\n").suffix(2).map(String.init) : lines).joined(separator: " "))
        }
        guard let data = FileManager.default.contents(atPath: report),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let install = object["install"] as? [[String: Any]]
        else { return [] }
        return install.compactMap { item in
            guard let metadata = item["metadata"] as? [String: Any], let name = metadata["name"] as? String,
                let version = metadata["version"] as? String
            else { return nil }
            return "\(name)==\(version)"
        }
    }

    func isVirtualEnvironment(_ python: String) -> Bool {
        (try? run(python, ["-c", "import sys; raise SystemExit(0 if sys.prefix != sys.base_prefix else 1)"]))?.status == 0
    }

    /// Runs a program to completion with stdout and stderr merged (through a file: no pipe deadlocks).
    func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let path =
            executable.contains("/")
            ? executable
            : (environment["PATH"] ?? "/usr/bin:/bin")
                .split(separator: ":").map { "\($0)/\(executable)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let path, FileManager.default.isExecutableFile(atPath: path) else {
            throw ReleaseCheckError.environment("\(executable) not found (is Python 3 installed?)")
        }
        let output = NSTemporaryDirectory() + "/hephaestus-run-\(UUID().uuidString).log"
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: output) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        var environment = environment
        environment["PIP_NO_INDEX"] = "1"
        environment.removeValue(forKey: "PIP_INDEX_URL")
        environment.removeValue(forKey: "PIP_EXTRA_INDEX_URL")
        process.environment = environment
        try process.run()
        process.waitUntilExit()
        try handle.close()
        return (process.terminationStatus, String(decoding: FileManager.default.contents(atPath: output) ?? Data(), as: UTF8.self))
    }
}
