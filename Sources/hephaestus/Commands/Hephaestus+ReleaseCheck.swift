import ArgumentParser
import Foundation
import HephaestusCore

extension Hephaestus {
    /// `hephaestus release verify`.
    struct ReleaseVerify: ReleaseCheckCommand {
        typealias Performed = ReleaseVerifyOperation

        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Run every check of release install (checksum, Sigstore, extraction, wheels) without installing.",
            discussion: withExitStatuses(""))

        @OptionGroup(title: "Global options")
        var global: GlobalOptions

        @OptionGroup var checks: ReleaseCheckOptions

        func request(_ context: CommandContext) throws -> ReleaseCheckRequest { checks.choice }
    }

    /// `hephaestus release install`.
    struct ReleaseInstall: ReleaseCheckCommand {
        typealias Performed = ReleaseInstallOperation

        static let configuration = CommandConfiguration(
            commandName: "install",
            abstract: "Check a wheelhouse release, then install its wheels with pip; fail closed.",
            discussion: withExitStatuses(
                """
                Every check (manifest, Sigstore, safe extraction, wheel RECORDs) passes before the target environment \
                is touched; pip installs only from the checked wheelhouse (--no-index --find-links). Any failure leaves \
                the environment unchanged and nothing outside the private staging directory, which is always removed \
                unless --keep-workdir.
                """))

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

        var requested: ReleaseInstallOperation.Request {
            ReleaseInstallOperation.Request(
                checks: checks.choice, python: python, venv: venv, pipArguments: pipArg, removeArchive: removeArchive, dryRun: dryRun)
        }

        func validate() throws {
            do { try requested.validate() } catch { throw ValidationError(error.message) }
        }

        func request(_ context: CommandContext) throws -> ReleaseInstallOperation.Request { requested }
    }
}

/// `release verify` and `release install`: the same checks, notices and report.
protocol ReleaseCheckCommand: OperationCommand where Performed.Item == ReleaseNotice, Performed.Report == ReleaseReport {
    var checks: ReleaseCheckOptions { get }
}

extension ReleaseCheckCommand {
    var httpSettings: HTTPSettings? { checks.network.http.settings }

    func render(item notice: ReleaseNotice, _ context: CommandContext) {
        checks.render(notice: notice, context: context)
    }

    /// The `--json` report whatever the verdict (a failed stage is in it: the evidence runbooks ask for); the text
    /// summary only on success (a failure is the one error line on stderr).
    func render(report: ReleaseReport, _ context: CommandContext) throws {
        if checks.json {
            try printJSON(report, context)
        } else if report.failure == nil {
            for line in report.lines { context.stdout.line(line) }
        }
    }
}
