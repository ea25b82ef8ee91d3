import Foundation
import HephaestusCore
import HephaestusOperations
import HephaestusPlatform
import HephaestusSigstore
import Logging
import Synchronization

/// What the REST and gRPC transports share: the trust roots' verifiers, the registry runner, the limits and the
/// service's state. A transport decodes its input, calls one of these, and encodes the answer; neither holds logic
/// of its own, so both answer the same thing by construction.
public final class ServiceCore: Sendable {
    public let verification: BundleVerificationService
    public let limits: ServiceLimits
    /// The request body bytes every REST request and gRPC call hold together (`limits.maxBodyBytesInFlight`).
    public let bodyBudget: BodyBudget
    public let logger: Logger
    /// The store the accounts and audit operations use when served (a request cannot name another).
    public let serviceStore: (any AttachedServiceStore)?
    private let drainingFlag = Atomic<Bool>(false)

    /// The trust and endpoints every served operation uses (the service decides them: see ``ServiceChoices``).
    public let choices: ServiceChoices
    /// Operation spans (children of the request's span) when the service traces; ``NoInstrumentation`` otherwise.
    public let instrumentation: any Instrumentation

    public init(
        verification: BundleVerificationService, limits: ServiceLimits, logger: Logger, serviceStore: (any AttachedServiceStore)? = nil,
        choices: ServiceChoices = ServiceChoices(), instrumentation: any Instrumentation = NoInstrumentation()
    ) {
        self.choices = choices
        self.instrumentation = instrumentation
        self.verification = verification
        self.limits = limits
        bodyBudget = BodyBudget(capacity: limits.maxBodyBytesInFlight)
        self.logger = logger
        self.serviceStore = serviceStore
    }

    /// Set when SIGTERM arrives: new requests are refused with 503 while running ones finish.
    public var isDraining: Bool { drainingFlag.load(ordering: .acquiring) }

    public func beginDraining() {
        drainingFlag.store(true, ordering: .releasing)
    }

    /// One bundle verified off the concurrency pool's threads: a body of up to `limits.max_body_bytes` can take long to
    /// read and check, and the pool's few threads must stay free for every other request's timers and streams.
    public func verifyBundle(_ request: VerifyBundleInput, runID: RunID) async throws -> VerifiedDocument {
        let verification = self.verification
        return try await OperationMeasurement.measure(
            VerifyBundleOperation.descriptor.name, runID: runID, instrumentation: instrumentation, failure: \.failure,
            body: { try await BlockingWork.run { try verification.verify(request, source: "request.bundle", runID: runID) } })
    }

    /// Several bundles, in order, each verified as ``verifyBundle(_:runID:)`` would and its document handed to `encode`;
    /// a malformed item fails the whole request (naming the item), a bundle that does not verify is that item's verdict.
    /// Each item is read when its turn comes, and neither it nor its document is kept once encoded: what a batch holds
    /// is its body's text and the encoded results.
    public func verifyBatch<Encoded: Sendable>(
        _ items: VerifyBatchItems, runID: RunID, encode: @escaping @Sendable (VerifiedDocument) throws -> Encoded
    ) async throws -> [Encoded] {
        let verification = self.verification
        return try await OperationMeasurement.measure(
            VerifyBatchOperation.descriptor.name, runID: runID, instrumentation: instrumentation, failure: \.failure,
            body: {
                try await BlockingWork.run {
                    var batch = VerifiedBatch<Encoded>()
                    batch.results.reserveCapacity(items.count)
                    for index in 0..<items.count {
                        let document = try verification.verify(try items.item(index), source: "request.items[\(index)].bundle", runID: runID)
                        if batch.failure == nil, !document.passed { batch.failure = document.failure }
                        batch.results.append(try encode(document))
                    }
                    return batch
                }
            }
        ).results
    }

    /// Runs the registered operation `name` on a JSON request, within the request timeout; items it emits go to `emit`.
    public func callOperation(
        _ name: String, requestJSON: [UInt8], runID: RunID, emit: @escaping @Sendable ([UInt8]) -> Void = { _ in }
    ) async throws -> ReportDocument {
        guard let operation = OperationRegistry.operation(named: name) else {
            throw RequestError("no operation \(name) (GET /v1/operations lists them)")
        }
        let requestJSON = try ServiceTrust.apply(choices, to: requestJSON, operation: name)
        let context = OperationContext(
            runID: runID, logger: logger.with(runID: runID), instrumentation: instrumentation, serviceStore: serviceStore)
        let seconds = limits.requestTimeoutSeconds
        return try await withThrowingTaskGroup(of: ReportDocument?.self) { group in
            group.addTask { try await operation.runJSON(requestJSON, in: context, emit: emit) }
            group.addTask {
                try await Task.sleep(for: .seconds(seconds))
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let document = first else {
                context.cancellation.cancel()
                throw ServiceLimitError.requestTimeout(seconds: seconds)
            }
            return document
        }
    }
}

/// A batch's encoded results and the first failing verdict among them (its operation's outcome).
struct VerifiedBatch<Encoded: Sendable>: Sendable {
    var results: [Encoded] = []
    var failure: (any CodedError)?
}

extension Logger {
    /// This logger with the run id as metadata.
    func with(runID: RunID) -> Logger {
        var logger = self
        logger[metadataKey: "run_id"] = .string(runID.value)
        return logger
    }
}

/// What the service decides for every operation it serves: the trust (`--trusted-root`, `--staging`) and the GitHub API
/// (`[github] api_url` in the configuration file, for GitHub Enterprise Server or a mirror; api.github.com when unset).
public struct ServiceChoices: Sendable, Equatable {
    public var trust: TrustChoice
    public var githubAPIURL: String?

    public init(trust: TrustChoice = TrustChoice(), githubAPIURL: String? = nil) {
        self.trust = trust
        self.githubAPIURL = githubAPIURL
    }
}

/// What a request may ask of the service beyond its operation's role. The service decides trust: an operation's
/// `trust` (`{"trustedRoot": FILE}` or `{"staging": true}` on the command line) is the service's own when served; a
/// request that names a root of its own is refused. Nor may a request name an endpoint for the service to fetch from
/// (the GitHub API, a package index, a TUF repository: any URL a caller chose would make the service a proxy into its
/// own network), the service's standard input (`-`), or a file for a read-only operation to write (`schema.export`'s
/// `output`, which a viewer may call). An operation that reads GitHub gets the service's configured API in its
/// `github.apiURL`. Nor may a request hold more than ``maximumRequestValues`` JSON values.
enum ServiceTrust {
    /// The most JSON values an operation's request may hold (every object, array, string, number and literal): ten
    /// thousand files to digest or sign in one request, for instance. Its parse and its report grow with it, so the
    /// bound keeps what one request costs near its body's size.
    static let maximumRequestValues = 10_000

    /// Request members naming an endpoint, at any depth: the operations use the service's (``ServiceChoices``) or their
    /// defaults (api.github.com, pypi.org, the public-good TUF repository) when served.
    static let endpointFields: Set<String> = ["apiURL", "repositoryURL", "indexURL", "tufUrl", "metadataUrl", "targetBaseUrl"]
    /// Members of read-only operations that would write files on the service's machine.
    static let fileOutputFields: Set<String> = ["output", "overwrite"]

    static func apply(_ choices: ServiceChoices, to requestJSON: [UInt8], operation: String) throws -> [UInt8] {
        do {
            _ = try JSONValue.parse(requestJSON, maximumValues: maximumRequestValues)
        } catch  where error.exceedsLimit {
            throw RequestError("the request holds more than \(maximumRequestValues) JSON values (send several smaller ones)")
        } catch {
            // Not JSON, or not strict JSON: the operation's decoder words that.
        }
        guard var object = (try? JSONSerialization.jsonObject(with: Data(requestJSON))) as? [String: Any] else { return requestJSON }
        try refuseServerSideReach(object, operation: operation)
        // `verify.github-attestation` names its root as gh does (`--custom-trusted-root`): a file of the client's choice too.
        if object["customTrustedRoot"] != nil {
            throw RequestError("customTrustedRoot: the service decides which root to verify against; leave it out")
        }
        var changed = false
        if let apiURL = choices.githubAPIURL, OperationSchema.requestSchema(for: operation)?.member("properties")?.member("github") != nil {
            var github = object["github"] as? [String: Any] ?? [:]
            github["apiURL"] = apiURL
            object["github"] = github
            changed = true
        }
        if let given = object["trust"] {
            if let fields = given as? [String: Any], fields["trustedRoot"] != nil || (fields["staging"] as? Bool) == true {
                throw RequestError("trust: the service decides which root to verify against; send \"trust\": {} (or none)")
            }
            var fields: [String: Any] = [:]
            if let root = choices.trust.trustedRoot { fields["trustedRoot"] = root }
            if choices.trust.staging { fields["staging"] = true }
            object["trust"] = fields
            changed = true
        }
        return changed ? Array(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) : requestJSON
    }

    /// Refuses endpoints, `-` and a read-only operation's file output anywhere in `request` (one line naming the member).
    static func refuseServerSideReach(_ request: [String: Any], operation: String) throws(RequestError) {
        if OperationRegistry.operation(named: operation)?.descriptor.effect == .readOnly,
            let field = fileOutputFields.sorted().first(where: { request[$0] != nil && !(request[$0] is NSNull) })
        {
            throw RequestError("\(field): \(operation) over the service returns its result in the response; it writes no file on the server")
        }
        try refuse(request, path: "")
    }

    private static func refuse(_ value: Any, path: String) throws(RequestError) {
        switch value {
        case let object as [String: Any]:
            for (key, member) in object.sorted(by: { $0.key < $1.key }) {
                let memberPath = path.isEmpty ? key : "\(path).\(key)"
                if endpointFields.contains(key), !(member is NSNull) {
                    throw RequestError("\(memberPath): the service uses its own endpoints; a request cannot name one for it to fetch from")
                }
                try refuse(member, path: memberPath)
            }
        case let array as [Any]:
            for (index, element) in array.enumerated() { try refuse(element, path: "\(path)[\(index)]") }
        case let text as String where text == "-":
            throw RequestError("\(path): - (standard input) means nothing to the service; send a path on the server or the content itself")
        default:
            break
        }
    }
}
