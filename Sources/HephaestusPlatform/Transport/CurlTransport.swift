internal import CCurl
import Foundation

/// The production ``HTTPTransport`` over libcurl: TLS verification always on, http/https only, no redirects followed
/// (the ``HTTPClient`` decides about each one), a CA bundle when given.
public struct CurlTransport: HTTPTransport {
    /// PEM file of CA certificates to trust instead of the system store (`--ca-bundle`).
    public let caBundle: String?
    public let userAgent: String

    public init(caBundle: String? = nil, userAgent: String = "hephaestus") {
        self.caBundle = caBundle
        self.userAgent = userAgent
    }

    public func perform(_ request: HTTPRequest, timeouts: AttemptTimeouts, sink: HTTPBodySink) throws -> HTTPResponseHead {
        try SharedLibrary.curl.load()
        let handle = CurlHandlePool.shared.take()
        defer { CurlHandlePool.shared.giveBack(handle) }
        let state = TransferState(sink: sink)
        let unmanaged = Unmanaged.passRetained(state)
        defer { unmanaged.release() }
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }
        for field in request.headers {
            headerList = curl_slist_append(headerList, "\(field.name): \(field.value)")
        }
        // Suppress curl's own "Expect: 100-continue" and keep Accept explicit.
        headerList = curl_slist_append(headerList, "Expect:")

        hp_curl_setopt_string(handle, CURLOPT_URL, request.url.absoluteString)
        hp_curl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "http,https")
        hp_curl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 0)
        hp_curl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1)
        hp_curl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2)
        hp_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        hp_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(timeouts.connect * 1000))
        hp_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, Int(timeouts.total * 1000))
        hp_curl_setopt_string(handle, CURLOPT_USERAGENT, userAgent)
        // Large transfers: fewer, bigger reads and file writes (libcurl's default buffer is 16 KiB).
        hp_curl_setopt_long(handle, CURLOPT_BUFFERSIZE, 512 * 1024)
        hp_curl_setopt_string(handle, CURLOPT_ACCEPT_ENCODING, "")
        if let caBundle { hp_curl_setopt_string(handle, CURLOPT_CAINFO, caBundle) }
        hp_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList)
        let version = request.httpVersion == .http2 ? CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE : CURL_HTTP_VERSION_NONE
        hp_curl_setopt_long(handle, CURLOPT_HTTP_VERSION, version)
        if request.httpVersion == .http2 {
            // libcurl 7.88 breaks a kept h2c connection on the next request of a reset handle ("Error in the HTTP2
            // framing layer"): HTTP/2 requests (OTLP/gRPC batches) each get a connection of their own.
            hp_curl_setopt_long(handle, CURLOPT_FRESH_CONNECT, 1)
            hp_curl_setopt_long(handle, CURLOPT_FORBID_REUSE, 1)
        }
        switch request.method {
        case "GET": hp_curl_setopt_long(handle, CURLOPT_HTTPGET, 1)
        case "HEAD": hp_curl_setopt_long(handle, CURLOPT_NOBODY, 1)
        default: hp_curl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, request.method)
        }
        // A small streamed body is read into memory so that libcurl sends it in the same write as the request head
        // (it does so for in-memory bodies under 64 KiB); larger ones are streamed in buffer-sized reads.
        var inlineBody = request.body
        if inlineBody == nil, let streamed = request.streamedBody, streamed.length <= Self.inlineBodyLimit {
            inlineBody = try streamed.readAll()
        }
        let body = inlineBody ?? []
        let performed: CURLcode = body.withUnsafeBufferPointer { buffer in
            if inlineBody != nil {
                hp_curl_setopt_off_t(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(buffer.count))
                hp_curl_setopt_pointer(
                    handle, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!))
            } else if let streamed = request.streamedBody {
                streamed.reset()
                state.upload = streamed
                hp_curl_setopt_long(handle, CURLOPT_UPLOAD, 0)
                hp_curl_setopt_long(handle, CURLOPT_POST, 1)
                hp_curl_setopt_off_t(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(streamed.length))
                hp_curl_setopt_pointer(handle, CURLOPT_READDATA, unmanaged.toOpaque())
                hp_curl_setopt_data_callback(handle, CURLOPT_READFUNCTION) { buffer, size, count, userdata in
                    let state = Unmanaged<TransferState>.fromOpaque(userdata!).takeUnretainedValue()
                    return state.read(into: UnsafeMutableRawBufferPointer(start: buffer, count: size * count))
                }
                // libcurl rewinds the body when it resends the request on a fresh connection (a kept-alive one
                // that the server had closed).
                hp_curl_setopt_pointer(handle, CURLOPT_SEEKDATA, unmanaged.toOpaque())
                hp_curl_setopt_seek_callback(handle, CURLOPT_SEEKFUNCTION) { userdata, offset, origin in
                    let state = Unmanaged<TransferState>.fromOpaque(userdata!).takeUnretainedValue()
                    return state.rewind(offset: offset, origin: origin)
                }
                if request.method != "POST" { hp_curl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, request.method) }
            }
            hp_curl_setopt_pointer(handle, CURLOPT_HEADERDATA, unmanaged.toOpaque())
            hp_curl_setopt_data_callback(handle, CURLOPT_HEADERFUNCTION) { buffer, size, count, userdata in
                let state = Unmanaged<TransferState>.fromOpaque(userdata!).takeUnretainedValue()
                state.header(UnsafeRawBufferPointer(start: buffer, count: size * count))
                return size * count
            }
            hp_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, unmanaged.toOpaque())
            hp_curl_setopt_data_callback(handle, CURLOPT_WRITEFUNCTION) { buffer, size, count, userdata in
                let state = Unmanaged<TransferState>.fromOpaque(userdata!).takeUnretainedValue()
                return state.body(UnsafeRawBufferPointer(start: buffer, count: size * count)) ? size * count : 0
            }
            return curl_easy_perform(handle)
        }
        if let failure = state.failure { throw failure }
        guard performed == CURLE_OK else {
            var message = String(cString: curl_easy_strerror(performed))
            if performed == CURLE_PARTIAL_FILE { message = "truncated body (\(message))" }
            throw TransportError.transport(url: request.url.absoluteString, reason: message, retryable: Self.isRetryable(performed))
        }
        var status = 0
        hp_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        let head = HTTPResponseHead(status: status, headers: state.headers)
        if !state.began { try sink.begin(head) }
        return head
    }

    /// The largest streamed body read into memory before sending (libcurl's limit for sending a body with the head).
    static let inlineBodyLimit: Int64 = 60 * 1024

    /// Transient transport failures: refused, reset, timeouts, truncated or empty replies, DNS.
    static func isRetryable(_ code: CURLcode) -> Bool {
        [
            CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_OPERATION_TIMEDOUT, CURLE_RECV_ERROR, CURLE_SEND_ERROR,
            CURLE_PARTIAL_FILE, CURLE_GOT_NOTHING, CURLE_HTTP2, CURLE_HTTP2_STREAM,
        ].contains(code)
    }
}

/// The state of one transfer, reached from curl's C callbacks through the user-data pointer.
private final class TransferState {
    let sink: HTTPBodySink
    var headers = HTTPHeaders()
    var statusLine = ""
    var began = false
    var failure: (any Error)?
    var upload: StreamedBody?

    init(sink: HTTPBodySink) {
        self.sink = sink
    }

    func header(_ bytes: UnsafeRawBufferPointer) {
        let line = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .newlines)
        if line.hasPrefix("HTTP/") {
            // A new response (after 100-continue or an informational status): start over.
            statusLine = line
            headers = HTTPHeaders()
            return
        }
        guard let colon = line.firstIndex(of: ":") else { return }
        headers.add(String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
    }

    /// Feeds curl the next upload bytes; a read failure aborts the transfer and is rethrown.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard let upload else { return 0 }
        do {
            return try upload.read(into: buffer)
        } catch {
            failure = error
            return Int(CURL_READFUNC_ABORT)
        }
    }

    /// Back to the start of the upload when libcurl asks (offset 0 from the start); any other seek is refused.
    func rewind(offset: curl_off_t, origin: Int32) -> Int32 {
        guard let upload, offset == 0, origin == SEEK_SET else { return CURL_SEEKFUNC_CANTSEEK }
        upload.reset()
        return CURL_SEEKFUNC_OK
    }

    func body(_ bytes: UnsafeRawBufferPointer) -> Bool {
        do {
            if !began {
                began = true
                let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "") ?? 0
                try sink.begin(HTTPResponseHead(status: status, headers: headers))
            }
            try sink.write(bytes)
            return true
        } catch {
            failure = error
            return false
        }
    }
}

/// Idle libcurl handles kept for the next request: a handle keeps its connections, TLS sessions and DNS answers, so
/// consecutive requests to one host (an upload per distribution, API calls then downloads) reuse a kept-alive connection
/// instead of connecting and handshaking again. Each handle serves one request at a time; `curl_easy_reset` clears every
/// option between requests.
///
/// Unchecked because it holds C pointers (which a `Mutex` cannot take in without region-isolation errors). Safe because
/// `idle` is read and written only under `lock`, and a handle is used by one thread at a time: the one that took it
/// out of the pool, until it gives it back.
final class CurlHandlePool: @unchecked Sendable {
    static let shared = CurlHandlePool(capacity: 8)

    private let capacity: Int
    private let lock = NSLock()
    private var idle: [UnsafeMutableRawPointer] = []

    init(capacity: Int) {
        self.capacity = capacity
    }

    func take() -> UnsafeMutableRawPointer {
        if let handle = lock.withLock({ idle.popLast() }) { return handle }
        guard let handle = curl_easy_init() else { fatalError("curl_easy_init failed") }
        return handle
    }

    func giveBack(_ handle: UnsafeMutableRawPointer) {
        curl_easy_reset(handle)
        let kept = lock.withLock {
            guard idle.count < capacity else { return false }
            idle.append(handle)
            return true
        }
        if !kept { curl_easy_cleanup(handle) }
    }
}
