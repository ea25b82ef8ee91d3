import Foundation
import HephaestusPlatform

/// Sends encoded `ExportTraceServiceRequest`s to an OTLP receiver: HTTP/protobuf (`POST …/v1/traces`) or gRPC
/// (`/opentelemetry.proto.collector.trace.v1.TraceService/Export` over HTTP/2, h2c for http URLs), through the same
/// libcurl transport as every other request (loaded only when the first batch is sent). Retryable answers (429, 502,
/// 503, 504, gRPC UNAVAILABLE and RESOURCE_EXHAUSTED, transport failures) are retried twice, 0.25 s then 0.5 s later.
public struct OTLPTraceExporter: Sendable {
    public let exporter: TelemetryConfiguration.Exporter
    private let transport: any HTTPTransport

    public init(_ exporter: TelemetryConfiguration.Exporter, transport: any HTTPTransport = CurlTransport(userAgent: "hephaestus-otlp")) {
        self.exporter = exporter
        self.transport = transport
    }

    /// What went wrong with one export.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public func export(_ body: [UInt8]) throws(Failure) {
        var attempt = 0
        while true {
            attempt += 1
            do {
                try send(body)
                return
            } catch let failure as Retryable {
                guard attempt < 3 else { throw Failure(description: failure.reason) }
                Thread.sleep(forTimeInterval: 0.25 * Double(attempt))
            } catch let failure as Failure {
                throw failure
            } catch {
                throw Failure(description: "\(error)")
            }
        }
    }

    private struct Retryable: Error {
        let reason: String
    }

    private func send(_ body: [UInt8]) throws {
        var request: HTTPRequest
        let collected = CollectedBody()
        switch exporter.otlpProtocol {
        case .httpProtobuf:
            request = HTTPRequest(method: "POST", url: exporter.endpoint, body: body)
            request.headers.set("Content-Type", "application/x-protobuf")
        case .grpc:
            let url = exporter.endpoint.appendingPathComponent("opentelemetry.proto.collector.trace.v1.TraceService/Export")
            // gRPC message framing: uncompressed flag, 4-byte big-endian length, the message.
            let length = UInt32(body.count)
            request = HTTPRequest(
                method: "POST", url: url,
                body: [0, UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)] + body)
            request.headers.set("Content-Type", "application/grpc")
            request.headers.set("TE", "trailers")
            request.httpVersion = .http2
        }
        for header in exporter.headers { request.headers.set(header.key, header.value) }
        let head: HTTPResponseHead
        do {
            head = try transport.perform(request, timeouts: AttemptTimeouts(connect: exporter.timeout, total: exporter.timeout), sink: collected)
        } catch let error as TransportError {
            throw Retryable(reason: "\(error)")
        }
        let target = HTTPClient.redacted(request.url)
        if [429, 502, 503, 504].contains(head.status) { throw Retryable(reason: "\(target): HTTP \(head.status)") }
        guard (200...299).contains(head.status) else {
            throw Failure(description: "\(target): HTTP \(head.status) \(String(decoding: collected.bytes.prefix(200), as: UTF8.self))")
        }
        guard exporter.otlpProtocol == .grpc else { return }
        let status = head.headers["grpc-status"] ?? "missing"
        switch status {
        case "0": return
        // UNAVAILABLE, RESOURCE_EXHAUSTED: the specification's retryable gRPC codes for export.
        case "14", "8": throw Retryable(reason: "\(target): grpc-status \(status)")
        default: throw Failure(description: "\(target): grpc-status \(status) \(head.headers["grpc-message"] ?? "")")
        }
    }
}

/// The (small) body of an export response, kept for the error message.
private final class CollectedBody: HTTPBodySink {
    var bytes: [UInt8] = []
    func begin(_ head: HTTPResponseHead) throws { bytes.removeAll() }
    func write(_ chunk: UnsafeRawBufferPointer) throws {
        if bytes.count < 4096 { bytes.append(contentsOf: chunk.prefix(4096 - bytes.count)) }
    }
}
