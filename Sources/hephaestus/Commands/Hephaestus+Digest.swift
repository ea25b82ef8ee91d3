import ArgumentParser
import HephaestusCore
import HephaestusOperations
import HephaestusPlatform

extension DigestAlgorithm: ExpressibleByArgument {}

extension Hephaestus {
    /// `hephaestus digest`: sha256sum-compatible checksums and manifest checks.
    struct Digest: HephaestusCommand, OperationAdapter {
        static let configuration = CommandConfiguration(
            commandName: "digest",
            abstract: "Print or check SHA-2 checksums, exactly as sha256sum does.",
            discussion: withExitStatuses(
                """
                Without --check, prints one line per FILE in sha256sum's format. With --check, each FILE is a \
                manifest in sha256sum format (GNU text/binary, single-blank or BSD-tagged lines); every listed file is \
                checked and reported as OK, FAILED or FAILED open or read. Use - for standard input.

                Fails closed: an improperly formatted manifest line fails the check, as with sha256sum --strict \
                (plain sha256sum -c only warns).
                """)
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
            do {
                try (check ? checkRequest.validate() : filesRequest.validate())
            } catch {
                throw ValidationError(error.message)
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

        var filesRequest: DigestFilesOperation.Request { DigestFilesOperation.Request(files: files, algorithm: algorithm) }

        var checkRequest: DigestCheckOperation.Request {
            DigestCheckOperation.Request(manifests: files, algorithm: algorithm, ignoreMissing: ignoreMissing)
        }

        /// The operations it runs: `digest.files`, or `digest.check` with `--check`.
        static var operationDescriptors: [OperationDescriptor] { [DigestFilesOperation.descriptor, DigestCheckOperation.descriptor] }

        /// Runs `digest.files` or, with `--check`, `digest.check`. Like sha256sum, every failure is reported as it is
        /// met (an unreadable file, the warnings of a failed manifest), so a failed run ends with its exit status
        /// alone, no summary line.
        func execute(_ context: CommandContext) async throws {
            let failure =
                check
                ? try await perform(DigestCheckOperation.self, checkRequest, context) { render($0, context) }
                : try await perform(DigestFilesOperation.self, filesRequest, context) { render($0, context) }
            if let failure {
                throw ExitCode(ExitCodeTable.status(for: failure).rawValue)
            }
        }

        /// Runs the operation, rendering each item as it comes and, with `--json`, the report; returns its failure.
        private func perform<Performed: HephaestusCore.Operation>(
            _: Performed.Type, _ request: Performed.Request, _ context: CommandContext, item: @escaping @Sendable (Performed.Item) -> Void
        ) async throws -> (any CodedError)? {
            let report = try await Performed.run(request, in: context.operationContext(http: nil), emit: ItemSink(item))
            if json {
                context.stdout.line(
                    try ResultDocument(mediaType: Performed.descriptor.reportMediaType, runID: context.runID, payload: report).jsonText())
            }
            return report.failure
        }

        /// One hashed (or unreadable) file: its sha256sum line, or the error on stderr.
        private func render(_ file: DigestReport.File, _ context: CommandContext) {
            if let line = file.checksumLine {
                // The name as given, in the bytes it was given (sha256sum does not re-encode names either).
                if !json { context.stdout.line(bytes: NativePath.bytes(line)) }
            } else {
                context.report(.error, event: "digest.unreadable", message: file.error ?? "", metadata: ["code": .string(file.errorCode ?? "")])
            }
        }

        /// One verdict line (an unreadable file also on stderr), or a manifest's end: sha256sum's warnings for a failed
        /// check, the error for an unusable manifest.
        private func render(_ item: DigestCheckOperation.Item, _ context: CommandContext) {
            if let verdict = item.verdict {
                if verdict.verdict == .unreadable {
                    context.report(
                        .error, event: "digest.unreadable", message: verdict.reason ?? "", metadata: ["code": .string(item.errorCode ?? "")])
                }
                if !json && !status { context.stdout.line(bytes: NativePath.bytes(verdict.formatted)) }
            } else if let manifest = item.manifest, let error = manifest.error {
                switch item.errorCode.flatMap(DigestCheckError.Code.init(rawValue:)) {
                case .checkFailed:
                    guard !status else { return }
                    for warning in DigestCheckError.checkFailed(summary: manifest.summary).coreutilsWarnings {
                        context.report(.warning, event: "digest.check-failed", message: warning, metadata: ["manifest": .string(manifest.path)])
                    }
                case .some:
                    context.report(.error, event: "digest.manifest-unusable", message: error, metadata: ["code": .string(item.errorCode ?? "")])
                case nil:
                    context.report(.error, event: "digest.manifest-unreadable", message: error, metadata: ["code": .string(item.errorCode ?? "")])
                }
            }
        }
    }
}
