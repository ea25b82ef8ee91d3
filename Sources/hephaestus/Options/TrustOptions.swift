import ArgumentParser
import HephaestusCore

/// Which Sigstore trust root to verify against.
struct TrustOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A trusted_root.json to use instead of the embedded public-good root.", valueName: "FILE"))
    var trustedRoot: String?

    @Flag(help: "Use the embedded Sigstore public-good staging root.")
    var staging = false

    func validate() throws {
        if staging && trustedRoot != nil {
            throw ValidationError("--staging and --trusted-root cannot be used together")
        }
    }

    func makeSelection() -> TrustSelection {
        if let trustedRoot { return .file(path: trustedRoot) }
        return staging ? .staging : .production
    }
}
