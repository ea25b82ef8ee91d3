import Foundation
import Synchronization

/// Records what every `--json` run of the CLI suites printed, for the test job's schema validation
/// (`scripts/validate-json-reports`): when `HEPHAESTUS_JSON_REPORTS_DIR` names a directory, each run of
/// ``HephaestusBinary/run(_:in:environment:stdin:stdout:caller:line:)`` whose arguments hold `--json` leaves one file
/// there: `{"arguments", "status", "stdout", "caller"}`. Without the variable nothing is recorded.
public enum JSONReportRecorder {
    /// The variable naming the directory.
    public static let environmentVariable = "HEPHAESTUS_JSON_REPORTS_DIR"

    /// One recorded run, as the file holds it.
    public struct Record: Codable, Sendable, Equatable {
        public let arguments: [String]
        public let status: Int32
        /// Standard output, as text (a `--json` run prints UTF-8 JSON).
        public let stdout: String
        /// The test source line that ran it (`HephaestusCLITests/DigestCommandTests.swift:42`).
        public let caller: String
    }

    private static let sequence = Atomic<Int>(0)

    /// The directory runs are recorded in; nil when recording is off.
    public static var directory: String? {
        guard let value = ProcessInfo.processInfo.environment[environmentVariable], !value.isEmpty else { return nil }
        return value
    }

    /// Whether `arguments` ask for a `--json` document (the flag itself, not a value that happens to be `--json`
    /// after `--`).
    public static func asksForJSON(_ arguments: [String]) -> Bool {
        arguments.prefix { $0 != "--" }.contains("--json")
    }

    /// Records the run when recording is on and it asked for `--json`; a record that cannot be written fails loudly
    /// (the validation would otherwise pass on fewer reports than the suite printed).
    public static func record(arguments: [String], result: ProcessResult, caller: String, into directory: String? = directory) {
        guard let directory, asksForJSON(arguments) else { return }
        let record = Record(arguments: arguments, status: result.status, stdout: result.stdoutText, caller: caller)
        let name = "\(getpid())-\(sequence.add(1, ordering: .relaxed).newValue)-\(UUID().uuidString.prefix(8)).json"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            try encoder.encode(record).write(to: URL(fileURLWithPath: directory).appendingPathComponent(name), options: .atomic)
        } catch {
            fatalError("\(environmentVariable)=\(directory): cannot record a --json run: \(error)")
        }
    }
}
