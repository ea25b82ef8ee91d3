import ArgumentParser
import HephaestusCore
import HephaestusOperations
import HephaestusPlatform
import HephaestusToolkit

extension Hephaestus {
    /// `hephaestus cleanup`.
    struct Cleanup: OperationCommand {
        typealias Performed = CleanupOperation

        static let configuration = CommandConfiguration(
            commandName: "cleanup",
            abstract: "Remove build and cache artefacts under a project root, exactly as planned (see docs/toolkit.md).",
            discussion: withExitStatuses(
                """
                Removes __pycache__, *.pyc, *.pyo, .pytest_cache, .mypy_cache, .ruff_cache, build/, dist/, *.egg-info, \
                .coverage, .coverage.*, htmlcov/, .tox/, .nox/ and Hephaestus's leftover staging files under ROOT (default: \
                the git top level), plus [cleanup] include patterns of hephaestus.toml or pyproject.toml's \
                [tool.hephaestus]. Virtualenvs (directories holding pyvenv.cfg), site-packages and .git are never touched; \
                symbolic links are never followed. The plan is computed once; the removal goes through directory \
                descriptors and leaves in place anything changed since planning. System and home directories are refused \
                after resolving symbolic links and `..`. A path outside ROOT needs --allow-outside-root and the path typed \
                at a terminal (or --yes, which is logged).
                """))

        @OptionGroup(title: "Global options")
        var global: GlobalOptions

        @Argument(help: ArgumentHelp("The project root (default: the git top level of the working directory).", valueName: "ROOT"))
        var root: String?

        @Flag(help: "List what would be removed, with sizes and a total; remove nothing.")
        var dryRun = false

        @Option(help: ArgumentHelp("Also remove this file or directory (repeatable).", valueName: "PATH"))
        var extraPath: [String] = []

        @Flag(help: "Allow --extra-path outside ROOT (the path must then be typed to confirm, or --yes given).")
        var allowOutsideRoot = false

        @Flag(help: "With --allow-outside-root: confirm in advance, without a terminal (logged).")
        var yes = false

        @Option(help: ArgumentHelp("Write the audit manifest (JSON: every removed path, type, size, run id) here.", valueName: "FILE"))
        var auditManifest: String?

        @Flag(help: "Print one JSON document on stdout.")
        var json = false

        var requested: CleanupOperation.Request {
            CleanupOperation.Request(
                root: root, dryRun: dryRun, extraPaths: extraPath, allowOutsideRoot: allowOutsideRoot, yes: yes, auditManifest: auditManifest)
        }

        func validate() throws {
            do { try requested.validate() } catch { throw ValidationError(error.message) }
            if yes && !allowOutsideRoot { throw ValidationError("--yes is meaningful only with --allow-outside-root") }
        }

        func request(_ context: CommandContext) throws -> CleanupOperation.Request { requested }

        /// The path is typed at a terminal; piped input is not a confirmation.
        var confirmation: TerminalConfirmation { TerminalConfirmation(requiresTerminal: true) }

        var cancelsOnTermination: Bool { true }

        func render(report: CleanupOperation.Report, _ context: CommandContext) throws {
            if json { return try printJSON(report, context) }
            let verb = report.dryRun ? "would remove" : "removed"
            for target in report.targets {
                context.stdout.line("\(verb) \(target.path)\(target.type == .directory ? "/" : "")  \(Self.size(target.bytes))  (\(target.reason))")
            }
            for skip in report.skipped { context.stdout.line("kept \(skip.path): \(skip.reason)") }
            for left in report.leftInPlace { context.stdout.line("left in place \(left.path): \(left.reason)") }
            for failed in report.failed { context.stdout.line("not removed \(failed.path): \(failed.reason)") }
            let totals = report.removed ?? report.planned
            context.stdout.line(
                "\(report.dryRun ? "would remove" : "removed") \(totals.files) files and \(totals.directories) directories, "
                    + "\(Self.size(totals.bytes)) (\(report.planned.targets) targets under \(report.root))")
            if let manifest = report.auditManifest { context.stdout.line("audit manifest: \(manifest)") }
        }

        /// Bytes with a binary unit.
        static func size(_ bytes: Int64) -> String {
            if bytes < 1024 { return "\(bytes) B" }
            var value = Double(bytes)
            for unit in ["KiB", "MiB", "GiB", "TiB"] {
                value /= 1024
                if value < 1024 || unit == "TiB" { return String(format: "%.1f", value) + " " + unit }
            }
            return "\(bytes) B"
        }
    }
}
