import ArgumentParser
import Foundation
import HephaestusCore

extension Hephaestus {
    /// `hephaestus verify batch`.
    struct VerifyBatch: OperationCommand {
        typealias Performed = VerifyBatchOperation

        static let configuration = CommandConfiguration(
            commandName: "batch",
            abstract: "Verify a JSON-lines list of bundles in parallel; one JSON line out per line in, same order.",
            discussion: withExitStatuses(
                """
                Each input line: {"bundle": P, "artifact": P | "digest": "sha256:…", "identity" | "identity_regexp": …, \
                "issuer" | "issuer_regexp": …, "key": P?}; any other key fails its line. Relative paths resolve against \
                the list file's directory. Output lines carry their "mediaType", "verdict": "pass" | "fail" and the \
                reason. Exit status 1 if any line failed, 65 if the list holds no request at all.
                """
            )
        )

        @OptionGroup(title: "Global options")
        var global: GlobalOptions

        @OptionGroup(title: "Trust")
        var trust: TrustOptions

        @Option(help: "Parallel verifications (default: the number of CPU cores).")
        var jobs: Int?

        @OptionGroup
        var policy: PolicyOptions

        @Argument(help: ArgumentHelp("The JSON-lines list (- for standard input).", valueName: "LIST.jsonl"))
        var list: String

        func validate() throws {
            do { try VerifyBatchOperation.Request(list: list, trust: trust.choice, jobs: jobs, policy: policy.policy).validate() } catch {
                throw ValidationError(error.message)
            }
        }

        var failureEvent: String? { "verify.batch-failed" }

        func request(_ context: CommandContext) throws -> VerifyBatchOperation.Request {
            VerifyBatchOperation.Request(list: list, trust: trust.choice, jobs: jobs, policy: policy.policy)
        }

        func render(item: BatchVerification.Outcome, _ context: CommandContext) {
            context.stdout.line(bytes: item.jsonLine)
        }

        func render(report: VerifyBatchOperation.Report, _ context: CommandContext) throws {}
    }
}
