import ArgumentParser
import Foundation
import HephaestusCore
import HephaestusPlatform

extension Hephaestus {
    /// `hephaestus wheelhouse`.
    struct Wheelhouse: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "wheelhouse",
            abstract: "Work with wheelhouse archives.", subcommands: [WheelhouseExtract.self, WheelhousePackCommand.self])
    }

    /// `hephaestus wheelhouse pack DIR --output NAME-VERSION-wheelhouse.tar.gz [--sign]`.
    struct WheelhousePackCommand: OperationCommand {
        typealias Performed = WheelhousePackOperation

        static let configuration = CommandConfiguration(
            commandName: "pack",
            abstract: "Pack the wheels of DIR into a reproducible NAME-VERSION-wheelhouse.tar.gz with its .sha256 manifest (and bundle with --sign).",
            discussion: withExitStatuses(
                """
                Every file of DIR must be a valid wheel (file name, METADATA, RECORD hashes); anything else is refused and \
                nothing is written. Entries are sorted, mode 0644, uid/gid 0, no owner names, one mtime (SOURCE_DATE_EPOCH \
                or 0), gzip without a timestamp: the same wheels give the same bytes. --sign signs the archive as \
                `hephaestus sign` does (same options) into NAME-VERSION-wheelhouse.tar.gz.sigstore.json.
                """))

        @OptionGroup(title: "Global options")
        var global: GlobalOptions

        @Argument(help: ArgumentHelp("The directory of wheels.", valueName: "DIR"))
        var directory: String

        @Option(help: ArgumentHelp("The archive to write.", valueName: "NAME-VERSION-wheelhouse.tar.gz"))
        var output: String

        @Flag(help: "Replace an existing archive, manifest and bundle.")
        var overwrite = false

        @Flag(help: "Sign the archive (keyless or --key, as `hephaestus sign`).")
        var sign = false

        @OptionGroup(title: "Signing")
        var signing: SigningOptions

        @OptionGroup(title: "Trust")
        var trust: TrustOptions

        @OptionGroup(title: "Network")
        var http: HTTPOptions

        @Flag(help: "Print one JSON document on stdout.")
        var json = false

        var packRequest: WheelhousePackOperation.Request {
            WheelhousePackOperation.Request(
                directory: directory, output: output, overwrite: overwrite, sign: sign, signing: signing.choice, trust: trust.choice)
        }

        func validate() throws {
            do { try packRequest.validate() } catch { throw ValidationError(error.message) }
        }

        var httpSettings: HTTPSettings? { http.settings }

        func request(_ context: CommandContext) throws -> WheelhousePackOperation.Request { packRequest }

        func render(report: WheelhousePackReport, _ context: CommandContext) throws {
            if json {
                try printJSON(report, context)
                return
            }
            let packed = report.result
            context.stdout.line("packed \(packed.wheels.count) wheel(s) into \(packed.archive) (\(packed.size) bytes)")
            context.stdout.line("  sha256:   \(packed.sha256)")
            context.stdout.line("  manifest: \(packed.manifest)")
            if let bundle = report.bundle { context.stdout.line("  bundle:   \(bundle)") }
        }
    }

    /// `hephaestus wheelhouse extract`.
    struct WheelhouseExtract: OperationCommand {
        typealias Performed = WheelhouseExtractOperation

        static let configuration = CommandConfiguration(
            commandName: "extract",
            abstract: "Extract a wheelhouse (tar, tar.gz or zip) into a fresh directory, refusing anything unsafe and an archive without a wheel.",
            discussion: withExitStatuses(
                """
                Refused, with the entry name and the rule: absolute paths, '..' components, backslashes, NUL and \
                control characters, names that Unicode compatibility normalisation (NFKC) changes, such as full-width \
                dots and slashes, paths longer than PATH_MAX and components longer than NAME_MAX, duplicate names and \
                names colliding after Unicode normalisation or case folding, symlinks or hard links resolving outside \
                the destination (also through earlier links), writes through a symlink, devices, FIFOs, sockets, \
                contiguous, sparse and unknown entry types, pax global headers that set a name, corrupt, truncated \
                and concatenated archives, zips whose central directory disagrees with the local headers or the data \
                (names, sizes, CRC-32). A directory named like a wheel, and an archive holding no wheel, are refused \
                too. setuid/setgid/sticky bits are stripped. On any refusal nothing is left: the destination is \
                removed. Exit status 1 for a refused archive.
                """)
        )

        @OptionGroup(title: "Global options")
        var global: GlobalOptions

        @Argument(help: ArgumentHelp("The archive.", valueName: "ARCHIVE"))
        var archive: String

        @Option(help: ArgumentHelp("Destination directory: must not exist, or be empty.", valueName: "DIR"))
        var dest: String

        @OptionGroup(title: "Limits")
        var limits: ExtractionOptions

        @Flag(help: "Print one JSON document on stdout.")
        var json = false

        func request(_ context: CommandContext) throws -> WheelhouseExtractOperation.Request {
            WheelhouseExtractOperation.Request(archive: archive, dest: dest, limits: limits.choice)
        }

        func render(report: ExtractionSummary, _ context: CommandContext) throws {
            if json {
                try printJSON(report, context)
            } else {
                context.stdout.line(
                    bytes: NativePath.bytes("extracted \(report.files.count) files (\(report.bytes) bytes) into \(report.destination)"))
            }
        }
    }
}
