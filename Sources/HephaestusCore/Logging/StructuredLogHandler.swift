import Foundation
import HephaestusTelemetry
import Instrumentation
import Logging

/// The swift-log handler of every `hephaestus` run: text or JSON lines on stderr, each carrying the run id.
///
/// JSON records have exactly the keys `timestamp` (RFC 3339, milliseconds, UTC), `level`, `run_id`, `event`
/// (the log message, a dotted event name such as `digest.completed`) and `fields` (the metadata); with a span active
/// (tracing on), also `trace_id` and `span_id` (W3C hex ids, as OpenTelemetry's log data model names them) after
/// `run_id`.
public struct StructuredLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    public let format: LogFormat
    public let runID: RunID
    private let sink: LogSink
    private let clock: @Sendable () -> Date
    /// The run's secrets, removed from every message and field.
    public let redactor: SecretRedactor

    public init(
        format: LogFormat, runID: RunID, level: Logger.Level, redactor: SecretRedactor = SecretRedactor(), sink: LogSink = .standardError,
        clock: @escaping @Sendable () -> Date = Date.init
    ) {
        self.redactor = redactor
        self.format = format
        self.runID = runID
        self.logLevel = level
        self.sink = sink
        self.clock = clock
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = metadata
        if let extra = event.metadata {
            fields.merge(extra) { _, new in new }
        }
        let timestamp = Self.timestamp(clock())
        fields = fields.mapValues { Self.redacted($0, redactor) }
        let event = LogEvent(
            level: event.level, message: "\(redactor.redact(event.message.description))", metadata: event.metadata,
            source: event.source, file: event.file, function: event.function, line: event.line)
        switch format {
        case .json:
            sink.write(
                "{\"timestamp\":\(JSONText.quoted(timestamp)),\"level\":\(JSONText.quoted(event.level.rawValue))"
                    + ",\"run_id\":\(JSONText.quoted(runID.value))\(Self.traceFields())"
                    + ",\"event\":\(JSONText.quoted(event.message.description))"
                    + ",\"fields\":\(Self.json(fields))}")
        case .text:
            let rendered = fields.sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.text($0.value))" }
            sink.write(
                ([timestamp, event.level.rawValue, "run=\(runID.value.prefix(8))", event.message.description] + rendered)
                    .joined(separator: " "))
        }
    }

    /// `,"trace_id":…,"span_id":…` of the active span, or nothing.
    static func traceFields() -> String {
        guard let span = InstrumentationContext.current?.spanContext else { return "" }
        return ",\"trace_id\":\"\(span.traceID)\",\"span_id\":\"\(span.spanID)\""
    }

    static func redacted(_ value: Logger.MetadataValue, _ redactor: SecretRedactor) -> Logger.MetadataValue {
        switch value {
        case .string(let text): .string(redactor.redact(text))
        case .stringConvertible(let convertible):
            redactor.redact(convertible.description) == convertible.description ? value : .string(redactor.redact(convertible.description))
        case .dictionary(let dictionary): .dictionary(dictionary.mapValues { redacted($0, redactor) })
        case .array(let values): .array(values.map { redacted($0, redactor) })
        }
    }

    static func timestamp(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        let milliseconds = Int((date.timeIntervalSince1970 - Double(seconds)) * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
            Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), milliseconds)
    }

    static func json(_ metadata: Logger.Metadata) -> String {
        "{"
            + metadata.sorted { $0.key < $1.key }.map { "\(JSONText.quoted($0.key)):\(json($0.value))" }
            .joined(separator: ",") + "}"
    }

    static func json(_ value: Logger.MetadataValue) -> String {
        switch value {
        case .string(let text): JSONText.quoted(text)
        case .stringConvertible(let convertible):
            switch convertible {
            case let number as any BinaryInteger: "\(number)"
            case let number as Double where number.isFinite: "\(number)"
            case let flag as Bool: flag ? "true" : "false"
            default: JSONText.quoted(convertible.description)
            }
        case .dictionary(let dictionary): json(dictionary)
        case .array(let values): "[" + values.map(json).joined(separator: ",") + "]"
        }
    }

    static func text(_ value: Logger.MetadataValue) -> String {
        switch value {
        case .string(let text):
            text.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" }) ? JSONText.quoted(text) : text
        case .stringConvertible(let convertible): text(.string(convertible.description))
        case .dictionary, .array: json(value)
        }
    }
}
