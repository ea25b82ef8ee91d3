import HephaestusCore
import HephaestusSigstore

/// The bodies of `POST /v1/verify/bundle` and `/v1/verify/batch`, read once. The body is parsed with the verifier's
/// strict JSON parser; each `bundle` object is taken out as parsed and the rest — a few short fields, written back as
/// JSON — decoded as the gRPC message by its proto3 JSON mapping, so a bundle is parsed once instead of being built into a
/// `google.protobuf.Struct`, written back to text and parsed again. A body the strict parser refuses (not JSON,
/// duplicate keys, too deep), whose `bundle` is not an object, or whose other fields hold a fractional number (which
/// no field of the request takes) is decoded whole by the proto3 JSON mapping, which answers it exactly as before: the
/// same request, or the same error.
enum VerifyBundleBody {
    static func request(_ body: [UInt8]) throws -> VerifyBundleInput {
        guard case .object(var fields)? = try? JSONValue.parse(body), let bundle = takeBundle(from: &fields),
            let rest = CanonicalJSON(.object(fields))
        else {
            return VerifyBundleInput(try RESTRoutes.decode(Hephaestus_V1_VerifyBundleRequest.self, from: body))
        }
        let message = try RESTRoutes.decode(Hephaestus_V1_VerifyBundleRequest.self, from: rest.serialized)
        return VerifyBundleInput(message, parsedBundle: bundle)
    }

    /// A batch body's items, each read as ``request(_:)`` reads a body when it is verified: the body's text is held, but
    /// never every item's parse at once. A body the strict parser refuses is decoded whole by the proto3 JSON mapping (as
    /// `request` does), if it is small; a large one is refused with the parser's reason, since the mapping's
    /// `google.protobuf.Struct` of every bundle would take several times the body's size.
    static func items(_ body: [UInt8]) throws -> VerifyBatchItems {
        let parsed: (object: [String: JSONValue], elements: [Range<Int>])?
        do {
            parsed = try JSONValue.parse(body, deferringElementsOf: "items")
        } catch {
            guard body.count <= wholeDecodingLimit else {
                throw RequestError("the body is not a \(Hephaestus_V1_VerifyBatchRequest.protoMessageName) in JSON: \(error)")
            }
            parsed = nil
        }
        guard let (fields, elements) = parsed, let rest = CanonicalJSON(.object(fields)) else {
            let items = try RESTRoutes.decode(Hephaestus_V1_VerifyBatchRequest.self, from: body).items
            return VerifyBatchItems(count: items.count) { VerifyBundleInput(items[$0]) }
        }
        // What is left beside the items (nothing, in a valid body) is refused as the mapping refuses it.
        _ = try RESTRoutes.decode(Hephaestus_V1_VerifyBatchRequest.self, from: rest.serialized)
        return VerifyBatchItems(count: elements.count) { index in
            do {
                return try request(Array(body[elements[index]]))
            } catch let error as RequestError {
                throw RequestError("items[\(index)]: \(error.message)")
            }
        }
    }

    /// The largest body the proto3 JSON mapping decodes whole when the strict parser refuses it.
    static let wholeDecodingLimit = 1 << 20

    /// Removes and returns `bundle` when it is an object (proto3 JSON: `null` means absent; anything else is the
    /// mapping's to refuse).
    private static func takeBundle(from fields: inout [String: JSONValue]) -> JSONValue? {
        guard case .object? = fields["bundle"] else { return nil }
        return fields.removeValue(forKey: "bundle")
    }
}

/// The items of a `POST /v1/verify/batch` body, read one at a time (``VerifyBundleBody/items(_:)``).
public struct VerifyBatchItems: Sendable {
    public let count: Int
    private let read: @Sendable (Int) throws -> VerifyBundleInput

    init(count: Int, read: @escaping @Sendable (Int) throws -> VerifyBundleInput) {
        self.count = count
        self.read = read
    }

    /// Item `index` (0 ..< count), read now: a malformed item throws, naming its index.
    public func item(_ index: Int) throws -> VerifyBundleInput { try read(index) }
}
