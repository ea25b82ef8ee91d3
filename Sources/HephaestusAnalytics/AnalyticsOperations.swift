import Foundation
import Glibc
import HephaestusCore
import HephaestusPlatform
import HephaestusService
import Logging

extension MediaType {
    public static let analyticsRankings = "application/vnd.hephaestus.analytics-rankings+json;version=1"
    public static let analyticsHotspots = "application/vnd.hephaestus.analytics-hotspots+json;version=1"
    public static let analyticsIngest = "application/vnd.hephaestus.analytics-ingest+json;version=1"
}

/// The event store rankings read when none is named: `.hephaestus/analytics.sqlite` under the repository's top level.
public let defaultEventStore = ".hephaestus/analytics.sqlite"

/// What naming an event store can fail with: not a store location, or a kind this build cannot open (PostgreSQL).
let storeLocationCodes = [ServiceStoreError.Code.invalidLocation.rawValue, ServiceStoreError.Code.unsupported.rawValue]

/// `analytics.rankings`: the repository's files ranked for refactoring by one strategy, with every input per file.
public enum AnalyticsRankingsOperation: HephaestusCore.Operation {
    public struct Request: Codable, Sendable, Equatable {
        public var strategy: RankingStrategy
        /// A directory inside the git work tree (default `.`).
        public var repository: String
        /// A coverage report (coverage.py JSON, Cobertura XML or lcov).
        public var coverage: String?
        /// Only history since this date (YYYY-MM-DD or RFC 3339), events too.
        public var since: String?
        /// At most this many files in the report (all when nil).
        public var limit: Int?
        public var include: [String]
        public var exclude: [String]
        /// The event store (default: `.hephaestus/analytics.sqlite` under the repository, when it exists).
        public var events: String?
        /// A log in code-maat's format to read the history from, instead of running `git log`.
        public var log: String?

        public init(
            strategy: RankingStrategy, repository: String = ".", coverage: String? = nil, since: String? = nil, limit: Int? = nil,
            include: [String] = [], exclude: [String] = [], events: String? = nil, log: String? = nil
        ) {
            self.log = log
            self.strategy = strategy
            self.repository = repository
            self.coverage = coverage
            self.since = since
            self.limit = limit
            self.include = include
            self.exclude = exclude
            self.events = events
        }

        public func validate() throws(RequestError) {
            if let limit { try RequestError.checkRange(limit, 1...1_000_000, option: "--limit") }
            if let since, AnalyticsInputs.day(of: since) == nil {
                throw RequestError("--since must be a date (YYYY-MM-DD) or an RFC 3339 date-time, not \(since)")
            }
            if strategy == .coverageFirst && coverage == nil {
                throw RequestError("--strategy coverage_first needs --coverage (a coverage.py JSON, Cobertura XML or lcov report)")
            }
        }
    }

    public struct Report: OperationReport, Equatable {
        public let strategy: RankingStrategy
        /// The repository's top-level directory.
        public let repository: String
        public let since: String?
        public let coverage: AnalyticsInputs.CoverageSource?
        /// The event store read (nil: none).
        public let events: String?
        /// Commits read from the history.
        public let commits: Int
        /// Files ranked (before `--limit`).
        public let rankedFiles: Int
        /// The maxima of the normalisation, over all ranked files.
        public let maxima: RankingStrategy.Maxima
        public let files: [RankedFile]
    }

    public struct RankedFile: Codable, Sendable, Equatable {
        public let rank: Int
        public let score: Double
        public let inputs: FileInputs
    }

    public static let descriptor = OperationDescriptor(
        name: "analytics.rankings", command: "analytics rankings",
        summary: "Rank the repository's files for refactoring by a documented strategy over history, complexity, coverage and events.",
        reportMediaType: MediaType.analyticsRankings, effect: .readOnly, errorCodes: AnalyticsInputs.errorCodes)

    public static func run(_ request: Request, in context: OperationContext, emit: ItemSink<Never>) async throws -> Report {
        try request.validate()
        return try await BlockingWork.run {
            let inputs = try AnalyticsInputs(
                repository: request.repository, since: request.since, coverage: request.coverage, events: request.events,
                filter: PathFilter(include: request.include, exclude: request.exclude), maxChangesetSize: ChangeHistory.defaultMaxChangesetSize,
                log: request.log)
            let ranked = request.strategy.rank(inputs.files.inputs)
            let files = ranked.prefix(request.limit ?? ranked.count).enumerated().map { index, entry in
                RankedFile(rank: index + 1, score: entry.score, inputs: entry.file)
            }
            context.logger.info(
                "analytics.rankings", metadata: ["strategy": .string(request.strategy.rawValue), "files": .stringConvertible(ranked.count)])
            return Report(
                strategy: request.strategy, repository: inputs.files.root, since: request.since, coverage: inputs.coverage,
                events: inputs.eventStore, commits: inputs.files.history.commits, rankedFiles: ranked.count,
                maxima: RankingStrategy.Maxima(inputs.files.inputs), files: Array(files))
        }
    }
}

/// `analytics.hotspots`: change frequency × complexity with code-maat's thresholds, trust-path weighting, and the
/// coupled pairs code-maat's `coupling` analysis reports.
public enum AnalyticsHotspotsOperation: HephaestusCore.Operation {
    public struct Request: Codable, Sendable, Equatable {
        public var repository: String
        public var coverage: String?
        public var limit: Int?
        /// Minimum revisions of a hotspot (code-maat's `--min-revs`, default 5).
        public var minRevisions: Int
        /// Commits touching more files are left out (code-maat's `--max-changeset-size`, default 30).
        public var maxChangesetSize: Int
        /// The weight of files on the trust path (default 2; 1 turns the weighting off).
        public var trustPathWeight: Double
        /// Trust-path patterns replacing the defaults (empty: the defaults).
        public var trustPaths: [String]

        public init(
            repository: String = ".", coverage: String? = nil, limit: Int? = nil, minRevisions: Int = 5,
            maxChangesetSize: Int = ChangeHistory.defaultMaxChangesetSize, trustPathWeight: Double = Hotspots.defaultTrustPathWeight,
            trustPaths: [String] = []
        ) {
            self.repository = repository
            self.coverage = coverage
            self.limit = limit
            self.minRevisions = minRevisions
            self.maxChangesetSize = maxChangesetSize
            self.trustPathWeight = trustPathWeight
            self.trustPaths = trustPaths
        }

        public func validate() throws(RequestError) {
            if let limit { try RequestError.checkRange(limit, 1...1_000_000, option: "--limit") }
            try RequestError.checkRange(minRevisions, 1...1_000_000, option: "--min-revs")
            try RequestError.checkRange(maxChangesetSize, 1...1_000_000, option: "--max-changeset-size")
            guard trustPathWeight.isFinite else { throw RequestError("--trust-path-weight must be a number") }
            try RequestError.checkRange(trustPathWeight, 0...1000, option: "--trust-path-weight")
        }

        /// The trust path in force.
        public var trustPathPatterns: [Hotspots.TrustPath] {
            trustPaths.isEmpty ? Hotspots.defaultTrustPaths : trustPaths.map { Hotspots.TrustPath(category: "custom", pattern: $0) }
        }
    }

    public struct Report: OperationReport, Equatable {
        public let repository: String
        public let coverage: AnalyticsInputs.CoverageSource?
        public let commits: Int
        public let minRevisions: Int
        public let maxChangesetSize: Int
        public let trustPathWeight: Double
        public let trustPaths: [Hotspots.TrustPath]
        /// Files with fewer than `minRevisions` bounded revisions (not hotspots).
        public let belowMinRevisions: Int
        public let hotspots: [Hotspots.Hotspot]
        /// Coupled pairs with code-maat's thresholds (min-revs, min-shared-revs 5, min-coupling 30, max-coupling 100,
        /// max-changeset-size), over the latest names of the files.
        public let couplings: [ChangeHistory.Coupling]
    }

    public static let descriptor = OperationDescriptor(
        name: "analytics.hotspots", command: "analytics hotspots",
        summary: "Find hotspots (change frequency × complexity) with code-maat's thresholds and trust-path weighting.",
        reportMediaType: MediaType.analyticsHotspots, effect: .readOnly, errorCodes: AnalyticsInputs.errorCodes)

    public static func run(_ request: Request, in context: OperationContext, emit: ItemSink<Never>) async throws -> Report {
        try request.validate()
        return try await BlockingWork.run {
            let inputs = try AnalyticsInputs(
                repository: request.repository, since: nil, coverage: request.coverage, events: nil, filter: PathFilter(),
                maxChangesetSize: request.maxChangesetSize)
            let all = Hotspots.rank(
                inputs.files.inputs, minRevisions: request.minRevisions, trustPaths: request.trustPathPatterns,
                trustPathWeight: request.trustPathWeight)
            let couplings = inputs.files.history.couplings(ChangeHistory.CouplingThresholds(minRevisions: request.minRevisions))
            context.logger.info(
                "analytics.hotspots", metadata: ["hotspots": .stringConvertible(all.count), "couplings": .stringConvertible(couplings.count)])
            return Report(
                repository: inputs.files.root, coverage: inputs.coverage, commits: inputs.files.history.commits, minRevisions: request.minRevisions,
                maxChangesetSize: request.maxChangesetSize, trustPathWeight: request.trustPathWeight, trustPaths: request.trustPathPatterns,
                belowMinRevisions: inputs.files.inputs.count - all.count, hotspots: Array(all.prefix(request.limit ?? all.count)),
                couplings: couplings)
        }
    }
}

/// What rankings and hotspots read: the repository's files with history and complexity, coverage and events.
public struct AnalyticsInputs: Sendable {
    /// The coverage report read.
    public struct CoverageSource: Codable, Sendable, Equatable {
        public let path: String
        public let format: CoverageReport.Format
        /// Files the report lists.
        public let files: Int
    }

    static let errorCodes =
        [
            AnalyticsError.Code.gitFailed.rawValue, AnalyticsError.Code.notARepository.rawValue, AnalyticsError.Code.coverageUnreadable.rawValue,
            AnalyticsError.Code.storeFailed.rawValue,
        ] + storeLocationCodes + FileError.Code.reading.map(\.rawValue)

    public let files: RepositoryFiles
    public let coverage: CoverageSource?
    public let eventStore: String?

    init(
        repository: String, since: String?, coverage: String?, events: String?, filter: PathFilter, maxChangesetSize: Int, log: String? = nil
    ) throws {
        let root = try RepositoryFiles.topLevel(repository)
        let report = try coverage.map { try CoverageReport.read(path: $0, repository: root) }
        let storePath = events ?? (root + "/" + defaultEventStore)
        var defects: [String: Double] = [:]
        if events != nil || FileManager.default.fileExists(atPath: storePath) {
            let store = try EventStore(location: storePath, create: false)
            defects = try store.defects(sinceDay: since.flatMap(Self.day(of:)))
            eventStore = store.path
        } else {
            eventStore = nil
        }
        self.coverage = zip(coverage, report).map { CoverageSource(path: $0, format: $1.format, files: $1.files.count) }
        files = try RepositoryFiles(
            repository: root, since: since, maxChangesetSize: maxChangesetSize, filter: filter, coverage: report, defects: defects, logFile: log)
    }

    /// The day (since 1970-01-01) of `YYYY-MM-DD` or an RFC 3339 date-time; nil when neither.
    public static func day(of text: String) -> Int? {
        let bytes = Array(text.utf8) + (text.utf8.count == 10 ? Array("T00:00:00Z".utf8) : [])
        return bytes.withUnsafeBytes { RFC3339Day.parse($0) }
    }
}

private func zip<A, B>(_ a: A?, _ b: B?) -> (A, B)? {
    guard let a, let b else { return nil }
    return (a, b)
}

/// `analytics.ingest`: NDJSON events streamed from a file or standard input into the event store.
public enum AnalyticsIngestOperation: HephaestusCore.Operation {
    public struct Request: Codable, Sendable, Equatable {
        /// A file, or `-` for standard input.
        public var input: String
        public var store: String
        /// Any malformed line refuses the whole input (nothing stored).
        public var strict: Bool
        public var retentionDays: Int?
        public var retentionBytes: Int?

        public init(
            input: String = "-", store: String = defaultEventStore, strict: Bool = false, retentionDays: Int? = nil, retentionBytes: Int? = nil
        ) {
            self.input = input
            self.store = store
            self.strict = strict
            self.retentionDays = retentionDays
            self.retentionBytes = retentionBytes
        }

        public func validate() throws(RequestError) {
            if let retentionDays { try RequestError.checkRange(retentionDays, 0...1_000_000, option: "--retention-days") }
            if let retentionBytes { try RequestError.checkRange(retentionBytes, 4096...(1 << 50), option: "--retention-bytes") }
            // A location that is not one fails here, as usage; a kind this build cannot open fails when opened.
            do { _ = try StoreLocation(parsingURLOrPath: store) } catch { throw RequestError(error.description) }
        }
    }

    public struct Report: OperationReport, Equatable {
        public let input: String
        public let store: String
        public let strict: Bool
        public let summary: EventIngestion.Summary
        /// The store after the ingestion.
        public let storedBuckets: Int
        public let storedEvents: Int

        public var failure: (any CodedError)? {
            strict && summary.malformed > 0 ? AnalyticsError.malformedEvents(count: summary.malformed, firstLines: summary.malformedLines) : nil
        }
    }

    public static let descriptor = OperationDescriptor(
        name: "analytics.ingest", command: "analytics ingest",
        summary: "Stream NDJSON analytics events from a file or standard input into the event store, with bounded memory.",
        reportMediaType: MediaType.analyticsIngest, effect: .destructive,
        errorCodes: [AnalyticsError.Code.malformedEvents.rawValue, AnalyticsError.Code.storeFailed.rawValue] + storeLocationCodes
            + FileError.Code.reading.map(\.rawValue),
        longRunning: true)

    public static func run(_ request: Request, in context: OperationContext, emit: ItemSink<Never>) async throws -> Report {
        try request.validate()
        return try await BlockingWork.run {
            let descriptor: Int32
            if request.input == "-" {
                descriptor = 0
            } else {
                descriptor = open(NativePath.cString(request.input), O_RDONLY | O_CLOEXEC)
                guard descriptor >= 0 else { throw FileError.fromErrno(errno, path: request.input) }
                var info = stat()
                if fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFDIR {
                    close(descriptor)
                    throw FileError.isDirectory(path: request.input)
                }
            }
            defer { if descriptor != 0 { close(descriptor) } }
            return try ingest(request, from: DescriptorByteSource(descriptor: descriptor, name: request.input), in: context)
        }
    }

    /// Ingests the stream `channel` carries instead of `request.input` (which only names it in the report): how the
    /// service ingests a request body as it arrives (`POST /v1/analytics/events`), with the same bounded memory. The
    /// channel is closed when the ingestion ends, so its producer stops waiting; an error the producer finishes the
    /// stream with (a client gone, a body over the limit) is thrown, and nothing is stored.
    public static func run(_ request: Request, reading channel: ByteChannel, in context: OperationContext) async throws -> Report {
        try request.validate()
        return try await BlockingWork.run {
            defer { channel.close() }
            return try ingest(request, from: channel, in: context)
        }
    }

    private static func ingest(_ request: Request, from source: any ByteSource, in context: OperationContext) throws -> Report {
        let today = Int((context.clock().timeIntervalSince1970 / 86400).rounded(.down))
        let store = try EventStore(location: request.store, create: true)
        let summary = try EventIngestion.ingest(
            source: source, into: store, strict: request.strict,
            retention: EventIngestion.Retention(days: request.retentionDays, bytes: request.retentionBytes), today: today,
            cancelled: { context.cancellation.isCancelled })
        let totals = try store.totals()
        context.logger.info(
            "analytics.ingested",
            metadata: [
                "lines": .stringConvertible(summary.lines), "accepted": .stringConvertible(summary.accepted),
                "malformed": .stringConvertible(summary.malformed),
            ])
        return Report(
            input: request.input, store: store.path, strict: request.strict, summary: summary, storedBuckets: totals.buckets,
            storedEvents: totals.events)
    }
}
