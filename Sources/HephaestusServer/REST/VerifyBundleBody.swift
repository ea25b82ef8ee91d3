import HephaestusCore
import HephaestusSigstore
import SwiftProtobuf

/// The bodies of `POST /v1/verify/bundle` and `/v1/verify/batch`, read once. The body is parsed with the verifier's
/// strict JSON parser; the bundle — a `bundle` object, or the text of `bundleJson` parsed in its turn — is taken out as
/// parsed and the rest — a few short fields, written back as JSON — decoded as the gRPC message by its proto3 JSON
/// mapping, so a bundle is parsed once instead of being built into a `google.protobuf.Struct`, written back to text and
/// parsed again. A body the strict parser refuses (not JSON, duplicate keys, too deep), whose `bundle` is neither an
/// object nor absent, or whose other fields hold a fractional number (which no field of the request takes) is decoded
/// whole by the proto3 JSON mapping, which answers it exactly as before: the same request, or the same error.
///
/// Memory: what is held at once is at most the body and one copy of its text (in the parse), whatever the body: the
/// body is let go once parsed, a `bundleJson` text once its own parse is done, and no parse holds more values than a
/// bundle may.
enum VerifyBundleBody {
    static func request(_ body: consuming [UInt8]) throws -> VerifyBundleInput {
        let parsed: JSONValue?
        do {
            parsed = try JSONValue.parse(body, maximumValues: maximumRequestValues)
        } catch  where error.exceedsLimit {
            throw RequestError(
                "the body holds more than \(maximumRequestValues) JSON values: a bundle holds at most \(SigstoreBundle.maximumJSONValues)")
        } catch {
            guard body.count <= wholeDecodingLimit else { throw notJSON(Hephaestus_V1_VerifyBundleRequest.self, error) }
            parsed = nil
        }
        guard case .object(var fields)? = consume parsed, let bundle = takeBundle(from: &fields) else {
            return VerifyBundleInput(try RESTRoutes.decode(Hephaestus_V1_VerifyBundleRequest.self, from: body))
        }
        // The other fields are a digest, a signer and a root's name: bounded, so writing them back as JSON and decoding
        // that costs little whatever else the body holds.
        guard textBytes(in: .object(fields)) <= wholeDecodingLimit else {
            throw RequestError("the fields other than the bundle hold more than \(wholeDecodingLimit) bytes of text")
        }
        guard let rest = CanonicalJSON(.object(fields)) else {
            return VerifyBundleInput(try RESTRoutes.decode(Hephaestus_V1_VerifyBundleRequest.self, from: body))
        }
        _ = consume body
        var message = try RESTRoutes.decode(Hephaestus_V1_VerifyBundleRequest.self, from: rest.serialized)
        switch consume bundle {
        case .object(let object):
            return VerifyBundleInput(message, parsedBundle: object)
        case .text(let text):
            // Parsed here, so the text is let go before the bundle is read; text that does not parse is the verifier's
            // to judge, as it judges a bundle file.
            if let object = try? SigstoreBundle.parseJSON(text) { return VerifyBundleInput(message, parsedBundle: object) }
            message.bundleJson = text
            return VerifyBundleInput(message)
        }
    }

    /// A batch body's items, each read as ``request(_:)`` reads a body when it is verified: the body's text is held, but
    /// never every item's parse at once. A body the strict parser refuses is decoded whole by the proto3 JSON mapping (as
    /// `request` does), if it is small; a large one is refused with the parser's reason, since the mapping's
    /// `google.protobuf.Struct` of every bundle would take several times the body's size.
    static func items(_ body: [UInt8]) throws -> VerifyBatchItems {
        let parsed: (object: [String: JSONValue], elements: [Range<Int>])?
        do {
            parsed = try JSONValue.parse(body, deferringElementsOf: "items", maximumElements: maximumBatchItems)
        } catch  where error.exceedsLimit {
            throw tooManyItems
        } catch {
            guard body.count <= wholeDecodingLimit else { throw notJSON(Hephaestus_V1_VerifyBatchRequest.self, error) }
            parsed = nil
        }
        guard let (fields, elements) = parsed, let rest = CanonicalJSON(.object(fields)) else {
            let items = try RESTRoutes.decode(Hephaestus_V1_VerifyBatchRequest.self, from: body).items
            guard items.count <= maximumBatchItems else { throw tooManyItems }
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

    /// The most JSON values a `verify/bundle` body (or a batch item) may hold: a bundle's bound and the request's own
    /// fields. Its parse stops at the one too many, so no body becomes a parse tree larger than a bundle can be.
    static let maximumRequestValues = SigstoreBundle.maximumJSONValues + 16

    /// The most items a `verify/batch` body may hold: each item's result is kept until the batch is answered, so the
    /// answer's size is bounded too (a genuine result is about 2 KB). Larger sets: several batches, or gRPC's
    /// `VerifyBatch` stream, which answers each item as it is verified.
    public static let maximumBatchItems = 10_000

    private static let tooManyItems = RequestError(
        "the batch holds more than \(maximumBatchItems) items: send several batches, or stream them with gRPC's Verification.VerifyBatch")

    private static func notJSON(_ message: any SwiftProtobuf.Message.Type, _ error: any Error) -> RequestError {
        RequestError("the body is not a \(message.protoMessageName) in JSON: \(error)")
    }

    /// The bytes of every string and key in `value`.
    private static func textBytes(in value: JSONValue) -> Int {
        switch value {
        case .object(let fields): fields.reduce(0) { $0 + $1.key.utf8.count + textBytes(in: $1.value) }
        case .array(let items): items.reduce(0) { $0 + textBytes(in: $1) }
        case .string(let text): text.utf8.count
        case .integer, .number, .bool, .null: 0
        }
    }

    private enum TakenBundle {
        case object(JSONValue)
        case text(String)
    }

    /// Removes and returns the bundle: `bundle` when it is an object, or else the bundle's text when `bundle` is absent
    /// (proto3 JSON: `null` means absent) and the text field, `bundleJson` or `bundle_json`, is one string. Anything else
    /// is the mapping's to refuse (nil).
    private static func takeBundle(from fields: inout [String: JSONValue]) -> TakenBundle? {
        if case .object? = fields["bundle"] { return fields.removeValue(forKey: "bundle").map(TakenBundle.object) }
        let textFields = ["bundleJson", "bundle_json"].filter { fields[$0] != nil }
        guard fields["bundle"] == nil || fields["bundle"] == .null, textFields.count == 1,
            case .string(let text)? = fields.removeValue(forKey: textFields[0])
        else { return nil }
        return .text(text)
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
