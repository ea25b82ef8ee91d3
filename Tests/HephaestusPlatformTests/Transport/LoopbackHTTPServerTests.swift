import Foundation
import HephaestusPlatform
import HephaestusTestSupport
import Testing

/// The loopback server answers real libcurl requests, and refuses what it cannot serve.
@Suite("Loopback HTTP server")
struct LoopbackHTTPServerTests {
    func client() throws -> HTTPClient {
        HTTPClient(transport: CurlTransport(caBundle: nil, userAgent: "test"), policy: try RetryPolicy(maxRetries: 0, baseDelay: 0.01, maxDelay: 0.01, timeout: 5, deadline: 5))
    }

    @Test("GET with query and POST with a body round-trip through libcurl; it listens on 127.0.0.1 only")
    func roundTrip() throws {
        let server = try LoopbackHTTPServer { request in
            let text = "\(request.method) \(request.path) q=\(request.query["q"] ?? "-") auth=\(request.headers["authorization"] ?? "-") body=\(request.body.count)"
            return HTTPServerResponse(status: request.method == "POST" ? 201 : 200, contentType: "text/plain", body: Array(text.utf8))
        }
        defer { server.stop() }
        #expect(server.baseURL.host == "127.0.0.1")
        let get = try client().send(HTTPRequest(url: URL(string: "\(server.baseURL.absoluteString)/a/b?q=x%20y")!, headers: HTTPHeaders([("Authorization", "Bearer t")])))
        #expect(get.status == 200)
        #expect(String(decoding: get.body, as: UTF8.self) == "GET /a/b q=x y auth=Bearer t body=0")
        let payload = [UInt8](repeating: 7, count: 300_000)
        let post = try client().send(HTTPRequest(method: "POST", url: URL(string: "\(server.baseURL.absoluteString)/upload")!, body: payload))
        #expect(post.status == 201)
        #expect(String(decoding: post.body, as: UTF8.self).hasSuffix("body=300000"))
        let listening = try ProcessResult.runTool("ss", ["-Hltn", "sport = :\(server.port)"])
        if listening.status == 0 {
            #expect(listening.stdoutText.contains("127.0.0.1:\(server.port)"))
            #expect(!listening.stdoutText.contains("0.0.0.0:\(server.port)"))
        }
    }

    @Test("a malformed request line gets 400; a stopped server refuses connections")
    func refusals() throws {
        let server = try LoopbackHTTPServer { _ in HTTPServerResponse(status: 200) }
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = server.port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        #expect(connected == 0)
        let garbage = Array("NONSENSE\r\n\r\n".utf8)
        _ = garbage.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, 0) }
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        close(descriptor)
        #expect(String(decoding: buffer.prefix(max(count, 0)), as: UTF8.self).hasPrefix("HTTP/1.1 400"))
        let url = server.baseURL
        server.stop()
        #expect(throws: TransportError.self) { try client().send(HTTPRequest(url: url)) }
    }
}
