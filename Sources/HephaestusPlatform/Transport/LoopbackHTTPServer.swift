import Foundation
import Glibc
import Synchronization

/// One request as a ``LoopbackHTTPServer`` hands it to its handler.
public struct HTTPServerRequest: Sendable {
    public let method: String
    /// The path without its query string, percent-decoding left to the handler.
    public let path: String
    public let query: [String: String]
    public let headers: HTTPHeaders
    public let body: [UInt8]
    /// Which accepted connection carried the request (1, 2, …): requests sharing a number came over one kept-alive
    /// connection.
    public let connection: Int
}

/// A handler's answer.
public struct HTTPServerResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: Int, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public init(status: Int, contentType: String, body: [UInt8]) {
        var headers = HTTPHeaders()
        headers.add("Content-Type", contentType)
        self.init(status: status, headers: headers, body: body)
    }
}

/// A small blocking HTTP/1.1 server bound to 127.0.0.1 only, one thread per connection. By default each connection
/// carries one request (`Connection: close`); with `keepAlive` a connection serves requests until the client closes it,
/// asks to close, or stays idle for 30 seconds. It serves local test instances and development tools, never the
/// internet: the listening address is not configurable.
public final class LoopbackHTTPServer: Sendable {
    public typealias Handler = @Sendable (HTTPServerRequest) -> HTTPServerResponse

    /// Limits on what a client may send.
    public static let maximumHeaderBytes = 64 << 10
    public static let maximumBodyBytes = 32 << 20

    public let port: UInt16
    private let socket: Int32
    private let handler: Handler
    private let keepAlive: Bool
    private let state = Mutex(State())

    private struct State {
        var stopped = false
        /// Connections accepted so far (numbers them).
        var accepted = 0
        /// Connections being served, shut down by ``stop()`` so that no kept-alive connection outlives the server.
        var open: Set<Int32> = []
    }

    /// Binds 127.0.0.1:`port` (0 picks a free port; read it back from ``port``) and starts accepting.
    public init(port: UInt16 = 0, keepAlive: Bool = false, handler: @escaping Handler) throws(ServerError) {
        let descriptor = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw ServerError.listenFailed(port: port, reason: String(cString: strerror(errno))) }
        var reuse: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(descriptor, 64) == 0 else {
            let code = errno
            close(descriptor)
            throw code == EADDRINUSE
                ? ServerError.portInUse(port: port) : ServerError.listenFailed(port: port, reason: String(cString: strerror(code)))
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        self.port = UInt16(bigEndian: address.sin_port)
        self.socket = descriptor
        self.handler = handler
        self.keepAlive = keepAlive
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "loopback-http-accept"
        thread.start()
    }

    deinit { stop() }

    /// The base URL clients use.
    public var baseURL: URL { URL(string: "http://127.0.0.1:\(port)")! }

    /// Stops accepting and shuts down every open connection: kept-alive connections end, and a request read after this
    /// is not handled (its client sees the connection close and, if it reused the connection, retries on a new one).
    public func stop() {
        state.withLock { state in
            guard !state.stopped else { return }
            state.stopped = true
            shutdown(socket, Int32(SHUT_RDWR))
            close(socket)
            for connection in state.open { shutdown(connection, Int32(SHUT_RDWR)) }
        }
    }

    private var isStopped: Bool {
        state.withLock { $0.stopped }
    }

    private func acceptLoop() {
        while !isStopped {
            let connection = accept(socket, nil, nil)
            if connection < 0 {
                if errno == EINTR { continue }
                return
            }
            var timeout = timeval(tv_sec: 30, tv_usec: 0)
            setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(connection, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let handler = self.handler
            let keepAlive = self.keepAlive
            let number: Int? = state.withLock { state in
                guard !state.stopped else { return nil }
                state.accepted += 1
                state.open.insert(connection)
                return state.accepted
            }
            guard let number else {
                close(connection)
                return
            }
            let thread = Thread { [self] in
                Self.serve(ConnectionReader(descriptor: connection, number: number), handler: handler, keepAlive: keepAlive) { [self] in isStopped }
                state.withLock { _ = $0.open.remove(connection) }
                close(connection)
            }
            thread.name = "loopback-http-connection"
            thread.start()
        }
    }

    private static func serve(_ reader: ConnectionReader, handler: Handler, keepAlive: Bool, stopped: () -> Bool) {
        while true {
            let response: HTTPServerResponse
            var again = keepAlive
            let read = reader.readRequest()
            if stopped() { return }
            switch read {
            case .success(let request):
                response = handler(request)
                if request.headers["connection"]?.lowercased() == "close" || reader.lastVersion == "HTTP/1.0" { again = false }
            case .failure(let problem):
                // A client closing an idle kept-alive connection is not an error.
                if problem.status == 0 { return }
                response = HTTPServerResponse(status: problem.status, contentType: "text/plain", body: Array(problem.message.utf8))
                again = false
            }
            guard write(response, to: reader.descriptor, keepAlive: again), again else { return }
        }
    }

    struct RequestProblem: Error {
        let status: Int
        let message: String
    }

    /// Reads requests off one connection; bytes past a request's body stay buffered for the next one.
    final class ConnectionReader {
        let descriptor: Int32
        let number: Int
        private var buffer: [UInt8] = []
        private var chunk = [UInt8](repeating: 0, count: 16 << 10)
        private(set) var lastVersion = "HTTP/1.1"

        init(descriptor: Int32, number: Int) {
            self.descriptor = descriptor
            self.number = number
        }

        /// Reads more bytes into the buffer; false when the peer closed or the read failed.
        private func fill() -> Bool {
            let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return false }
            buffer += chunk[0..<count]
            return true
        }

        /// The next request; a failure with status 0 when the connection closed before a new request began.
        func readRequest() -> Result<HTTPServerRequest, RequestProblem> {
            var headerEnd = LoopbackHTTPServer.find([13, 10, 13, 10], in: buffer, from: 0)
            var searched = buffer.count
            while headerEnd == nil {
                let began = !buffer.isEmpty
                guard fill() else {
                    return .failure(
                        began
                            ? RequestProblem(status: 400, message: "connection closed before the request head ended")
                            : RequestProblem(status: 0, message: ""))
                }
                searched = max(0, searched - 3)
                headerEnd = LoopbackHTTPServer.find([13, 10, 13, 10], in: buffer, from: searched)
                searched = buffer.count
                if headerEnd == nil, buffer.count > maximumHeaderBytes {
                    return .failure(RequestProblem(status: 431, message: "request head larger than \(maximumHeaderBytes) bytes"))
                }
            }
            let head = String(decoding: buffer[0..<headerEnd!], as: UTF8.self)
            var lines = head.components(separatedBy: "\r\n")
            let requestLine = lines.removeFirst().split(separator: " ")
            guard requestLine.count == 3, requestLine[2].hasPrefix("HTTP/1.") else {
                return .failure(RequestProblem(status: 400, message: "malformed request line"))
            }
            lastVersion = String(requestLine[2])
            var headers = HTTPHeaders()
            for line in lines where !line.isEmpty {
                guard let colon = line.firstIndex(of: ":") else { return .failure(RequestProblem(status: 400, message: "malformed header line")) }
                headers.add(String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            }
            if headers["transfer-encoding"] != nil {
                return .failure(RequestProblem(status: 411, message: "chunked request bodies are not supported; send Content-Length"))
            }
            let length = headers["content-length"].flatMap { Int($0) } ?? 0
            guard length >= 0, length <= maximumBodyBytes else {
                return .failure(RequestProblem(status: 413, message: "request body larger than \(maximumBodyBytes) bytes"))
            }
            let bodyStart = headerEnd! + 4
            while buffer.count - bodyStart < length {
                guard fill() else { return .failure(RequestProblem(status: 400, message: "request body shorter than Content-Length")) }
            }
            let body = Array(buffer[bodyStart..<(bodyStart + length)])
            buffer.removeFirst(bodyStart + length)
            let target = String(requestLine[1])
            let components = URLComponents(string: target)
            var query: [String: String] = [:]
            for item in components?.queryItems ?? [] { query[item.name] = item.value ?? "" }
            return .success(
                HTTPServerRequest(
                    method: String(requestLine[0]), path: components?.path ?? target, query: query, headers: headers, body: body,
                    connection: number))
        }
    }

    /// Sends the response; false when the connection failed.
    private static func write(_ response: HTTPServerResponse, to connection: Int32, keepAlive: Bool) -> Bool {
        var head = "HTTP/1.1 \(response.status) \(reason(response.status))\r\n"
        for field in response.headers where field.name.lowercased() != "content-length" && field.name.lowercased() != "connection" {
            head += "\(field.name): \(field.value)\r\n"
        }
        head += "Content-Length: \(response.body.count)\r\nConnection: \(keepAlive ? "keep-alive" : "close")\r\n\r\n"
        let bytes = Array(head.utf8) + response.body
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { return false }
            sent += count
        }
        return true
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8], from first: Int) -> Int? {
        guard haystack.count - first >= needle.count else { return nil }
        for start in first...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start..<(start + needle.count)].elementsEqual(needle) { return start }
        }
        return nil
    }

    private static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 201: "Created"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 409: "Conflict"
        case 411: "Length Required"
        case 413: "Content Too Large"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 503: "Service Unavailable"
        default: "Status"
        }
    }

}

/// A loopback server that could not start listening.
public enum ServerError: CodedError, Equatable {
    /// Something else already listens on the port.
    case portInUse(port: UInt16)
    case listenFailed(port: UInt16, reason: String)

    public enum Code: String, ErrorCode {
        case portInUse = "server.port-in-use"
        case listenFailed = "server.listen-failed"

        public var definition: (category: ErrorCategory, summary: String) {
            switch self {
            case .portInUse: (.unavailable, "`dev sigstore`: the port on 127.0.0.1 is already in use")
            case .listenFailed: (.unavailable, "`dev sigstore`: no socket could listen on 127.0.0.1")
            }
        }
    }

    public var errorCode: Code {
        switch self {
        case .portInUse: .portInUse
        case .listenFailed: .listenFailed
        }
    }

    public var description: String {
        switch self {
        case .portInUse(let port): "port \(port) on 127.0.0.1 is already in use: stop what listens there, or choose another with --port"
        case .listenFailed(let port, let reason): "cannot listen on 127.0.0.1:\(port): \(reason)"
        }
    }
}
