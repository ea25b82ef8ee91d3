import ArgumentParser
import Foundation
import HephaestusCore
import HephaestusOperations
import HephaestusPlatform
import HephaestusSigstore

/// Renders a verification outcome: human lines or one JSON document on stdout, the failure line on stderr.
struct VerificationOutput {
    let context: CommandContext
    let json: Bool

    func render(bundle: String, artifact: String, outcome: Result<VerificationResult, any Error>) throws {
        if case .failure(let error) = outcome, !(error is VerificationError), !json {
            // Not a verdict on the bundle (missing file, unreadable trust root): the command's error path reports it.
            throw error
        }
        if json {
            let report = VerificationReport(bundle: bundle, artifact: artifact, outcome: outcome)
            context.stdout.line(try ResultDocument(mediaType: MediaType.verificationResult, runID: context.runID, payload: report).jsonText())
        }
        switch outcome {
        case .success(let result):
            context.logger.info("verify.passed", metadata: ["bundle": .string(bundle), "identity": .string(result.identity)])
            if !json { printHuman(result, artifact: artifact) }
        case .failure(let error):
            let status = ExitCodeTable.status(for: error)
            let step = (error as? VerificationError)?.step
            context.report(
                .error, event: "verify.failed", message: step.map { "verification failed at \($0): \(error)" } ?? "\(error)",
                metadata: ["bundle": .string(bundle), "code": .string((error as? any CodedError)?.code ?? "")])
            throw ExitCode(status.rawValue)
        }
    }

    private func printHuman(_ result: VerificationResult, artifact: String) {
        context.stdout.line("OK: \(artifact)")
        context.stdout.line("  identity: \(result.identity)")
        if let issuer = result.issuer { context.stdout.line("  issuer:   \(issuer)") }
        for entry in result.logEntries {
            context.stdout.line("  log:      \(entry.log) entry \(entry.logIndex) (\(entry.kind) \(entry.kindVersion))")
        }
        for timestamp in result.verifiedTimestamps {
            context.stdout.line("  time:     \(timestamp.time.formatted(Date.ISO8601FormatStyle())) (\(timestamp.source): \(timestamp.authority))")
        }
        for (name, value) in result.claims.sorted(by: { $0.key < $1.key }) {
            context.stdout.line("  claim:    \(name) = \(value)")
        }
    }
}
