import ArgumentParser
import Foundation
import HephaestusCore
import HephaestusPlatform

extension Hephaestus {
    /// `hephaestus wheelhouse`.
    struct Wheelhouse: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Work with wheelhouse archives.", subcommands: [WheelhouseExtract.self])
    }

    /// `hephaestus wheelhouse extract`.
    struct WheelhouseExtract: HephaestusCommand {
        static let configuration = CommandConfiguration(
            commandName: "extract",
            abstract: "Extract a tar, tar.gz or zip archive into a fresh directory, refusing anything unsafe.",
            discussion: """
                Refused, with the entry name and the rule: absolute paths, '..' components, backslashes, control \
                characters, duplicate names and names colliding after Unicode normalisation or case folding, symlinks \
                or hard links resolving outside the destination (also through earlier links), writes through a \
                symlink, devices, FIFOs, sockets and unknown types, corrupt, truncated and concatenated archives, zips \
                whose central directory and local headers disagree. setuid/setgid/sticky bits are stripped. On any \
                refusal nothing is left: the destination is removed. Exit status 1 for a refused archive.
                """
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

        func execute(_ context: CommandContext) async throws {
            let report = try SafeExtractor(limits: limits.makeLimits()).extract(archive, into: dest)
            context.logger.info("wheelhouse.extracted", metadata: ["files": .stringConvertible(report.files.count), "bytes": .stringConvertible(report.bytes)])
            if json {
                let payload = ExtractionSummary(archive: archive, destination: dest, files: report.files, bytes: report.bytes, directories: report.directories, links: report.links)
                context.stdout.line(try ResultDocument(mediaType: MediaType.extraction, runID: context.runID, payload: payload).jsonText())
            } else {
                context.stdout.line("extracted \(report.files.count) files (\(report.bytes) bytes) into \(dest)")
            }
        }
    }
}
