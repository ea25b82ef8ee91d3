import Foundation

/// Telemetry settings read from the OpenTelemetry SDK environment variables, with the specification's defaults, and
/// a warning (naming the variable and the default used instead) for each value that cannot be used.
///
/// Traces are exported only when an exporter is configured: `OTEL_EXPORTER_OTLP_ENDPOINT` or
/// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` set, or `OTEL_TRACES_EXPORTER=otlp` said explicitly (the specification's
/// default exporter is `otlp`; a command-line tool that opens connections nobody asked for is not, so the implicit
/// default is off). `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none` turn everything off.
public struct TelemetryConfiguration: Sendable, Equatable {
    /// OTLP transport (`OTEL_EXPORTER_OTLP_PROTOCOL`).
    public enum OTLPProtocol: String, Sendable, Equatable {
        case grpc
        case httpProtobuf = "http/protobuf"

        /// The specification's default endpoint for the protocol.
        var defaultEndpoint: String { self == .grpc ? "http://localhost:4317" : "http://localhost:4318" }
    }

    /// Where and how traces are sent.
    public struct Exporter: Sendable, Equatable {
        public var otlpProtocol: OTLPProtocol
        /// For http/protobuf the full URL (`…/v1/traces`); for gRPC the server's base URL.
        public var endpoint: URL
        /// `OTEL_EXPORTER_OTLP_HEADERS` then `OTEL_EXPORTER_OTLP_TRACES_HEADERS` (credentials: kept out of logs).
        public var headers: [Attribute]
        /// Seconds per export request (`OTEL_EXPORTER_OTLP_TIMEOUT`, milliseconds, default 10000).
        public var timeout: Double
    }

    /// One `key=value` of a list variable, in the order given.
    public struct Attribute: Sendable, Equatable {
        public let key: String
        public let value: String

        public init(_ key: String, _ value: String) {
            self.key = key
            self.value = value
        }
    }

    /// The sampler the variables name.
    public enum SamplerChoice: Sendable, Equatable {
        case alwaysOn, alwaysOff
        case traceIDRatio(Double)
        case rateLimiting(Double)
        indirect case parentBased(SamplerChoice)

        public func makeSampler() -> any Sampler {
            switch self {
            case .alwaysOn: AlwaysOnSampler()
            case .alwaysOff: AlwaysOffSampler()
            case .traceIDRatio(let ratio): TraceIDRatioSampler(ratio: ratio)
            case .rateLimiting(let perSecond): RateLimitingSampler(tracesPerSecond: perSecond)
            case .parentBased(let root): ParentBasedSampler(root: root.makeSampler())
            }
        }
    }

    /// A variable whose value could not be used, and what is used instead.
    public struct Warning: Sendable, Equatable, CustomStringConvertible {
        public let variable: String
        public let message: String
        public var description: String { "\(variable): \(message)" }
    }

    public var disabled: Bool
    public var serviceName: String
    /// `OTEL_RESOURCE_ATTRIBUTES`, percent-decoded (without `service.name`, which is ``serviceName``).
    public var resourceAttributes: [Attribute]
    /// nil: no exporter configured, tracing off.
    public var exporter: Exporter?
    public var sampler: SamplerChoice
    public var warnings: [Warning]

    /// `unknown_service:` and the executable's name, as the resource semantic conventions want without a name.
    public static let defaultServiceName = "unknown_service:hephaestus"
    public static let defaultTimeoutMilliseconds = 10_000
    /// `OTEL_TRACES_SAMPLER_ARG` of `ratelimiting` when unset: traces per second.
    public static let defaultRateLimit = 10.0

    public init(environment: [String: String]) {
        var warnings: [Warning] = []
        func warn(_ variable: String, _ message: String) { warnings.append(Warning(variable: variable, message: message)) }
        func value(_ name: String) -> String? {
            guard let raw = environment[name]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
            return raw
        }

        // OTEL_SDK_DISABLED: a boolean; only "true" (any case) is true.
        switch value("OTEL_SDK_DISABLED")?.lowercased() {
        case "true": disabled = true
        case nil, "false": disabled = false
        case let other?:
            warn("OTEL_SDK_DISABLED", "\"\(other)\" is not true or false; using the default false")
            disabled = false
        }

        var attributes = Self.list(value("OTEL_RESOURCE_ATTRIBUTES"), variable: "OTEL_RESOURCE_ATTRIBUTES", warn: warn)
        let attributeName = attributes.last { $0.key == "service.name" }?.value
        attributes.removeAll { $0.key == "service.name" }
        resourceAttributes = attributes
        serviceName = value("OTEL_SERVICE_NAME") ?? attributeName ?? Self.defaultServiceName
        sampler = Self.sampler(name: value("OTEL_TRACES_SAMPLER"), argument: value("OTEL_TRACES_SAMPLER_ARG"), warn: warn)

        var explicitOTLP = false
        var exporterOff = false
        if let exporters = value("OTEL_TRACES_EXPORTER") {
            for name in exporters.lowercased().split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
                switch name {
                case "otlp": explicitOTLP = true
                case "none": exporterOff = true
                default: warn("OTEL_TRACES_EXPORTER", "exporter \"\(name)\" is not supported (otlp, none); it is ignored")
                }
            }
        }
        let tracesEndpoint = value("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        let endpoint = value("OTEL_EXPORTER_OTLP_ENDPOINT")
        let otlpProtocol = Self.otlpProtocol(
            value("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL").map { ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", $0) }
                ?? value("OTEL_EXPORTER_OTLP_PROTOCOL").map { ("OTEL_EXPORTER_OTLP_PROTOCOL", $0) }, warn: warn)
        let headers = Self.list(value("OTEL_EXPORTER_OTLP_HEADERS"), variable: "OTEL_EXPORTER_OTLP_HEADERS", warn: warn)
        let tracesHeaders = Self.list(value("OTEL_EXPORTER_OTLP_TRACES_HEADERS"), variable: "OTEL_EXPORTER_OTLP_TRACES_HEADERS", warn: warn)
        let timeout = Self.timeout(
            value("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT").map { ("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", $0) }
                ?? value("OTEL_EXPORTER_OTLP_TIMEOUT").map { ("OTEL_EXPORTER_OTLP_TIMEOUT", $0) }, warn: warn)

        let configured = explicitOTLP || tracesEndpoint != nil || endpoint != nil
        if disabled || exporterOff || !configured {
            exporter = nil
        } else {
            let url =
                Self.endpoint(tracesEndpoint, variable: "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", signalPath: nil, otlpProtocol, warn: warn)
                ?? Self.endpoint(endpoint, variable: "OTEL_EXPORTER_OTLP_ENDPOINT", signalPath: "v1/traces", otlpProtocol, warn: warn)
                ?? Self.resolve(otlpProtocol.defaultEndpoint, signalPath: "v1/traces", otlpProtocol)!
            var merged = headers.filter { header in !tracesHeaders.contains { $0.key.lowercased() == header.key.lowercased() } }
            merged += tracesHeaders
            exporter = Exporter(otlpProtocol: otlpProtocol, endpoint: url, headers: merged, timeout: timeout)
        }
        self.warnings = warnings
    }

    /// `OTEL_TRACES_SAMPLER` and its argument (the specification's names; default `parentbased_always_on`).
    static func sampler(name: String?, argument: String?, warn: (String, String) -> Void) -> SamplerChoice {
        func ratio() -> Double {
            guard let argument else { return 1.0 }
            guard let ratio = Double(argument), ratio >= 0, ratio <= 1 else {
                warn("OTEL_TRACES_SAMPLER_ARG", "\"\(argument)\" is not a probability in [0, 1]; using the default 1.0")
                return 1.0
            }
            return ratio
        }
        func rate() -> Double {
            guard let argument else { return defaultRateLimit }
            guard let rate = Double(argument), rate >= 0, rate.isFinite else {
                warn("OTEL_TRACES_SAMPLER_ARG", "\"\(argument)\" is not a number of traces per second; using the default \(defaultRateLimit)")
                return defaultRateLimit
            }
            return rate
        }
        switch name?.lowercased() {
        case nil, "parentbased_always_on": return .parentBased(.alwaysOn)
        case "always_on": return .alwaysOn
        case "always_off": return .alwaysOff
        case "traceidratio": return .traceIDRatio(ratio())
        case "parentbased_always_off": return .parentBased(.alwaysOff)
        case "parentbased_traceidratio": return .parentBased(.traceIDRatio(ratio()))
        case "ratelimiting": return .rateLimiting(rate())
        case "parentbased_ratelimiting": return .parentBased(.rateLimiting(rate()))
        case let other?:
            warn("OTEL_TRACES_SAMPLER", "unknown sampler \"\(other)\"; using the default parentbased_always_on")
            return .parentBased(.alwaysOn)
        }
    }

    private static func otlpProtocol(_ given: (variable: String, value: String)?, warn: (String, String) -> Void) -> OTLPProtocol {
        guard let given else { return .httpProtobuf }
        if let known = OTLPProtocol(rawValue: given.value.lowercased()) { return known }
        let reason = given.value == "http/json" ? "http/json is not supported" : "\"\(given.value)\" is not grpc or http/protobuf"
        warn(given.variable, "\(reason); using the default http/protobuf")
        return .httpProtobuf
    }

    private static func timeout(_ given: (variable: String, value: String)?, warn: (String, String) -> Void) -> Double {
        guard let given else { return Double(defaultTimeoutMilliseconds) / 1000 }
        guard let milliseconds = Int(given.value), milliseconds > 0 else {
            warn(given.variable, "\"\(given.value)\" is not a positive number of milliseconds; using the default \(defaultTimeoutMilliseconds)")
            return Double(defaultTimeoutMilliseconds) / 1000
        }
        return Double(milliseconds) / 1000
    }

    /// An endpoint variable's URL: http or https with a host. The generic variable gets the signal's path appended
    /// for http/protobuf (the specification's rule); a signal-specific one is used as is.
    private static func endpoint(
        _ text: String?, variable: String, signalPath: String?, _ otlpProtocol: OTLPProtocol, warn: (String, String) -> Void
    ) -> URL? {
        guard let text else { return nil }
        guard let url = resolve(text, signalPath: signalPath, otlpProtocol) else {
            warn(variable, "\"\(text)\" is not an http or https URL; using the default \(otlpProtocol.defaultEndpoint)")
            return nil
        }
        return url
    }

    private static func resolve(_ text: String, signalPath: String?, _ otlpProtocol: OTLPProtocol) -> URL? {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty
        else { return nil }
        guard otlpProtocol == .httpProtobuf, let signalPath else { return url }
        return URL(string: text.hasSuffix("/") ? text + signalPath : text + "/" + signalPath)
    }

    /// A `key=value,key=value` list (W3C Baggage syntax without properties), values percent-decoded. One malformed
    /// member discards the whole value, as the specification says of `OTEL_RESOURCE_ATTRIBUTES`.
    static func list(_ text: String?, variable: String, warn: (String, String) -> Void) -> [Attribute] {
        guard let text else { return [] }
        var attributes: [Attribute] = []
        for member in text.split(separator: ",", omittingEmptySubsequences: false) {
            let trimmed = member.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            guard let equals = trimmed.firstIndex(of: "=") else {
                warn(variable, "\"\(trimmed)\" is not key=value; the whole value is ignored")
                return []
            }
            let key = trimmed[..<equals].trimmingCharacters(in: .whitespaces)
            let raw = trimmed[trimmed.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty, let decoded = raw.removingPercentEncoding else {
                warn(variable, "member \"\(key)\" is malformed (empty key or bad percent-encoding); the whole value is ignored")
                return []
            }
            attributes.append(Attribute(key, decoded))
        }
        return attributes
    }
}
