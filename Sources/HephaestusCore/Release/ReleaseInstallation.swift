import Foundation
import HephaestusPlatform
import Logging

/// `release install`: every check of ``ReleasePipeline``, then pip, then cleanup.
public struct ReleaseInstallation: Sendable {
    public let pipeline: ReleasePipeline
    public let installer: PipInstaller
    public let dryRun: Bool
    public let removeArchive: Bool
    public let keepWorkdir: Bool

    public init(pipeline: ReleasePipeline, installer: PipInstaller, dryRun: Bool, removeArchive: Bool, keepWorkdir: Bool) {
        self.pipeline = pipeline
        self.installer = installer
        self.dryRun = dryRun
        self.removeArchive = removeArchive
        self.keepWorkdir = keepWorkdir
    }

    /// Checks, installs (the `install` stage), cleans up. A failed stage, checks or install, is the report's verdict;
    /// the staging directory is removed (or kept with `keepWorkdir`) whatever happened. The archive is removed only
    /// after a successful (non-dry) install.
    public func run(in context: OperationContext) async throws -> ReleaseReport {
        var (report, staging) = try await pipeline.verify(in: context)
        guard report.failure == nil else {
            pipeline.finish(staging, keep: keepWorkdir, report: &report)
            return report
        }
        do {
            try await install(&report, from: staging, in: context)
        } catch let failure as ReleasePipeline.StageFailure {
            report.fail(at: failure.stage, with: failure.error)
        } catch {
            pipeline.finish(staging, keep: keepWorkdir, report: &report)
            throw error
        }
        if report.failure == nil, removeArchive && !dryRun, let archive = report.archive {
            try? FileManager.default.removeItem(atPath: archive.path)
            pipeline.notify(.info(event: "release.archive-removed", message: archive.path))
        }
        pipeline.finish(staging, keep: keepWorkdir, report: &report)
        return report
    }

    private func install(_ report: inout ReleaseReport, from staging: Staging, in context: OperationContext) async throws {
        let started = context.clock()
        let wheels = report.wheels.map { staging.wheels + "/" + $0.file }
        report.installed = try await ReleasePipeline.stage("install", in: context) { [installer, dryRun] in
            try installer.install(wheels: wheels, wheelhouse: staging.wheels, dryRun: dryRun)
        }
        report.stages.append(.init(name: dryRun ? "install (dry run)" : "install", seconds: context.clock().timeIntervalSince(started)))
        switch installer.target {
        case .venv(let directory), .python(let directory): report.target = directory
        }
        report.dryRun = dryRun
    }
}

/// `release.install`: a wheelhouse release checked like `release.verify`, then its wheels installed with pip into a
/// virtual environment or a named interpreter; fail closed (nothing is installed unless every check passed).
public enum ReleaseInstallOperation: Operation {
    public struct Request: Codable, Sendable, Equatable {
        public var checks: ReleaseCheckRequest
        /// Install into this interpreter (may be a system Python: the user names it explicitly).
        public var python: String?
        /// Install into this virtual environment (created with `python -m venv` when missing).
        public var venv: String?
        /// Extra arguments for `pip install`.
        public var pipArguments: [String]
        /// Delete the downloaded (or given) archive after a successful install, never after a failure.
        public var removeArchive: Bool
        /// Run every check and ask pip what it would install, without installing.
        public var dryRun: Bool

        public init(
            checks: ReleaseCheckRequest, python: String? = nil, venv: String? = nil, pipArguments: [String] = [], removeArchive: Bool = false,
            dryRun: Bool = false
        ) {
            self.checks = checks
            self.python = python
            self.venv = venv
            self.pipArguments = pipArguments
            self.removeArchive = removeArchive
            self.dryRun = dryRun
        }

        public func validate() throws(RequestError) {
            try checks.validate()
            guard (python != nil) != (venv != nil) else { throw RequestError("give exactly one of --venv DIR or --python PATH") }
        }

        /// The environment pip installs into.
        public var target: PipInstaller.Target? { venv.map { .venv($0) } ?? python.map { .python($0) } }

        private enum CodingKeys: String, CodingKey { case checks, python, venv, pipArguments, removeArchive, dryRun }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            checks = try container.decode(ReleaseCheckRequest.self, forKey: .checks)
            python = try container.decodeIfPresent(String.self, forKey: .python)
            venv = try container.decodeIfPresent(String.self, forKey: .venv)
            pipArguments = try container.decodeIfPresent([String].self, forKey: .pipArguments) ?? []
            removeArchive = try container.decodeIfPresent(Bool.self, forKey: .removeArchive) ?? false
            dryRun = try container.decodeIfPresent(Bool.self, forKey: .dryRun) ?? false
        }
    }

    public typealias Report = ReleaseReport
    public typealias Item = ReleaseNotice

    public static let descriptor = OperationDescriptor(
        name: "release.install", command: "release install",
        summary: "Check a wheelhouse release, then install its wheels with pip; fail closed.",
        reportMediaType: MediaType.releaseReport, effect: .idempotent,
        errorCodes: ReleaseVerifyOperation.checkErrorCodes + [
            ReleaseCheckError.Code.pipFailed.rawValue, ReleaseCheckError.Code.environment.rawValue,
        ],
        longRunning: true)

    public static func run(_ request: Request, in context: OperationContext, emit: ItemSink<Item>) async throws -> Report {
        try request.validate()
        let logger = context.logger
        let installation = ReleaseInstallation(
            pipeline: try request.checks.pipeline(in: context, notify: { emit($0) }),
            installer: PipInstaller(
                target: request.target!, pipArguments: request.pipArguments, environment: context.environment,
                log: { line in logger.info("pip.output", metadata: ["line": .string(line)]) }),
            dryRun: request.dryRun, removeArchive: request.removeArchive, keepWorkdir: request.checks.keepWorkdir)
        return try await installation.run(in: context)
    }
}
