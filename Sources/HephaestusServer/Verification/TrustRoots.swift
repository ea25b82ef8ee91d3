import HephaestusCore
import HephaestusPlatform
import HephaestusSigstore

/// The trusted roots the service verifies against, loaded once at start: the default (`--trusted-root FILE`,
/// `--staging` or the embedded production root) and the extra ones requests may name (`--extra-trusted-root
/// NAME=FILE`). Clients never send a root of their own: the service decides trust.
public struct TrustRoots: Sendable {
    /// One verifier per root: each keeps its own cache of verified signatures across requests.
    public let defaultVerifier: BundleVerifier
    public let defaultDescription: String
    public let extra: [String: BundleVerifier]

    public init(defaultSelection: TrustSelection, extra: [String: String]) throws {
        defaultVerifier = BundleVerifier(trustedRoot: try defaultSelection.load())
        defaultDescription = defaultSelection.description
        var loaded: [String: BundleVerifier] = [:]
        for (name, path) in extra {
            loaded[name] = BundleVerifier(trustedRoot: try TrustSelection.file(path: path).load())
        }
        self.extra = loaded
    }

    /// The verifier for a request's `trustedRoot` (nil: the default); an unknown name is a bad request.
    public func verifier(named name: String?) throws(RequestError) -> BundleVerifier {
        guard let name else { return defaultVerifier }
        guard let verifier = extra[name] else {
            let known = extra.keys.sorted()
            throw RequestError(
                "trustedRoot \(name) is not a root this service was started with"
                    + (known.isEmpty ? " (it has none besides its default)" : " (known: \(known.joined(separator: ", ")))"))
        }
        return verifier
    }

    /// Parses `--extra-trusted-root NAME=FILE` values.
    public static func parseExtra(_ values: [String]) throws(RequestError) -> [String: String] {
        var result: [String: String] = [:]
        for value in values {
            guard let equals = value.firstIndex(of: "="), value.startIndex != equals, value.index(after: equals) != value.endIndex else {
                throw RequestError("--extra-trusted-root \(value): expected NAME=FILE")
            }
            let name = String(value[..<equals])
            guard result[name] == nil else { throw RequestError("--extra-trusted-root \(name) is given twice") }
            result[name] = String(value[value.index(after: equals)...])
        }
        return result
    }
}
