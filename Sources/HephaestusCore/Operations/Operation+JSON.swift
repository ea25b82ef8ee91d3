import Foundation
import HephaestusPlatform

/// Running an operation from JSON: how the service and the MCP server call any registered operation without knowing
/// its types (the request is decoded, the items and the report encoded, exactly as the CLI's `--json` writes them).
extension Operation {
    /// Decodes `requestJSON` as the request (a malformed one is a ``RequestError`` naming the field), runs the
    /// operation (traced and counted: ``runInstrumented(_:in:emit:)``), hands each item to `emit` as compact JSON, and returns the report's result document.
    public static func runJSON(
        _ requestJSON: [UInt8], in context: OperationContext, emit: @escaping @Sendable ([UInt8]) -> Void = { _ in }
    ) async throws -> ReportDocument {
        let request: Request
        do {
            request = try JSONDecoder().decode(Request.self, from: Data(requestJSON))
        } catch let error as DecodingError {
            throw RequestError("the \(descriptor.name) request is malformed: \(RequestError.describe(error))")
        }
        let encoder = CompactJSONEncoder()
        let report = try await runInstrumented(
            request, in: context,
            emit: ItemSink { item in
                if let bytes = try? encoder.encode(item) { emit(bytes) }
            })
        let document = ResultDocument(mediaType: descriptor.reportMediaType, runID: context.runID, payload: report)
        return ReportDocument(json: Array(try document.jsonText().utf8), failure: report.failure)
    }
}

/// A report as its JSON result document, with the negative verdict it carries.
public struct ReportDocument: Sendable {
    public let json: [UInt8]
    public let failure: (any CodedError)?
}

extension RequestError {
    /// A decoding error as one line naming the field (`signer.certificateIdentity: expected a string`).
    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let names = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return names.isEmpty ? "the request" : names.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = path(context)
            return "\(parent == "the request" ? "" : parent + ".")\(key.stringValue) is required"
        case .typeMismatch(let type, let context): return "\(path(context)): expected \(type)"
        case .valueNotFound(let type, let context): return "\(path(context)): expected \(type), found null"
        case .dataCorrupted(let context): return "\(path(context)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
