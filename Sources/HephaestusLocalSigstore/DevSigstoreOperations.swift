import Foundation
import HephaestusCore
import HephaestusPlatform
import HephaestusSigstore
import Logging
import Synchronization

// MARK: - dev.sigstore

/// `dev.sigstore`: serves the local Sigstore TEST instance kept in a directory on 127.0.0.1 until the run is cancelled
/// (the context's cancellation, or the task's). Its one item says where it listens, once it does.
public enum DevSigstoreServeOperation: HephaestusCore.Operation {
    public struct Request: Codable, Sendable, Equatable {
        /// The instance directory (created on first use).
        public var directory: String
        /// The port on 127.0.0.1 (0…65535); 0: the port of the last run, else a free one.
        public var port: Int
        /// Where to write the service URLs and port as JSON once listening.
        public var portFile: String?

        public init(directory: String, port: Int = 0, portFile: String? = nil) {
            self.directory = directory
            self.port = port
            self.portFile = portFile
        }

        private enum CodingKeys: String, CodingKey { case directory, port, portFile }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.init(
                directory: try container.decode(String.self, forKey: .directory),
                port: try container.decodeIfPresent(Int.self, forKey: .port) ?? 0,
                portFile: try container.decodeIfPresent(String.self, forKey: .portFile))
        }

        public func validate() throws(RequestError) {
            try RequestError.checkRange(port, 0...Int(UInt16.max), option: "--port")
        }
    }

    /// Where the instance listens.
    public struct Listening: Codable, Sendable, Equatable {
        /// The base URL of every service.
        public let url: String
        public let directory: String
        public let oidcIssuer: String
        /// Entries already in the logs (kept from earlier runs).
        public let rekorV1Entries: Int64
        public let rekorV2Entries: Int64
    }

    /// What the instance did until it stopped.
    public struct Report: OperationReport, Equatable {
        public let url: String
        public let directory: String
        /// Requests answered.
        public let requests: Int
    }

    public typealias Item = Listening

    public static let descriptor = OperationDescriptor(
        name: "dev.sigstore", command: "dev sigstore serve",
        summary: "Serve a local Sigstore TEST instance (Fulcio, Rekor v1 and v2, TSA, CT, OIDC issuer) on 127.0.0.1 until cancelled.",
        reportMediaType: "application/vnd.hephaestus.dev-sigstore+json;version=1", effect: .idempotent,
        errorCodes: LocalInstanceError.Code.allCases.map(\.rawValue) + ServerError.Code.allCases.map(\.rawValue)
            + FileError.Code.allCases.map(\.rawValue),
        longRunning: true)

    public static func run(_ request: Request, in context: OperationContext, emit: ItemSink<Item>) async throws -> Report {
        try request.validate()
        let logger = context.logger
        let requests = RequestCount()
        let (instance, server, portFileBytes) = try await BlockingWork.run {
            let instance = try LocalSigstoreInstance.open(directory: request.directory, port: UInt16(request.port))
            try instance.attachLogStorage()
            try instance.writeTrustDocuments()
            let server = try instance.serve { served, status in
                requests.increment()
                logger.info(
                    "dev.sigstore.request",
                    metadata: ["method": .string(served.method), "path": .string(served.path), "status": .stringConvertible(status)])
            }
            let portFileBytes =
                Array(try JSONSerialization.data(withJSONObject: instance.portDocument, options: [.sortedKeys, .withoutEscapingSlashes])) + [0x0A]
            if let portFile = request.portFile {
                try AtomicFileWriter.write(portFileBytes, to: portFile, overwrite: true)
            }
            return (instance, server, portFileBytes)
        }
        logger.warning(
            "dev.sigstore.listening",
            metadata: [
                "url": .string(instance.baseURL), "dir": .string(request.directory), "oidc_issuer": .string(instance.oidcIssuer.url),
                "rekor_v1_entries": .stringConvertible(instance.rekorV1.size), "rekor_v2_entries": .stringConvertible(instance.rekorV2.size),
                "label": "local Sigstore TEST instance: never trust it for real releases",
            ])
        emit(
            Listening(
                url: instance.baseURL, directory: request.directory, oidcIssuer: instance.oidcIssuer.url, rekorV1Entries: instance.rekorV1.size,
                rekorV2Entries: instance.rekorV2.size))
        while !context.cancellation.isCancelled && !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(100))
        }
        server.stop()
        // The port file says an instance listens there: it goes when the instance does (unless another replaced it).
        if let portFile = request.portFile,
            (try? FileReader.contents(of: portFile, limit: 1 << 16)) == portFileBytes
        {
            try? FileManager.default.removeItem(atPath: portFile)
        }
        logger.info("dev.sigstore.stopped")
        return Report(url: instance.baseURL, directory: request.directory, requests: requests.value)
    }
}

/// Requests answered, counted by the server's threads.
private final class RequestCount: Sendable {
    private let count = Atomic<Int>(0)

    func increment() { count.add(1, ordering: .relaxed) }

    var value: Int { count.load(ordering: .relaxed) }
}

// MARK: - dev.sigstore-token

/// `dev.sigstore-token`: an OIDC identity token minted by a local TEST instance's issuer, for any identity.
public enum DevSigstoreTokenOperation: HephaestusCore.Operation {
    public struct Request: Codable, Sendable, Equatable {
        /// The instance directory (it must hold an instance).
        public var directory: String
        /// An e-mail address or a URI.
        public var identity: String
        /// The issuer claim (default: the instance's own issuer URL).
        public var issuer: String?
        /// Token lifetime in seconds (negative values mint expired tokens, for tests).
        public var lifetime: Int

        public init(directory: String, identity: String, issuer: String? = nil, lifetime: Int = 600) {
            self.directory = directory
            self.identity = identity
            self.issuer = issuer
            self.lifetime = lifetime
        }

        private enum CodingKeys: String, CodingKey { case directory, identity, issuer, lifetime }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.init(
                directory: try container.decode(String.self, forKey: .directory), identity: try container.decode(String.self, forKey: .identity),
                issuer: try container.decodeIfPresent(String.self, forKey: .issuer),
                lifetime: try container.decodeIfPresent(Int.self, forKey: .lifetime) ?? 600)
        }

        /// At most a year either way (negative lifetimes mint tokens that expired that long ago).
        public static let lifetimeRange = -31_536_000...31_536_000

        public func validate() throws(RequestError) {
            try RequestError.checkRange(lifetime, Self.lifetimeRange, option: "--lifetime", unit: "seconds")
        }
    }

    /// The token (a JWT).
    public struct Report: OperationReport, Equatable {
        public let token: String
    }

    public static let descriptor = OperationDescriptor(
        name: "dev.sigstore-token", command: "dev sigstore token",
        summary: "Mint an OIDC identity token (JWT) with the local TEST instance's issuer.",
        reportMediaType: "application/vnd.hephaestus.dev-sigstore-token+json;version=1", effect: .readOnly,
        errorCodes: LocalInstanceError.Code.allCases.map(\.rawValue) + CryptoError.Code.allCases.map(\.rawValue))

    public static func run(_ request: Request, in context: OperationContext, emit: ItemSink<Never>) async throws -> Report {
        try request.validate()
        return try await BlockingWork.run {
            let instance = try LocalSigstoreInstance.existing(directory: request.directory)
            return Report(
                token: try instance.oidcIssuer.mint(
                    identity: request.identity, issuer: request.issuer, lifetime: TimeInterval(request.lifetime), now: context.clock()))
        }
    }
}
