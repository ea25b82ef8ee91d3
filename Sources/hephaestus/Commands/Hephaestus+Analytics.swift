import ArgumentParser
import Foundation
import HephaestusAnalytics
import HephaestusCore

extension RankingStrategy: ExpressibleByArgument {}

extension Hephaestus {
    /// `hephaestus analytics`: refactoring rankings, hotspots and event ingestion over a git repository.
    struct Analytics: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "analytics",
            abstract: "Rank files for refactoring, find hotspots, and ingest analytics events (docs/analytics.md).",
            subcommands: [AnalyticsRankings.self, AnalyticsHotspots.self, AnalyticsIngest.self])
    }

    /// `hephaestus tools refactor rankings`: the original Hephaestus's name of `analytics rankings` (hidden).
    struct Tools: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "tools", abstract: "Former command names.", shouldDisplay: false, subcommands: [ToolsRefactor.self])
    }

    struct ToolsRefactor: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "refactor", abstract: "Former name of `analytics rankings`.", subcommands: [AnalyticsRankings.self])
    }

    /// `hephaestus analytics rankings --strategy S [--repo DIR] [--coverage FILE] [--since DATE] [--limit N] …`.
    struct AnalyticsRankings: OperationCommand {
        typealias Performed = AnalyticsRankingsOperation

        static let configuration = CommandConfiguration(
            commandName: "rankings",
            abstract: "Rank the repository's files for refactoring by a documented strategy.",
            discussion: withExitStatuses(
                """
                Inputs per file: revisions, churn and authors from `git log -M --numstat` (renames followed), \
                indentation complexity and function counts of the file as it is in the work tree, line coverage from \
                --coverage (coverage.py JSON, Cobertura XML or lcov), and defect events from the event store that \
                `analytics ingest` writes (.hephaestus/analytics.sqlite under the repository, or --events). The \
                formulas are in docs/analytics.md; --json carries every input of every ranked file. Also runs as \
                `hephaestus tools refactor rankings`.
                """))

        @OptionGroup(title: "Global options")
        var global: GlobalOptions

        @Option(help: "risk_weighted, coverage_first, churn_based or composite.")
        var strategy: RankingStrategy

        @Option(help: ArgumentHelp("A directory of the git work tree.", valueName: "DIR"))
        var repo: String = "."

        @Option(help: ArgumentHelp("A coverage report: coverage.py JSON, Cobertura XML or lcov.", valueName: "FILE"))
        var coverage: String?

        @Option(help: ArgumentHelp("Only history (and events) since this date: YYYY-MM-DD or RFC 3339.", valueName: "DATE"))
        var since: String?

        @Option(help: "Print at most N files.")
        var limit: Int?

        @Option(help: ArgumentHelp("Rank only paths matching GLOB (fnmatch; `*` matches `/` too). Repeatable.", valueName: "GLOB"))
        var include: [String] = []

        @Option(help: ArgumentHelp("Leave out paths matching GLOB. Repeatable.", valueName: "GLOB"))
        var exclude: [String] = []

        @Option(
            help: ArgumentHelp(
                "The event store to read: a path, sqlite:PATH or sqlite:///PATH (default: REPO/.hephaestus/analytics.sqlite when present).",
                valueName: "URL"))
        var events: String?

        @Option(
            help: ArgumentHelp(
                "Read the history from this log (git log -M --numstat --date=short --pretty=format:'--%h--%cd--%cn', code-maat's format) instead of running git.",
                valueName: "FILE"))
        var log: String?

        @Flag(help: "Print one JSON document on stdout.")
        var json = false

        private var request: AnalyticsRankingsOperation.Request {
            AnalyticsRankingsOperation.Request(
                strategy: strategy, repository: repo, coverage: coverage, since: since, limit: limit, include: include, exclude: exclude,
                events: events, log: log)
        }

        func validate() throws {
            do { try request.validate() } catch { throw ValidationError(error.message) }
        }

        func request(_ context: CommandContext) throws -> AnalyticsRankingsOperation.Request { request }

        func render(report: AnalyticsRankingsOperation.Report, _ context: CommandContext) throws {
            if json { return try printJSON(report, context) }
            context.stdout.line("rank  score     revs  churn  complexity  coverage  defects  path")
            for file in report.files {
                let inputs = file.inputs
                let coverage = inputs.coverage.map { String(format: "%7.1f%%", $0.rate * 100) } ?? "       -"
                context.stdout.line(
                    String(
                        format: "%4d  %.6f %5d %6d  %10.2f  %@  %7g  %@", file.rank, file.score, inputs.revisions, inputs.churn,
                        inputs.complexity.totalIndentation, coverage, inputs.defects, inputs.path))
            }
            context.stdout.line("\(report.strategy.rawValue): \(report.files.count) of \(report.rankedFiles) files, \(report.commits) commits")
        }
    }

    /// `hephaestus analytics hotspots [--repo DIR] [--coverage FILE] [--limit N] [--min-revs N] …`.
    struct AnalyticsHotspots: OperationCommand {
        typealias Performed = AnalyticsHotspotsOperation

        static let configuration = CommandConfiguration(
            commandName: "hotspots",
            abstract: "Find hotspots: change frequency × complexity, weighted on the trust path.",
            discussion: withExitStatuses(
                """
                score = revisions × indentation complexity × weight. Revisions count commits of at most \
                --max-changeset-size files (code-maat's default 30); files with fewer than --min-revs revisions \
                (code-maat's default 5) are not hotspots; files on the trust path (verification, signing, extraction, \
                identity and policy; --trust-path replaces the default patterns) weigh --trust-path-weight (default 2). \
                The report also lists the coupled pairs with code-maat's coupling thresholds.
                """))

        @OptionGroup(title: "Global options")
        var global: GlobalOptions

        @Option(help: ArgumentHelp("A directory of the git work tree.", valueName: "DIR"))
        var repo: String = "."

        @Option(help: ArgumentHelp("A coverage report: coverage.py JSON, Cobertura XML or lcov.", valueName: "FILE"))
        var coverage: String?

        @Option(help: "Print at most N hotspots.")
        var limit: Int?

        @Option(name: .customLong("min-revs"), help: "Minimum revisions of a hotspot (code-maat's threshold).")
        var minRevs: Int = 5

        @Option(help: "Leave out commits touching more than N files (code-maat's default: 30).")
        var maxChangesetSize: Int = ChangeHistory.defaultMaxChangesetSize

        @Option(help: ArgumentHelp("The weight of trust-path files (1: no weighting).", valueName: "W"))
        var trustPathWeight: Double = Hotspots.defaultTrustPathWeight

        @Option(help: ArgumentHelp("A trust-path pattern (fnmatch, case-insensitive), replacing the defaults. Repeatable.", valueName: "GLOB"))
        var trustPath: [String] = []

        @Flag(help: "Print one JSON document on stdout.")
        var json = false

        private var request: AnalyticsHotspotsOperation.Request {
            AnalyticsHotspotsOperation.Request(
                repository: repo, coverage: coverage, limit: limit, minRevisions: minRevs, maxChangesetSize: maxChangesetSize,
                trustPathWeight: trustPathWeight, trustPaths: trustPath)
        }

        func validate() throws {
            do { try request.validate() } catch { throw ValidationError(error.message) }
        }

        func request(_ context: CommandContext) throws -> AnalyticsHotspotsOperation.Request { request }

        func render(report: AnalyticsHotspotsOperation.Report, _ context: CommandContext) throws {
            if json { return try printJSON(report, context) }
            context.stdout.line("rank  score       revs  complexity  trust-path       path")
            for hotspot in report.hotspots {
                context.stdout.line(
                    String(
                        format: "%4d  %10.2f %5d  %10.2f  %@  %@", hotspot.rank, hotspot.score, hotspot.inputs.boundedRevisions,
                        hotspot.inputs.complexity.totalIndentation, (hotspot.trustPath ?? "-").padding(toLength: 15, withPad: " ", startingAt: 0),
                        hotspot.inputs.path))
            }
            context.stdout.line(
                "\(report.hotspots.count) hotspots (\(report.belowMinRevisions) files under \(report.minRevisions) revisions), \(report.couplings.count) coupled pairs, \(report.commits) commits"
            )
        }
    }

    /// `hephaestus analytics ingest [FILE | -] [--store URL] [--strict] [--retention-days N] [--retention-bytes N]`.
    struct AnalyticsIngest: OperationCommand {
        typealias Performed = AnalyticsIngestOperation

        static let configuration = CommandConfiguration(
            commandName: "ingest",
            abstract: "Stream NDJSON analytics events into the event store, with bounded memory.",
            discussion: withExitStatuses(
                """
                One JSON object per line: {"time": RFC 3339, "file": PATH, "kind": KIND, "weight": N (optional)}; \
                kinds defect, incident and vulnerability count as defects in rankings. Malformed lines (and lines \
                over 64 KiB) are counted and their first 20 line numbers reported; with --strict they refuse the \
                whole input and nothing is stored. Each run is one transaction of the SQLite store; retention then \
                removes events older than --retention-days and the oldest days until the store holds at most \
                --retention-bytes.
                """))

        @OptionGroup(title: "Global options")
        var global: GlobalOptions

        @Argument(help: ArgumentHelp("The NDJSON file, or - for standard input (the default).", valueName: "FILE"))
        var input: String = "-"

        @Option(
            help: ArgumentHelp(
                "The event store: a path, sqlite:PATH or sqlite:///PATH (created when missing); postgres://… is not supported yet.",
                valueName: "URL"))
        var store: String = defaultEventStore

        @Flag(help: "Refuse the whole input (store nothing, exit 65) when any line is malformed.")
        var strict = false

        @Option(help: ArgumentHelp("Remove events older than N days.", valueName: "N"))
        var retentionDays: Int?

        @Option(help: ArgumentHelp("Remove the oldest days until the store holds at most N bytes.", valueName: "N"))
        var retentionBytes: Int?

        @Flag(help: "Print one JSON document on stdout.")
        var json = false

        var cancelsOnTermination: Bool { true }

        /// Malformed lines are reported once, by `render(report:)`.
        var failureEvent: String? { nil }

        private var request: AnalyticsIngestOperation.Request {
            AnalyticsIngestOperation.Request(input: input, store: store, strict: strict, retentionDays: retentionDays, retentionBytes: retentionBytes)
        }

        func validate() throws {
            do { try request.validate() } catch { throw ValidationError(error.message) }
        }

        func request(_ context: CommandContext) throws -> AnalyticsIngestOperation.Request { request }

        func render(report: AnalyticsIngestOperation.Report, _ context: CommandContext) throws {
            let summary = report.summary
            if summary.malformed > 0 {
                let lines = summary.malformedLines.map(String.init).joined(separator: ", ")
                let more = summary.malformed > summary.malformedLines.count ? ", …" : ""
                let message = "\(summary.malformed) malformed line\(summary.malformed == 1 ? "" : "s") (lines \(lines)\(more))"
                context.report(
                    report.strict ? .error : .warning, event: report.strict ? "analytics.malformed-events" : "analytics.malformed-lines",
                    message: report.strict ? message + "; --strict: nothing was stored" : message + " skipped",
                    metadata: ["malformed": .stringConvertible(summary.malformed), "overlong": .stringConvertible(summary.overlong)])
            }
            if json { return try printJSON(report, context) }
            guard summary.stored else { return }
            context.stdout.line(
                "\(summary.accepted) events from \(summary.lines) lines (\(summary.malformed) malformed) into \(report.store): \(report.storedEvents) events in \(report.storedBuckets) day/file/kind counts"
                    + (summary.retentionRemovedBuckets > 0 ? "; retention removed \(summary.retentionRemovedBuckets) counts" : ""))
        }
    }
}
