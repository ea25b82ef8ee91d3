import Tracing

/// Encodes spans as an OTLP `ExportTraceServiceRequest` (opentelemetry-proto `collector/trace/v1`), the body of both
/// the gRPC `TraceService/Export` call and the HTTP/protobuf `POST /v1/traces`.
public struct OTLPTraceEncoding: Sendable {
    /// The resource every span belongs to (`service.name` and `OTEL_RESOURCE_ATTRIBUTES`).
    public let resource: [(key: String, value: String)]
    /// The instrumentation scope: the library that made the spans.
    public let scopeName: String
    public let scopeVersion: String

    public init(resource: [(key: String, value: String)], scopeName: String, scopeVersion: String) {
        self.resource = resource
        self.scopeName = scopeName
        self.scopeVersion = scopeVersion
    }

    public func encode(_ spans: [FinishedSpan]) -> [UInt8] {
        // About 300 bytes a span: one allocation for most batches.
        var request = ProtobufWriter(capacity: 512 + spans.count * 320)
        // ExportTraceServiceRequest.resource_spans = 1
        request.message(1) { resourceSpans in
            // ResourceSpans.resource = 1 { Resource.attributes = 1 }
            resourceSpans.message(1) { resource in
                for attribute in self.resource {
                    resource.message(1) { Self.keyValue(&$0, attribute.key, .string(attribute.value)) }
                }
            }
            // ResourceSpans.scope_spans = 2
            resourceSpans.message(2) { scopeSpans in
                // ScopeSpans.scope = 1 { name = 1, version = 2 }
                scopeSpans.message(1) { scope in
                    scope.string(1, scopeName)
                    scope.string(2, scopeVersion)
                }
                for span in spans {
                    scopeSpans.message(2) { Self.span(&$0, span) }
                }
            }
        }
        return request.bytes
    }

    /// `opentelemetry.proto.trace.v1.Span`.
    private static func span(_ writer: inout ProtobufWriter, _ span: FinishedSpan) {
        writer.bigEndian(1, span.context.traceID.high, span.context.traceID.low)
        writer.bigEndian(2, span.context.spanID.value)
        if let parent = span.parentSpanID { writer.bigEndian(4, parent.value) }
        writer.string(5, span.name)
        writer.int64(6, kind(span.kind))
        writer.fixed64(7, span.startNanoseconds)
        writer.fixed64(8, span.endNanoseconds)
        attributes(&writer, field: 9, span.attributes)
        for event in span.events {
            // Span.Event { time_unix_nano = 1, name = 2, attributes = 3 }
            writer.message(11) { encoded in
                encoded.fixed64(1, event.nanosecondsSinceEpoch)
                encoded.string(2, event.name)
                attributes(&encoded, field: 3, event.attributes)
            }
        }
        if let status = span.status {
            // Status { message = 2, code = 3 (UNSET 0, OK 1, ERROR 2) }
            writer.message(15) { encoded in
                encoded.string(2, status.message ?? "")
                encoded.int64(3, status.code == .ok ? 1 : 2)
            }
        }
        // flags = 16: the W3C trace flags (bits 0–7) and, bit 8, that the parent's remoteness is known (bit 9: remote).
        var flags: UInt32 = (span.context.isSampled ? 1 : 0) | 0x100
        if span.parentSpanID != nil, span.context.isRemote { flags |= 0x200 }
        writer.fixed32(16, flags)
    }

    private static func kind(_ kind: SpanKind) -> Int64 {
        switch kind {
        case .internal: 1
        case .server: 2
        case .client: 3
        case .producer: 4
        case .consumer: 5
        }
    }

    private static func attributes(_ writer: inout ProtobufWriter, field: UInt64, _ attributes: SpanAttributes) {
        for (key, value) in attributes.pairs.sorted(by: { $0.key < $1.key }) {
            writer.message(field) { keyValue(&$0, key, value) }
        }
    }

    /// `KeyValue { key = 1, value = 2 }`.
    private static func keyValue(_ writer: inout ProtobufWriter, _ key: String, _ value: SpanAttribute) {
        writer.string(1, key)
        writer.message(2) { anyValue(&$0, value) }
    }

    /// `AnyValue { string_value = 1, bool_value = 2, int_value = 3, double_value = 4, array_value = 5 }`. A set
    /// oneof member is written even at its default value.
    private static func anyValue(_ writer: inout ProtobufWriter, _ value: SpanAttribute) {
        switch value {
        case .string(let text): writer.presentString(1, text)
        case .bool(let flag): writer.presentVarint(2, flag ? 1 : 0)
        case .int32(let number): writer.presentVarint(3, UInt64(bitPattern: Int64(number)))
        case .int64(let number): writer.presentVarint(3, UInt64(bitPattern: number))
        case .double(let number): writer.presentFixed64(4, number.bitPattern)
        case .stringArray(let texts): array(&writer, texts.map { .string($0) })
        case .int32Array(let numbers): array(&writer, numbers.map { .int64(Int64($0)) })
        case .int64Array(let numbers): array(&writer, numbers.map { .int64($0) })
        case .doubleArray(let numbers): array(&writer, numbers.map { .double($0) })
        case .boolArray(let flags): array(&writer, flags.map { .bool($0) })
        case .stringConvertible(let convertible): anyValue(&writer, .string(convertible.description))
        case .stringConvertibleArray(let values): array(&writer, values.map { .string($0.description) })
        default: anyValue(&writer, .string("\(value)"))
        }
    }

    /// `ArrayValue { values = 1 }` in `AnyValue.array_value = 5`.
    private static func array(_ writer: inout ProtobufWriter, _ values: [SpanAttribute]) {
        writer.message(5) { array in
            for value in values { array.message(1) { anyValue(&$0, value) } }
        }
    }
}
