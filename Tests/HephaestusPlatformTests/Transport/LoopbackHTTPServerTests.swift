import Foundation
import HephaestusPlatform
import HephaestusTestSupport
import Testing

/// The loopback server answers real libcurl requests, and refuses what it cannot serve.
@Suite("Loopback HTTP server")
struct LoopbackHTTPServerTests {
    func client() throws -> HTTPClient {
        HTTPClient(
            transport: CurlTransport(caBundle: nil, userAgent: "test"),
            policy: try RetryPolicy(maxRetries: 0, baseDelay: 0.01, maxDelay: 0.01, timeout: 5, deadline: 5))
    }

    /// A plain TCP socket connected to 127.0.0.1:`port`, for writing raw requests.
    static func connectedSocket(port: UInt16) throws -> Int32 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(connected == 0)
        return descriptor
    }

    @Test("GET with query and POST with a body round-trip through libcurl; it listens on 127.0.0.1 only")
    func roundTrip() throws {
        let server = try LoopbackHTTPServer { request in
            let text =
                "\(request.method) \(request.path) q=\(request.query["q"] ?? "-") auth=\(request.headers["authorization"] ?? "-") body=\(request.body.count)"
            return HTTPServerResponse(status: request.method == "POST" ? 201 : 200, contentType: "text/plain", body: Array(text.utf8))
        }
        defer { server.stop() }
        #expect(server.baseURL.host == "127.0.0.1")
        let get = try client().send(
            HTTPRequest(url: URL(string: "\(server.baseURL.absoluteString)/a/b?q=x%20y")!, headers: HTTPHeaders([("Authorization", "Bearer t")])))
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
        let descriptor = try Self.connectedSocket(port: server.port)
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

    /// A server that answers each request with its connection number and a digest of the body it received.
    static func echoServer(keepAlive: Bool) throws -> LoopbackHTTPServer {
        try LoopbackHTTPServer(keepAlive: keepAlive) { request in
            let digest = DigestAlgorithm.sha256.hash(request.body).hex
            return HTTPServerResponse(
                status: 200, contentType: "text/plain", body: Array("\(request.connection) \(request.body.count) \(digest)".utf8))
        }
    }

    @Test("kept-alive connections are reused by libcurl for GETs, in-memory and streamed POSTs of any size; bodies arrive intact")
    func keepAlive() throws {
        let directory = try TemporaryDirectory()
        let large = [UInt8]((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) })
        let small = [UInt8]((0..<5_000).map { UInt8(truncatingIfNeeded: $0 &* 13) })
        try Data(large).write(to: URL(fileURLWithPath: directory.file("large.bin")))
        try Data(small).write(to: URL(fileURLWithPath: directory.file("small.bin")))
        let head = Array("head:".utf8)
        let tail = Array(":tail".utf8)
        func answers(keepAlive: Bool) throws -> [[String]] {
            let server = try Self.echoServer(keepAlive: keepAlive)
            defer { server.stop() }
            let http = try client()
            let url = URL(string: "\(server.baseURL.absoluteString)/echo")!
            var requests = [HTTPRequest(url: url), HTTPRequest(method: "POST", url: url, body: small)]
            for (path, size) in [(directory.file("small.bin"), small.count), (directory.file("large.bin"), large.count)] {
                let body = StreamedBody(segments: [.bytes(head), .file(path: path, size: Int64(size)), .bytes(tail)])
                requests.append(HTTPRequest(method: "POST", url: url, streamedBody: body))
            }
            requests.append(
                HTTPRequest(
                    method: "PUT", url: url,
                    streamedBody: StreamedBody(segments: [.bytes(head), .file(path: directory.file("large.bin"), size: Int64(large.count))])))
            return try requests.map { request in
                let response = try http.send(request)
                #expect(response.status == 200)
                return String(decoding: response.body, as: UTF8.self).split(separator: " ").map(String.init)
            }
        }
        let expected = [[UInt8](), small, head + small + tail, head + large + tail, head + large].map {
            ["\($0.count)", DigestAlgorithm.sha256.hash($0).hex]
        }
        let reused = try answers(keepAlive: true)
        #expect(reused.map { Array($0.dropFirst()) } == expected)
        #expect(Set(reused.map { $0[0] }) == ["1"], "every request should reuse the first connection: \(reused.map { $0[0] })")
        let separate = try answers(keepAlive: false)
        #expect(separate.map { Array($0.dropFirst()) } == expected)
        #expect(separate.map { $0[0] } == ["1", "2", "3", "4", "5"])
    }

    @Test("stop() ends kept-alive connections: a server restarted on the same port answers, not the old one's connection")
    func stopEndsKeptAliveConnections() throws {
        let first = try LoopbackHTTPServer(keepAlive: true) { _ in HTTPServerResponse(status: 200, contentType: "text/plain", body: Array("old".utf8))
        }
        let url = URL(string: "\(first.baseURL.absoluteString)/which")!
        let http = try client()
        #expect(String(decoding: try http.send(HTTPRequest(url: url)).body, as: UTF8.self) == "old")
        first.stop()
        let second = try LoopbackHTTPServer(port: first.port, keepAlive: true) { _ in
            HTTPServerResponse(status: 200, contentType: "text/plain", body: Array("new".utf8))
        }
        defer { second.stop() }
        #expect(String(decoding: try http.send(HTTPRequest(url: url)).body, as: UTF8.self) == "new")
    }

    @Test("a kept-alive connection serves requests sent back to back in one write, and closes when the client asks")
    func pipelinedRequests() throws {
        let server = try Self.echoServer(keepAlive: true)
        defer { server.stop() }
        let descriptor = try Self.connectedSocket(port: server.port)
        defer { close(descriptor) }
        let requests = Array(
            "POST /a HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcPOST /b HTTP/1.1\r\nContent-Length: 2\r\nConnection: close\r\n\r\nde".utf8)
        _ = requests.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, 0) }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { break }
            received += buffer[0..<count]
        }
        let text = String(decoding: received, as: UTF8.self)
        let abc = "1 3 " + DigestAlgorithm.sha256.hash(Array("abc".utf8)).hex
        let de = "1 2 " + DigestAlgorithm.sha256.hash(Array("de".utf8)).hex
        #expect(text.contains("Connection: keep-alive\r\n\r\n\(abc)HTTP/1.1 200 OK"))
        #expect(text.hasSuffix("Connection: close\r\n\r\n\(de)"))
    }
}

@Suite("Streamed request bodies")
struct StreamedBodyTests {
    @Test("reads fill the buffer across segments; readAll gives the whole body; a file that shrank is an error")
    func reads() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("part.bin")
        try Data([UInt8](repeating: 9, count: 1000)).write(to: URL(fileURLWithPath: path))
        let body = StreamedBody(segments: [.bytes(Array("--a\r\n".utf8)), .file(path: path, size: 1000), .bytes(Array("\r\n--a--".utf8))])
        #expect(body.length == 1012)
        var buffer = [UInt8](repeating: 0, count: 4096)
        let first = try buffer.withUnsafeMutableBytes { try body.read(into: $0) }
        #expect(first == 1012)
        #expect(Array(buffer[0..<5]) == Array("--a\r\n".utf8))
        #expect(Array(buffer[1005..<1012]) == Array("\r\n--a--".utf8))
        #expect(try buffer.withUnsafeMutableBytes { try body.read(into: $0) } == 0)
        #expect(try body.readAll() == Array(buffer[0..<1012]))
        var small = [UInt8](repeating: 0, count: 100)
        body.reset()
        #expect(try small.withUnsafeMutableBytes { try body.read(into: $0) } == 100)
        try Data([UInt8](repeating: 9, count: 10)).write(to: URL(fileURLWithPath: path))
        #expect(throws: FileError.readFailed(path: path, reason: "the file shrank while being sent")) { try body.readAll() }
    }
}
