import ArgumentParser
import Foundation
import HephaestusCore
import HephaestusOperations
import HephaestusPlatform
import HephaestusToolkit

extension Hephaestus {
    /// `hephaestus guard-rails`.
    struct GuardRails: OperationCommand {
        typealias Performed = GuardRailsOperation

        enum Format: String, ExpressibleByArgument, CaseIterable {
            case text, json, jsonl, sarif, junit
        }

        static let configuration = CommandConfiguration(
            commandName: "guard-rails",
            abstract: "Run the project's checks with machine-readable results, drift detection and audited auto-remediation (see docs/toolkit.md).",
            discussion: withExitStatuses(
                """
                Runs the [[guard-rails.steps]] of hephaestus.toml (or pyproject.toml's [tool.hephaestus.guard-rails]) in the \
                working directory, by default: cleanup, ruff check, ruff format --check, mypy, pytest, pip-audit, python -m \
                build, wheel RECORD checks, digest --check and verify of dist/. Each step is a subprocess in its own session: a \
                timeout kills its whole process group. A missing tool fails the pipeline; a network step is reported \
                skipped-offline when the network is unreachable, never passed. --drift compares installed tools with their \
                pins (PEP 440 versions) and installed wheels with the lock's hashes (pip's recorded archive hash, or the \
                files against a locked wheel of the [guard-rails] wheelhouse); --auto-remediate runs the remediation inside the project's virtualenv, at most \
                auto_remediate_per_hour times an hour (default 2), each action recorded in the store.
                """))

        @OptionGroup(title: "Global options")
        var global: GlobalOptions

        @Option(help: ArgumentHelp("The configuration file (default: hephaestus.toml, else pyproject.toml).", valueName: "FILE"))
        var config: String?

        @Option(help: ArgumentHelp("Run only this step (repeatable).", valueName: "STEP"))
        var only: [String] = []

        @Option(help: ArgumentHelp("Skip this step (repeatable).", valueName: "STEP"))
        var skip: [String] = []

        @Flag(help: "Also report drift: installed tools and wheels against their pins, mutable references.")
        var drift = false

        @Flag(help: "Run the drift remediation inside the project's virtualenv (rate-limited, audited); implies --drift.")
        var autoRemediate = false

        @Option(help: ArgumentHelp("The remediation store (default: $XDG_DATA_HOME/hephaestus/remediation.sqlite).", valueName: "FILE"))
        var store: String?

        @Option(help: "Output format: text, json, jsonl, sarif or junit.")
        var format: Format = .text

        @Option(help: ArgumentHelp("Write the formatted results here (atomically) instead of stdout.", valueName: "FILE"))
        var output: String?

        @Flag(help: "Same as --format json.")
        var json = false

        var chosenFormat: Format { json ? .json : format }

        func validate() throws {
            if json && format != .text && format != .json { throw ValidationError("--json and --format \(format.rawValue) exclude each other") }
            if let output, output.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--output is empty") }
        }

        func request(_ context: CommandContext) throws -> GuardRailsOperation.Request {
            if let output { try AtomicFileWriter.checkDestination(output, overwrite: true) }
            return GuardRailsOperation.Request(config: config, only: only, skip: skip, drift: drift, autoRemediate: autoRemediate, store: store)
        }

        var cancelsOnTermination: Bool { true }

        /// A failed pipeline's summary is already printed.
        var failureEvent: String? { nil }

        func render(item step: StepResult, _ context: CommandContext) {
            guard output == nil else { return }
            switch chosenFormat {
            case .text: for line in Self.text(step) { context.stdout.line(line) }
            case .jsonl:
                if let line = try? ResultDocument(mediaType: MediaType.guardRailsStep, runID: context.runID, payload: step).compactJSONText() {
                    context.stdout.line(line)
                }
            default: break
            }
        }

        func render(report: GuardRailsReport, _ context: CommandContext) throws {
            let format = chosenFormat
            var bytes: [UInt8]
            switch format {
            case .text:
                bytes = Array(((output == nil ? [] : report.steps.flatMap(Self.text)) + Self.summary(report)).joined(separator: "\n").utf8) + [0x0A]
            case .json:
                bytes =
                    Array(try ResultDocument(mediaType: Performed.descriptor.reportMediaType, runID: context.runID, payload: report).jsonText().utf8)
                    + [0x0A]
            case .jsonl:
                var summary = report
                summary.steps = output == nil ? [] : report.steps
                let lines =
                    (output == nil
                        ? []
                        : try report.steps.map {
                            try ResultDocument(mediaType: MediaType.guardRailsStep, runID: context.runID, payload: $0).compactJSONText()
                        }) + [
                        try ResultDocument(mediaType: Performed.descriptor.reportMediaType, runID: context.runID, payload: summary).compactJSONText()
                    ]
                bytes = Array(lines.joined(separator: "\n").utf8) + [0x0A]
            case .sarif: bytes = GuardRailsFormats.sarif(report, version: HephaestusVersion.current)
            case .junit: bytes = GuardRailsFormats.junit(report)
            }
            if let output {
                try AtomicFileWriter.write(bytes, to: output, overwrite: true)
                for line in Self.summary(report) { context.stdout.line(line) }
            } else {
                context.stdout.line(bytes: bytes.last == 0x0A ? Array(bytes.dropLast()) : bytes)
            }
        }

        /// A step's lines: its verdict, then its findings.
        static func text(_ step: StepResult) -> [String] {
            let mark =
                switch step.status {
                case .passed: "ok"
                case .skippedOffline, .notRun: "--"
                default: "FAIL"
                }
            var lines = [
                "\(mark) \(step.name): \(step.status.rawValue)\(step.reason.map { " (\($0))" } ?? "") [\(String(format: "%.2f", step.seconds)) s]"
            ]
            for finding in step.findings {
                let location =
                    finding.file.map { file in
                        [file, finding.line.map(String.init), finding.column.map(String.init)].compactMap { $0 }.joined(separator: ":") + ": "
                    } ?? ""
                lines.append("   \(location)\(finding.level) [\(finding.rule)] \(finding.message)")
            }
            return lines
        }

        /// The totals, drift and remediation lines.
        static func summary(_ report: GuardRailsReport) -> [String] {
            var lines: [String] = []
            for finding in report.drift ?? [] {
                let what = [finding.installed.map { "installed \($0)" }, finding.expected.map { "pinned \($0)" }].compactMap { $0 }.joined(
                    separator: ", ")
                lines.append(
                    "drift \(finding.kind.rawValue): \(finding.package)\(what.isEmpty ? "" : " (\(what))") from \(finding.source)"
                        + "\(finding.detail.map { ": \($0)" } ?? ""); fix: \(finding.remediation)"
                )
            }
            if let remediation = report.remediation {
                for command in remediation.plan { lines.append("remediation plan: \(command)") }
                if let next = remediation.nextAllowedAt {
                    lines.append("remediation refused by the rate limit: nothing ran; next run allowed at \(RFC3339.string(next))")
                }
                for action in remediation.actions {
                    lines.append(
                        "remediation ran: \(action.command.joined(separator: " ")) -> exit \(action.exitStatus.map(String.init) ?? "none") (output sha256 \(action.outputSHA256))"
                    )
                }
            }
            let counts = Dictionary(grouping: report.steps, by: \.status).mapValues(\.count)
            let parts = [StepResult.Status.passed, .failed, .timedOut, .missingTool, .skippedOffline, .notRun].compactMap { status in
                counts[status].map { "\($0) \(status.rawValue)" }
            }
            lines.append("guard-rails: \(parts.joined(separator: ", "))\(report.failure.map { "; \($0.description)" } ?? "")")
            return lines
        }
    }
}

extension ResultDocument {
    /// One line of key-sorted JSON (a JSON Lines record).
    fileprivate func compactJSONText() throws -> String {
        String(decoding: try CompactJSONEncoder().encode(self), as: UTF8.self)
    }
}
