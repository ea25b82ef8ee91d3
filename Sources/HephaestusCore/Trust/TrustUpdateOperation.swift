import Foundation
import HephaestusPlatform
import HephaestusSigstore
import HephaestusTUF

/// `trust.update`: refreshes Sigstore's `trusted_root.json` and `signing_config.v0.2.json` over TUF into the cache
/// (`$XDG_CACHE_HOME/hephaestus/tuf/REPOSITORY/`, else `~/.cache/…`), bootstrapped from the embedded TUF root of the
/// public-good production or staging repository, or from `--tuf-root` for another repository.
public enum TrustUpdateOperation: Operation {
    public static let productionRepository = "https://tuf-repo-cdn.sigstore.dev"
    public static let stagingRepository = "https://tuf-repo-cdn.sigstage.dev"
    public static let trustedRootTarget = "trusted_root.json"
    public static let signingConfigTarget = "signing_config.v0.2.json"

    public struct Request: Codable, Sendable, Equatable {
        /// The public-good staging repository instead of production.
        public var staging: Bool
        /// Another TUF repository (with `tufRoot`, its initial trusted root).
        public var tufUrl: String?
        public var tufRoot: String?

        public init(staging: Bool = false, tufUrl: String? = nil, tufRoot: String? = nil) {
            self.staging = staging
            self.tufUrl = tufUrl
            self.tufRoot = tufRoot
        }

        public func repository() throws(RequestError) -> URL {
            if tufUrl != nil || tufRoot != nil {
                guard !staging else { throw RequestError("--staging and --tuf-url are mutually exclusive") }
                guard let tufUrl, let tufRoot, !tufRoot.isEmpty, let url = URL(string: tufUrl), url.scheme == "https" || url.scheme == "http"
                else { throw RequestError("--tuf-url URL and --tuf-root ROOT.json go together") }
                return url
            }
            return URL(string: staging ? stagingRepository : productionRepository)!
        }
    }

    public struct Report: OperationReport, Equatable {
        public let repository: String
        /// The cache directory of this repository (`metadata/` and `targets/`).
        public let cacheDirectory: String
        /// The trusted TUF root's version after the update.
        public let rootVersion: Int
        public let trustedRoot: String
        /// Absent when the repository publishes no signing config.
        public let signingConfig: String?
        /// Targets fetched now (the others were already current).
        public let downloaded: [String]
    }

    public static let descriptor = OperationDescriptor(
        name: "trust.update", command: "trust update",
        summary: "Refresh Sigstore's trusted root and signing config over TUF into the cache directory.",
        reportMediaType: MediaType.trustUpdate, effect: .idempotent,
        errorCodes: [GeneralError.Code.invalidArgument.rawValue] + TUFError.Code.allCases.map(\.rawValue)
            + FileError.Code.reading.map(\.rawValue) + [FileError.Code.writeFailed.rawValue])

    /// The cache directory of `repository` under the XDG cache home of `environment`.
    public static func cacheDirectory(for repository: URL, environment: [String: String]) -> String {
        let home = environment["XDG_CACHE_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? ((environment["HOME"] ?? "/tmp") + "/.cache")
        return "\(home)/hephaestus/tuf/\(TUFUpdater.quote(repository.absoluteString))"
    }

    public static func run(_ request: Request, in context: OperationContext, emit: ItemSink<Never>) async throws -> Report {
        let repository = try request.repository()
        let directory = cacheDirectory(for: repository, environment: context.environment)
        let start = context.clock()
        let network = context.network
        return try await BlockingWork.run {
            let metadata = directory + "/metadata"
            let targets = directory + "/targets"
            for path in [metadata, targets] {
                do {
                    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                } catch { throw FileError.writeFailed(path: path, reason: "\(error)") }
            }
            if (try? FileReader(path: metadata + "/root.json")) == nil {
                let root = try request.tufRoot.map { try FileReader(path: $0).readAll() } ?? TrustedRoot.embeddedTUFRoot(staging: request.staging)
                try TUFUpdater.initialize(metadataDirectory: metadata, rootBytes: root)
            }
            let updater = try TUFUpdater(
                metadataDirectory: metadata, metadataURL: repository, fetcher: HTTPTUFFetcher(client: try network.client()), startTime: start)
            try updater.refresh()
            var downloaded: [String] = []
            if try updater.download(
                try updater.targetInfo(trustedRootTarget), baseURL: repository.appendingPathComponent("targets"), directory: targets)
            {
                downloaded.append(trustedRootTarget)
            }
            var signingConfig: String?
            do {
                let info = try updater.targetInfo(signingConfigTarget)
                if try updater.download(info, baseURL: repository.appendingPathComponent("targets"), directory: targets) {
                    downloaded.append(signingConfigTarget)
                }
                signingConfig = targets + "/" + signingConfigTarget
            } catch let error as TUFError where error.errorCode == .targetNotFound {}
            try updater.commit()
            // The marker of a complete update: verification trusts the cache only with it (``TrustCache``).
            try AtomicFileWriter.write(Array(RFC3339.string(start).utf8), to: directory + "/" + TrustCache.markerName, overwrite: true)
            return Report(
                repository: repository.absoluteString, cacheDirectory: directory, rootVersion: updater.rootVersion,
                trustedRoot: targets + "/" + trustedRootTarget, signingConfig: signingConfig, downloaded: downloaded)
        }
    }
}
