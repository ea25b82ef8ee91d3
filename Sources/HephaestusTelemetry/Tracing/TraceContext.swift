import Foundation
import Instrumentation

/// A W3C trace id: 16 bytes, never all zero; `high` holds bytes 0–7 and `low` bytes 8–15, big-endian.
public struct TraceID: Hashable, Sendable, CustomStringConvertible {
    public let high: UInt64
    public let low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// 32 lower-case hex digits, as in `traceparent` and OTLP/JSON.
    public init?(hex: some StringProtocol) {
        guard hex.utf8.count == 32, let high = UInt64(hex.prefix(16), radix: 16), let low = UInt64(hex.suffix(16), radix: 16),
            high | low != 0, hex.allSatisfy(\.isHexDigit)
        else { return nil }
        self.init(high: high, low: low)
    }

    public var isValid: Bool { high | low != 0 }

    public var description: String { TraceContextHex.digits(high) + TraceContextHex.digits(low) }

    /// The 16 bytes, big-endian (OTLP's `trace_id`).
    public var bytes: [UInt8] { TraceContextHex.bytes(high) + TraceContextHex.bytes(low) }

    public static func random<Generator: RandomNumberGenerator>(using generator: inout Generator) -> TraceID {
        while true {
            let id = TraceID(high: generator.next(), low: generator.next())
            if id.isValid { return id }
        }
    }
}

/// A W3C span (parent) id: 8 bytes, never all zero.
public struct SpanID: Hashable, Sendable, CustomStringConvertible {
    public let value: UInt64

    public init(_ value: UInt64) {
        self.value = value
    }

    public init?(hex: some StringProtocol) {
        guard hex.utf8.count == 16, hex.allSatisfy(\.isHexDigit), let value = UInt64(hex, radix: 16), value != 0 else { return nil }
        self.value = value
    }

    public var description: String { TraceContextHex.digits(value) }

    public var bytes: [UInt8] { TraceContextHex.bytes(value) }

    public static func random<Generator: RandomNumberGenerator>(using generator: inout Generator) -> SpanID {
        while true {
            let value: UInt64 = generator.next()
            if value != 0 { return SpanID(value) }
        }
    }
}

/// The identity of a span as it propagates: ids, the sampled flag, and whether it came from another process.
public struct SpanContext: Hashable, Sendable {
    public let traceID: TraceID
    public let spanID: SpanID
    public let isSampled: Bool
    /// Extracted from an incoming `traceparent` (its span lives in another process).
    public let isRemote: Bool

    public init(traceID: TraceID, spanID: SpanID, isSampled: Bool, isRemote: Bool = false) {
        self.traceID = traceID
        self.spanID = spanID
        self.isSampled = isSampled
        self.isRemote = isRemote
    }

    /// The W3C Trace Context header value: `00-TRACEID-SPANID-FLAGS`.
    public var traceparent: String {
        "00-\(traceID)-\(spanID)-\(isSampled ? "01" : "00")"
    }

    /// Parses a `traceparent` value (W3C Trace Context level 1 §3.2): version 00 exactly, or a later version's
    /// first four fields; nil when malformed, all-zero ids, or version ff.
    public init?(traceparent: String) {
        let fields = traceparent.trimmingCharacters(in: CharacterSet(charactersIn: " \t")).split(separator: "-", omittingEmptySubsequences: false)
        guard fields.count >= 4, fields[0].utf8.count == 2, fields[0].allSatisfy(\.isHexDigit), fields[0] != "ff",
            fields[0].lowercased() == fields[0], fields[0] != "00" || fields.count == 4,
            let traceID = TraceID(hex: fields[1]), fields[1].lowercased() == fields[1],
            let spanID = SpanID(hex: fields[2]), fields[2].lowercased() == fields[2],
            fields[3].utf8.count == 2, let flags = UInt8(fields[3], radix: 16)
        else { return nil }
        self.init(traceID: traceID, spanID: spanID, isSampled: flags & 1 == 1, isRemote: true)
    }
}

/// Where the active span's context lives in an `InstrumentationContext` (task-local, and carried onto the threads of
/// blocking work by HephaestusPlatform).
public enum SpanContextKey: InstrumentationContextKey {
    public typealias Value = SpanContext
    public static var nameOverride: String? { "hephaestus-span-context" }
}

extension InstrumentationContext {
    /// The context of the span this context belongs to, if any.
    public var spanContext: SpanContext? {
        get { self[SpanContextKey.self] }
        set { self[SpanContextKey.self] = newValue }
    }
}

enum TraceContextHex {
    private static let digitTable = Array("0123456789abcdef".utf8)

    static func digits(_ value: UInt64) -> String {
        String(unsafeUninitializedCapacity: 16) { buffer in
            for index in 0..<16 {
                buffer[index] = digitTable[Int((value >> (60 - 4 * UInt64(index))) & 0xF)]
            }
            return 16
        }
    }

    static func bytes(_ value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * UInt64($0))) }
    }
}
