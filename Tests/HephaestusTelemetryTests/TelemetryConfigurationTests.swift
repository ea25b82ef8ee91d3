import Foundation
import Testing

@testable import HephaestusTelemetry

@Suite struct TelemetryConfigurationTests {
    @Test func nothingConfiguredMeansNoExporterAndTheSpecificationDefaults() {
        let configuration = TelemetryConfiguration(environment: [:])
        #expect(configuration.exporter == nil)
        #expect(!configuration.disabled)
        #expect(configuration.serviceName == "unknown_service:hephaestus")
        #expect(configuration.sampler == .parentBased(.alwaysOn))
        #expect(configuration.warnings.isEmpty)
    }

    @Test func theGenericEndpointGetsTheSignalPathForHTTPAndTheDefaultProtocolIsHTTPProtobuf() throws {
        let configuration = TelemetryConfiguration(environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"])
        let exporter = try #require(configuration.exporter)
        #expect(exporter.otlpProtocol == .httpProtobuf)
        #expect(exporter.endpoint.absoluteString == "http://collector:4318/v1/traces")
        #expect(exporter.timeout == 10)
        let slash = TelemetryConfiguration(environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": "https://collector/otlp/"])
        #expect(slash.exporter?.endpoint.absoluteString == "https://collector/otlp/v1/traces")
    }

    @Test func theSignalEndpointIsUsedAsIsAndWinsOverTheGenericOne() {
        let configuration = TelemetryConfiguration(environment: [
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://generic:4318", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://traces:9999/custom",
        ])
        #expect(configuration.exporter?.endpoint.absoluteString == "http://traces:9999/custom")
    }

    @Test func grpcUsesTheEndpointAsIs() {
        let configuration = TelemetryConfiguration(environment: [
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
        ])
        #expect(configuration.exporter?.otlpProtocol == .grpc)
        #expect(configuration.exporter?.endpoint.absoluteString == "http://collector:4317")
    }

    @Test func anExplicitOTLPExporterUsesTheProtocolsDefaultEndpoint() {
        let http = TelemetryConfiguration(environment: ["OTEL_TRACES_EXPORTER": "otlp"])
        #expect(http.exporter?.endpoint.absoluteString == "http://localhost:4318/v1/traces")
        let grpc = TelemetryConfiguration(environment: ["OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "grpc"])
        #expect(grpc.exporter?.endpoint.absoluteString == "http://localhost:4317")
    }

    @Test func disabledOrNoneTurnsTheExporterOff() {
        #expect(TelemetryConfiguration(environment: ["OTEL_SDK_DISABLED": "TRUE", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://x:1"]).exporter == nil)
        #expect(TelemetryConfiguration(environment: ["OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://x:1"]).exporter == nil)
        #expect(TelemetryConfiguration(environment: ["OTEL_SDK_DISABLED": "false", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://x:1"]).exporter != nil)
    }

    @Test func resourceAttributesArePercentDecodedAndTheServiceNameVariableWins() {
        let configuration = TelemetryConfiguration(environment: [
            "OTEL_RESOURCE_ATTRIBUTES": "service.name=from-attributes, deployment.environment=prod%20eu ,team=a%2Cb%3Dc"
        ])
        #expect(configuration.serviceName == "from-attributes")
        #expect(configuration.resourceAttributes == [.init("deployment.environment", "prod eu"), .init("team", "a,b=c")])
        let named = TelemetryConfiguration(environment: ["OTEL_SERVICE_NAME": "verifier", "OTEL_RESOURCE_ATTRIBUTES": "service.name=other"])
        #expect(named.serviceName == "verifier")
    }

    @Test func aMalformedListIsDiscardedWholeWithAWarning() {
        let configuration = TelemetryConfiguration(environment: ["OTEL_RESOURCE_ATTRIBUTES": "a=1,broken,b=2"])
        #expect(configuration.resourceAttributes.isEmpty)
        #expect(configuration.warnings.map(\.variable) == ["OTEL_RESOURCE_ATTRIBUTES"])
        let badEncoding = TelemetryConfiguration(environment: ["OTEL_RESOURCE_ATTRIBUTES": "a=%zz"])
        #expect(badEncoding.resourceAttributes.isEmpty && badEncoding.warnings.count == 1)
    }

    @Test func headersAreDecodedAndTheSignalsOverrideTheGenericOnes() {
        let configuration = TelemetryConfiguration(environment: [
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://x:1", "OTEL_EXPORTER_OTLP_HEADERS": "Authorization=Bearer%20abc,x-team=core",
            "OTEL_EXPORTER_OTLP_TRACES_HEADERS": "authorization=Bearer%20traces",
        ])
        #expect(configuration.exporter?.headers == [.init("x-team", "core"), .init("authorization", "Bearer traces")])
    }

    /// An invalid value: the variable, what was wrong, and the default used instead.
    struct InvalidCase: Sendable, CustomTestStringConvertible {
        let environment: [String: String]
        let variable: String
        let message: String
        var testDescription: String { variable + "=" + (environment[variable] ?? "") }
    }

    static let invalid: [InvalidCase] = [
        InvalidCase(environment: ["OTEL_SDK_DISABLED": "yes"], variable: "OTEL_SDK_DISABLED", message: "using the default false"),
        InvalidCase(
            environment: ["OTEL_TRACES_SAMPLER": "sometimes"], variable: "OTEL_TRACES_SAMPLER", message: "using the default parentbased_always_on"),
        InvalidCase(
            environment: ["OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "1.5"], variable: "OTEL_TRACES_SAMPLER_ARG",
            message: "using the default 1.0"),
        InvalidCase(
            environment: ["OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "half"], variable: "OTEL_TRACES_SAMPLER_ARG",
            message: "using the default 1.0"),
        InvalidCase(
            environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://x:1", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"],
            variable: "OTEL_EXPORTER_OTLP_PROTOCOL",
            message: "http/json is not supported; using the default http/protobuf"),
        InvalidCase(
            environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": "ftp://collector"], variable: "OTEL_EXPORTER_OTLP_ENDPOINT",
            message: "using the default http://localhost:4318"),
        InvalidCase(
            environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://x:1", "OTEL_EXPORTER_OTLP_TIMEOUT": "-5"], variable: "OTEL_EXPORTER_OTLP_TIMEOUT",
            message: "using the default 10000"),
        InvalidCase(environment: ["OTEL_TRACES_EXPORTER": "zipkin"], variable: "OTEL_TRACES_EXPORTER", message: "it is ignored"),
    ]

    @Test(arguments: invalid)
    func anInvalidValueWarnsNamingTheVariableAndTheDefault(_ invalid: InvalidCase) throws {
        let configuration = TelemetryConfiguration(environment: invalid.environment)
        let warning = try #require(configuration.warnings.first)
        #expect(configuration.warnings.count == 1)
        #expect(warning.variable == invalid.variable)
        #expect(warning.description.hasPrefix(invalid.variable + ": "))
        #expect(warning.message.contains(invalid.message), "\(warning)")
    }

    @Test func samplerNamesAndArguments() {
        func sampler(_ name: String, _ argument: String? = nil) -> TelemetryConfiguration.SamplerChoice {
            var environment = ["OTEL_TRACES_SAMPLER": name]
            environment["OTEL_TRACES_SAMPLER_ARG"] = argument
            return TelemetryConfiguration(environment: environment).sampler
        }
        #expect(sampler("always_on") == .alwaysOn)
        #expect(sampler("ALWAYS_OFF") == .alwaysOff)
        #expect(sampler("traceidratio") == .traceIDRatio(1.0))
        #expect(sampler("traceidratio", "0.25") == .traceIDRatio(0.25))
        #expect(sampler("parentbased_always_off") == .parentBased(.alwaysOff))
        #expect(sampler("parentbased_traceidratio", "0.01") == .parentBased(.traceIDRatio(0.01)))
        #expect(sampler("ratelimiting") == .rateLimiting(10))
        #expect(sampler("parentbased_ratelimiting", "2.5") == .parentBased(.rateLimiting(2.5)))
        #expect(sampler("parentbased_traceidratio", "0.5").makeSampler().description.hasPrefix("ParentBased{root:TraceIdRatioBased{0.5}"))
    }
}
