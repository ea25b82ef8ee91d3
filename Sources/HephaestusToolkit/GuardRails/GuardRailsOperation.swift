import Foundation
import Glibc
import HephaestusCore
import HephaestusPlatform

extension MediaType {
    public static let guardRailsReport = "application/vnd.hephaestus.guard-rails-report+json;version=1"
    public static let guardRailsStep = "application/vnd.hephaestus.guard-rails-step+json;version=1"
}

extension GuardRailStep {
    /// The pipeline of a Python project without `[[guard-rails.steps]]`.
    public static let pythonDefaults: [GuardRailStep] = [
        GuardRailStep(name: "cleanup", command: .builtin(.cleanup)),
        GuardRailStep(name: "lint", command: .argv(["ruff", "check", "--output-format", "json", "."]), timeoutSeconds: 300),
        GuardRailStep(name: "format", command: .argv(["ruff", "format", "--check", "."]), timeoutSeconds: 300),
        GuardRailStep(name: "types", command: .argv(["mypy", "."]), timeoutSeconds: 900),
        GuardRailStep(name: "tests", command: .argv(["pytest", "-q", "-rfE"]), timeoutSeconds: 1800),
        GuardRailStep(name: "audit", command: .argv(["pip-audit"]), timeoutSeconds: 600, network: true),
        GuardRailStep(name: "build", command: .argv(["python", "-m", "build"]), timeoutSeconds: 1800, network: true),
        GuardRailStep(name: "wheel-record", command: .builtin(.wheelRecord)),
        GuardRailStep(name: "digest-check", command: .builtin(.digestCheck)),
        GuardRailStep(name: "verify-dist", command: .builtin(.verifyDist)),
    ]
}

/// The outcome of one step.
public struct StepResult: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable, CaseIterable {
        case passed
        case failed
        case timedOut = "timed-out"
        /// The tool is not installed: a failure (the pipeline fails closed).
        case missingTool = "missing-tool"
        /// A network step while the network is unreachable: neither passed nor failed.
        case skippedOffline = "skipped-offline"
        /// Not reached: an earlier step failed with `continue_on_failure = false`.
        case notRun = "not-run"
    }

    public var name: String
    /// What ran (the argv, `/bin/sh -c LINE`, or `builtin:NAME`).
    public var command: [String]
    public var status: Status
    public var exitStatus: Int32?
    public var seconds: Double
    /// Why it failed or was skipped, in one line.
    public var reason: String?
    public var findings: [Finding]
    /// The first bytes of its output (see `output_limit_bytes`), and whether there was more.
    public var stdout: String
    public var stderr: String
    public var outputTruncated: Bool

    public init(
        name: String, command: [String], status: Status, exitStatus: Int32? = nil, seconds: Double, reason: String? = nil, findings: [Finding],
        stdout: String, stderr: String, outputTruncated: Bool
    ) {
        self.name = name
        self.command = command
        self.status = status
        self.exitStatus = exitStatus
        self.seconds = seconds
        self.reason = reason
        self.findings = findings
        self.stdout = stdout
        self.stderr = stderr
        self.outputTruncated = outputTruncated
    }

    /// Counts as a failure of the pipeline.
    public var isFailure: Bool { status == .failed || status == .timedOut || status == .missingTool }
}

/// What `--auto-remediate` planned, ran, or was refused.
public struct RemediationReport: Codable, Sendable, Equatable {
    /// The commands, in order (as a user would type them).
    public var plan: [String]
    public var actions: [RemediationAction]
    /// Set when the rate limit refused the run: nothing ran, and this is when the next run is allowed.
    public var nextAllowedAt: Date?
    /// The run's id in the store, and the store.
    public var runID: Int64?
    public var store: String
}

/// The report of a `guard-rails` run.
public struct GuardRailsReport: OperationReport, Equatable {
    public var project: String
    public var configuration: String?
    public var steps: [StepResult]
    /// nil unless drift was asked for (`--drift`, `--auto-remediate`).
    public var drift: [DriftFinding]?
    public var remediation: RemediationReport?

    public init(
        project: String, configuration: String?, steps: [StepResult], drift: [DriftFinding]? = nil, remediation: RemediationReport? = nil
    ) {
        self.project = project
        self.configuration = configuration
        self.steps = steps
        self.drift = drift
        self.remediation = remediation
    }

    public var failure: (any CodedError)? {
        if let missing = steps.first(where: { $0.status == .missingTool }) {
            return GuardRailsError(.toolMissing, "step \(missing.name): \(missing.reason ?? "tool not found")")
        }
        let failed = steps.filter(\.isFailure)
        if !failed.isEmpty {
            return GuardRailsError(.stepsFailed, "\(failed.count) step(s) failed: \(failed.map(\.name).joined(separator: ", "))")
        }
        if let next = remediation?.nextAllowedAt {
            return GuardRailsError(.rateLimited, "auto-remediation rate limit reached: nothing ran; next run allowed at \(RFC3339.string(next))")
        }
        if let failedAction = remediation?.actions.first(where: { $0.exitStatus != 0 }) {
            return GuardRailsError(.remediationFailed, "remediation failed: \(DriftDetector.display(failedAction.command))")
        }
        if let drift, !drift.isEmpty { return GuardRailsError(.driftFound, "\(drift.count) drift finding(s)") }
        return nil
    }
}

/// `guard-rails.run`: the project's pipeline of checks, each a subprocess (or a built-in check), with drift detection
/// and rate-limited, audited auto-remediation.
public enum GuardRailsOperation: HephaestusCore.Operation {
    public struct Request: Codable, Sendable, Equatable {
        /// The project directory (default: the working directory).
        public var project: String?
        /// The configuration file (default: the project's hephaestus.toml or pyproject.toml).
        public var config: String?
        public var only: [String]
        public var skip: [String]
        public var drift: Bool
        public var autoRemediate: Bool
        /// The remediation store (default: under the user's data directory).
        public var store: String?

        public init(
            project: String? = nil, config: String? = nil, only: [String] = [], skip: [String] = [], drift: Bool = false, autoRemediate: Bool = false,
            store: String? = nil
        ) {
            self.project = project
            self.config = config
            self.only = only
            self.skip = skip
            self.drift = drift
            self.autoRemediate = autoRemediate
            self.store = store
        }
    }

    public typealias Item = StepResult

    public static let descriptor = OperationDescriptor(
        name: "guard-rails.run", command: "guard-rails",
        summary:
            "Run the project's checks (lint, format, types, tests, audit, build, Hephaestus's own), drift detection and audited auto-remediation.",
        reportMediaType: MediaType.guardRailsReport, effect: .destructive,
        errorCodes: GuardRailsError.Code.allCases.map(\.rawValue) + ProjectConfigurationError.Code.allCases.map(\.rawValue)
            + CleanupError.Code.allCases.map(\.rawValue), longRunning: true)

    public static func run(_ request: Request, in context: OperationContext, emit: ItemSink<StepResult>) async throws -> GuardRailsReport {
        let given = request.project ?? FileManager.default.currentDirectoryPath
        guard let project = CleanupSafety.resolve(given) else { throw FileError.notFound(path: given) }
        let configuration =
            try request.config.map { path throws(ProjectConfigurationError) in try ProjectConfiguration.load(file: path) }
            ?? ProjectConfiguration.discover(in: project)
        let settings = configuration.guardRails
        let steps = try select(settings.steps ?? GuardRailStep.pythonDefaults, only: request.only, skip: request.skip)
        let virtualenv = settings.virtualenv.hasPrefix("/") ? settings.virtualenv : project + "/" + settings.virtualenv
        let runner = StepRunner(project: project, virtualenv: virtualenv, settings: settings, context: context)

        var report = GuardRailsReport(project: project, configuration: configuration.source, steps: [])
        var stopped: String?
        for step in steps {
            try context.checkCancellation()
            var result: StepResult
            if let stopped {
                result = StepResult(
                    name: step.name, command: runner.display(step.command), status: .notRun, seconds: 0, reason: "after \(stopped) failed",
                    findings: [], stdout: "", stderr: "", outputTruncated: false)
            } else {
                result = try await context.instrumentation.withSpan("guard-rails.step", attributes: ["step": step.name]) {
                    try await runner.run(step)
                }
                if result.isFailure && !step.continueOnFailure { stopped = step.name }
            }
            context.logger.info(
                "guard-rails.step",
                metadata: ["step": .string(step.name), "status": .string(result.status.rawValue), "reason": .string(result.reason ?? "")])
            report.steps.append(result)
            emit(result)
        }

        if request.drift || request.autoRemediate {
            let detector = DriftDetector(
                project: project, virtualenv: virtualenv, pins: settings.pins,
                pinSource: (configuration.source.map { ($0 as NSString).lastPathComponent } ?? "configuration") + " [guard-rails.pins]",
                wheelhouse: settings.wheelhouse.map { $0.hasPrefix("/") ? $0 : project + "/" + $0 })
            report.drift = detector.findings()
            if request.autoRemediate, let drift = report.drift {
                report.remediation = try await remediate(
                    drift, project: project, virtualenv: virtualenv, settings: settings, store: request.store, context: context)
                if report.remediation?.actions.isEmpty == false { report.drift = detector.findings() }
            }
        }
        return report
    }

    /// The steps `--only` and `--skip` leave, in pipeline order; an unknown name is an error.
    static func select(_ steps: [GuardRailStep], only: [String], skip: [String]) throws(GuardRailsError) -> [GuardRailStep] {
        let names = Set(steps.map(\.name))
        if let unknown = (only + skip).first(where: { !names.contains($0) }) {
            throw GuardRailsError(.unknownStep, "no step named \"\(unknown)\" (the steps: \(steps.map(\.name).joined(separator: ", ")))")
        }
        return steps.filter { (only.isEmpty || only.contains($0.name)) && !skip.contains($0.name) }
    }

    /// Shows the plan, then runs the remediation commands inside the virtualenv, within the hourly rate limit, each
    /// recorded in the store.
    static func remediate(
        _ drift: [DriftFinding], project: String, virtualenv: String, settings: GuardRailsConfiguration, store: String?,
        context: OperationContext
    ) async throws -> RemediationReport? {
        let commands = drift.compactMap(\.remediationArgv)
        guard !commands.isEmpty else { return nil }
        let storePath = store ?? SQLiteRemediationLedger.defaultPath(environment: context.environment)
        var remediation = RemediationReport(plan: commands.map(DriftDetector.display), actions: [], store: storePath)
        for command in remediation.plan { context.logger.notice("guard-rails.remediation-planned", metadata: ["command": .string(command)]) }
        // Inside the project's virtualenv only: its own python, nothing on PATH.
        guard NativePath.exists(virtualenv + "/pyvenv.cfg"), StepProcess.locate(virtualenv + "/bin/python", searchPath: []) != nil else {
            throw GuardRailsError(.noVirtualenv, "no virtualenv at \(virtualenv) (pyvenv.cfg and bin/python): auto-remediation installs nowhere else")
        }
        guard commands.allSatisfy({ $0.first == virtualenv + "/bin/python" }) else {
            throw GuardRailsError(.noVirtualenv, "a remediation command does not run the virtualenv's python")
        }
        guard settings.autoRemediatePerHour > 0 else {
            throw GuardRailsError(.rateLimited, "auto_remediate_per_hour = 0 disables --auto-remediate: nothing ran")
        }
        let ledger = try SQLiteRemediationLedger(path: storePath)
        let who = context.environment["USER"] ?? getpwuid(getuid()).map { String(cString: $0.pointee.pw_name) } ?? "uid \(getuid())"
        let host = ProcessInfo.processInfo.hostName
        let reservation: Result<Int64, NextAllowed>
        do {
            reservation = try ledger.reserve(project: project, who: who, host: host, now: context.clock(), limit: settings.autoRemediatePerHour)
        } catch {
            throw GuardRailsError(.storeFailed, "the remediation store \(storePath): \(error)")
        }
        switch reservation {
        case .failure(let next):
            remediation.nextAllowedAt = next.date
            context.logger.warning(
                "guard-rails.remediation-rate-limited",
                metadata: [
                    "limit_per_hour": .stringConvertible(settings.autoRemediatePerHour), "next_allowed_at": .string(RFC3339.string(next.date)),
                ])
            return remediation
        case .success(let run):
            remediation.runID = run
            var environment = context.environment
            environment["VIRTUAL_ENV"] = virtualenv
            environment["PATH"] = virtualenv + "/bin:" + (environment["PATH"] ?? "/usr/bin:/bin")
            for command in commands {
                let started = context.clock()
                var action: RemediationAction
                do {
                    let outcome = try await StepProcess.run(
                        executable: command[0], arguments: Array(command.dropFirst()), environment: environment, workingDirectory: project,
                        timeout: 900, outputLimit: settings.outputLimitBytes)
                    action = RemediationAction(
                        command: command, exitStatus: outcome.exitStatus,
                        outputSHA256: DigestAlgorithm.sha256.hash(outcome.stdout + outcome.stderr).hex,
                        startedAt: started, finishedAt: context.clock())
                } catch {
                    action = RemediationAction(
                        command: command, exitStatus: nil, outputSHA256: DigestAlgorithm.sha256.hash(Array("\(error)".utf8)).hex, startedAt: started,
                        finishedAt: context.clock())
                }
                do { try ledger.record(action, run: run) } catch {
                    throw GuardRailsError(.storeFailed, "the remediation store \(storePath): \(error)")
                }
                context.logger.notice(
                    "guard-rails.remediation-ran",
                    metadata: [
                        "command": .string(DriftDetector.display(command)), "exit_status": .string(action.exitStatus.map(String.init) ?? "none"),
                        "who": .string(who), "output_sha256": .string(action.outputSHA256),
                    ])
                remediation.actions.append(action)
            }
            return remediation
        }
    }
}

/// Runs the steps of one pipeline.
struct StepRunner {
    let project: String
    let virtualenv: String
    let settings: GuardRailsConfiguration
    let context: OperationContext
    /// The network's state, probed once when the first network step comes.
    private let networkState = NetworkState()

    init(project: String, virtualenv: String, settings: GuardRailsConfiguration, context: OperationContext) {
        self.project = project
        self.virtualenv = virtualenv
        self.settings = settings
        self.context = context
    }

    func display(_ command: GuardRailStep.Command) -> [String] {
        switch command {
        case .argv(let argv): argv
        case .shell(let line): ["/bin/sh", "-c", line]
        case .builtin(let check): ["builtin:" + check.rawValue]
        }
    }

    func run(_ step: GuardRailStep) async throws -> StepResult {
        var result = StepResult(
            name: step.name, command: display(step.command), status: .passed, seconds: 0, findings: [], stdout: "", stderr: "",
            outputTruncated: false)
        if step.network, let reason = networkState.unreachableReason(probe: settings.networkProbe) {
            result.status = .skippedOffline
            result.reason = "the network is unreachable (\(reason))"
            return result
        }
        let started = ContinuousClock.now
        defer { _ = started }
        if case .builtin(let check) = step.command {
            let outcome = try await BuiltinChecks.run(check, project: project, settings: settings, context: context)
            result.status = outcome.passed ? .passed : .failed
            result.findings = outcome.findings
            result.reason = outcome.summary
            result.seconds = (ContinuousClock.now - started).seconds
            return result
        }
        let argv = result.command
        let venvBin = virtualenv + "/bin"
        let path = context.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        guard let executable = StepProcess.locate(argv[0], searchPath: [venvBin] + path.split(separator: ":").map(String.init)) else {
            result.status = .missingTool
            result.reason = "\(argv[0]) is not installed (looked in \(venvBin) and PATH)"
            return result
        }
        let directory = step.cwd.map { $0.hasPrefix("/") ? $0 : project + "/" + $0 } ?? project
        guard NativePath.exists(directory) else {
            result.status = .failed
            result.reason = "the working directory \(directory) does not exist"
            return result
        }
        var environment = context.environment
        if NativePath.exists(virtualenv + "/pyvenv.cfg") {
            environment["VIRTUAL_ENV"] = virtualenv
            environment["PATH"] = venvBin + ":" + path
        }
        for (key, value) in step.env { environment[key] = value }
        let outcome = try await StepProcess.run(
            executable: executable, arguments: Array(argv.dropFirst()), environment: environment, workingDirectory: directory,
            timeout: step.timeoutSeconds, outputLimit: settings.outputLimitBytes,
            isCancelled: { [cancellation = context.cancellation] in cancellation.isCancelled })
        result.seconds = outcome.seconds
        result.exitStatus = outcome.exitStatus
        result.stdout = String(decoding: outcome.stdout, as: UTF8.self)
        result.stderr = String(decoding: outcome.stderr, as: UTF8.self)
        result.outputTruncated = outcome.stdoutTruncated || outcome.stderrTruncated
        let format = step.findings ?? FindingParser.format(for: argv)
        result.findings = FindingParser.parse(outcome.stdout, format: format, project: project)
        if outcome.timedOut && context.cancellation.isCancelled {
            result.status = .failed
            result.reason = "cancelled: its process group was killed"
        } else if outcome.timedOut {
            result.status = .timedOut
            result.reason = "timed out after \(step.timeoutSeconds) s: its process group was killed"
        } else if let status = outcome.exitStatus, step.allowedExitCodes.contains(status) {
            result.status = .passed
        } else {
            result.status = .failed
            result.reason = outcome.exitStatus.map { "exit status \($0)" } ?? "ended by signal \(outcome.signal ?? 0)"
            if result.findings.isEmpty {
                result.findings = [Finding(rule: step.name, message: "\(step.name) failed: \(result.reason!)")]
            }
        }
        return result
    }
}

/// The network's reachability, probed at most once per run.
final class NetworkState: @unchecked Sendable {
    private let lock = NSLock()
    private var probed: String??

    func unreachableReason(probe: String) -> String? {
        lock.lock()
        defer { lock.unlock() }
        if let probed { return probed }
        let reason = NetworkProbe.unreachableReason(probe)
        probed = .some(reason)
        return reason
    }
}
