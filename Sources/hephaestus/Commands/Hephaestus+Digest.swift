import ArgumentParser
import HephaestusCore
import HephaestusOperations
import HephaestusPlatform

extension DigestAlgorithm: ExpressibleByArgument {}

extension Hephaestus {
    /// `hephaestus digest`: sha256sum-compatible checksums and manifest checks.
    struct Digest: HephaestusCommand {
        static let configuration = CommandConfiguration(
            commandName: "digest",
            abstract: "Print or check SHA-2 checksums, exactly as sha256sum does.",
            discussion: """
                Without --check, prints one line per FILE in sha256sum's format. With --check, each FILE is a \
                manifest in sha256sum format (GNU text/binary, single-blank or BSD-tagged lines); every listed file is \
                checked and reported as OK, FAILED or FAILED open or read. Use - for standard input.

                Fails closed: an improperly formatted manifest line fails the check, as with sha256sum --strict \
                (plain sha256sum -c only warns).
                """
        )

        @OptionGroup(title: "Global options")
        var global: GlobalOptions

        @Option(name: [.customShort("a"), .long], help: "Digest algorithm: sha256, sha384 or sha512.")
        var algorithm: DigestAlgorithm = .sha256

        @Flag(name: [.customShort("c"), .long], help: "Read checksums from the FILEs (manifests) and check them.")
        var check = false

        @Flag(help: "With --check: don't fail or report status for missing files.")
        var ignoreMissing = false

        @Flag(help: "With --check: print nothing on stdout; the exit status shows success.")
        var status = false

        @Flag(help: "Accepted for sha256sum compatibility: malformed lines always fail the check.")
        var strict = false

        @Flag(help: "Print one JSON document on stdout instead of sha256sum lines.")
        var json = false

        @Argument(help: "Files to hash, or manifests to check with --check.")
        var files: [String] = []

        func validate() throws {
            if files.isEmpty {
                throw ValidationError("no FILE given (use - for standard input)")
            }
            if !check && ignoreMissing {
                throw ValidationError("--ignore-missing is meaningful only with --check")
            }
            if !check && status {
                throw ValidationError("--status is meaningful only with --check")
            }
            if !check && strict {
                throw ValidationError("--strict is meaningful only with --check")
            }
        }

        func execute(_ context: CommandContext) async throws {
            if check {
                try checkManifests(context)
            } else {
                try hashFiles(context)
            }
        }

        private func hashFiles(_ context: CommandContext) throws {
            var report = DigestReport()
            var firstFailure: FileError?
            for name in files {
                do {
                    let line = ChecksumLine(digest: try algorithm.hash(fileAt: name), name: name)
                    if json { report.add(line) } else { context.stdout.line(line.formatted) }
                } catch {
                    firstFailure = firstFailure ?? error
                    report.add(name: name, algorithm: algorithm, error: error)
                    context.report(.error, event: "digest.unreadable", message: error.description, metadata: ["code": .string(error.code)])
                }
            }
            if json {
                context.stdout.line(try ResultDocument(mediaType: MediaType.digestResult, runID: context.runID, payload: report).jsonText())
            }
            context.logger.info("digest.completed", metadata: ["files": .stringConvertible(files.count), "algorithm": .string(algorithm.rawValue)])
            if let firstFailure {
                throw ExitCode(ExitCodeTable.status(for: firstFailure).rawValue)
            }
        }

        private func checkManifests(_ context: CommandContext) throws {
            var report = DigestCheckReport()
            var failureStatus: ExitStatus?
            for manifest in files {
                let checker = ChecksumManifestChecker(
                    manifestPath: manifest, algorithm: algorithm, ignoresMissingFiles: ignoreMissing)
                do {
                    let summary = try checker.check { verdict in
                        if case .unreadable(_, let error) = verdict {
                            context.report(.error, event: "digest.unreadable", message: error.description, metadata: ["code": .string(error.code)])
                        }
                        if json { report.add(verdict, manifest: manifest) } else if !status { context.stdout.line(verdict.formatted) }
                    }
                    report.add(manifest: manifest, summary: summary, error: nil)
                } catch let error as DigestCheckError {
                    if case .checkFailed(let summary) = error {
                        report.add(manifest: manifest, summary: summary, error: error)
                        if !status {
                            for warning in error.coreutilsWarnings {
                                context.report(.warning, event: "digest.check-failed", message: warning, metadata: ["manifest": .string(manifest)])
                            }
                        }
                    } else {
                        report.add(manifest: manifest, summary: nil, error: error)
                        context.report(.error, event: "digest.manifest-unusable", message: error.description, metadata: ["code": .string(error.code)])
                    }
                    failureStatus = failureStatus ?? ExitCodeTable.status(for: error)
                } catch {
                    report.add(manifest: manifest, summary: nil, error: error)
                    context.report(.error, event: "digest.manifest-unreadable", message: "\(error)", metadata: ["code": .string((error as? any CodedError)?.code ?? "")])
                    failureStatus = failureStatus ?? ExitCodeTable.status(for: error)
                }
            }
            if json {
                context.stdout.line(try ResultDocument(mediaType: MediaType.digestCheckResult, runID: context.runID, payload: report).jsonText())
            }
            context.logger.info("digest.check-completed", metadata: ["manifests": .stringConvertible(files.count), "passed": .stringConvertible(failureStatus == nil)])
            if let failureStatus {
                throw ExitCode(failureStatus.rawValue)
            }
        }
    }
}
