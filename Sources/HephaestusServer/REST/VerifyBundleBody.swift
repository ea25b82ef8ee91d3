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

    static func items(_ body: [UInt8]) throws -> [VerifyBundleInput] {
        func decodedWhole() throws -> [VerifyBundleInput] {
            try RESTRoutes.decode(Hephaestus_V1_VerifyBatchRequest.self, from: body).items.map { VerifyBundleInput($0) }
        }
        guard case .object(var fields)? = try? JSONValue.parse(body), case .array(var items)? = fields["items"] else { return try decodedWhole() }
        var bundles: [JSONValue?] = []
        for index in items.indices {
            guard case .object(var item) = items[index] else { return try decodedWhole() }
            bundles.append(takeBundle(from: &item))
            items[index] = .object(item)
        }
        fields["items"] = .array(items)
        guard let rest = CanonicalJSON(.object(fields)) else { return try decodedWhole() }
        let messages = try RESTRoutes.decode(Hephaestus_V1_VerifyBatchRequest.self, from: rest.serialized).items
        return zip(messages, bundles).map { VerifyBundleInput($0, parsedBundle: $1) }
    }

    /// Removes and returns `bundle` when it is an object (proto3 JSON: `null` means absent; anything else is the
    /// mapping's to refuse).
    private static func takeBundle(from fields: inout [String: JSONValue]) -> JSONValue? {
        guard case .object? = fields["bundle"] else { return nil }
        return fields.removeValue(forKey: "bundle")
    }
}
