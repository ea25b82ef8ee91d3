import HephaestusPlatform

/// `[guard-rails]`: the pipeline's steps, the tool pins drift is measured against, and the auto-remediation limit.
public struct GuardRailsConfiguration: Sendable, Equatable, Codable {
    /// The steps in order; nil: ``GuardRailStep/pythonDefaults``.
    public var steps: [GuardRailStep]?
    /// Tool versions (`ruff = "0.14.3"`) for drift detection, beside those of requirements files and `uv.lock`.
    public var pins: [String: String]
    /// At most this many `--auto-remediate` runs per hour (default 2).
    public var autoRemediatePerHour: Int
    /// The project's virtualenv, relative to the project (default `.venv`): where tools are looked up first and the only
    /// place remediation installs into.
    public var virtualenv: String
    /// A directory of wheels (relative to the project, or absolute) drift compares installed files with: a wheel of the
    /// pinned name and version whose sha256 the lock lists proves (or disproves) what is installed.
    public var wheelhouse: String?
    /// The most bytes of each step's standard output and of its standard error kept (default 1 MiB each).
    public var outputLimitBytes: Int
    /// `host:port` whose reachability (a TCP connection within 3 s) decides whether network steps run.
    public var networkProbe: String
    /// `[guard-rails.verify]`: who must have signed the bundles in `dist/` (the `verify-dist` check).
    public var verify: VerifyPolicy?

    /// `[guard-rails.verify]`.
    public struct VerifyPolicy: Sendable, Equatable, Codable {
        public var certificateIdentity: String
        public var certificateOidcIssuer: String
        /// A trusted_root.json (relative to the project); nil: the embedded public-good root.
        public var trustedRoot: String?

        public init(certificateIdentity: String, certificateOidcIssuer: String, trustedRoot: String? = nil) {
            self.certificateIdentity = certificateIdentity
            self.certificateOidcIssuer = certificateOidcIssuer
            self.trustedRoot = trustedRoot
        }
    }

    public init(
        steps: [GuardRailStep]? = nil, pins: [String: String] = [:], autoRemediatePerHour: Int = 2, virtualenv: String = ".venv",
        outputLimitBytes: Int = 1 << 20, networkProbe: String = "pypi.org:443"
    ) {
        self.steps = steps
        self.pins = pins
        self.autoRemediatePerHour = autoRemediatePerHour
        self.virtualenv = virtualenv
        self.outputLimitBytes = outputLimitBytes
        self.networkProbe = networkProbe
    }

    init(reading table: inout ConfigurationTable) throws(ProjectConfigurationError) {
        self.init()
        autoRemediatePerHour = try table.integer("auto_remediate_per_hour", in: 0...1000) ?? 2
        virtualenv = try table.string("virtualenv") ?? ".venv"
        outputLimitBytes = try table.integer("output_limit_bytes", in: 1024...(256 << 20)) ?? (1 << 20)
        networkProbe = try table.string("network_probe") ?? "pypi.org:443"
        pins = try table.stringTable("pins") ?? [:]
        wheelhouse = try table.string("wheelhouse")
        if var policy = try table.table("verify") {
            guard let identity = try policy.string("certificate_identity"), let issuer = try policy.string("certificate_oidc_issuer") else {
                throw policy.invalid("certificate_identity", "and certificate_oidc_issuer are both required")
            }
            verify = VerifyPolicy(certificateIdentity: identity, certificateOidcIssuer: issuer, trustedRoot: try policy.string("trusted_root"))
            try policy.finish()
        }
        if let tables = try table.tables("steps") {
            var steps: [GuardRailStep] = []
            for var step in tables {
                let parsed = try GuardRailStep(reading: &step)
                try step.finish()
                if steps.contains(where: { $0.name == parsed.name }) { throw step.invalid("name", "repeats the step name \"\(parsed.name)\"") }
                steps.append(parsed)
            }
            self.steps = steps
        }
    }
}

/// One step of the pipeline.
public struct GuardRailStep: Sendable, Equatable, Codable {
    /// What the step runs.
    public enum Command: Sendable, Equatable, Codable {
        /// An argv, run without a shell (the first element looked up in the virtualenv, then `PATH`).
        case argv([String])
        /// A shell command line, run by `/bin/sh -c` (only with `shell = true`).
        case shell(String)
        /// One of Hephaestus's own checks.
        case builtin(BuiltinCheck)
    }

    public var name: String
    public var command: Command
    /// The working directory, relative to the project (default: the project).
    public var cwd: String?
    /// Variables added to the step's environment.
    public var env: [String: String]
    public var timeoutSeconds: Double
    public var allowedExitCodes: [Int32]
    /// Whether the pipeline goes on after this step fails.
    public var continueOnFailure: Bool
    /// Whether the step needs the network (reported skipped-offline when it is unreachable).
    public var network: Bool
    /// How to read findings from the step's output (nil: guessed from the tool: ruff, mypy).
    public var findings: FindingFormat?

    public init(
        name: String, command: Command, cwd: String? = nil, env: [String: String] = [:], timeoutSeconds: Double = 600,
        allowedExitCodes: [Int32] = [0], continueOnFailure: Bool = true, network: Bool = false, findings: FindingFormat? = nil
    ) {
        self.name = name
        self.command = command
        self.cwd = cwd
        self.env = env
        self.timeoutSeconds = timeoutSeconds
        self.allowedExitCodes = allowedExitCodes
        self.continueOnFailure = continueOnFailure
        self.network = network
        self.findings = findings
    }

    /// The keys of a `[[guard-rails.steps]]` table.
    static let keys: Set<String> = [
        "name", "command", "shell", "builtin", "cwd", "env", "timeout_seconds", "allowed_exit_codes", "continue_on_failure", "network", "findings",
    ]

    init(reading table: inout ConfigurationTable) throws(ProjectConfigurationError) {
        try table.rejectUnknown(allowed: Self.keys)
        guard let name = try table.string("name"), !name.isEmpty else { throw table.invalid("name", "is required (a non-empty string)") }
        let shell = try table.bool("shell") ?? false
        let builtin = try table.string("builtin")
        let command: Command
        switch (table.value("command"), builtin) {
        case (.array(let items)?, nil):
            let argv = items.compactMap { if case .string(let text) = $0 { text } else { nil } }
            guard argv.count == items.count, !argv.isEmpty, !argv[0].isEmpty else {
                throw table.invalid("command", "must be a non-empty array of strings")
            }
            if shell { throw table.invalid("shell", "applies only to a command given as a string") }
            command = .argv(argv)
        case (.string(let line)?, nil):
            guard shell else { throw table.invalid("command", "is a string: set shell = true to run it with /bin/sh, or give an argv array") }
            guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { throw table.invalid("command", "is empty") }
            command = .shell(line)
        case (nil, let builtin?):
            guard let check = BuiltinCheck(rawValue: builtin) else {
                throw table.invalid("builtin", "must be one of \(BuiltinCheck.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            command = .builtin(check)
        case (nil, nil): throw table.invalid("command", "is required (or builtin)")
        case (_?, _?): throw table.invalid("builtin", "and command exclude each other")
        case (let other?, nil): throw table.invalid("command", "must be an array of strings or a string, not \(other.typeName)")
        }
        self.init(name: name, command: command)
        cwd = try table.string("cwd")
        env = try table.stringTable("env") ?? [:]
        timeoutSeconds = try table.number("timeout_seconds", in: 0.1...86_400) ?? 600
        if let codes = try table.integers("allowed_exit_codes") {
            guard !codes.isEmpty, codes.allSatisfy({ (0...255).contains($0) }) else {
                throw table.invalid("allowed_exit_codes", "must be a non-empty array of exit statuses 0-255")
            }
            allowedExitCodes = codes.map { Int32($0) }
        }
        continueOnFailure = try table.bool("continue_on_failure") ?? true
        network = try table.bool("network") ?? false
        if let format = try table.string("findings") {
            guard let parsed = FindingFormat(rawValue: format) else {
                throw table.invalid("findings", "must be one of \(FindingFormat.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            findings = parsed
        }
    }
}

/// Hephaestus's own checks, as pipeline steps.
public enum BuiltinCheck: String, Sendable, Codable, CaseIterable {
    /// `cleanup` of the project: stale build and cache artefacts removed before the build (its removals are notes).
    case cleanup
    /// `digest --check` of every `SHA256SUMS` / `*.sha256` manifest in `dist/`.
    case digestCheck = "digest-check"
    /// Every wheel in `dist/` checked against its RECORD (paths, SHA-256 digests, sizes).
    case wheelRecord = "wheel-record"
    /// `verify` of every file in `dist/` that has a Sigstore bundle beside it (`FILE.sigstore.json`, `FILE.sigstore`),
    /// against `[guard-rails.verify]` (identity, issuer, trusted root).
    case verifyDist = "verify-dist"
}

/// A tool output format findings are parsed from.
public enum FindingFormat: String, Sendable, Codable, CaseIterable {
    /// `ruff check --output-format json`.
    case ruffJSON = "ruff-json"
    /// mypy's text output (`file:line: error: message [code]`; `--show-column-numbers` adds a column).
    case mypyText = "mypy-text"
    /// `ruff format --check` (`Would reformat: path`).
    case ruffFormat = "ruff-format"
    /// pytest's short test summary (`FAILED path::test - message`).
    case pytestText = "pytest-text"
    /// No findings: only the exit status counts.
    case none
}
