import Foundation
import HephaestusPlatform
import HephaestusTUF

/// `conformance.tuf-client`: the TUF client as the tuf-conformance client protocol drives it (`conformance tuf-client`):
/// install a trusted root, refresh the metadata, or refresh and download targets in order.
public enum TUFClientOperation: Operation {
    public enum Action: String, Codable, Sendable {
        case `init`
        case refresh
        case download
    }

    public struct Request: Codable, Sendable, Equatable {
        /// `init`, `refresh` or `download`.
        public var command: String
        /// The directory of the trusted metadata (unversioned names: `root.json`, `timestamp.json`, …).
        public var metadataDir: String
        /// The trusted root `init` installs.
        public var trustedRoot: String?
        /// The repository's metadata base URL (`refresh`, `download`).
        public var metadataUrl: String?
        /// The targets `download` fetches, in order.
        public var targetName: [String]
        public var targetBaseUrl: String?
        public var targetDir: String?

        public init(
            command: String, metadataDir: String, trustedRoot: String? = nil, metadataUrl: String? = nil, targetName: [String] = [],
            targetBaseUrl: String? = nil, targetDir: String? = nil
        ) {
            self.command = command
            self.metadataDir = metadataDir
            self.trustedRoot = trustedRoot
            self.metadataUrl = metadataUrl
            self.targetName = targetName
            self.targetBaseUrl = targetBaseUrl
            self.targetDir = targetDir
        }

        /// The action and its URLs, or the usage error.
        func validated() throws(RequestError) -> (Action, metadataURL: URL?, targetBaseURL: URL?) {
            guard let action = Action(rawValue: command) else { throw RequestError("unknown command \(command): init, refresh or download") }
            func url(_ text: String?, _ flag: String) throws(RequestError) -> URL {
                guard let text, let url = URL(string: text), url.scheme == "http" || url.scheme == "https" else {
                    throw RequestError("\(command) needs \(flag) (an http or https URL)")
                }
                return url
            }
            switch action {
            case .`init`:
                guard trustedRoot != nil else { throw RequestError("init needs the trusted root.json") }
                return (action, nil, nil)
            case .refresh:
                return (action, try url(metadataUrl, "--metadata-url"), nil)
            case .download:
                guard !targetName.isEmpty, targetDir != nil else { throw RequestError("download needs --target-name and --target-dir") }
                return (action, try url(metadataUrl, "--metadata-url"), try url(targetBaseUrl, "--target-base-url"))
            }
        }
    }

    public struct Report: OperationReport, Equatable {
        /// The trusted root's version afterwards.
        public let rootVersion: Int
        /// Targets fetched, in order.
        public let downloaded: [String]
        /// Targets already in the target directory with the listed length and hashes (not fetched again).
        public let alreadyPresent: [String]
    }

    public static let descriptor = OperationDescriptor(
        name: "conformance.tuf-client", command: "conformance tuf-client",
        summary: "Run the TUF client (tuf-conformance protocol): install a trusted root, refresh metadata, download targets.",
        reportMediaType: MediaType.tufClientResult, effect: .idempotent,
        errorCodes: [GeneralError.Code.invalidArgument.rawValue] + TUFError.Code.allCases.map(\.rawValue)
            + FileError.Code.reading.map(\.rawValue) + [FileError.Code.writeFailed.rawValue])

    public static func run(_ request: Request, in context: OperationContext, emit: ItemSink<Never>) async throws -> Report {
        let (action, metadataURL, targetBaseURL) = try request.validated()
        let start = context.clock()
        let network = context.network
        return try await BlockingWork.run {
            if action == .`init` {
                let root = try FileReader(path: request.trustedRoot!).readAll()
                return Report(
                    rootVersion: try TUFUpdater.initialize(metadataDirectory: request.metadataDir, rootBytes: root), downloaded: [],
                    alreadyPresent: [])
            }
            let updater = try TUFUpdater(
                metadataDirectory: request.metadataDir, metadataURL: metadataURL!, fetcher: HTTPTUFFetcher(client: try network.client()),
                startTime: start)
            try updater.refresh()
            var downloaded: [String] = []
            var present: [String] = []
            if action == .download {
                for name in request.targetName {
                    let fetched = try updater.download(try updater.targetInfo(name), baseURL: targetBaseURL!, directory: request.targetDir!)
                    if fetched { downloaded.append(name) } else { present.append(name) }
                }
            }
            try updater.commit()
            return Report(rootVersion: updater.rootVersion, downloaded: downloaded, alreadyPresent: present)
        }
    }
}
