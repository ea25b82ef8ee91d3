import ArgumentParser

/// `--policy FILE`: a signer policy file (docs/reference/policy-file.md), replacing the command's identity options.
struct PolicyOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "A policy file (JSON, version 1) saying who may sign and what a bundle must show; replaces the identity options.",
            valueName: "FILE"))
    var policy: String?
}
