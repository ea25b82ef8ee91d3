import ArgumentParser
import Foundation
import HephaestusCore

extension Hephaestus {
    /// `hephaestus verify batch`.
    struct VerifyBatch: HephaestusCommand {
        static let configuration = CommandConfiguration(
            commandName: "batch",
            abstract: "Verify a JSON-lines list of bundles in parallel; one JSON line out per line in, same order.",
            discussion: """
                Each input line: {"bundle": P, "artifact": P | "digest": "sha256:…", "identity" | "identity_regexp": …, \
                "issuer" | "issuer_regexp": …, "key": P?}. Relative paths resolve against the list file's directory. \
                Output lines carry "verdict": "pass" | "fail" and the reason. Exit status 1 if any line failed.
                """
        )

        @OptionGroup(title: "Global options")
        var global: GlobalOptions

        @OptionGroup(title: "Trust")
        var trust: TrustOptions

        @Option(help: "Parallel verifications (default: the number of CPU cores).")
        var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

        @Argument(help: ArgumentHelp("The JSON-lines list (- for standard input).", valueName: "LIST.jsonl"))
        var list: String

        func validate() throws {
            guard (1...256).contains(jobs) else { throw ValidationError("--jobs must be between 1 and 256, not \(jobs)") }
        }

        func execute(_ context: CommandContext) async throws {
            let batch = BatchVerification(
                verification: try BundleVerification(trust: trust.makeSelection()), jobs: jobs, runID: context.runID)
            let counts = try batch.run(listPath: list) { _, line in context.stdout.line(bytes: line) }
            context.logger.info("verify.batch-completed", metadata: ["passed": .stringConvertible(counts.passed), "failed": .stringConvertible(counts.failed)])
            if counts.failed > 0 {
                context.report(.error, event: "verify.batch-failed", message: "\(counts.failed) of \(counts.passed + counts.failed) bundles failed verification")
                throw ExitCode(ExitStatus.checkFailed.rawValue)
            }
        }
    }
}
