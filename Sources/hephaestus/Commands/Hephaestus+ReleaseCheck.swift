import ArgumentParser
import Foundation
import HephaestusCore

extension Hephaestus {
    /// `hephaestus release verify`.
    struct ReleaseVerify: HephaestusCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Run every check of release install (checksum, Sigstore, extraction, wheels) without installing.")

        @OptionGroup(title: "Global options")
        var global: GlobalOptions

        @OptionGroup var checks: ReleaseCheckOptions

        func execute(_ context: CommandContext) async throws {
            try checks.render(try checks.makePipeline(context: context).verify(keepingWorkdir: checks.keepWorkdir), context: context)
        }
    }

    /// `hephaestus release install`.
    struct ReleaseInstall: HephaestusCommand {
        static let configuration = CommandConfiguration(
            commandName: "install",
            abstract: "Check a wheelhouse release, then install its wheels with pip; fail closed.",
            discussion: """
                Every check (manifest, Sigstore, safe extraction, wheel RECORDs) passes before the target environment \
                is touched; pip installs only from the checked wheelhouse (--no-index --find-links). Any failure leaves \
                the environment unchanged and nothing outside the private staging directory, which is always removed \
                unless --keep-workdir.
                """)

        @OptionGroup(title: "Global options")
        var global: GlobalOptions

        @OptionGroup var checks: ReleaseCheckOptions

        @Option(help: ArgumentHelp("Install into this interpreter (may be a system Python: you name it explicitly).", valueName: "PATH"))
        var python: String?

        @Option(help: ArgumentHelp("Install into this virtual environment (created with python -m venv when missing).", valueName: "DIR"))
        var venv: String?

        @Option(parsing: .unconditionalSingleValue, help: ArgumentHelp("An extra argument for pip install (repeatable).", valueName: "ARG"))
        var pipArg: [String] = []

        @Flag(help: "Delete the downloaded (or given) archive after a successful install, never after a failure.")
        var removeArchive = false

        @Flag(help: "Run every check and ask pip what it would install, without installing.")
        var dryRun = false

        func validate() throws {
            guard (python != nil) != (venv != nil) else { throw ValidationError("give exactly one of --venv DIR or --python PATH") }
        }

        func execute(_ context: CommandContext) async throws {
            let logger = context.logger
            let installation = ReleaseInstallation(
                pipeline: try checks.makePipeline(context: context),
                installer: PipInstaller(
                    target: venv.map { .venv($0) } ?? .python(python!), pipArguments: pipArg,
                    log: { line in logger.info("pip.output", metadata: ["line": .string(line)]) }),
                dryRun: dryRun, removeArchive: removeArchive, keepWorkdir: checks.keepWorkdir)
            try checks.render(try installation.run(), context: context)
        }
    }
}
