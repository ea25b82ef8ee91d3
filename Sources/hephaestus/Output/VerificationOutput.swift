import ArgumentParser
import Foundation
import HephaestusCore
import HephaestusOperations
import HephaestusPlatform
import HephaestusSigstore

/// Prints a verification result as human lines on stdout.
struct VerificationOutput {
    let context: CommandContext

    func printHuman(_ result: VerificationResult, artifact: String) {
        context.stdout.line(bytes: NativePath.bytes("OK: \(artifact)"))
        context.stdout.line("  identity: \(result.identity)")
        if let issuer = result.issuer { context.stdout.line("  issuer:   \(issuer)") }
        for entry in result.logEntries {
            context.stdout.line("  log:      \(entry.log) entry \(entry.logIndex) (\(entry.kind) \(entry.kindVersion))")
        }
        for timestamp in result.verifiedTimestamps {
            // A timestamp authority the trusted root lists without a URI is named by its source alone.
            let authority = timestamp.authority.isEmpty ? "" : ": \(timestamp.authority)"
            context.stdout.line("  time:     \(RFC3339.string(timestamp.time)) (\(timestamp.source)\(authority))")
        }
        for (name, value) in result.claims.sorted(by: { $0.key < $1.key }) {
            context.stdout.line("  claim:    \(name) = \(value)")
        }
    }
}
