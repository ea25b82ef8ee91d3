import Foundation

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

    /// Checks, installs, cleans up. The archive is removed only after a successful (non-dry) install.
    public func run() throws -> ReleaseReport {
        var (report, staging) = try pipeline.verify()
        defer { finish(staging) }
        let started = Date()
        report.installed = try installer.install(
            wheels: report.wheels.map { staging.wheels + "/" + $0.file }, wheelhouse: staging.wheels, dryRun: dryRun)
        report.stages.append(.init(name: dryRun ? "install (dry run)" : "install", seconds: Date().timeIntervalSince(started)))
        switch installer.target {
        case .venv(let directory), .python(let directory): report.target = directory
        }
        report.dryRun = dryRun
        if removeArchive && !dryRun, let archive = report.archive {
            try? FileManager.default.removeItem(atPath: archive.path)
            pipeline.notify(.info(event: "release.archive-removed", message: archive.path))
        }
        return report
    }

    private func finish(_ staging: Staging) {
        if keepWorkdir {
            pipeline.notify(.warning(event: "release.workdir-kept", message: "staging directory kept: \(staging.root)"))
        } else {
            staging.remove()
        }
    }
}

extension ReleasePipeline {
    /// `release verify`: the checks, then the staging directory removed (or kept, and said so).
    public func verify(keepingWorkdir keep: Bool) throws -> ReleaseReport {
        let (report, staging) = try verify()
        if keep {
            notify(.warning(event: "release.workdir-kept", message: "staging directory kept: \(staging.root)"))
        } else {
            staging.remove()
        }
        return report
    }
}
