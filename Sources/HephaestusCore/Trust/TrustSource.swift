import Foundation
import HephaestusPlatform
import HephaestusSigstore
import HephaestusTUF
import Logging

/// Which trust material verification and signing use, resolved once per run by ``TrustChoice/resolve(in:)`` — the one
/// place every command gets it from: `--trusted-root FILE` if given, else the TUF cache `trust update` left (production
/// and `--staging` cached apart), else the copy embedded in this build.
public enum TrustSelection: Sendable, Equatable {
    /// The embedded public-good production material.
    case production
    /// The embedded public-good staging material.
    case staging
    /// A `trusted_root.json` the user named.
    case file(path: String)
    /// The checked TUF cache of the production or staging repository.
    case tufCache(TrustCache)

    /// Loads the trusted root. A missing file is a file error; a malformed one a verification (data) error.
    public func load() throws -> TrustedRoot {
        switch self {
        case .production: return try TrustedRoot.production()
        case .staging: return try TrustedRoot.staging()
        case .file(let path): return try TrustedRoot(json: FileReader.contents(of: path, limit: 16 << 20))
        case .tufCache(let cache): return cache.parsedRoot
        }
    }

    /// The signing config that goes with this trust material (the cache's when it has one, else the embedded one).
    public var signingConfig: SigningConfigSelection {
        switch self {
        case .production, .file: .production
        case .staging: .staging
        case .tufCache(let cache): cache.signingConfigPath.map { .file(path: $0) } ?? (cache.staging ? .staging : .production)
        }
    }

    /// `file`, `tuf-cache` or `embedded`.
    public var kind: String {
        switch self {
        case .production, .staging: "embedded"
        case .file: "file"
        case .tufCache: "tuf-cache"
        }
    }

    /// The file the trusted root is read from (nil: embedded).
    public var path: String? {
        switch self {
        case .production, .staging: nil
        case .file(let path): path
        case .tufCache(let cache): cache.trustedRootPath
        }
    }

    public var description: String {
        switch self {
        case .production: "embedded Sigstore public-good (production)"
        case .staging: "embedded Sigstore public-good (staging)"
        case .file(let path): path
        case .tufCache(let cache): "TUF cache of \(cache.repository) (\(cache.trustedRootPath))"
        }
    }

    /// Embedded material older than this is stale: the public-good TUF root's own expiry period (182 days), after
    /// which keys may have rotated without this build knowing.
    public static let maximumEmbeddedAge: TimeInterval = 182 * 86_400

    /// When this material was last known current: the cache's last complete refresh, the embedded copy's date; nil for
    /// a file (the user vouches for it).
    public var takenAt: Date? {
        switch self {
        case .production, .staging:
            try? Date.ISO8601FormatStyle().year().month().day().parse(TrustedRoot.embeddedRetrievedAt)
        case .file: nil
        case .tufCache(let cache): cache.refreshedAt
        }
    }

    /// Why the material is stale at `now`, naming its age and the command that refreshes it; nil when fresh.
    ///
    /// The TUF cache is stale once its timestamp metadata has expired — the point at which sigstore-go and
    /// sigstore-js stop trusting a cache without refreshing it (the public-good timestamp role lives about a week);
    /// the embedded copy after ``maximumEmbeddedAge``; a file named with `--trusted-root` never (the user chose it).
    public func staleness(at now: Date) -> String? {
        let refresh = "hephaestus trust update\(isStaging ? " --staging" : "")"
        func age(_ since: Date) -> String {
            let days = Int(now.timeIntervalSince(since) / 86_400)
            return days == 1 ? "1 day" : "\(days) days"
        }
        switch self {
        case .file: return nil
        case .production, .staging:
            guard let taken = takenAt, now.timeIntervalSince(taken) > Self.maximumEmbeddedAge else { return nil }
            return "the embedded trust material was taken on \(TrustedRoot.embeddedRetrievedAt), \(age(taken)) ago (more than 182 days); "
                + "keys may have rotated: run `\(refresh)` (or pass a current --trusted-root)"
        case .tufCache(let cache):
            guard cache.timestampExpires < now else { return nil }
            return "the TUF cache \(cache.directory) was last refreshed \(age(cache.refreshedAt)) ago and its timestamp metadata expired "
                + "on \(RFC3339.string(cache.timestampExpires)); keys may have rotated: run `\(refresh)`"
        }
    }

    var isStaging: Bool {
        switch self {
        case .staging: true
        case .tufCache(let cache): cache.staging
        default: false
        }
    }
}

/// A TUF cache of Sigstore's repository as `trust update` leaves it, checked offline: the metadata chain, the
/// trusted root's length and hashes, and the marker written after a complete update.
public struct TrustCache: Sendable, Equatable {
    /// Written (RFC 3339 time of the update's start) once an update has committed; absent, the cache never held a
    /// complete update.
    public static let markerName = "last-refresh"

    public let repository: String
    public let staging: Bool
    public let directory: String
    public let trustedRootPath: String
    /// The trusted root's bytes, as checked.
    public let trustedRoot: [UInt8]
    /// ``trustedRoot`` parsed (once, when the cache was checked).
    public let parsedRoot: TrustedRoot
    /// The cached signing config, when the repository publishes one (checked as the trusted root is).
    public let signingConfigPath: String?
    public let rootVersion: Int
    public let refreshedAt: Date
    public let timestampExpires: Date

    /// Where `trust update` keeps the cache of the production or staging repository.
    public static func directory(staging: Bool, environment: [String: String]) -> String {
        TrustUpdateOperation.cacheDirectory(
            for: URL(string: staging ? TrustUpdateOperation.stagingRepository : TrustUpdateOperation.productionRepository)!,
            environment: environment)
    }

    /// The cache in `directory`: nil when no complete update ever finished there; an error when one did and the cache
    /// no longer checks (never used silently: a damaged cache could otherwise hand verification back to older keys).
    public static func load(directory: String, staging: Bool) throws(TrustSourceError) -> TrustCache? {
        let marker = directory + "/" + markerName
        guard FileManager.default.fileExists(atPath: marker) else { return nil }
        func invalid(_ reason: String) -> TrustSourceError { .cacheInvalid(directory: directory, reason: reason, staging: staging) }
        guard let text = try? FileReader.contents(of: marker, limit: 256), let refreshedAt = RFC3339.date(String(decoding: text, as: UTF8.self))
        else { throw invalid("\(markerName) is not an RFC 3339 time") }
        let metadata = directory + "/metadata"
        let targets = directory + "/targets"
        // The chain is checked once (every signature, length and hash), then both targets against it.
        let chain: TUFUpdater.LocalMetadata
        let rootBytes: [UInt8]
        do {
            chain = try TUFUpdater.localMetadata(metadataDirectory: metadata, targetsDirectory: targets)
            rootBytes = try chain.target(TrustUpdateOperation.trustedRootTarget)
        } catch { throw invalid("\(error)") }
        let parsedRoot: TrustedRoot
        do { parsedRoot = try TrustedRoot(json: rootBytes) } catch { throw invalid("\(TrustUpdateOperation.trustedRootTarget): \(error)") }
        var signingConfigPath: String?
        do {
            _ = try SigningConfig(json: try chain.target(TrustUpdateOperation.signingConfigTarget))
            signingConfigPath = targets + "/" + TUFUpdater.quote(TrustUpdateOperation.signingConfigTarget)
        } catch let error as TUFError where error.errorCode == .targetNotFound {
        } catch { throw invalid("\(TrustUpdateOperation.signingConfigTarget): \(error)") }
        return TrustCache(
            repository: staging ? TrustUpdateOperation.stagingRepository : TrustUpdateOperation.productionRepository, staging: staging,
            directory: directory, trustedRootPath: targets + "/" + TUFUpdater.quote(TrustUpdateOperation.trustedRootTarget),
            trustedRoot: rootBytes, parsedRoot: parsedRoot, signingConfigPath: signingConfigPath, rootVersion: chain.rootVersion,
            refreshedAt: refreshedAt, timestampExpires: chain.timestampExpires)
    }

    /// Equal when read from the same place with the same checked contents (the parsed root is made from
    /// ``trustedRoot``).
    public static func == (left: TrustCache, right: TrustCache) -> Bool {
        left.repository == right.repository && left.staging == right.staging && left.directory == right.directory
            && left.trustedRootPath == right.trustedRootPath && left.trustedRoot == right.trustedRoot
            && left.signingConfigPath == right.signingConfigPath && left.rootVersion == right.rootVersion
            && left.refreshedAt == right.refreshedAt && left.timestampExpires == right.timestampExpires
    }
}

/// Why the trust material cannot be chosen.
public enum TrustSourceError: CodedError, Equatable {
    case cacheInvalid(directory: String, reason: String, staging: Bool)

    public enum Code: String, ErrorCode {
        case cacheInvalid = "trust.cache-invalid"

        public var definition: (category: ErrorCategory, summary: String) {
            switch self {
            case .cacheInvalid: (.configuration, "the TUF cache holds a complete update that no longer checks (damaged or tampered with)")
            }
        }
    }

    public var errorCode: Code { .cacheInvalid }

    public var description: String {
        switch self {
        case .cacheInvalid(let directory, let reason, let staging):
            "the TUF cache \(directory) does not check (\(reason)): remove it and run `hephaestus trust update\(staging ? " --staging" : "")`, "
                + "or pass --trusted-root FILE"
        }
    }
}

extension TrustChoice {
    /// The trust material of this run (see ``TrustSelection``), warning once per run on the logger when it is stale.
    /// Reads files only: nothing here, nor in the verification that follows, touches the network.
    public func resolve(in context: OperationContext) throws -> TrustSelection {
        let selection = try resolve(environment: context.environment)
        if let stale = selection.staleness(at: context.clock()), StaleTrustWarnings.shared.first(run: context.runID, selection.kind) {
            context.logger.warning(
                "trust.stale",
                metadata: ["message": .string(stale), "source": .string(selection.kind), "path": .string(selection.path ?? "embedded")])
        }
        return selection
    }

    /// The selection alone, without the warning.
    public func resolve(environment: [String: String]) throws -> TrustSelection {
        if let trustedRoot { return .file(path: trustedRoot) }
        let directory = TrustCache.directory(staging: staging, environment: environment)
        if let cache = try TrustCache.load(directory: directory, staging: staging) { return .tufCache(cache) }
        return staging ? .staging : .production
    }
}

/// Which runs have been warned about stale trust material (once per run and source, however many times the run
/// resolves it). Unchecked: `warned` is only touched under `lock`.
final class StaleTrustWarnings: @unchecked Sendable {
    static let shared = StaleTrustWarnings()
    private var warned = Set<String>()
    private let lock = NSLock()

    /// True the first time a run asks about a source.
    func first(run: RunID, _ source: String) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return warned.insert("\(run.value) \(source)").inserted
    }
}

/// Facts about the embedded trust material, for reports.
public enum HephaestusTrust {
    public static var origin: String { TrustedRoot.embeddedOrigin }
    public static var retrievedAt: String { TrustedRoot.embeddedRetrievedAt }
}

/// The codes choosing trust material and reading a policy file can end with, for operation descriptors.
public enum TrustErrorCodes {
    /// Every operation that resolves trust material.
    public static let source = [TrustSourceError.Code.cacheInvalid.rawValue]
    /// Every operation with `--policy`.
    public static let policy = PolicyError.Code.allCases.map(\.rawValue)
}
