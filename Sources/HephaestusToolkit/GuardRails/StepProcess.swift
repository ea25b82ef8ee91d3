import Foundation
import Glibc
import HephaestusPlatform
import Subprocess

#if canImport(System)
    import System
#else
    import SystemPackage
#endif

/// How a subprocess ended.
public struct ProcessOutcome: Sendable, Equatable {
    /// The exit status, or nil when a signal ended it.
    public var exitStatus: Int32?
    public var signal: Int32?
    public var timedOut: Bool
    /// The first bytes of standard output and error (at most the limit each); `truncated` when there was more.
    public var stdout: [UInt8]
    public var stderr: [UInt8]
    public var stdoutTruncated: Bool
    public var stderrTruncated: Bool
    public var seconds: Double
}

/// Runs one command as a subprocess (swift-subprocess) in a session of its own, so that it and everything it starts
/// form one process group: a timeout kills the whole group (SIGKILL to -pgid), grandchildren included, and so does
/// the end of the step (nothing it left behind outlives it). Output is captured up to a bound; the rest is read and
/// dropped, so a chatty tool neither blocks nor grows memory.
public enum StepProcess {
    public static func run(
        executable: String, arguments: [String], environment: [String: String], workingDirectory: String, timeout: Double, outputLimit: Int,
        isCancelled: @escaping @Sendable () -> Bool = { false }
    ) async throws -> ProcessOutcome {
        var options = PlatformOptions()
        options.createSession = true
        let started = ContinuousClock.now
        let result = try await Subprocess.run(
            .path(FilePath(executable)), arguments: Arguments(arguments), environment: .custom(environment.mapKeys()),
            workingDirectory: FilePath(workingDirectory), platformOptions: options, input: .none, output: .sequence, error: .sequence
        ) { execution in
            let group = -execution.processIdentifier.value
            return await withTaskGroup(of: Captured?.self) { tasks -> (Captured, Captured, Bool) in
                tasks.addTask { await Captured.read(execution.standardOutput, limit: outputLimit, isStandardOutput: true) }
                tasks.addTask { await Captured.read(execution.standardError, limit: outputLimit, isStandardOutput: false) }
                // The deadline, and the run's cancellation (SIGINT, SIGTERM: the step's own session does not get them).
                tasks.addTask {
                    let deadline = ContinuousClock.now + .seconds(timeout)
                    while ContinuousClock.now < deadline {
                        if isCancelled() { break }
                        try? await Task.sleep(for: min(.milliseconds(100), deadline - ContinuousClock.now))
                        if Task.isCancelled { return nil }
                    }
                    kill(group, SIGKILL)
                    return Captured(bytes: [], truncated: false, isTimeout: true)
                }
                var outputs: [Captured] = []
                var timedOut = false
                while let finished = await tasks.next() {
                    guard let finished else { continue }
                    if finished.isTimeout {
                        timedOut = true
                        continue
                    }
                    outputs.append(finished)
                    if outputs.count == 2 { tasks.cancelAll() }
                }
                return (outputs[0], outputs[1], timedOut)
            }
        }
        // Whatever the step started and left running goes with it.
        kill(-result.processIdentifier.value, SIGKILL)
        let (first, second, timedOut) = result.closureResult
        let (stdout, stderr) = first.isStandardOutput ? (first, second) : (second, first)
        var outcome = ProcessOutcome(
            exitStatus: nil, signal: nil, timedOut: timedOut, stdout: stdout.bytes, stderr: stderr.bytes, stdoutTruncated: stdout.truncated,
            stderrTruncated: stderr.truncated, seconds: (ContinuousClock.now - started).seconds)
        switch result.terminationStatus {
        case .exited(let code): outcome.exitStatus = code
        case .signaled(let signal): outcome.signal = signal
        }
        return outcome
    }

    /// Where `name` is run from: a path as given, else the first executable `name` in `searchPath` (the project's
    /// virtualenv `bin` first, then `PATH`); nil when there is none.
    public static func locate(_ name: String, searchPath: [String]) -> String? {
        if name.contains("/") { return access(name, X_OK) == 0 ? name : nil }
        for directory in searchPath where !directory.isEmpty {
            let candidate = directory + "/" + name
            var status = stat()
            if stat(candidate, &status) == 0, status.st_mode & S_IFMT == S_IFREG, access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }
}

/// One stream's captured bytes.
struct Captured: Sendable {
    var bytes: [UInt8]
    var truncated: Bool
    var isTimeout = false
    var isStandardOutput = false

    static func read(_ sequence: SubprocessOutputSequence, limit: Int, isStandardOutput: Bool) async -> Captured {
        var captured = Captured(bytes: [], truncated: false, isStandardOutput: isStandardOutput)
        do {
            for try await buffer in sequence {
                buffer.withUnsafeBytes { raw in
                    let room = max(0, limit - captured.bytes.count)
                    captured.bytes.append(contentsOf: raw.prefix(room))
                    if raw.count > room { captured.truncated = true }
                }
            }
        } catch {
            captured.truncated = true
        }
        return captured
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

extension Dictionary where Key == String, Value == String {
    fileprivate func mapKeys() -> [Subprocess.Environment.Key: String] {
        var mapped: [Subprocess.Environment.Key: String] = [:]
        for (key, value) in self { mapped[Subprocess.Environment.Key(rawValue: key)!] = value }
        return mapped
    }
}
