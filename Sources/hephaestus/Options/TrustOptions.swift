import ArgumentParser
import HephaestusCore

/// Which Sigstore trust root to verify against.
struct TrustOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A trusted_root.json to use instead of the embedded public-good root.", valueName: "FILE"))
    var trustedRoot: String?

    @Flag(help: "Use the embedded Sigstore public-good staging root.")
    var staging = false

    var choice: TrustChoice { TrustChoice(trustedRoot: trustedRoot, staging: staging) }

    func validate() throws {
        do { try choice.validate() } catch { throw ValidationError(error.message) }
    }
}
